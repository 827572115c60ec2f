import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VmpodError } from '../../src/errors.js';
import {
  type Domain,
  type DomainEvent,
  LibvirtClient,
  LibvirtError,
  LifecycleEvent,
  VirErrorNumber,
  typedParamsToRecord,
} from '../../src/libvirt/index.js';
import { PrivateLibvirtd } from '../helpers/libvirtd.js';
import requireRoot from '../helpers/require-root.js';

// The client against a real libvirtd (Debian's 9.0) in a private mount namespace, with a small TCG
// domain: lifecycle, reads, events in order, concurrency, a libvirtd crash and reconnect.

requireRoot();

const name = `vmpod-it-${randomBytes(4).toString('hex')}`;
const domainXml = `<domain type='qemu'>
  <name>${name}</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices></devices>
</domain>`;

let daemon: PrivateLibvirtd;
let client: LibvirtClient;
let dom: Domain;
const events: DomainEvent[] = [];

function ours(): { event: number; detail: number }[] {
  return events.flatMap((e) =>
    e.kind === 'lifecycle' && e.domain.name === name ? [{ event: e.event, detail: e.detail }] : [],
  );
}

async function until(what: string, cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}; events: ${JSON.stringify(ours())}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  daemon = await PrivateLibvirtd.start({ libvirtdConf: ['keepalive_interval = 1', 'keepalive_count = 2'] });
  client = await LibvirtClient.connect({
    socketPath: daemon.socketPath,
    uri: 'qemu:///system',
    reconnect: { auto: true, deadlineMs: 60_000, initialDelayMs: 100, maxDelayMs: 1_000 },
  });
  await client.subscribe('lifecycle', (e) => events.push(e));
});

afterAll(async () => {
  if (client) {
    const d = client.domain(name);
    await d.destroy().catch(() => undefined);
    await d.undefine().catch(() => undefined);
    await client.close({ timeoutMs: 2_000 });
  }
  if (daemon) await daemon.stop();
});

describe('libvirt client against a real libvirtd', () => {
  it('opens qemu:///system and reads the host', async () => {
    expect(await client.getLibVersion()).toBeGreaterThanOrEqual(9_000_000n);
    expect(await client.getVersion()).toBeGreaterThan(0n);
    expect(await client.getHostname()).not.toBe('');
    expect(await client.getCapabilities()).toContain('<capabilities>');
    expect(await client.getDomainCapabilities({ virttype: 'qemu', arch: 'x86_64' })).toContain(
      '<domainCapabilities>',
    );
  });

  it('defines and starts a TCG domain, then reads state, XML, info and stats', async () => {
    dom = await client.defineXML(domainXml);
    expect(dom.name).toBe(name);
    await dom.create();
    expect(await dom.state()).toEqual({ state: 1, reason: 1 });
    expect(await dom.kubevirtState()).toEqual({ status: 'Running', reason: 'Unknown' });
    expect(await dom.xml()).toContain(`<name>${name}</name>`);
    const info = await dom.info();
    expect(info).toMatchObject({ state: 1, maxMemKiB: 65536n, nrVirtCpu: 1 });
    const all = await client.getAllDomainStats();
    const mine = all.find((s) => s.domain.name === name);
    expect(mine).toBeDefined();
    const stats = typedParamsToRecord(mine?.params ?? []);
    expect(stats['state.state']).toBe(1);
    expect(typeof stats['cpu.time']).toBe('bigint');
    expect(typedParamsToRecord(await dom.stats())['balloon.maximum']).toBe(65536n);
    expect((await client.listAllDomains()).map((d) => d.name)).toContain(name);
    expect((await client.lookupDomainByUuid(dom.uuid as string)).name).toBe(name);
  });

  it('answers 100 concurrent state calls correctly', async () => {
    const results = await Promise.all(Array.from({ length: 100 }, () => dom.state()));
    expect(results).toEqual(Array(100).fill({ state: 1, reason: 1 }));
  });

  it('gives a typed "no domain" error for a missing name', async () => {
    const err = (await client
      .domain(`${name}-absent`)
      .state()
      .catch((e: unknown) => e)) as VmpodError;
    expect(err.code).toBe('LIBVIRT_NO_DOMAIN');
    expect(err.facts).toMatchObject({ libvirtCode: 42 });
    expect(err.message).toMatch(/^LibvirtError\(Code=42, Domain=\d+, Message='Domain not found/);
    expect(await client.domain(`${name}-absent`).kubevirtState()).toEqual({
      status: 'NoState',
      reason: 'NonExistent',
    });
  });

  it('keeps the connection through idle time by answering libvirtd’s keepalive', async () => {
    let dropped = false;
    client.once('disconnected', () => {
      dropped = true;
    });
    // libvirtd here pings every second and drops a client after two unanswered pings; a second
    // client pings libvirtd itself every 300 ms and would give up after two unanswered.
    const pinger = await LibvirtClient.connect({
      socketPath: daemon.socketPath,
      keepalive: { intervalMs: 300, count: 2 },
      reconnect: { auto: false },
    });
    let pingerDropped = false;
    pinger.once('disconnected', () => {
      pingerDropped = true;
    });
    await new Promise((r) => setTimeout(r, 4_000));
    expect(dropped).toBe(false);
    expect(pingerDropped).toBe(false);
    expect(await dom.state()).toEqual({ state: 1, reason: 1 });
    expect(await pinger.getHostname()).not.toBe('');
    await pinger.close();
  });

  it('delivers suspend and resume events', async () => {
    await dom.suspend();
    expect(await dom.kubevirtState()).toEqual({ status: 'Paused', reason: 'User' });
    await dom.resume();
    await until('resumed event', () => ours().some((e) => e.event === LifecycleEvent.RESUMED));
  });

  it('sends every domain procedure in a form libvirtd understands', async () => {
    const config = 2; // VIR_DOMAIN_AFFECT_CONFIG: change the persistent definition only
    const watchdog = "<watchdog model='i6300esb' action='reset'/>";
    const attempts: [string, () => Promise<unknown>][] = [
      ['memoryStats', () => dom.memoryStats()],
      ['jobInfo', () => dom.jobInfo()],
      ['jobStats', () => dom.jobStats()],
      ['diskErrors', () => dom.diskErrors()],
      ['setVcpus', () => dom.setVcpus(1, config)],
      ['setMemory', () => dom.setMemory(65536, config)],
      ['attachDevice', () => dom.attachDevice(watchdog, config)],
      ['updateDevice', () => dom.updateDevice(watchdog, config)],
      ['detachDevice', () => dom.detachDevice(watchdog, config)],
      ['reset', () => dom.reset()],
      ['abortJob', () => dom.abortJob()],
      ['getTime', () => dom.getTime()],
      ['setTime', () => dom.setTime(0, 0)],
      ['fsFreeze', () => dom.fsFreeze()],
      ['fsThaw', () => dom.fsThaw()],
      ['guestInfo', () => dom.guestInfo(2)],
      ['agentCommand', () => dom.agentCommand('{"execute":"guest-ping"}', 1)],
      ['blockStats', () => dom.blockStats('vda')],
      ['interfaceStats', () => dom.interfaceStats('vnet0')],
      ['blockInfo', () => dom.blockInfo('vda')],
    ];
    const outcomes: Record<string, string> = {};
    for (const [what, attempt] of attempts) {
      outcomes[what] = await attempt().then(
        () => 'ok',
        (e: unknown) => {
          // A libvirt error is fine (no agent, no disk, no job); an undecodable message is not.
          if (!(e instanceof LibvirtError)) throw e;
          expect(e.libvirtCode, `${what}: ${e.message}`).not.toBe(VirErrorNumber.RPC);
          return e.code;
        },
      );
    }
    expect(outcomes).toMatchObject({
      memoryStats: 'ok',
      jobInfo: 'ok',
      jobStats: 'ok',
      diskErrors: 'ok',
      setVcpus: 'ok',
      setMemory: 'ok',
      attachDevice: 'ok',
      detachDevice: 'ok',
      reset: 'ok',
      abortJob: 'LIBVIRT_OPERATION_INVALID',
      guestInfo: 'LIBVIRT_ARGUMENT_UNSUPPORTED',
    });
  });

  it('survives libvirtd being killed: every waiter gets a typed error, then it reconnects and gets events again', async () => {
    const disconnected = new Promise<VmpodError>((resolve) => client.once('disconnected', resolve));
    daemon.freeze();
    const waiters = Array.from({ length: 10 }, () =>
      dom.state().then(
        () => 'answered',
        (e: VmpodError) => e.code,
      ),
    );
    await new Promise((r) => setTimeout(r, 100));
    await daemon.kill();
    expect(await Promise.all(waiters)).toEqual(Array(10).fill('LIBVIRT_DISCONNECTED'));
    expect((await disconnected).code).toBe('LIBVIRT_DISCONNECTED');

    const reconnected = new Promise<void>((resolve) => client.once('reconnected', resolve));
    await daemon.restart();
    await reconnected;
    expect(await dom.state()).toEqual({ state: 1, reason: 5 }); // RUNNING / UNPAUSED
    const before = ours().length;
    await dom.suspend();
    await dom.resume();
    await until('events after reconnect', () => ours().length >= before + 2);
  });

  it('receives the lifecycle events of define/start/suspend/resume/destroy/undefine in order', async () => {
    await dom.destroy();
    expect(await dom.kubevirtState()).toEqual({ status: 'Shutoff', reason: 'Destroyed' });
    await dom.undefine();
    await until('undefined event', () => ours().some((e) => e.event === LifecycleEvent.UNDEFINED));
    const { DEFINED, STARTED, SUSPENDED, RESUMED, STOPPED, SHUTDOWN, UNDEFINED } = LifecycleEvent;
    // libvirt 9 also reports RESUMED next to STARTED (it boots qemu paused, then runs it) and
    // SHUTDOWN/HOST when destroy signals qemu; those are real, but not the sequence under test.
    const seen = ours().filter(
      (e, i, all) =>
        e.event !== SHUTDOWN &&
        !(e.event === RESUMED && (all[i - 1]?.event === STARTED || all[i + 1]?.event === STARTED)),
    );
    expect(seen).toEqual([
      { event: DEFINED, detail: 0 }, // ADDED
      { event: STARTED, detail: 0 }, // BOOTED
      { event: SUSPENDED, detail: 0 }, // PAUSED
      { event: RESUMED, detail: 0 }, // UNPAUSED
      { event: SUSPENDED, detail: 0 },
      { event: RESUMED, detail: 0 },
      { event: STOPPED, detail: 1 }, // DESTROYED
      { event: UNDEFINED, detail: 0 }, // REMOVED
    ]);
    expect(await client.domain(name).kubevirtState()).toEqual({ status: 'NoState', reason: 'NonExistent' });
  });
});
