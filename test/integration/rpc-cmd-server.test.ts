import { existsSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LibvirtError } from '../../src/libvirt/errors.js';
import { type CmdServer, NO_VALID_VMI_MESSAGE, startCmdServer } from '../../src/rpc/cmd-server.js';
import type { CmdHandlers } from '../../src/rpc/cmd-types.js';
import { protoLoadMs } from '../../src/rpc/proto-root.js';
import { CMD_METHOD_NAMES, type CmdTestClient, connectCmd, vmiRequest } from '../helpers/virt-handler.js';

const log = pino({ level: 'silent' });
const VMI = { metadata: { name: 'vm1', namespace: 'ns1' }, spec: {} };

let dir: string;
const servers: CmdServer[] = [];
const clients: CmdTestClient[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vmpod-rpc-'));
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const s of servers.splice(0)) await s.close();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function start(
  handlers: CmdHandlers,
  extra: { validateVmi?: (b: Uint8Array) => string | undefined } = {},
) {
  const socketDir = join(dir, `s${servers.length}-${Date.now()}`);
  const server = await startCmdServer({ socketDir, handlers, log, ...extra });
  servers.push(server);
  return server;
}

async function client(path: string) {
  const c = await connectCmd(path);
  clients.push(c);
  return c;
}

describe('command server', () => {
  it('serves Info and Ping on launcher-init-sock with mode 0600, then renames it', async () => {
    const server = await start({});
    console.info(`proto parse+load: ${protoLoadMs()?.toFixed(1)} ms`);
    expect(server.initSocketPath).toBe(
      join(dir, server.initSocketPath.split('/').at(-2) ?? '', 'launcher-init-sock'),
    );
    const st = statSync(server.initSocketPath);
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o600);
    expect(existsSync(server.socketPath)).toBe(false);
    const c = await client(server.initSocketPath);
    expect(await c.info()).toEqual([1]);
    expect(await c.Ping()).toEqual({ success: true, message: '' });

    await server.markReady();
    await server.markReady(); // idempotent
    expect(existsSync(server.initSocketPath)).toBe(false);
    expect(statSync(server.socketPath).isSocket()).toBe(true);
    // The old connection keeps working, and a new one to the new name does too.
    expect((await c.Ping()).success).toBe(true);
    const c2 = await client(server.socketPath);
    expect(await c2.info()).toEqual([1]);
    expect((await c2.Ping()).success).toBe(true);
  });

  it('creates a missing socket directory 0755', async () => {
    const socketDir = join(dir, 'deep', 'sockets');
    const server = await startCmdServer({ socketDir, handlers: {}, log });
    servers.push(server);
    expect(statSync(socketDir).mode & 0o777).toBe(0o755);
  });

  it('answers every method; those without a handler say they are not supported', async () => {
    const server = await start({});
    const c = await client(server.initSocketPath);
    for (const m of CMD_METHOD_NAMES) {
      if (m === 'Ping') continue;
      const req = m.includes('Virtual') || m.startsWith('Sync') ? vmiRequest(VMI) : {};
      const res = await c.call(m, { ...req, vmi: { vmiJson: Buffer.from(JSON.stringify(VMI)) } });
      const r = ('response' in res ? res.response : res) as { success: boolean; message: string };
      expect(r, m).toEqual({ success: false, message: `"${m}" is not supported by vmpod` });
    }
    const mig = await c.MigrateVirtualMachine(vmiRequest(VMI, { options: Buffer.from('{}') }));
    expect(mig).toEqual({ success: false, message: '"MigrateVirtualMachine" is not supported by vmpod' });
  });

  it("answers an unparseable VMI with KubeVirt's fixed message, before anything else", async () => {
    let called = 0;
    const server = await start({
      SyncVirtualMachine: async () => {
        called++;
        return { success: true, message: '' };
      },
    });
    const c = await client(server.initSocketPath);
    for (const bad of ['not json', '[1,2]', '"str"', '']) {
      expect(await c.SyncVirtualMachine(vmiRequest(bad))).toEqual({
        success: false,
        message: NO_VALID_VMI_MESSAGE,
      });
    }
    expect(await c.SyncVirtualMachine({})).toEqual({ success: false, message: NO_VALID_VMI_MESSAGE });
    // Even for an unsupported method.
    expect(await c.MigrateVirtualMachine(vmiRequest('{'))).toEqual({
      success: false,
      message: NO_VALID_VMI_MESSAGE,
    });
    expect(
      await c.FreezeVirtualMachine({ vmi: { vmiJson: Buffer.from('x') }, unfreezeTimeoutSeconds: 3 }),
    ).toEqual({
      success: false,
      message: NO_VALID_VMI_MESSAGE,
    });
    expect(called).toBe(0);
    expect(NO_VALID_VMI_MESSAGE).toBe('No valid vmi object present in command server request');
  });

  it('passes decoded requests to handlers and returns their responses', async () => {
    const seen: unknown[] = [];
    const server = await start({
      SyncVirtualMachine: async (req) => {
        seen.push(req);
        return { success: true, message: '' };
      },
      FreezeVirtualMachine: async (req) => {
        seen.push(req);
        return { success: true, message: '' };
      },
      GetDomain: async () => ({ response: { success: true, message: '' }, domain: '{"kind":"Domain"}' }),
      GetQemuVersion: async () => ({ response: { success: true, message: '' }, version: '8.2.0' }),
      Exec: async (req) => ({
        response: { success: true, message: '' },
        exitCode: 3,
        stdOut: `ran ${req.Command} ${req.Args.join(' ')}`,
      }),
    });
    const c = await client(server.initSocketPath);
    const opts = {
      MemBalloonStatsPeriod: 10,
      DisksInfo: { d1: { format: 'qcow2', backingFile: '', actualSize: 5_000_000_000, virtualSize: 10 } },
      topology: { numa_cells: [{ id: 0, cpus: [{ id: 1, siblings: [1, 2] }] }] },
    };
    expect(await c.SyncVirtualMachine(vmiRequest(VMI, { options: opts }))).toEqual({
      success: true,
      message: '',
    });
    const sync = seen[0] as { vmi: { vmiJson: Uint8Array }; options: Record<string, unknown> };
    expect(JSON.parse(Buffer.from(sync.vmi.vmiJson).toString())).toEqual(VMI);
    expect(sync.options.MemBalloonStatsPeriod).toBe(10);
    expect(sync.options.DisksInfo).toEqual(opts.DisksInfo);
    expect(sync.options.PreallocatedVolumes).toEqual([]);
    expect(sync.options.VirtualMachineSMBios).toBeUndefined();
    expect(
      await c.FreezeVirtualMachine({
        vmi: { vmiJson: Buffer.from('{"metadata":{"name":"a","namespace":"b"}}') },
        unfreezeTimeoutSeconds: 300,
      }),
    ).toEqual({ success: true, message: '' });
    expect((seen[1] as { unfreezeTimeoutSeconds: number }).unfreezeTimeoutSeconds).toBe(300);
    expect(await c.GetDomain()).toEqual({
      response: { success: true, message: '' },
      domain: '{"kind":"Domain"}',
    });
    expect(await c.GetQemuVersion()).toEqual({ response: { success: true, message: '' }, version: '8.2.0' });
    expect(
      await c.Exec({ domainName: 'ns_vm', Command: 'echo', Args: ['a', 'b'], timeoutSeconds: 1 }),
    ).toEqual({
      response: { success: true, message: '' },
      exitCode: 3,
      stdOut: 'ran echo a b',
    });
  });

  it("reports handler errors in-band (libvirt errors in KubeVirt's format), never with an empty message", async () => {
    const server = await start({
      PauseVirtualMachine: async () => {
        throw new LibvirtError({
          code: 42,
          domain: 10,
          message: "Domain not found: no domain with matching name 'ns_vm'",
          level: 2,
        });
      },
      ResetVirtualMachine: async () => {
        throw new Error('reset went wrong');
      },
      KillVirtualMachine: async () => ({ success: false, message: '' }),
      GetDomainStats: async () => {
        throw new Error('no stats');
      },
    });
    const c = await client(server.initSocketPath);
    expect(await c.PauseVirtualMachine(vmiRequest(VMI))).toEqual({
      success: false,
      message:
        "LibvirtError(Code=42, Domain=10, Message='Domain not found: no domain with matching name 'ns_vm'')",
    });
    expect(await c.ResetVirtualMachine(vmiRequest(VMI))).toEqual({
      success: false,
      message: 'reset went wrong',
    });
    const kill = (await c.KillVirtualMachine(vmiRequest(VMI))) as { success: boolean; message: string };
    expect(kill.success).toBe(false);
    expect(kill.message).not.toBe('');
    expect(await c.GetDomainStats()).toEqual({
      response: { success: false, message: 'no stats' },
      domainStats: '',
    });
  });

  it('uses validateVmi for VMI-taking methods', async () => {
    const server = await start(
      { SyncVirtualMachine: async () => ({ success: true, message: '' }) },
      { validateVmi: (b) => (Buffer.from(b).toString().includes('bad') ? 'the VMI is bad' : undefined) },
    );
    const c = await client(server.initSocketPath);
    expect(await c.SyncVirtualMachine(vmiRequest({ bad: true }))).toEqual({
      success: false,
      message: 'the VMI is bad',
    });
    expect(await c.SyncVirtualMachine(vmiRequest(VMI))).toEqual({ success: true, message: '' });
  });

  it('turns Exec and GuestPing errors into gRPC UNKNOWN', async () => {
    const server = await start({
      Exec: async () => {
        throw new Error('guest agent is not connected');
      },
      GuestPing: async () => {
        throw new Error('ping failed');
      },
    });
    const c = await client(server.initSocketPath);
    await expect(c.Exec({ domainName: 'ns_vm', Command: 'true', timeoutSeconds: 1 })).rejects.toMatchObject({
      code: grpc.status.UNKNOWN,
      details: 'guest agent is not connected',
    });
    await expect(c.GuestPing({ domainName: 'ns_vm', timeoutSeconds: 1 })).rejects.toMatchObject({
      code: grpc.status.UNKNOWN,
      details: 'ping failed',
    });
  });

  it('answers malformed protobuf in-band and keeps serving', async () => {
    const server = await start({
      GetDomain: async () => ({ response: { success: true, message: '' }, domain: '' }),
    });
    const Raw = grpc.makeGenericClientConstructor(
      {
        sync: {
          path: '/kubevirt.cmd.v1.Cmd/SyncVirtualMachine',
          requestStream: false,
          responseStream: false,
          requestSerialize: (b: Buffer) => b,
          requestDeserialize: (b: Buffer) => b,
          responseSerialize: (b: Buffer) => b,
          responseDeserialize: (b: Buffer) => b,
        },
        getDomain: {
          path: '/kubevirt.cmd.v1.Cmd/GetDomain',
          requestStream: false,
          responseStream: false,
          requestSerialize: (b: Buffer) => b,
          requestDeserialize: (b: Buffer) => b,
          responseSerialize: (b: Buffer) => b,
          responseDeserialize: (b: Buffer) => b,
        },
      },
      'Raw',
    );
    const raw = new Raw(`unix:${server.initSocketPath}`, grpc.credentials.createInsecure());
    const send = (method: 'sync' | 'getDomain', bytes: Buffer) =>
      new Promise<Buffer>((resolve, reject) =>
        (raw[method] as (b: Buffer, cb: (e: unknown, r: Buffer) => void) => void)(bytes, (e, r) =>
          e ? reject(e) : resolve(r),
        ),
      );
    try {
      // Field 1 (vmi) claims 100 bytes but 2 follow.
      const r1 = await send('sync', Buffer.from([0x0a, 0x64, 0x01, 0x02]));
      // Response{success=false (absent), message=...}: tag 0x12 then the text.
      expect(r1[0]).toBe(0x12);
      const text = r1.subarray(2).toString();
      expect(text).toContain('kubevirt.cmd.v1.VMIRequest');
      // Wire type 7 does not exist.
      const r2 = await send('getDomain', Buffer.from([0x0f, 0x01]));
      // DomainResponse{response: Response{message}}.
      expect(r2[0]).toBe(0x0a);
      expect(r2.toString()).toContain('kubevirt.cmd.v1.EmptyRequest');
      // Garbage of every shape: never a crash, always an answer.
      for (let i = 0; i < 50; i++) {
        const junk = Buffer.from(Array.from({ length: 1 + (i % 17) }, (_, j) => (i * 31 + j * 7) & 0xff));
        await send('sync', junk);
      }
    } finally {
      raw.close();
    }
    // Bytes that are not even HTTP/2.
    await new Promise<void>((resolve) => {
      const sock = connect(server.initSocketPath, () => {
        sock.end(Buffer.from('GET / HTTP/1.1\r\n\r\n\x00\xff garbage'));
      });
      sock.on('error', () => resolve());
      sock.on('close', () => resolve());
      sock.resume();
    });
    const c = await client(server.initSocketPath);
    expect((await c.Ping()).success).toBe(true);
    expect(await c.GetDomain()).toEqual({ response: { success: true, message: '' }, domain: '' });
  });

  it('serves 50 concurrent calls', async () => {
    const server = await start({
      GetDomain: async () => {
        await new Promise((r) => setTimeout(r, 50));
        return { response: { success: true, message: '' }, domain: '{}' };
      },
    });
    const c = await client(server.initSocketPath);
    const t0 = Date.now();
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? c.GetDomain() : c.Ping())),
    );
    expect(results.filter((r) => 'domain' in r)).toHaveLength(25);
    expect(results.filter((r) => (r as { success?: boolean }).success === true)).toHaveLength(25);
    expect(Date.now() - t0).toBeLessThan(2_000);
  });

  it('Ping does not wait for slow handlers', async () => {
    let release = () => {};
    const server = await start({
      SyncVirtualMachine: () =>
        new Promise((resolve) => {
          release = () => resolve({ success: true, message: '' });
        }),
    });
    const c = await client(server.initSocketPath);
    const sync = c.SyncVirtualMachine(vmiRequest(VMI));
    const t0 = Date.now();
    expect((await c.Ping()).success).toBe(true);
    expect(Date.now() - t0).toBeLessThan(500);
    release();
    expect(await sync).toEqual({ success: true, message: '' });
  });

  it('close stops within 1 s and removes the socket, even with a call in flight', async () => {
    const server = await start({ SyncVirtualMachine: () => new Promise(() => {}) });
    await server.markReady();
    const c = await client(server.socketPath);
    const hanging = c.SyncVirtualMachine(vmiRequest(VMI)).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50));
    const t0 = Date.now();
    await server.close();
    servers.splice(servers.indexOf(server), 1);
    expect(Date.now() - t0).toBeLessThan(1_500);
    expect(existsSync(server.socketPath)).toBe(false);
    expect(existsSync(server.initSocketPath)).toBe(false);
    expect(await hanging).toBeInstanceOf(Error);
  });

  it('fails to start with CMD_SERVER_UNREACHABLE when the self-check cannot pass', async () => {
    // A handler that breaks Ping makes the self-check fail.
    const socketDir = join(dir, 'unreachable');
    await expect(
      startCmdServer({
        socketDir,
        handlers: { Ping: async () => ({ success: false, message: 'not today' }) },
        log,
        selfCheckTimeoutMs: 1_500,
      }),
    ).rejects.toMatchObject({ code: 'CMD_SERVER_UNREACHABLE' });
    expect(existsSync(join(socketDir, 'launcher-init-sock'))).toBe(false);
  });
});
