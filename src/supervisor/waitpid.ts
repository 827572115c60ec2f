import { loadLibc } from '../native/libc.js';

// Node has no waitpid(2); libuv reaps only the children it spawned. PID 1 must also reap orphans,
// so it calls waitpid on a single, named pid through vmpod's native surface (src/native/libc.ts).

const WNOHANG = 1;

export interface WaitResult {
  readonly pid: number;
  readonly code: number | null;
  readonly signal: number | null;
}

const PR_SET_CHILD_SUBREAPER = 36;

/** Orphans of our descendants re-parent to us instead of the real init (prctl(2)). */
export function becomeSubreaper(log: { warn(obj: object, msg: string): void }): void {
  if (loadLibc().prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) !== 0) {
    log.warn({ option: 'PR_SET_CHILD_SUBREAPER' }, 'could not become a child subreaper');
  }
}

/** Reaps `pid` if it has exited; never blocks, never touches any other child. */
export function reapIfExited(pid: number): WaitResult | undefined {
  if (!Number.isInteger(pid) || pid <= 0) throw new RangeError(`refusing to wait on pid ${pid}`);
  const status = [0];
  const got = loadLibc().waitpid(pid, status, WNOHANG);
  if (got !== pid) return undefined;
  return decodeWaitStatus(pid, status[0] ?? 0);
}

/** The kernel's wait status word: low 7 bits = terminating signal, next byte = exit code. */
export function decodeWaitStatus(pid: number, status: number): WaitResult {
  const sig = status & 0x7f;
  if (sig === 0) return { pid, code: (status >> 8) & 0xff, signal: null };
  return { pid, code: null, signal: sig };
}
