import { existsSync } from 'node:fs';
import { VmpodError } from '../errors.js';
import { type Logger, forFile } from '../log/logger.js';
import { libvirtNoise, parseLibvirtLine } from '../log/libvirt-line.js';
import { probeLibvirt } from '../libvirt/probe.js';
import {
  type DaemonExit,
  type DaemonSnapshot,
  type DaemonSpec,
  SupervisedDaemon,
} from '../supervisor/daemon.js';
import { sleep } from '../supervisor/sleep.js';
import type { LibvirtLayout } from './libvirt-paths.js';

// The launcher's two libvirt daemons: started as its own children, restarted when they die,
// their stderr re-emitted as JSON with subcomponent "libvirt" (KUBEVIRT.md §1.1, §2.4).

/** From this many exits in a row on, a daemon is reported as crash-looping. */
export const CRASH_LOOP_AFTER = 3;

/** How often waitAnswering looks for the daemon's socket before it exists. */
const SOCKET_LOOK_INTERVAL_MS = 10;

export class LibvirtDaemons {
  readonly main: SupervisedDaemon;
  readonly virtlogd: SupervisedDaemon;
  readonly #layout: LibvirtLayout;
  readonly #log: Logger;
  readonly #libvirtLog: Logger;
  readonly #recentStderr: string[] = [];
  #lastExit: DaemonExit | undefined;
  /** Exits of the main daemon so far; a wait gives up after a few more. */
  #exits = 0;
  /** Set once libvirt first answered: only later restarts are reported as such. */
  #answeredOnce = false;

  /** `root` carries no `pos`: libvirt's own lines bring theirs. */
  /** `restart` tunes the daemons' backoff (tests); the defaults are KubeVirt's 1 s, backing off. */
  constructor(
    layout: LibvirtLayout,
    root: Logger,
    restart: Pick<DaemonSpec, 'restartDelayMs' | 'maxRestartDelayMs' | 'stableAfterMs'> = {},
  ) {
    this.#layout = layout;
    this.#log = forFile(root, 'libvirt-daemons.ts');
    this.#libvirtLog = root.child({ subcomponent: 'libvirt' });
    this.main = new SupervisedDaemon({
      name: layout.flavour,
      command: layout.daemonBinary,
      args: ['-f', layout.daemonConf],
      ...restart,
    });
    this.virtlogd = new SupervisedDaemon({
      name: 'virtlogd',
      command: layout.virtlogdBinary,
      args: existsSync(layout.virtlogdConf) ? ['-f', layout.virtlogdConf] : [],
      ...restart,
    });
    for (const d of [this.main, this.virtlogd]) this.#watch(d);
  }

  #watch(d: SupervisedDaemon): void {
    const name = d.spec.name;
    const lib = this.#libvirtLog.child({ daemon: name });
    d.on('started', (pid) => this.#log.info({ daemon: name, pid, restarts: d.restarts }, `${name} started`));
    d.on('line', (_stream, line) => {
      if (line.trim() === '') return;
      if (d === this.main) {
        this.#recentStderr.push(line);
        if (this.#recentStderr.length > 20) this.#recentStderr.shift();
      }
      const p = parseLibvirtLine(line);
      const fields = {
        ...(p.timestamp ? { libvirtTimestamp: p.timestamp } : {}),
        thread: p.thread,
        pos: p.pos,
      };
      const noise = libvirtNoise(p);
      if (noise) lib.debug({ ...fields, noise }, p.msg);
      else if (p.level === 'error') lib.error(fields, p.msg);
      else if (p.level === 'warning') lib.warn(fields, p.msg);
      else lib.info(fields, p.msg);
    });
    d.on('exited', (info) => {
      if (d === this.main) {
        this.#lastExit = info;
        this.#exits++;
      }
      const why = info.error
        ? `could not be started: ${info.error.message}`
        : info.signal
          ? `killed by signal ${info.signal}`
          : `exited with code ${info.code}`;
      const fields = {
        daemon: name,
        pid: info.pid,
        exitCode: info.code,
        signal: info.signal,
        ranForMs: info.ranForMs,
      };
      if (!info.willRestart) {
        this.#log.info(fields, `${name} stopped (${why})`);
      } else {
        const restart = {
          ...fields,
          restartInMs: info.restartInMs,
          consecutiveCrashes: info.consecutiveCrashes,
          restarts: info.restarts,
        };
        if (info.consecutiveCrashes >= CRASH_LOOP_AFTER) {
          this.#log.error(
            { ...restart, crashLoop: true },
            `${name} is crash-looping: ${why}, ${info.consecutiveCrashes} times in a row; restarting it in ${info.restartInMs} ms`,
          );
        } else {
          this.#log.warn(restart, `${name} ${why}; restarting it in ${info.restartInMs} ms`);
        }
      }
      if (info.willRestart && d === this.main && this.#answeredOnce) void this.#reportAnswering();
    });
  }

  /** After a restart, say in the log when libvirt answers again. */
  async #reportAnswering(): Promise<void> {
    try {
      await this.waitAnswering(30_000, AbortSignal.timeout(30_000), 1000);
      this.#log.info({ daemon: this.#layout.flavour }, 'libvirt answering again after restart');
    } catch (err) {
      this.#log.error(
        { daemon: this.#layout.flavour, reason: String(err) },
        'libvirt not answering after restart',
      );
    }
  }

  /** Each daemon's history so far, for troubleshooting. */
  snapshot(): DaemonSnapshot[] {
    return [this.main.snapshot(), this.virtlogd.snapshot()];
  }

  /** KubeVirt starts the qemu daemon first, then virtlogd. */
  start(): void {
    this.main.start();
    this.virtlogd.start();
  }

  /**
   * Polls libvirt until it opens a connection. Fails early, with the daemon's last words, when
   * the daemon keeps dying; otherwise at the deadline.
   */
  async waitAnswering(deadlineMs: number, abort: AbortSignal, waitBeforeFirstMs = 0): Promise<void> {
    const until = performance.now() + deadlineMs;
    const exitsBefore = this.#exits;
    if (waitBeforeFirstMs > 0) await sleep(waitBeforeFirstMs, abort);
    let lastErr: unknown;
    // Until the socket exists, look every 10 ms (a stat: the socket appears ~200 ms after the
    // daemon starts, and a growing pause would overshoot it by up to half its length). Once it
    // exists, a connection waits in the listen queue until the daemon serves it; a refused one
    // (a daemon dying or restarting) is retried after growing pauses.
    let delay = 5;
    while (performance.now() < until) {
      if (abort.aborted) throw abort.reason;
      if (this.#exits - exitsBefore >= 3) {
        throw new VmpodError('LIBVIRT_DAEMON_FAILED', this.#failureText('keeps exiting'), {
          cause: this.#lastExit?.error,
          facts: { daemon: this.#layout.flavour, exitCode: this.#lastExit?.code ?? undefined },
        });
      }
      if (this.main.pid === undefined || !existsSync(this.#layout.socket)) {
        await sleep(SOCKET_LOOK_INTERVAL_MS, abort);
        continue;
      }
      try {
        await probeLibvirt(this.#layout.socket, this.#layout.uri, Math.max(100, until - performance.now()));
        this.#answeredOnce = true;
        return;
      } catch (err) {
        lastErr = err;
      }
      await sleep(delay, abort);
      delay = Math.min(delay * 2, 250);
    }
    throw new VmpodError(
      'LIBVIRT_NOT_ANSWERING',
      this.#failureText(`did not answer on ${this.#layout.socket} within ${deadlineMs} ms`),
      { cause: lastErr, facts: { socket: this.#layout.socket, deadlineMs } },
    );
  }

  #failureText(what: string): string {
    const last = this.#recentStderr.at(-1);
    const exit = this.#lastExit;
    const how = exit?.error
      ? ` (${exit.error.message})`
      : exit
        ? ` (last exit: ${exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`})`
        : '';
    return `${this.#layout.flavour} ${what}${how}${last ? `; its last words: ${last}` : ''}`;
  }

  async stop(): Promise<void> {
    await Promise.all([this.main.stop(), this.virtlogd.stop()]);
  }
}
