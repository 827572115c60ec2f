import { createRequire } from 'node:module';

// Node has no waitpid(2); libuv reaps only the children it spawned. PID 1 must also reap orphans,
// so this is vmpod's one native surface: waitpid on a single, named pid through koffi's FFI.

const WNOHANG = 1;

export interface WaitResult {
  readonly pid: number;
  readonly code: number | null;
  readonly signal: number | null;
}

type WaitpidFn = (pid: number, status: number[], options: number) => number;
type PrctlFn = (option: number, arg2: number, arg3: number, arg4: number, arg5: number) => number;
interface Libc {
  waitpid: WaitpidFn;
  prctl: PrctlFn;
}
let libc: Libc | undefined;

function load(): Libc {
  if (!libc) {
    // koffi is CommonJS with a native addon; it stays outside the bundle.
    const koffi = createRequire(import.meta.url)('koffi') as {
      load(name: string): { func(sig: string): unknown };
    };
    const lib = koffi.load('libc.so.6');
    libc = {
      waitpid: lib.func('int waitpid(int pid, _Out_ int *status, int options)') as WaitpidFn,
      prctl: lib.func(
        'int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)',
      ) as PrctlFn,
    };
  }
  return libc;
}

const PR_SET_CHILD_SUBREAPER = 36;

/** Orphans of our descendants re-parent to us instead of the real init (prctl(2)). */
export function becomeSubreaper(log: { warn(obj: object, msg: string): void }): void {
  if (load().prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) !== 0) {
    log.warn({ option: 'PR_SET_CHILD_SUBREAPER' }, 'could not become a child subreaper');
  }
}

/** Reaps `pid` if it has exited; never blocks, never touches any other child. */
export function reapIfExited(pid: number): WaitResult | undefined {
  if (!Number.isInteger(pid) || pid <= 0) throw new RangeError(`refusing to wait on pid ${pid}`);
  const status = [0];
  const got = load().waitpid(pid, status, WNOHANG);
  if (got !== pid) return undefined;
  return decodeWaitStatus(pid, status[0] ?? 0);
}

/** The kernel's wait status word: low 7 bits = terminating signal, next byte = exit code. */
export function decodeWaitStatus(pid: number, status: number): WaitResult {
  const sig = status & 0x7f;
  if (sig === 0) return { pid, code: (status >> 8) & 0xff, signal: null };
  return { pid, code: null, signal: sig };
}
