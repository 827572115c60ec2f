import { readFileSync } from 'node:fs';
import { describeError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import {
  type ProcessExitWatch,
  type WatchProcessExitOptions,
  watchProcessExit,
} from '../supervisor/process-exit.js';

// KubeVirt's QEMU process monitor (KUBEVIRT.md §1.3.4): a 1 s tick that learns qemu's pid from
// libvirt's pid file, and once the grace period after the first termination signal has passed,
// runs the final shutdown callback on every tick. qemu's exit itself ends monitoring at once: a
// pidfd wakes the loop (KubeVirt waits for its next tick).

export interface QemuMonitorOptions {
  readonly pidFile: string;
  readonly qemuTimeoutMs: number;
  readonly gracePeriodSeconds: number;
  /** Epoch ms of the first termination signal, if one arrived. */
  readonly firstSignalAt: () => number | undefined;
  /** virDomainDestroyFlags(GRACEFUL); on failure the monitor sends SIGTERM to qemu itself. */
  readonly destroy: () => Promise<void>;
  readonly log: Logger;
  readonly tickMs?: number;
  /** KubeVirt's early-exit flag (SignalTargetPodCleanup): monitoring stops when it is set. */
  readonly earlyExit?: () => boolean;
  /** How qemu's exit is watched; tests force the /proc fallback. */
  readonly exitWatch?: Omit<WatchProcessExitOptions, 'log'>;
}

export type QemuMonitorEnd = 'qemu-exited' | 'qemu-zombie' | 'no-pid-file' | 'early-exit';

export async function monitorQemu(opts: QemuMonitorOptions): Promise<QemuMonitorEnd> {
  const started = Date.now();
  let pid: number | undefined;
  const graceExpired = () => {
    const at = opts.firstSignalAt();
    return at !== undefined && Date.now() - at > opts.gracePeriodSeconds * 1000;
  };
  let watch: ProcessExitWatch | undefined;
  let exitSeen = false;
  const tick = new Tick();
  try {
    for (let first = true; ; first = false) {
      if (!first && !exitSeen) await tick.wait(opts.tickMs ?? 1000);
      const end = await step();
      if (end) return end;
    }
  } finally {
    watch?.close();
  }

  async function step(): Promise<QemuMonitorEnd | undefined> {
    if (opts.earlyExit?.()) {
      opts.log.info('early-exit flag set: not monitoring qemu any more');
      return 'early-exit';
    }
    if (pid === undefined) {
      pid = readPidFile(opts.pidFile);
      if (pid === undefined) {
        const timedOut = opts.qemuTimeoutMs > 0 && Date.now() - started > opts.qemuTimeoutMs;
        if (timedOut || graceExpired() || opts.firstSignalAt() !== undefined) {
          opts.log.info({ pidFile: opts.pidFile }, 'no qemu pid file: not monitoring qemu');
          return 'no-pid-file';
        }
        return undefined;
      }
      opts.log.info({ qemuPid: pid, pidFile: opts.pidFile }, 'monitoring qemu');
      watch = watchProcessExit(pid, { ...opts.exitWatch, log: opts.log });
      void watch.exited.then((end) => {
        if (end !== 'exited') return;
        exitSeen = true;
        tick.cut();
      });
    }
    const status = readProcStatus(pid);
    // After the watch saw the exit, a live status can only be a reused pid.
    if (status === undefined || (exitSeen && !status.includes('Z (zombie)'))) {
      opts.log.info({ qemuPid: pid }, 'qemu has exited');
      return 'qemu-exited';
    }
    if (status.includes('Z (zombie)')) {
      // PID 1 reaps it; nudge it in case its SIGCHLD was coalesced.
      signalParent('SIGCHLD');
      opts.log.info({ qemuPid: pid }, 'qemu has exited (zombie, left to PID 1 to reap)');
      return 'qemu-zombie';
    }
    if (graceExpired()) {
      opts.log.info(
        { qemuPid: pid, gracePeriodSeconds: opts.gracePeriodSeconds },
        'grace period over: destroying the domain',
      );
      try {
        await opts.destroy();
      } catch (err) {
        opts.log.warn(
          { qemuPid: pid, reason: describeError(err) },
          'destroy failed: sending SIGTERM to qemu',
        );
        try {
          process.kill(pid, 'SIGTERM');
        } catch {
          // already gone
        }
      }
    }
    return undefined;
  }
}

/**
 * The monitor's sleep, which qemu's exit cuts short. A callback, not a race against the watch's
 * promise: a race would add a reaction to that promise on every tick of a VM's whole life.
 */
class Tick {
  #cut: (() => void) | undefined;

  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.#end(resolve), ms);
      this.#cut = () => {
        clearTimeout(timer);
        this.#end(resolve);
      };
    });
  }

  cut(): void {
    this.#cut?.();
  }

  #end(resolve: () => void): void {
    this.#cut = undefined;
    resolve();
  }
}

function readPidFile(path: string): number | undefined {
  try {
    const text = readFileSync(path, 'utf8').trim();
    return /^\d+$/.test(text) ? Number.parseInt(text, 10) : undefined;
  } catch {
    return undefined;
  }
}

function readProcStatus(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
}

function signalParent(sig: NodeJS.Signals): void {
  try {
    process.kill(process.ppid, sig);
  } catch {
    // parent gone: nothing to nudge
  }
}
