import { appendFile, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseCommand } from '../../../src/cli/entry.js';
import { followLog, serialSocketFor } from '../../../src/cli/virt-tail.js';

describe('virt-tail', () => {
  let dir: string;
  let server: Server | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'virt-tail-'));
  });
  afterEach(async () => {
    if (server?.listening) await new Promise((r) => server?.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  const listen = (path: string): Promise<Server> =>
    new Promise((resolve) => {
      const s = createServer();
      s.listen(path, () => resolve(s));
    });
  const until = async (cond: () => boolean): Promise<void> => {
    for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
    expect(cond()).toBe(true);
  };

  it('is reached by its KubeVirt name and as a vmpod subcommand', () => {
    expect(parseCommand('/usr/bin/virt-tail', ['--logfile', 'f'])).toEqual({
      kind: 'virt-tail',
      args: ['--logfile', 'f'],
    });
    expect(parseCommand('vmpod', ['virt-tail', '--logfile=f'])).toEqual({
      kind: 'virt-tail',
      args: ['--logfile=f'],
    });
  });

  it('watches the serial socket beside the log, as KubeVirt names them', () => {
    expect(serialSocketFor('/var/run/kubevirt-private/u1/virt-serial0-log')).toBe(
      '/var/run/kubevirt-private/u1/virt-serial0',
    );
  });

  it('copies the log from its start, follows it across rotation, and ends when the socket goes', async () => {
    const logfile = join(dir, 'virt-serial0-log');
    const socketPath = join(dir, 'virt-serial0');
    let out = '';
    const done = followLog({
      logfile,
      socketPath,
      pollMs: 10,
      write: (c) => {
        out += Buffer.from(c).toString();
      },
    });
    // Neither file nor socket yet: it waits.
    await new Promise((r) => setTimeout(r, 50));
    await writeFile(logfile, 'boot 1\n');
    server = await listen(socketPath);
    await until(() => out === 'boot 1\n');
    await appendFile(logfile, 'boot 2\n');
    await until(() => out === 'boot 1\nboot 2\n');
    // virtlogd's rotation: the file is renamed away and a new one started.
    await rename(logfile, `${logfile}.0`);
    await writeFile(logfile, 'after rotation\n');
    await until(() => out.endsWith('after rotation\n'));
    let ended = false;
    void done.then(() => {
      ended = true;
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(ended).toBe(false);
    // qemu writes its last line and goes: the line is copied, then the follow ends.
    await appendFile(logfile, 'reboot: Power down\n');
    await new Promise((r) => server?.close(r));
    await done;
    expect(out).toBe('boot 1\nboot 2\nafter rotation\nreboot: Power down\n');
  });

  it('ends on abort (SIGTERM) after copying what is there, even before the socket appears', async () => {
    const logfile = join(dir, 'virt-serial0-log');
    await writeFile(logfile, 'early\n');
    const ac = new AbortController();
    let out = '';
    const done = followLog({
      logfile,
      socketPath: join(dir, 'virt-serial0'),
      pollMs: 10,
      signal: ac.signal,
      write: (c) => {
        out += Buffer.from(c).toString();
      },
    });
    await until(() => out === 'early\n');
    ac.abort();
    await done;
  });
});
