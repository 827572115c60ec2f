import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';

// One long-running child (virtlogd, virtqemud/libvirtd) under its real executable name, restarted
// whenever it exits, killed when the launcher stops (KUBEVIRT.md §1.1). KubeVirt restarts after a
// flat second; here a crash loop backs off (doubling up to a cap) so a daemon that cannot start
// does not spin, and the streak is forgotten once a run has lasted long enough to count as healthy.

export interface DaemonSpec {
  /** Name used in logs: the executable's base name. */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  /** Pause before the first restart of a streak; KubeVirt waits one second. */
  readonly restartDelayMs?: number;
  /** The backoff doubles per consecutive crash up to this. */
  readonly maxRestartDelayMs?: number;
  /** A run at least this long ends a crash streak: its exit is again the first of one. */
  readonly stableAfterMs?: number;
}

export const DAEMON_RESTART_DEFAULTS = {
  restartDelayMs: 1000,
  maxRestartDelayMs: 30_000,
  stableAfterMs: 60_000,
} as const;

export interface DaemonExit {
  readonly pid: number | undefined;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly error?: Error;
  readonly willRestart: boolean;
  /** The pause before the restart; absent when none follows. */
  readonly restartInMs?: number;
  /** Exits in a row, this one included, none after a stable run. */
  readonly consecutiveCrashes: number;
  /** Restarts so far, the one now scheduled included. */
  readonly restarts: number;
  /** How long the run lasted (0 when it never started). */
  readonly ranForMs: number;
}

/** What happened to a daemon so far, for logs and troubleshooting commands. */
export interface DaemonSnapshot {
  readonly name: string;
  readonly pid: number | undefined;
  /** Epoch ms of the latest start; undefined before the first. */
  readonly startedAt: number | undefined;
  /** How long the latest start has run, on the monotonic clock (a wall-clock step cannot skew it). */
  readonly uptimeMs: number | undefined;
  readonly restarts: number;
  readonly consecutiveCrashes: number;
  /** Epoch ms at which a scheduled restart happens. */
  readonly restartAt: number | undefined;
  readonly lastExit:
    | {
        readonly at: number;
        readonly pid: number | undefined;
        readonly code: number | null;
        readonly signal: NodeJS.Signals | null;
        readonly error?: string;
        readonly ranForMs: number;
      }
    | undefined;
}

/** The pause before the restart that follows the `consecutiveCrashes`-th exit in a row. */
export function restartDelay(
  consecutiveCrashes: number,
  baseMs: number = DAEMON_RESTART_DEFAULTS.restartDelayMs,
  maxMs: number = DAEMON_RESTART_DEFAULTS.maxRestartDelayMs,
): number {
  const doublings = Math.max(0, Math.min(consecutiveCrashes - 1, 30));
  return Math.min(baseMs * 2 ** doublings, Math.max(baseMs, maxMs));
}

export interface DaemonEvents {
  started: [pid: number];
  exited: [info: DaemonExit];
  line: [stream: 'stdout' | 'stderr', line: string];
}

// setpriv execs in place, so the tree keeps the daemon's own name; the parent-death signal means
// a crashed launcher never leaves a daemon behind.
const SETPRIV = '/usr/bin/setpriv';

export class SupervisedDaemon extends EventEmitter<DaemonEvents> {
  readonly spec: DaemonSpec;
  #child: ChildProcess | undefined;
  #stopping = false;
  #restartTimer: NodeJS.Timeout | undefined;
  #restartAt: number | undefined;
  #restarts = 0;
  #consecutiveCrashes = 0;
  #startedAt: number | undefined;
  #startedMono: number | undefined;
  #lastExit: DaemonSnapshot['lastExit'];

  constructor(spec: DaemonSpec) {
    super();
    this.spec = spec;
  }

  get pid(): number | undefined {
    return this.#child?.exitCode === null && this.#child.signalCode === null ? this.#child.pid : undefined;
  }

  /** Restarts so far. */
  get restarts(): number {
    return this.#restarts;
  }

  /** Epoch ms of the latest start; 0 before the first. */
  get startedAt(): number {
    return this.#startedAt ?? 0;
  }

  get consecutiveCrashes(): number {
    return this.#consecutiveCrashes;
  }

  snapshot(): DaemonSnapshot {
    return {
      name: this.spec.name,
      pid: this.pid,
      startedAt: this.#startedAt,
      uptimeMs:
        this.pid !== undefined && this.#startedMono !== undefined
          ? Math.round(performance.now() - this.#startedMono)
          : undefined,
      restarts: this.#restarts,
      consecutiveCrashes: this.#consecutiveCrashes,
      restartAt: this.#restartAt,
      lastExit: this.#lastExit,
    };
  }

  start(): void {
    this.#stopping = false;
    this.#cancelRestart();
    this.#spawn();
  }

  #cancelRestart(): void {
    clearTimeout(this.#restartTimer);
    this.#restartTimer = undefined;
    this.#restartAt = undefined;
  }

  #spawn(): void {
    this.#restartTimer = undefined;
    this.#restartAt = undefined;
    const { command, args } = this.spec;
    const usePdeathsig = existsSync(SETPRIV);
    const file = usePdeathsig ? SETPRIV : command;
    const argv = usePdeathsig ? ['--pdeathsig', 'KILL', '--', command, ...args] : [...args];
    const child = spawn(file, argv, { env: this.spec.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    const spawnedAt = performance.now();
    let ran = false;
    let reported = false;
    const report = (code: number | null, signal: NodeJS.Signals | null, error?: Error) => {
      if (reported) return;
      reported = true;
      const ranForMs = ran ? Math.round(performance.now() - spawnedAt) : 0;
      const stableAfterMs = this.spec.stableAfterMs ?? DAEMON_RESTART_DEFAULTS.stableAfterMs;
      this.#consecutiveCrashes = ranForMs >= stableAfterMs ? 1 : this.#consecutiveCrashes + 1;
      this.#lastExit = {
        at: Date.now(),
        pid: child.pid,
        code,
        signal,
        ranForMs,
        ...(error ? { error: error.message } : {}),
      };
      const willRestart = !this.#stopping;
      const restartInMs = willRestart
        ? restartDelay(
            this.#consecutiveCrashes,
            this.spec.restartDelayMs ?? DAEMON_RESTART_DEFAULTS.restartDelayMs,
            this.spec.maxRestartDelayMs ?? DAEMON_RESTART_DEFAULTS.maxRestartDelayMs,
          )
        : undefined;
      if (restartInMs !== undefined) {
        this.#restarts++;
        this.#restartAt = Date.now() + restartInMs;
        this.#restartTimer = setTimeout(() => this.#spawn(), restartInMs);
      }
      this.emit('exited', {
        pid: child.pid,
        code,
        signal,
        willRestart,
        consecutiveCrashes: this.#consecutiveCrashes,
        restarts: this.#restarts,
        ranForMs,
        ...(restartInMs !== undefined ? { restartInMs } : {}),
        ...(error ? { error } : {}),
      });
    };
    child.once('spawn', () => {
      ran = true;
      this.#startedAt = Date.now();
      this.#startedMono = performance.now();
      this.emit('started', child.pid as number);
    });
    child.once('error', (err) => report(null, null, err));
    child.once('exit', (code, signal) => report(code, signal));
    for (const stream of ['stdout', 'stderr'] as const) {
      const rl = createInterface({ input: child[stream], crlfDelay: Number.POSITIVE_INFINITY });
      rl.on('line', (line) => this.emit('line', stream, line));
    }
  }

  /** Kills the daemon (SIGKILL, as KubeVirt does) and resolves once it is gone. */
  async stop(timeoutMs = 5000): Promise<void> {
    this.#stopping = true;
    this.#cancelRestart();
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([gone, new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
  }
}
