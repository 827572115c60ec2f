import { constants } from 'node:os';
import { VmpodError, describeError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { type Libc, loadLibc } from '../native/libc.js';
import { readStat } from './proc-table.js';

// Learns that a process exited the moment it does, even one that is not our child (qemu belongs to
// PID 1 once libvirt daemonised it, so neither waitpid nor Node's 'exit' event can see it). A pidfd
// (Linux ≥ 5.3) turns readable when the process exits; a blocking poll(2) on it runs on libuv's
// threadpool through koffi, in bounded slices so that no thread is held for long after we stop
// caring. An eventfd in the same poll lets close() end a slice at once. Where the kernel refuses
// a pidfd, /proc/<pid>/stat is polled instead.

export type ProcessExitMechanism = 'pidfd' | 'proc-poll';
/** 'exited': gone or a zombie (the exit already happened; reaping is its parent's business). */
export type ProcessExitEnd = 'exited' | 'closed';

export interface WatchProcessExitOptions {
  readonly log: Logger;
  /** 'proc-poll' skips the pidfd (tests; a kernel whose pidfds misbehave). */
  readonly mechanism?: 'auto' | 'proc-poll';
  /** Period of the /proc fallback. */
  readonly pollMs?: number;
  /** Longest one poll(2) holds a threadpool thread before it is re-armed. */
  readonly sliceMs?: number;
  /** The native calls; tests hand in fakes. */
  readonly libc?: () => Libc;
  readonly procRoot?: string;
}

export interface ProcessExitWatch {
  readonly exited: Promise<ProcessExitEnd>;
  /** The mechanism watching now; a pidfd that fails mid-way hands over to the /proc poll. */
  readonly mechanism: ProcessExitMechanism;
  /** Stops watching; `exited` resolves 'closed' unless the process exited first. Idempotent. */
  close(): void;
}

const POLLIN = 0x1;
const POLLNVAL = 0x20;
const EFD_NONBLOCK = 0o4000;
const EFD_CLOEXEC = 0o2000000;
const POLLFD_SIZE = 8; // struct pollfd { int fd; short events; short revents; }
const { EINTR, ESRCH } = constants.errno;

export function watchProcessExit(pid: number, opts: WatchProcessExitOptions): ProcessExitWatch {
  if (!Number.isInteger(pid) || pid <= 0) {
    throw new VmpodError('INVALID_PID', `cannot watch pid ${pid}`, { facts: { pid } });
  }
  return new Watch(pid, opts);
}

class Watch implements ProcessExitWatch {
  readonly exited: Promise<ProcessExitEnd>;
  mechanism: ProcessExitMechanism = 'pidfd';
  readonly #pid: number;
  readonly #opts: WatchProcessExitOptions;
  readonly #log: Logger;
  #settle!: (end: ProcessExitEnd) => void;
  #done = false;
  #timer: NodeJS.Timeout | undefined;
  #libc: Libc | undefined;
  #pidfd = -1;
  #wakefd = -1;
  #polling = false;

  constructor(pid: number, opts: WatchProcessExitOptions) {
    this.#pid = pid;
    this.#opts = opts;
    this.#log = opts.log.child({ watchedPid: pid });
    this.exited = new Promise((resolve) => {
      this.#settle = resolve;
    });
    if (opts.mechanism === 'proc-poll') this.#fallBack('forced by option');
    else this.#startPidfd();
  }

  close(): void {
    this.#finish('closed');
  }

  #finish(end: ProcessExitEnd): void {
    if (this.#done) return;
    this.#done = true;
    clearTimeout(this.#timer);
    this.#settle(end);
    if (this.#polling) this.#wake();
    else this.#releaseFds();
  }

  #startPidfd(): void {
    let c: Libc;
    try {
      c = (this.#opts.libc ?? loadLibc)();
      this.#libc = c;
      this.#pidfd = c.pidfd_open(this.#pid, 0);
    } catch (err) {
      this.#fallBack(`no pidfd_open: ${describeError(err)}`);
      return;
    }
    if (this.#pidfd < 0) {
      const errno = c.errno();
      if (errno === ESRCH) {
        this.#log.info({ mechanism: 'pidfd' }, 'process already gone');
        this.#finish('exited');
        return;
      }
      // ENOSYS (kernel < 5.3), EPERM (a seccomp profile), EMFILE, …
      this.#fallBack(`pidfd_open: ${errnoName(errno)}`);
      return;
    }
    this.#wakefd = c.eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    this.#log.info({ mechanism: 'pidfd' }, 'watching for the process to exit through a pidfd');
    this.#arm();
  }

  /** One bounded poll(2) on [pidfd, wakefd] on the threadpool. */
  #arm(): void {
    const c = this.#libc as Libc;
    const withWake = this.#wakefd >= 0;
    const fds = Buffer.alloc(POLLFD_SIZE * (withWake ? 2 : 1));
    fds.writeInt32LE(this.#pidfd, 0);
    fds.writeInt16LE(POLLIN, 4);
    if (withWake) {
      fds.writeInt32LE(this.#wakefd, POLLFD_SIZE);
      fds.writeInt16LE(POLLIN, POLLFD_SIZE + 4);
    }
    try {
      c.poll.async(fds, withWake ? 2 : 1, this.#opts.sliceMs ?? 5000, (err, ready) =>
        this.#polled(err, ready, fds),
      );
      this.#polling = true;
    } catch (err) {
      // koffi's queue of async calls is full, or the like.
      this.#releaseFds();
      this.#fallBack(`poll: ${describeError(err)}`);
    }
  }

  #polled(err: unknown, ready: number, fds: Buffer): void {
    this.#polling = false;
    const errno = ready < 0 ? (this.#libc as Libc).errno() : 0;
    if (this.#done) {
      this.#releaseFds();
      return;
    }
    const revents = ready > 0 ? fds.readInt16LE(6) : 0;
    if (err !== null && err !== undefined) {
      this.#releaseFds();
      this.#fallBack(`poll: ${describeError(err)}`);
    } else if (revents & POLLNVAL) {
      this.#releaseFds();
      this.#fallBack('poll: pidfd not valid');
    } else if (revents !== 0) {
      this.#log.debug({ mechanism: 'pidfd' }, 'process exited');
      this.#finish('exited');
    } else if (ready < 0 && errno !== EINTR) {
      this.#releaseFds();
      this.#fallBack(`poll: ${errnoName(errno)}`);
    } else {
      this.#arm(); // the slice ran out (or a signal interrupted it): watch on
    }
  }

  #wake(): void {
    if (this.#wakefd < 0) return; // the running slice ends on its own within sliceMs
    const one = Buffer.alloc(8);
    one.writeBigUInt64LE(1n);
    (this.#libc as Libc).write(this.#wakefd, one, 8);
  }

  /** Only once no poll(2) uses them: closing an fd another thread polls invites reuse races. */
  #releaseFds(): void {
    const c = this.#libc;
    if (!c) return;
    if (this.#pidfd >= 0) c.close(this.#pidfd);
    if (this.#wakefd >= 0) c.close(this.#wakefd);
    this.#pidfd = -1;
    this.#wakefd = -1;
  }

  #fallBack(reason: string): void {
    this.mechanism = 'proc-poll';
    const pollMs = this.#opts.pollMs ?? 1000;
    this.#log.warn(
      { mechanism: 'proc-poll', pollMs, reason },
      'watching for the process to exit through /proc',
    );
    const check = () => {
      if (this.#done) return;
      if (hasExited(this.#pid, this.#opts.procRoot)) this.#finish('exited');
      else this.#timer = setTimeout(check, pollMs);
    };
    check();
  }
}

function hasExited(pid: number, procRoot?: string): boolean {
  const stat = readStat(pid, procRoot);
  return stat === undefined || stat.state === 'Z' || stat.state === 'X';
}

function errnoName(errno: number): string {
  const name = Object.entries(constants.errno).find(([, n]) => n === errno)?.[0];
  return name ?? `errno ${errno}`;
}
