import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type DaemonExit, SupervisedDaemon, restartDelay } from '../../../src/supervisor/daemon.js';

// Real short-lived children (`sh -c 'exit 3'`) with tiny delays: supervision tested for real.

const daemons: SupervisedDaemon[] = [];
const dirs: string[] = [];

afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(daemons.splice(0).map((d) => d.stop()));
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

function daemon(script: string, timing: { base: number; max: number; stable: number }): SupervisedDaemon {
  const d = new SupervisedDaemon({
    name: 'crashy',
    command: '/bin/sh',
    args: ['-c', script],
    restartDelayMs: timing.base,
    maxRestartDelayMs: timing.max,
    stableAfterMs: timing.stable,
  });
  daemons.push(d);
  return d;
}

function exits(d: SupervisedDaemon, count: number): Promise<DaemonExit[]> {
  const seen: DaemonExit[] = [];
  return new Promise((resolve) => {
    d.on('exited', (info) => {
      seen.push(info);
      if (seen.length === count) {
        void d.stop();
        resolve(seen);
      }
    });
  });
}

describe('restart backoff', () => {
  it("starts at KubeVirt's second and doubles per crash up to the cap", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 50].map((n) => restartDelay(n))).toEqual([
      1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000,
    ]);
    expect(restartDelay(3, 10, 25)).toBe(25);
  });

  it('backs off a daemon that keeps crashing, counting the streak and the restarts', async () => {
    const d = daemon('exit 3', { base: 5, max: 20, stable: 60_000 });
    const done = exits(d, 5);
    d.start();
    const seen = await done;
    expect(seen.map((e) => e.code)).toEqual([3, 3, 3, 3, 3]);
    expect(seen.map((e) => e.restartInMs)).toEqual([5, 10, 20, 20, 20]);
    expect(seen.map((e) => e.consecutiveCrashes)).toEqual([1, 2, 3, 4, 5]);
    expect(seen.map((e) => e.restarts)).toEqual([1, 2, 3, 4, 5]);
    expect(d.snapshot()).toMatchObject({
      name: 'crashy',
      restarts: 5,
      consecutiveCrashes: 5,
      lastExit: { code: 3, signal: null },
    });
  });

  it('forgets the streak once a run lasted the stability window', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vmpod-backoff-'));
    dirs.push(dir);
    const counter = join(dir, 'runs');
    // Runs 1-3 crash at once, run 4 stays up past the window, later runs crash at once again.
    const script = `n=$(cat ${counter} 2>/dev/null || echo 0); n=$((n+1)); echo $n > ${counter}; [ $n -eq 4 ] && sleep 1.5; exit 3`;
    const d = daemon(script, { base: 5, max: 1000, stable: 1000 });
    const done = exits(d, 6);
    d.start();
    const seen = await done;
    expect(seen.map((e) => e.consecutiveCrashes)).toEqual([1, 2, 3, 1, 2, 3]);
    expect(seen.map((e) => e.restartInMs)).toEqual([5, 10, 20, 5, 10, 20]);
    expect(seen.map((e) => e.restarts)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(seen[3]?.ranForMs).toBeGreaterThanOrEqual(1000);
  });

  it('reports a daemon that cannot be spawned, and backs off on it too', async () => {
    const d = new SupervisedDaemon({
      name: 'missing',
      command: '/nonexistent/daemon',
      args: [],
      restartDelayMs: 5,
      maxRestartDelayMs: 20,
    });
    daemons.push(d);
    const done = exits(d, 3);
    d.start();
    const seen = await done;
    expect(seen.map((e) => e.consecutiveCrashes)).toEqual([1, 2, 3]);
    expect(seen.every((e) => e.ranForMs === 0 || e.code !== null)).toBe(true);
  });
});

describe('stopping', () => {
  it('cancels a pending restart', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const d = daemon('exit 3', { base: 60_000, max: 60_000, stable: 60_000 });
    let starts = 0;
    d.on('started', () => starts++);
    const exited = new Promise<DaemonExit>((resolve) => d.once('exited', resolve));
    d.start();
    const info = await exited;
    expect(info).toMatchObject({ willRestart: true, restartInMs: 60_000 });
    expect(d.snapshot().restartAt).toBeGreaterThan(Date.now());

    await d.stop();
    expect(d.snapshot().restartAt).toBeUndefined();
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(120_000);
    expect(d.pid).toBeUndefined();
    expect(starts).toBe(1);
  });

  it('reports an exit during stop as final', async () => {
    const d = daemon('exec sleep 1000', { base: 5, max: 5, stable: 60_000 });
    const started = new Promise<number>((resolve) => d.once('started', resolve));
    const exited = new Promise<DaemonExit>((resolve) => d.once('exited', resolve));
    d.start();
    await started;
    await new Promise((r) => setTimeout(r, 50));
    const running = d.snapshot().uptimeMs;
    expect(running).toBeGreaterThanOrEqual(45);
    await d.stop();
    expect(d.snapshot().uptimeMs).toBeUndefined();
    const info = await exited;
    expect(info).toMatchObject({ willRestart: false, signal: 'SIGKILL', restarts: 0 });
    expect(info.restartInMs).toBeUndefined();
  });
});
