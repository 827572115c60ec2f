import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VmpodError } from '../../../src/errors.js';
import { LibvirtClient, type LibvirtClientOptions } from '../../../src/libvirt/client.js';
import {
  authList,
  connectClose,
  connectDomainEventCallbackRegisterAny,
  connectGetHostname,
  connectOpen,
  connectSupportsFeature,
} from '../../../src/libvirt/connect-procedures.js';
import {
  domainGetState,
  domainGetXmlDesc,
  domainLookupByName,
} from '../../../src/libvirt/domain-procedures.js';
import { MessageType, encodePacket } from '../../../src/libvirt/packet-header.js';
import type { DomainEvent } from '../../../src/libvirt/events.js';
import { nonnullDomain } from '../../../src/libvirt/remote-types.js';
import { MockLibvirtError, MockLibvirtd, NO_REPLY } from './helpers/mock-libvirtd.js';

const vm = (name: string, fill = 1) => ({ name, uuid: new Uint8Array(16).fill(fill), id: 1 });

let mock: MockLibvirtd;
let clients: LibvirtClient[] = [];

beforeEach(async () => {
  mock = await MockLibvirtd.start();
  mock.on(domainLookupByName, ({ name }) => {
    if (name === 'missing')
      throw new MockLibvirtError(42, `Domain not found: no domain with matching name '${name}'`);
    return { dom: vm(name) };
  });
});

afterEach(async () => {
  await Promise.all(clients.map((c) => c.close({ timeoutMs: 200 })));
  clients = [];
  await mock.close();
});

async function connect(options: Partial<LibvirtClientOptions> = {}): Promise<LibvirtClient> {
  const c = await LibvirtClient.connect({
    socketPath: mock.socketPath,
    reconnect: { auto: false },
    ...options,
  });
  clients.push(c);
  return c;
}

function rejection(p: Promise<unknown>): Promise<VmpodError> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: unknown) => {
      expect(err).toBeInstanceOf(VmpodError);
      return err as VmpodError;
    },
  );
}

function until(cond: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      if (cond()) resolve();
      else if (Date.now() > deadline) reject(new Error('condition not met in time'));
      else setTimeout(tick, 5);
    };
    tick();
  });
}

describe('LibvirtClient against a mock libvirtd', () => {
  it('opens the connection as libvirt’s remote driver does', async () => {
    await connect({ uri: 'qemu:///session' });
    expect(mock.calls.map((c) => c.procedure)).toEqual([
      authList.procedure,
      connectOpen.procedure,
      connectSupportsFeature.procedure,
    ]);
    expect(mock.callsTo(connectOpen)[0]?.args).toEqual({ name: 'qemu:///session', flags: 0 });
    expect(mock.callsTo(connectSupportsFeature)[0]?.args).toEqual({ feature: 10 });
  });

  it('matches replies to calls by serial when they come back out of order', async () => {
    const release: (() => void)[] = [];
    mock.on(
      domainGetState,
      ({ dom }) => new Promise((resolve) => release.push(() => resolve({ state: 1, reason: dom.id }))),
    );
    const c = await connect();
    const calls = [1, 2, 3].map((id) => c.call(domainGetState, { dom: { ...vm('a'), id }, flags: 0 }));
    await until(() => release.length === 3);
    for (const r of release.reverse()) r();
    expect(await Promise.all(calls)).toEqual([
      { state: 1, reason: 1 },
      { state: 1, reason: 2 },
      { state: 1, reason: 3 },
    ]);
  });

  it('keeps many calls in flight at once', async () => {
    mock.on(domainGetState, ({ dom }) => ({ state: 1, reason: dom.id }));
    const c = await connect();
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => c.call(domainGetState, { dom: { ...vm('a'), id: i }, flags: 0 })),
    );
    expect(results.map((r) => r.reason)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('reassembles a reply larger than one read, and one that arrives in pieces', async () => {
    const big = `<domain>${'x'.repeat(300_000)}</domain>`;
    mock.on(domainGetXmlDesc, () => ({ xml: big }));
    mock.on(domainGetState, (_args, { header, socket }) => {
      const reply = encodePacket({ ...header, type: MessageType.REPLY }, (w) =>
        domainGetState.ret.write(w, { state: 3, reason: 9 }),
      );
      socket.write(reply.subarray(0, 5));
      setTimeout(() => socket.write(reply.subarray(5, 30)), 20);
      setTimeout(() => socket.write(reply.subarray(30)), 40);
      return NO_REPLY;
    });
    const c = await connect();
    // One after the other: the mock writes the pieces itself, which must not interleave with another reply.
    expect((await c.call(domainGetXmlDesc, { dom: vm('a'), flags: 0 })).xml).toBe(big);
    expect(await c.call(domainGetState, { dom: vm('a'), flags: 0 })).toEqual({ state: 3, reason: 9 });
    expect((await c.call(domainGetXmlDesc, { dom: vm('a'), flags: 0 })).xml).toBe(big);
  });

  it('turns a libvirt error reply into a typed error with KubeVirt’s rendering', async () => {
    const c = await connect();
    const err = await rejection(c.domain('missing').state());
    expect(err.code).toBe('LIBVIRT_NO_DOMAIN');
    expect(err.message).toBe(
      "LibvirtError(Code=42, Domain=10, Message='Domain not found: no domain with matching name 'missing'')",
    );
    expect(err.facts).toMatchObject({
      libvirtCode: 42,
      libvirtDomain: 10,
      procedure: 'DOMAIN_LOOKUP_BY_NAME',
    });
  });

  it('fails a call that gets no reply by its deadline, and drops the late reply', async () => {
    let first = true;
    mock.on(connectGetHostname, () => {
      if (first) {
        first = false;
        return new Promise((resolve) => setTimeout(() => resolve({ hostname: 'late' }), 100));
      }
      return { hostname: 'node1' };
    });
    const c = await connect();
    const err = await rejection(c.getHostname({ timeoutMs: 30 }));
    expect(err.code).toBe('LIBVIRT_TIMEOUT');
    expect(err.facts).toMatchObject({ procedure: 'CONNECT_GET_HOSTNAME', timeoutMs: 30 });
    await new Promise((r) => setTimeout(r, 120));
    expect(await c.getHostname()).toBe('node1');
  });

  it('keeps each call’s own deadline, whatever order they were made in', async () => {
    mock.on(domainGetState, () => NO_REPLY);
    const c = await connect();
    const started = Date.now();
    const slow = rejection(c.call(domainGetState, { dom: vm('a'), flags: 0 }, { timeoutMs: 300 })).then(
      (e) => ({
        code: e.code,
        after: Date.now() - started,
      }),
    );
    const fast = rejection(c.call(domainGetState, { dom: vm('a'), flags: 0 }, { timeoutMs: 40 })).then(
      (e) => ({
        code: e.code,
        after: Date.now() - started,
      }),
    );
    const [s, f] = await Promise.all([slow, fast]);
    expect(f.code).toBe('LIBVIRT_TIMEOUT');
    expect(f.after).toBeLessThan(250);
    expect(s.code).toBe('LIBVIRT_TIMEOUT');
    expect(s.after).toBeGreaterThanOrEqual(290);
  });

  it('releases every waiter with LIBVIRT_DISCONNECTED when the connection drops', async () => {
    mock.on(domainGetState, () => NO_REPLY);
    const c = await connect();
    const disconnected = new Promise<VmpodError>((resolve) => c.once('disconnected', resolve));
    const waiters = Array.from({ length: 5 }, () =>
      rejection(c.call(domainGetState, { dom: vm('a'), flags: 0 })),
    );
    await until(() => mock.callsTo(domainGetState).length === 5);
    mock.dropConnections();
    const errors = await Promise.all(waiters);
    expect(errors.map((e) => e.code)).toEqual(Array(5).fill('LIBVIRT_DISCONNECTED'));
    expect(errors[0]?.facts).toMatchObject({ procedure: 'DOMAIN_GET_STATE' });
    expect((await disconnected).code).toBe('LIBVIRT_DISCONNECTED');
    expect((await rejection(c.getHostname())).code).toBe('LIBVIRT_DISCONNECTED');
  });

  it('releases waiters when the stream is corrupt, with the framing error as cause', async () => {
    mock.on(domainGetState, () => NO_REPLY);
    const c = await connect();
    const waiter = rejection(c.call(domainGetState, { dom: vm('a'), flags: 0 }));
    await until(() => mock.callsTo(domainGetState).length === 1);
    mock.writeRaw(Buffer.from([0x7f, 0xff, 0xff, 0xff]));
    const err = await waiter;
    expect(err.code).toBe('LIBVIRT_DISCONNECTED');
    expect((err.cause as VmpodError).cause).toMatchObject({ code: 'LIBVIRT_FRAME_TOO_LONG' });
  });

  it('answers the server’s keepalive PING with a PONG', async () => {
    await connect();
    mock.ping();
    await until(() => mock.pongsReceived === 1);
  });

  it('sends its own PINGs when libvirt is silent, and gives up after `count` unanswered', async () => {
    const c = await connect({ keepalive: { intervalMs: 30, count: 2 } });
    await until(() => mock.pingsReceived >= 2);
    mock.answerPings = false;
    const err = await new Promise<VmpodError>((resolve) => c.once('disconnected', resolve));
    expect(err.code).toBe('LIBVIRT_KEEPALIVE_TIMEOUT');
  });

  it('reports a missing socket as LIBVIRT_CONNECT_FAILED', async () => {
    const err = await rejection(LibvirtClient.connect({ socketPath: `${mock.socketPath}-absent` }));
    expect(err.code).toBe('LIBVIRT_CONNECT_FAILED');
    expect(err.facts).toMatchObject({ errno: 'ENOENT' });
  });

  it('routes each event to the subscriber of its callback id', async () => {
    const c = await connect();
    const lifecycle: DomainEvent[] = [];
    const reboots: DomainEvent[] = [];
    await c.subscribe('lifecycle', (e) => lifecycle.push(e));
    await c.subscribe('reboot', (e) => reboots.push(e));
    const ids = [...mock.callbacks.entries()];
    expect(ids).toEqual([
      [1, 0],
      [2, 1],
    ]);
    mock.sendEvent(318, (w) => {
      w.int32(1);
      nonnullDomain.write(w, vm('a'));
      w.int32(3);
      w.int32(0);
    });
    mock.sendEvent(319, (w) => {
      w.int32(2);
      nonnullDomain.write(w, vm('a'));
    });
    mock.sendEvent(319, (w) => {
      w.int32(99); // nobody registered this id
      nonnullDomain.write(w, vm('a'));
    });
    await until(() => lifecycle.length === 1 && reboots.length === 1);
    expect(lifecycle[0]).toMatchObject({ kind: 'lifecycle', event: 3, detail: 0, domain: { name: 'a' } });
    expect(reboots[0]).toMatchObject({ kind: 'reboot', callbackID: 2 });
  });

  it('stops delivering after a subscription is closed', async () => {
    const c = await connect();
    const seen: DomainEvent[] = [];
    const sub = await c.subscribe('lifecycle', (e) => seen.push(e));
    await sub.close();
    expect(mock.callbacks.size).toBe(0);
    mock.sendEvent(318, (w) => {
      w.int32(1);
      nonnullDomain.write(w, vm('a'));
      w.int32(2);
      w.int32(0);
    });
    await c.getHostname().catch(() => undefined);
    expect(seen).toEqual([]);
  });

  it('shares one server registration among subscribers of the same event', async () => {
    // libvirt refuses a second registration of one event from one client ("already tracked").
    const c = await connect();
    const first: DomainEvent[] = [];
    const second: DomainEvent[] = [];
    const [a, b] = await Promise.all([
      c.subscribe('lifecycle', (e) => first.push(e)),
      c.subscribe('lifecycle', (e) => second.push(e)),
    ]);
    expect(mock.callsTo(connectDomainEventCallbackRegisterAny)).toHaveLength(1);
    const id = [...mock.callbacks.keys()][0] as number;
    const lifecycle = (detail: number) =>
      mock.sendEvent(318, (w) => {
        w.int32(id);
        nonnullDomain.write(w, vm('a'));
        w.int32(2);
        w.int32(detail);
      });
    lifecycle(0);
    await until(() => first.length === 1 && second.length === 1);
    await a.close();
    expect(mock.callbacks.size).toBe(1); // the other subscriber still needs it
    lifecycle(1);
    await until(() => second.length === 2);
    expect(first).toHaveLength(1);
    await b.close();
    expect(mock.callbacks.size).toBe(0);
  });

  it('reconnects after a drop, registers its callbacks again and emits reconnected', async () => {
    const c = await connect({ reconnect: { auto: true, initialDelayMs: 10, deadlineMs: 2000 } });
    const seen: DomainEvent[] = [];
    await c.subscribe('lifecycle', (e) => seen.push(e));
    const reconnected = new Promise<void>((resolve) => c.once('reconnected', resolve));
    mock.dropConnections();
    await reconnected;
    expect(c.connected).toBe(true);
    expect(mock.callsTo(connectDomainEventCallbackRegisterAny)).toHaveLength(2);
    const newId = [...mock.callbacks.keys()].at(-1) as number;
    expect(newId).toBe(2);
    mock.sendEvent(318, (w) => {
      w.int32(newId);
      nonnullDomain.write(w, vm('a'));
      w.int32(2);
      w.int32(0);
    });
    await until(() => seen.length === 1);
  });

  it('gives up reconnecting at its deadline and says so', async () => {
    const c = await connect({
      reconnect: { auto: true, initialDelayMs: 10, maxDelayMs: 20, deadlineMs: 150 },
    });
    const failed = new Promise<VmpodError>((resolve) => c.once('reconnectFailed', resolve));
    const stopped = mock.stopListening();
    mock.dropConnections();
    await stopped;
    const err = await failed;
    expect(err.code).toBe('LIBVIRT_CONNECT_FAILED');
    expect((await rejection(c.getHostname())).code).toBe('LIBVIRT_DISCONNECTED');
    await mock.listenAgain();
    await c.reconnect();
    expect(await c.getHostname().catch((e: VmpodError) => e.code)).toBe('LIBVIRT_NO_SUPPORT');
  });

  it('stops reconnecting when closed meanwhile', async () => {
    const c = await connect({ reconnect: { auto: true, initialDelayMs: 50, deadlineMs: 5000 } });
    const reconnecting = new Promise<void>((resolve) => c.once('reconnecting', () => resolve()));
    mock.dropConnections();
    await reconnecting;
    await c.close();
    await new Promise((r) => setTimeout(r, 150));
    expect(c.connected).toBe(false);
    expect((await rejection(c.getHostname())).code).toBe('LIBVIRT_DISCONNECTED');
  });

  it('closes politely with CONNECT_CLOSE, after which calls fail', async () => {
    const c = await connect();
    await c.close();
    expect(mock.callsTo(connectClose)).toHaveLength(1);
    expect((await rejection(c.getHostname())).code).toBe('LIBVIRT_DISCONNECTED');
  });

  it('reports an undecodable reply as LIBVIRT_PROTOCOL_ERROR without dropping the connection', async () => {
    // A reply body of the wrong shape: the mock answers GET_STATE with a hostname string.
    mock.on({ ...domainGetState, ret: connectGetHostname.ret }, () => ({ hostname: 'not a state' }));
    mock.on(connectGetHostname, () => ({ hostname: 'node1' }));
    const c = await connect();
    const err = await rejection(c.call(domainGetState, { dom: vm('a'), flags: 0 }));
    expect(err.code).toBe('LIBVIRT_PROTOCOL_ERROR');
    expect(await c.getHostname()).toBe('node1');
  });
});

describe('Domain handle', () => {
  it('looks the name up once and reuses the reference', async () => {
    mock.on(domainGetState, () => ({ state: 3, reason: 1 }));
    const c = await connect();
    const d = c.domain('vmi');
    expect(await d.state()).toEqual({ state: 3, reason: 1 });
    expect(await d.kubevirtState()).toEqual({ status: 'Paused', reason: 'User' });
    expect(mock.callsTo(domainLookupByName)).toHaveLength(1);
  });

  it('looks the name up again when the cached domain was redefined', async () => {
    let uuidFill = 1;
    mock.on(domainLookupByName, ({ name }) => ({ dom: vm(name, uuidFill) }));
    mock.on(domainGetState, ({ dom }) => {
      if (dom.uuid[0] !== uuidFill) throw new MockLibvirtError(42, 'Domain not found');
      return { state: 1, reason: 1 };
    });
    const c = await connect();
    const d = c.domain('vmi');
    await d.state();
    uuidFill = 2;
    expect(await d.state()).toEqual({ state: 1, reason: 1 });
    expect(d.ref?.uuid[0]).toBe(2);
  });

  it('maps a missing domain to NoState/NonExistent', async () => {
    const c = await connect();
    expect(await c.domain('missing').kubevirtState()).toEqual({ status: 'NoState', reason: 'NonExistent' });
  });
});
