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
let waitpidFn: WaitpidFn | undefined;

function load(): WaitpidFn {
  if (!waitpidFn) {
    // koffi is CommonJS with a native addon; it stays outside the bundle.
    const koffi = createRequire(import.meta.url)('koffi') as {
      load(name: string): { func(sig: string): WaitpidFn };
    };
    waitpidFn = koffi.load('libc.so.6').func('int waitpid(int pid, _Out_ int *status, int options)');
  }
  return waitpidFn;
}

/** Reaps `pid` if it has exited; never blocks, never touches any other child. */
export function reapIfExited(pid: number): WaitResult | undefined {
  if (!Number.isInteger(pid) || pid <= 0) throw new RangeError(`refusing to wait on pid ${pid}`);
  const status = [0];
  const got = load()(pid, status, WNOHANG);
  if (got !== pid) return undefined;
  return decodeWaitStatus(pid, status[0] ?? 0);
}

/** The kernel's wait status word: low 7 bits = terminating signal, next byte = exit code. */
export function decodeWaitStatus(pid: number, status: number): WaitResult {
  const sig = status & 0x7f;
  if (sig === 0) return { pid, code: (status >> 8) & 0xff, signal: null };
  return { pid, code: null, signal: sig };
}
