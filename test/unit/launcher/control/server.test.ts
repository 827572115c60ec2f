import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { askLauncher } from '../../../../src/cli/troubleshoot/client.js';
import { errorCode } from '../../../../src/errors.js';
import { type ControlServer, startControlServer } from '../../../../src/launcher/control/server.js';

const log = pino({ level: 'silent' });
let dir: string;
let server: ControlServer | undefined;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vmpod-control-'));
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  await rm(dir, { recursive: true, force: true });
});

/** Sends raw bytes, returns what came back before the server ended the connection. */
function raw(path: string, bytes: string, halfClose = false): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(path);
    let out = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      out += d;
    });
    s.on('end', () => resolve(out));
    s.on('error', reject);
    s.on('connect', () => (halfClose ? s.end(bytes) : s.write(bytes)));
  });
}

describe('the launcher control socket', () => {
  it('answers one request, owner-only, in a directory it makes', async () => {
    const socketPath = join(dir, 'vmpod', 'control.sock');
    server = await startControlServer({ socketPath, log, handle: (req) => ({ echo: req.cmd }) });
    expect(statSync(socketPath).mode & 0o777).toBe(0o600);
    expect(await askLauncher({ v: 1, cmd: 'status' }, { socketPath })).toEqual({ echo: 'status' });
  });

  it('answers bad requests with typed errors and keeps serving', async () => {
    const socketPath = join(dir, 'control.sock');
    server = await startControlServer({ socketPath, log, handle: () => 'fine' });
    const notJson = JSON.parse(await raw(socketPath, 'hello\n'));
    expect(notJson).toMatchObject({ ok: false, error: { code: 'CONTROL_BAD_REQUEST' } });
    const huge = JSON.parse(await raw(socketPath, 'x'.repeat(100_000)));
    expect(huge).toMatchObject({ ok: false, error: { code: 'CONTROL_REQUEST_TOO_LARGE' } });
    // A request whose client half-closes without a newline still counts.
    expect(JSON.parse(await raw(socketPath, '{"v":1,"cmd":"net"}', true))).toEqual({
      ok: true,
      result: 'fine',
    });
    expect(await askLauncher({ v: 1, cmd: 'events' }, { socketPath })).toBe('fine');
  });

  it('turns a failing or slow handler into an error response', async () => {
    const socketPath = join(dir, 'control.sock');
    server = await startControlServer({
      socketPath,
      log,
      handlerTimeoutMs: 50,
      handle: (req) => {
        if (req.cmd === 'net') throw Object.assign(new Error('no ip'), { code: 'IP_FAILED' });
        return new Promise(() => undefined);
      },
    });
    await expect(askLauncher({ v: 1, cmd: 'net' }, { socketPath })).rejects.toMatchObject({
      code: 'IP_FAILED',
    });
    await expect(askLauncher({ v: 1, cmd: 'status' }, { socketPath })).rejects.toMatchObject({
      code: 'CONTROL_TIMEOUT',
    });
  });

  it('closes an idle connection at its deadline', async () => {
    const socketPath = join(dir, 'control.sock');
    server = await startControlServer({ socketPath, log, connectionTimeoutMs: 50, handle: () => 1 });
    const s = connect(socketPath);
    await new Promise<void>((resolve) => s.on('close', () => resolve()));
  });

  it('replaces a stale socket file left by a launcher that died', async () => {
    const socketPath = join(dir, 'control.sock');
    await staleSocket(socketPath);
    server = await startControlServer({ socketPath, log, handle: () => 'new' });
    expect(await askLauncher({ v: 1, cmd: 'status' }, { socketPath })).toBe('new');
  });
});

/** A socket file nobody listens on any more: its listener was SIGKILLed, so it never unlinked it. */
async function staleSocket(path: string): Promise<void> {
  const child = spawn(process.execPath, [
    '-e',
    `require('net').createServer().listen(${JSON.stringify(path)}, () => console.log('up'))`,
  ]);
  await new Promise<void>((r) => child.stdout.once('data', () => r()));
  child.kill('SIGKILL');
  await new Promise<void>((r) => child.once('exit', () => r()));
  expect(existsSync(path)).toBe(true);
}

describe('asking a launcher that is not there', () => {
  it('reports LAUNCHER_NOT_RUNNING when the socket is absent', async () => {
    const err = await askLauncher({ v: 1, cmd: 'status' }, { socketPath: join(dir, 'none.sock') }).catch(
      (e: unknown) => e,
    );
    expect(errorCode(err)).toBe('LAUNCHER_NOT_RUNNING');
  });

  it('reports LAUNCHER_NOT_RUNNING when a stale socket refuses connections', async () => {
    const socketPath = join(dir, 'stale.sock');
    await staleSocket(socketPath);
    const err = await askLauncher({ v: 1, cmd: 'status' }, { socketPath }).catch((e: unknown) => e);
    expect(errorCode(err)).toBe('LAUNCHER_NOT_RUNNING');
  });

  it('reports LAUNCHER_NOT_ANSWERING when the launcher never answers', async () => {
    const socketPath = join(dir, 'mute.sock');
    const mute = createServer(() => undefined);
    await new Promise<void>((r) => mute.listen(socketPath, r));
    try {
      const err = await askLauncher({ v: 1, cmd: 'status' }, { socketPath, timeoutMs: 50 }).catch(
        (e: unknown) => e,
      );
      expect(errorCode(err)).toBe('LAUNCHER_NOT_ANSWERING');
    } finally {
      mute.close();
    }
  });
});
