import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runVirtFreezer } from '../../src/cli/virt-freezer.js';
import { runVirtProbe } from '../../src/cli/virt-probe.js';
import { type CmdServer, startCmdServer } from '../../src/rpc/cmd-server.js';
import type { CmdHandlers, FreezeRequest, VMIRequest } from '../../src/rpc/cmd-types.js';

const log = pino({ level: 'silent' });
const OK = { success: true, message: '' };
let dir: string;
let n = 0;
const servers: CmdServer[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vmpod-probe-'));
});
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function serve(handlers: CmdHandlers): Promise<string> {
  const server = await startCmdServer({ socketDir: join(dir, `s${n++}`), handlers, log });
  await server.markReady();
  servers.push(server);
  return server.socketPath;
}

async function probe(args: string[]) {
  let out = '';
  const code = await runVirtProbe(args, { log, stdout: (t) => (out += t) });
  return { code, out };
}

describe('virt-probe', () => {
  it("exec: exits with the guest command's code and prints its stdout", async () => {
    const seen: unknown[] = [];
    const socket = await serve({
      Exec: async (req) => {
        seen.push(req);
        return {
          response: OK,
          exitCode: req.Command === 'false' ? 1 : 0,
          stdOut: req.Command === 'cat' ? 'hello' : '',
        };
      },
    });
    expect(
      await probe(['--socket', socket, '--domainName', 'ns_vm', '--command', 'cat', '/etc/hostname']),
    ).toEqual({
      code: 0,
      out: 'hello\n',
    });
    expect(seen[0]).toEqual({
      domainName: 'ns_vm',
      Command: 'cat',
      Args: ['/etc/hostname'],
      timeoutSeconds: 1,
    });
    expect(await probe([`--socket=${socket}`, '--command', 'false', '--timeoutSeconds', '3'])).toEqual({
      code: 1,
      out: '',
    });
    expect((seen[1] as { timeoutSeconds: number }).timeoutSeconds).toBe(3);
  });

  it('exec: a failed call exits 255, an unsupported Exec exits 1', async () => {
    const failing = await serve({
      Exec: async () => {
        throw new Error('agent not connected');
      },
    });
    expect((await probe(['--socket', failing, '--command', 'true'])).code).toBe(255);
    const bare = await serve({});
    expect((await probe(['--socket', bare, '--command', 'true'])).code).toBe(1);
  });

  it('guest agent ping: 0 on success, 1 on failure', async () => {
    const good = await serve({ GuestPing: async () => ({ response: OK }) });
    expect((await probe(['--socket', good, '--domainName', 'ns_vm', '--guestAgentPing'])).code).toBe(0);
    const bad = await serve({
      GuestPing: async () => {
        throw new Error('no agent');
      },
    });
    expect((await probe(['--socket', bad, '--guestAgentPing'])).code).toBe(1);
  });

  it('cannot reach the socket: exits 1; unknown flags: exits 2', async () => {
    expect((await probe(['--socket', join(dir, 'missing'), '--guestAgentPing'])).code).toBe(1);
    expect((await probe(['--no-such-flag'])).code).toBe(2);
  });

  it('runs as the virt-probe entry point of the bundle', async () => {
    const root = resolve(import.meta.dirname, '../..');
    const bin = join(root, 'dist/bin/virt-probe');
    if (!existsSync(bin)) await promisify(execFile)('node', [join(root, 'scripts/build.mjs')]);
    const socket = await serve({ Exec: async () => ({ response: OK, exitCode: 7, stdOut: 'out' }) });
    const r = await new Promise<{ code: number | null; stdout: string }>((done) => {
      execFile(bin, ['--socket', socket, '--command', 'x'], (err, stdout) =>
        done({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout }),
      );
    });
    expect(r).toEqual({ code: 7, stdout: 'out\n' });
  });
});

describe('virt-freezer', () => {
  const agentInfo = (version: string) => async () => ({
    response: OK,
    guestInfoResponse: JSON.stringify({ guestAgentVersion: version, os: { name: 'Fedora Linux' } }),
  });
  const domain = (status: string) => async () => ({
    response: OK,
    domain: JSON.stringify({ kind: 'Domain', Status: { Status: status, Reason: 'Unknown' } }),
  });

  function recorder() {
    const calls: { method: string; req: FreezeRequest | VMIRequest }[] = [];
    return {
      calls,
      handlers: {
        FreezeVirtualMachine: async (req: FreezeRequest) => {
          calls.push({ method: 'freeze', req });
          return OK;
        },
        UnfreezeVirtualMachine: async (req: VMIRequest) => {
          calls.push({ method: 'unfreeze', req });
          return OK;
        },
      },
    };
  }

  it('freezes a running guest with a VMI holding only name and namespace', async () => {
    const r = recorder();
    const socket = await serve({
      ...r.handlers,
      GetGuestInfo: agentInfo('5.2.0'),
      GetDomain: domain('Running'),
    });
    const code = await runVirtFreezer(['--freeze', '--name', 'vm1', '--namespace', 'ns1'], {
      log,
      socketPath: socket,
    });
    expect(code).toBe(0);
    expect(r.calls).toHaveLength(1);
    const req = r.calls[0]?.req as FreezeRequest;
    expect(req.unfreezeTimeoutSeconds).toBe(300);
    const vmi = JSON.parse(Buffer.from(req.vmi?.vmiJson ?? []).toString()) as {
      metadata: Record<string, unknown>;
    };
    expect(vmi.metadata.name).toBe('vm1');
    expect(vmi.metadata.namespace).toBe('ns1');

    const code2 = await runVirtFreezer(['--unfreeze', '--name=vm1', '--namespace=ns1'], {
      log,
      socketPath: socket,
    });
    expect(code2).toBe(0);
    expect(r.calls[1]?.method).toBe('unfreeze');
  });

  it('skips without a guest agent or when the domain is not running', async () => {
    const r = recorder();
    const noAgent = await serve({ ...r.handlers, GetGuestInfo: agentInfo(''), GetDomain: domain('Running') });
    expect(
      await runVirtFreezer(['--freeze', '--name', 'a', '--namespace', 'b'], { log, socketPath: noAgent }),
    ).toBe(0);
    const paused = await serve({
      ...r.handlers,
      GetGuestInfo: agentInfo('5.2.0'),
      GetDomain: domain('Paused'),
    });
    expect(
      await runVirtFreezer(['--freeze', '--name', 'a', '--namespace', 'b'], { log, socketPath: paused }),
    ).toBe(0);
    const none = await serve({
      ...r.handlers,
      GetGuestInfo: agentInfo('5.2.0'),
      GetDomain: async () => ({ response: OK, domain: '' }),
    });
    expect(
      await runVirtFreezer(['--freeze', '--name', 'a', '--namespace', 'b'], { log, socketPath: none }),
    ).toBe(0);
    expect(r.calls).toHaveLength(0);
  });

  it('fails with exit code 1 on errors, unfreezing when the agent went away', async () => {
    const calls: string[] = [];
    const socket = await serve({
      GetGuestInfo: agentInfo('5.2.0'),
      GetDomain: domain('Running'),
      FreezeVirtualMachine: async () => {
        calls.push('freeze');
        throw new Error('Guest agent not available for now');
      },
      UnfreezeVirtualMachine: async () => {
        calls.push('unfreeze');
        return OK;
      },
    });
    expect(
      await runVirtFreezer(['--freeze', '--name', 'a', '--namespace', 'b'], { log, socketPath: socket }),
    ).toBe(1);
    expect(calls).toEqual(['freeze', 'unfreeze']);
    expect(await runVirtFreezer(['--name', 'a', '--namespace', 'b'], { log, socketPath: socket })).toBe(1);
    expect(await runVirtFreezer(['--freeze', '--name', 'a'], { log, socketPath: socket })).toBe(1);
    const noInfo = await serve({});
    expect(
      await runVirtFreezer(['--freeze', '--name', 'a', '--namespace', 'b'], { log, socketPath: noInfo }),
    ).toBe(1);
  });
});
