import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { monitorQemu } from '../../src/launcher/qemu-monitor.js';
import { readStat } from '../../src/supervisor/proc-table.js';
import { watchProcessExit } from '../../src/supervisor/process-exit.js';

// A process that is not our child, as qemu is not the launcher's: `sh` starts `sleep` in the
// background and exits, so `sleep` is re-parented away from us. Every wait below is bounded only by
// the test timeout; the monitor's tick is an hour, so only the exit watch can end these tests.

const execFileP = promisify(execFile);
const log = pino({ level: 'silent' });
const HOUR_TICK = 3_600_000;

let dir: string;
const strays: number[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vmpod-process-exit-'));
});

afterEach(async () => {
  for (const pid of strays.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await rm(dir, { recursive: true, force: true });
});

async function unrelatedProcess(): Promise<number> {
  const { stdout } = await execFileP('sh', ['-c', 'sleep 1000 >/dev/null 2>&1 & echo $!']);
  const pid = Number.parseInt(stdout.trim(), 10);
  strays.push(pid);
  expect(readStat(pid)?.ppid).not.toBe(process.pid);
  return pid;
}

/** Our open pidfds and eventfds. */
async function watchFds(): Promise<number> {
  let n = 0;
  for (const fd of await readdir('/proc/self/fd')) {
    try {
      if (/^anon_inode:\[(pidfd|eventfd)\]$/.test(await readlink(`/proc/self/fd/${fd}`))) n++;
    } catch {
      // closed meanwhile (readdir's own fd)
    }
  }
  return n;
}

describe('watching a process that is not our child', () => {
  it('learns of its SIGKILL through a pidfd', async () => {
    const pid = await unrelatedProcess();
    const w = watchProcessExit(pid, { log, sliceMs: 600_000 });
    expect(w.mechanism).toBe('pidfd');
    process.kill(pid, 'SIGKILL');
    await expect(w.exited).resolves.toBe('exited');
  });

  it('learns of it through /proc when told not to use a pidfd', async () => {
    const pid = await unrelatedProcess();
    const w = watchProcessExit(pid, { log, mechanism: 'proc-poll', pollMs: 20 });
    expect(w.mechanism).toBe('proc-poll');
    process.kill(pid, 'SIGKILL');
    await expect(w.exited).resolves.toBe('exited');
  });

  it('releases its file descriptors at once when closed mid-poll', async () => {
    const pid = await unrelatedProcess();
    const before = await watchFds();
    // A ten-minute slice: only the eventfd wake-up can end it before the test times out.
    const w = watchProcessExit(pid, { log, sliceMs: 600_000 });
    expect(await watchFds()).toBe(before + 2);
    w.close();
    await expect(w.exited).resolves.toBe('closed');
    await vi.waitFor(async () => expect(await watchFds()).toBe(before), { timeout: 30_000, interval: 20 });
  });

  it('ends qemu monitoring the moment the process dies, long before the tick', async () => {
    const pid = await unrelatedProcess();
    const pidFile = join(dir, 'testvmi.pid');
    await writeFile(pidFile, `${pid}\n`);
    let monitoring!: () => void;
    const watching = new Promise<void>((resolve) => {
      monitoring = resolve;
    });
    const monitorLog = pino(
      { level: 'info' },
      { write: (line: string) => line.includes('monitoring qemu') && monitoring() },
    );
    const end = monitorQemu({
      pidFile,
      qemuTimeoutMs: 0,
      gracePeriodSeconds: 30,
      firstSignalAt: () => undefined,
      destroy: async () => {},
      log: monitorLog,
      tickMs: HOUR_TICK,
      // The /proc fallback would not notice in time either.
      exitWatch: { pollMs: HOUR_TICK },
    });
    await watching;
    process.kill(pid, 'SIGKILL');
    expect(['qemu-exited', 'qemu-zombie']).toContain(await end);
  });
});
