import type { Logger } from '../log/logger.js';
import { childrenOf, readStat } from './proc-table.js';
import { reapIfExited } from './waitpid.js';

// PID 1 inherits every orphan in the pod (qemu after libvirt died, leftovers of `kubectl exec`).
// Reap only zombies that are not libuv's own children, so the launcher's exit status is never
// stolen: libuv reaps those itself and reports them through ChildProcess 'exit'.

export interface ReaperOptions {
  readonly log: Logger;
  /** Pids libuv spawned and still tracks. */
  readonly isOwnChild: (pid: number) => boolean;
  /** A sweep also runs on this period, in case a SIGCHLD was coalesced or missed. */
  readonly sweepMs?: number;
}

export class OrphanReaper {
  readonly #opts: ReaperOptions;
  #timer: NodeJS.Timeout | undefined;
  readonly #onSigchld = () => this.sweep();
  reaped = 0;

  constructor(opts: ReaperOptions) {
    this.#opts = opts;
  }

  start(): void {
    process.on('SIGCHLD', this.#onSigchld);
    this.#timer = setInterval(() => this.sweep(), this.#opts.sweepMs ?? 1000);
    this.#timer.unref();
    this.sweep();
  }

  stop(): void {
    process.off('SIGCHLD', this.#onSigchld);
    if (this.#timer) clearInterval(this.#timer);
  }

  /** Reaps every zombie child that is not one of ours; returns how many it reaped. */
  sweep(): number {
    let n = 0;
    for (const pid of childrenOf(process.pid)) {
      if (this.#opts.isOwnChild(pid)) continue;
      const stat = readStat(pid);
      if (stat?.state !== 'Z') continue;
      const res = reapIfExited(pid);
      if (!res) continue;
      n++;
      this.reaped++;
      this.#opts.log.info(
        { orphanPid: pid, orphanComm: stat.comm, exitCode: res.code, signal: res.signal },
        'reaped orphaned process',
      );
    }
    return n;
  }
}
