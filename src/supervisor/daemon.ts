import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';

// One long-running child (virtlogd, virtqemud/libvirtd) under its real executable name, restarted
// after a pause whenever it exits, killed when the launcher stops (KUBEVIRT.md §1.1).

export interface DaemonSpec {
  /** Name used in logs: the executable's base name. */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  /** Pause before a restart; KubeVirt waits one second. */
  readonly restartDelayMs?: number;
}

export interface DaemonExit {
  readonly pid: number | undefined;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly error?: Error;
  readonly willRestart: boolean;
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
  restarts = 0;
  startedAt = 0;

  constructor(spec: DaemonSpec) {
    super();
    this.spec = spec;
  }

  get pid(): number | undefined {
    return this.#child?.exitCode === null && this.#child.signalCode === null ? this.#child.pid : undefined;
  }

  start(): void {
    this.#stopping = false;
    this.#spawn();
  }

  #spawn(): void {
    const { command, args } = this.spec;
    const usePdeathsig = existsSync(SETPRIV);
    const file = usePdeathsig ? SETPRIV : command;
    const argv = usePdeathsig ? ['--pdeathsig', 'KILL', '--', command, ...args] : [...args];
    const child = spawn(file, argv, { env: this.spec.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    this.startedAt = Date.now();
    let reported = false;
    const report = (code: number | null, signal: NodeJS.Signals | null, error?: Error) => {
      if (reported) return;
      reported = true;
      const willRestart = !this.#stopping;
      this.emit('exited', {
        pid: child.pid,
        code,
        signal,
        willRestart,
        ...(error ? { error } : {}),
      });
      if (willRestart) {
        this.restarts++;
        this.#restartTimer = setTimeout(() => this.#spawn(), this.spec.restartDelayMs ?? 1000);
      }
    };
    child.once('spawn', () => this.emit('started', child.pid as number));
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
    if (this.#restartTimer) clearTimeout(this.#restartTimer);
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([gone, new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
  }
}
