import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type QemuMonitorOptions, monitorQemu } from '../../../src/launcher/qemu-monitor.js';
import { captureLog } from '../../helpers/capture-log.js';

// A `sleep` stands in for qemu. The monitor's tick is a minute long, so only the exit watch can
// end a test in time.

const HOUR_TICK = 3_600_000;
const ENDED_BY_EXIT = ['qemu-exited', 'qemu-zombie'];

let dir: string;
let children: ChildProcess[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vmpod-qemu-monitor-'));
});

afterEach(async () => {
  for (const c of children) c.kill('SIGKILL');
  children = [];
  await rm(dir, { recursive: true, force: true });
});

async function fakeQemu(): Promise<{ pid: number; pidFile: string }> {
  const child = spawn('sleep', ['1000'], { stdio: 'ignore' });
  children.push(child);
  await new Promise((resolve) => child.once('spawn', resolve));
  const pidFile = join(dir, 'testvmi.pid');
  await writeFile(pidFile, `${child.pid}\n`);
  return { pid: child.pid as number, pidFile };
}

function options(
  over: Partial<QemuMonitorOptions> & Pick<QemuMonitorOptions, 'pidFile'>,
): QemuMonitorOptions {
  return {
    qemuTimeoutMs: 0,
    gracePeriodSeconds: 30,
    firstSignalAt: () => undefined,
    destroy: async () => {},
    log: captureLog().log,
    tickMs: HOUR_TICK,
    ...over,
  };
}

/** Resolves once the monitor has logged that it watches qemu. */
function monitoring(lines: Array<Record<string, unknown>>): Promise<void> {
  return new Promise((resolve) => {
    const check = () => (lines.some((l) => l.msg === 'monitoring qemu') ? resolve() : setTimeout(check, 5));
    check();
  });
}

describe('qemu monitor', () => {
  it('ends the moment qemu exits, without waiting for its tick', async () => {
    const { pid, pidFile } = await fakeQemu();
    const { log, lines } = captureLog();
    const end = monitorQemu(options({ pidFile, log, exitWatch: { pollMs: HOUR_TICK } }));
    await monitoring(lines);
    process.kill(pid, 'SIGKILL');
    expect(ENDED_BY_EXIT).toContain(await end);
    expect(lines).toContainEqual(expect.objectContaining({ mechanism: 'pidfd' }));
  });

  it('ends promptly through the /proc fallback too', async () => {
    const { pid, pidFile } = await fakeQemu();
    const { log, lines } = captureLog();
    const end = monitorQemu(options({ pidFile, log, exitWatch: { mechanism: 'proc-poll', pollMs: 10 } }));
    await monitoring(lines);
    process.kill(pid, 'SIGKILL');
    expect(ENDED_BY_EXIT).toContain(await end);
    expect(lines).toContainEqual(
      expect.objectContaining({ mechanism: 'proc-poll', reason: 'forced by option' }),
    );
  });

  it('destroys the domain on every tick once the grace period is over', async () => {
    const { pid, pidFile } = await fakeQemu();
    let destroys = 0;
    const end = await monitorQemu(
      options({
        pidFile,
        tickMs: 5,
        gracePeriodSeconds: 0,
        firstSignalAt: () => Date.now() - 1000,
        destroy: async () => {
          if (++destroys === 3) process.kill(pid, 'SIGKILL');
        },
      }),
    );
    expect(ENDED_BY_EXIT).toContain(end);
    expect(destroys).toBe(3);
  });

  it('sends qemu SIGTERM itself when destroy fails', async () => {
    const { pidFile } = await fakeQemu();
    const end = await monitorQemu(
      options({
        pidFile,
        tickMs: 5,
        gracePeriodSeconds: 0,
        firstSignalAt: () => Date.now() - 1000,
        destroy: async () => {
          throw new Error('libvirt gone');
        },
      }),
    );
    expect(ENDED_BY_EXIT).toContain(end);
  });

  it('gives up without a pid file once a termination signal arrived', async () => {
    const end = await monitorQemu(
      options({ pidFile: join(dir, 'absent.pid'), tickMs: 5, firstSignalAt: () => Date.now() }),
    );
    expect(end).toBe('no-pid-file');
  });

  it('stops on the early-exit flag, which the tick checks', async () => {
    const { pidFile } = await fakeQemu();
    let ticks = 0;
    const end = await monitorQemu(options({ pidFile, tickMs: 5, earlyExit: () => ++ticks > 2 }));
    expect(end).toBe('early-exit');
  });
});
