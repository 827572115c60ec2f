import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NotifyClient, type NotifyClientOptions } from '../../src/rpc/notify-client.js';
import { type NotifyTestServer, startNotifyServer } from '../helpers/virt-handler.js';

const log = pino({ level: 'silent' });
let dir: string;
let n = 0;
const servers: NotifyTestServer[] = [];
const clients: NotifyClient[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vmpod-notify-'));
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const s of servers.splice(0)) await s.close();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function socket(): string {
  return join(dir, `notify-${n++}.sock`);
}

async function server(path: string) {
  const s = await startNotifyServer(path);
  servers.push(s);
  return s;
}

function client(socketPath: string, extra: Partial<NotifyClientOptions> = {}) {
  const c = new NotifyClient({ socketPath, log, ...extra });
  clients.push(c);
  return c;
}

const DOMAIN = {
  metadata: { name: 'vm1', namespace: 'ns1', uid: 'u1' },
  Status: { Status: 'Running', Reason: 'Unknown' },
};
const EVENT = {
  type: 'Warning' as const,
  reason: 'GuestPanicked',
  message: 'the guest panicked',
  involvedObject: {
    kind: 'VirtualMachineInstance',
    apiVersion: 'kubevirt.io/v1',
    namespace: 'ns1',
    name: 'vm1',
    uid: 'u1',
    resourceVersion: '42',
  },
};

describe('notify client', () => {
  it('delivers domain events and Kubernetes events', async () => {
    const path = socket();
    const s = await server(path);
    const c = client(path);
    expect(await c.sendDomainEvent(JSON.stringify(DOMAIN), 'ADDED')).toBe(true);
    expect(await c.sendDomainEvent(JSON.stringify(DOMAIN), 'MODIFIED', '{"status":"x"}')).toBe(true);
    expect(await c.sendK8sEvent(EVENT)).toBe(true);
    expect(s.domainEvents).toEqual([
      { eventType: 'ADDED', domain: DOMAIN, statusJSON: '' },
      { eventType: 'MODIFIED', domain: DOMAIN, statusJSON: '{"status":"x"}' },
    ]);
    expect(s.k8sEvents).toHaveLength(1);
    const ev = s.k8sEvents[0]?.event as Record<string, unknown>;
    expect(ev.type).toBe('Warning');
    expect(ev.reason).toBe('GuestPanicked');
    expect(ev.message).toBe('the guest panicked');
    expect(ev.involvedObject).toEqual(EVENT.involvedObject);
  });

  it('retries while the handler is absent and delivers once it appears', async () => {
    const path = socket();
    const c = client(path);
    const t0 = Date.now();
    const sent = c.sendDomainEvent(JSON.stringify(DOMAIN), 'ADDED');
    await new Promise((r) => setTimeout(r, 1_500));
    const s = await server(path);
    expect(await sent).toBe(true);
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(s.domainEvents).toHaveLength(1);
  });

  it('drops a notification after its budget', async () => {
    const c = client(socket(), { retryBudgetMs: 1_500, connectTimeoutMs: 300 });
    const t0 = Date.now();
    expect(await c.sendDomainEvent('{}', 'MODIFIED')).toBe(false);
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(1_000);
    expect(took).toBeLessThan(3_000);
  });

  it('treats UNAVAILABLE as transient and other statuses as final', async () => {
    const path = socket();
    const s = await server(path);
    const c = client(path, { retryBudgetMs: 2_500, retryIntervalMs: 200 });
    s.reply = { grpcCode: grpc.status.UNAVAILABLE, details: 'busy' };
    setTimeout(() => {
      s.reply = { success: true, message: '' };
    }, 700);
    expect(await c.sendDomainEvent('{}', 'ADDED')).toBe(true);
    expect(s.domainEvents.length).toBeGreaterThan(1);

    s.domainEvents.length = 0;
    s.reply = { grpcCode: grpc.status.INVALID_ARGUMENT, details: 'no' };
    expect(await c.sendDomainEvent('{}', 'ADDED')).toBe(false);
    expect(s.domainEvents).toHaveLength(1);
  });

  it('reads success=false with a message as a refusal, without retrying', async () => {
    const path = socket();
    const s = await server(path);
    s.reply = { success: false, message: 'VMI not found' };
    const c = client(path);
    expect(await c.sendK8sEvent(EVENT)).toBe(false);
    expect(s.k8sEvents).toHaveLength(1);
    // success=false with an empty message is not an error (KUBEVIRT.md §3.6).
    s.reply = { success: false, message: '' };
    expect(await c.sendK8sEvent(EVENT)).toBe(true);
  });

  it('reconnects (and re-checks the version) after the handler restarts', async () => {
    const path = socket();
    const s1 = await server(path);
    const c = client(path);
    expect(await c.sendDomainEvent('{}', 'ADDED')).toBe(true);
    await s1.close();
    servers.splice(servers.indexOf(s1), 1);
    const s2 = await server(path);
    expect(await c.sendDomainEvent('{"a":1}', 'MODIFIED')).toBe(true);
    await s2.waitFor((s) => s.domainEvents.length === 1, 1_000);
    expect(s2.domainEvents[0]?.domain).toEqual({ a: 1 });
  });

  it('a closed client drops notifications and never throws', async () => {
    const c = client(socket(), { connectTimeoutMs: 200 });
    c.close();
    expect(await c.sendDomainEvent('{}', 'ADDED')).toBe(false);
    c.close();
  });
});
