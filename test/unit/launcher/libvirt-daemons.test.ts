import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CRASH_LOOP_AFTER, LibvirtDaemons } from '../../../src/launcher/libvirt-daemons.js';
import type { LibvirtLayout } from '../../../src/launcher/libvirt-paths.js';
import { captureLog } from '../../helpers/capture-log.js';

// `/bin/sh -f SCRIPT` stands in for each daemon: the layout's "config file" is the script it runs.

let dir: string;
let daemons: LibvirtDaemons | undefined;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vmpod-daemons-'));
});

afterEach(async () => {
  await daemons?.stop();
  daemons = undefined;
  await rm(dir, { recursive: true, force: true });
});

async function layout(mainScript: string, virtlogdScript: string): Promise<LibvirtLayout> {
  const daemonConf = join(dir, 'main.sh');
  const virtlogdConf = join(dir, 'virtlogd.sh');
  await writeFile(daemonConf, mainScript);
  await writeFile(virtlogdConf, virtlogdScript);
  return {
    flavour: 'virtqemud',
    daemonBinary: '/bin/sh',
    daemonConf,
    socket: join(dir, 'sock'),
    uri: 'qemu:///system',
    qemuConf: join(dir, 'qemu.conf'),
    virtlogdBinary: '/bin/sh',
    virtlogdConf,
    pidDir: dir,
    qemuLogDir: dir,
    nvramDir: dir,
  };
}

describe('libvirt daemons', () => {
  it('reports the real restart delay, and a crash loop at error level from the third crash', async () => {
    const { log, lines } = captureLog();
    daemons = new LibvirtDaemons(await layout('exit 3\n', 'exec sleep 1000\n'), log, {
      restartDelayMs: 5,
      maxRestartDelayMs: 20,
    });
    const fourExits = new Promise<void>((resolve) => {
      let n = 0;
      daemons?.main.on('exited', () => {
        if (++n === 4) resolve();
      });
    });
    daemons.start();
    await fourExits;
    const restarts = lines.filter((l) => l.daemon === 'virtqemud' && l.restartInMs !== undefined);
    expect(
      restarts.slice(0, 4).map((l) => [l.level, l.restartInMs, l.consecutiveCrashes, l.crashLoop]),
    ).toEqual([
      [40, 5, 1, undefined],
      [40, 10, 2, undefined],
      [50, 20, 3, true],
      [50, 20, 4, true],
    ]);
    expect(CRASH_LOOP_AFTER).toBe(3);
    expect(restarts[2]?.msg).toMatch(/virtqemud is crash-looping: exited with code 3, 3 times in a row/);

    const [main, virtlogd] = daemons.snapshot();
    expect(main).toMatchObject({ name: 'virtqemud', lastExit: { code: 3 } });
    expect(main?.restarts).toBeGreaterThanOrEqual(4);
    expect(virtlogd).toMatchObject({
      name: 'virtlogd',
      restarts: 0,
      consecutiveCrashes: 0,
      lastExit: undefined,
    });
    expect(virtlogd?.pid).toBeGreaterThan(0);
  });

  it('says a stopped daemon stopped, without a restart', async () => {
    const { log, lines } = captureLog();
    daemons = new LibvirtDaemons(await layout('exec sleep 1000\n', 'exec sleep 1000\n'), log);
    const started = new Promise((resolve) => daemons?.virtlogd.once('started', resolve));
    daemons.start();
    await started;
    await daemons.stop();
    expect(lines).toContainEqual(
      expect.objectContaining({ daemon: 'virtlogd', msg: 'virtlogd stopped (killed by signal SIGKILL)' }),
    );
    expect(lines.some((l) => l.restartInMs !== undefined)).toBe(false);
  });
});
