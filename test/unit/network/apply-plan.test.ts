import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { VmpodError } from '../../../src/errors.js';
import { setUpBridgeBinding } from '../../../src/network/index.js';
import { FakeKernel } from '../../../src/network/fake-drivers.js';
import type { NetworkDrivers } from '../../../src/network/drivers.js';

const PRIVATE = '/run/test-private';
const iface = { name: 'default', bridge: {} };

function podKernel(opts: { supportsDummy?: boolean } = {}): FakeKernel {
  const k = new FakeKernel(opts);
  k.addLink({ name: 'lo', up: true });
  k.addLink({
    name: 'eth0',
    mac: '0a:58:0a:f4:00:0a',
    mtu: 1450,
    up: true,
    kind: 'veth',
    addresses: [{ family: 4, address: '10.244.0.10', prefixLength: 24, scope: 'global' }],
    routes: [
      { family: 4, destination: 'default', gateway: '10.244.0.1' },
      { family: 4, destination: '10.244.0.0/24', gateway: undefined },
    ],
  });
  return k;
}

const setUp = (drivers: NetworkDrivers) =>
  setUpBridgeBinding({ iface, index: 0, podIfaceName: 'eth0', drivers, options: { privateDir: PRIVATE } });

/** Drivers whose every mutating call after the first `budget` ones fails like a killed process. */
function crashingAfter(k: FakeKernel, budget: number): NetworkDrivers {
  const d = k.drivers();
  let left = budget;
  const gate = <T extends object>(o: T): T =>
    new Proxy(o, {
      get(target, prop, recv) {
        const v = Reflect.get(target, prop, recv);
        if (typeof v !== 'function' || /^(get|list|read)/.test(String(prop))) return v;
        return (...args: unknown[]) => {
          if (left-- <= 0) throw new VmpodError('TEST_CRASH', 'simulated crash');
          return v.apply(target, args);
        };
      },
    });
  return { links: gate(d.links), taps: gate(d.taps), sysctls: gate(d.sysctls), files: d.files };
}

function expectLayout(k: FakeKernel, placeholderKind: string): void {
  const bridge = k.byName('k6t-eth0');
  const nic = k.byName('eth0-nic');
  const tap = k.byName('tap0');
  const eth0 = k.byName('eth0');
  expect(bridge).toMatchObject({ kind: 'bridge', up: true });
  expect(bridge?.addresses.map((a) => `${a.address}/${a.prefixLength}`)).toEqual(['169.254.75.10/32']);
  expect(nic).toMatchObject({ index: 2, up: true, master: 'k6t-eth0', learning: false, mac: bridge?.mac });
  expect(nic?.addresses).toEqual([]);
  expect(tap).toMatchObject({
    kind: 'tun',
    up: true,
    master: 'k6t-eth0',
    mtu: 1450,
    tapOwner: { uid: 107, gid: 107 },
  });
  expect(eth0).toMatchObject({ kind: placeholderKind, up: false, mac: '0a:58:0a:f4:00:0a', mtu: 1450 });
  expect(eth0?.addresses.map((a) => `${a.address}/${a.prefixLength}`)).toEqual(['10.244.0.10/24']);
  expect(k.sysctls.get('net.ipv4.conf.all.arp_ignore')).toBe('1');
  const cache = k.files.get(`${PRIVATE}/vif-cache-eth0.json`);
  expect(cache).toMatchObject({ mode: 0o604, uid: 107, gid: 107 });
  expect(JSON.parse(cache?.content ?? '{}')).toMatchObject({
    Name: 'eth0',
    Gateway: '10.244.0.1',
    IP: { IP: '10.244.0.10' },
  });
}

describe('applying the bridge binding', () => {
  it('builds the KubeVirt layout', async () => {
    const k = podKernel();
    const result = await setUp(k.drivers());
    expect(result).toMatchObject({ resumed: false, stepsRun: 6, placeholderKind: 'dummy' });
    expectLayout(k, 'dummy');
  });

  it('falls back to a veth placeholder where the kernel has no dummy', async () => {
    const k = podKernel({ supportsDummy: false });
    expect((await setUp(k.drivers())).placeholderKind).toBe('veth');
    expectLayout(k, 'veth');
  });

  it('changes nothing when run a second time', async () => {
    const k = podKernel();
    await setUp(k.drivers());
    const calls = k.calls.length;
    expect((await setUp(k.drivers())).stepsRun).toBe(0);
    expect(k.calls.length).toBe(calls);
  });

  it('changes nothing when the steps themselves run again on a finished layout', async () => {
    const k = podKernel();
    await setUp(k.drivers());
    const calls = k.calls.length;
    k.files.delete(`${PRIVATE}/vmpod-network-eth0.json`);
    // Without progress, discovery finds the built layout and only the cache remains to be read.
    expect((await setUp(k.drivers())).plan.kind).toBe('already-built');
    expect(k.calls.length).toBe(calls);
  });

  it.each(Array.from({ length: 22 }, (_, i) => i))(
    'completes after a crash following %i kernel changes',
    async (budget) => {
      const k = podKernel({ supportsDummy: false });
      const first = await setUp(crashingAfter(k, budget)).catch((err: unknown) => err);
      if (first instanceof Error) expect(first).toMatchObject({ code: 'TEST_CRASH' });
      await setUp(k.drivers());
      expectLayout(k, 'veth');
      const calls = k.calls.length;
      await setUp(k.drivers());
      expect(k.calls.length).toBe(calls);
    },
  );

  it('refuses to take over a link of the wrong kind', async () => {
    const k = podKernel();
    k.addLink({ name: 'k6t-eth0', kind: 'veth' });
    await expect(setUp(k.drivers())).rejects.toMatchObject({ code: 'NETWORK_LINK_CONFLICT' });
  });

  it('logs the current and desired state and the dummy fallback as JSON', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(JSON.parse(String(chunk)));
        done();
      },
    });
    const log = pino({ messageKey: 'msg', level: 'debug' }, sink);
    const k = podKernel({ supportsDummy: false });
    await setUpBridgeBinding({
      iface,
      index: 0,
      podIfaceName: 'eth0',
      drivers: k.drivers(),
      options: { privateDir: PRIVATE },
      log,
    });
    const msgs = lines.map((l) => l['msg']);
    expect(msgs).toContain('current pod network');
    expect(msgs).toContain('desired pod network');
    expect(lines.find((l) => l['msg'] === 'current pod network')).toMatchObject({
      current: { name: 'eth0' },
    });
    expect(lines.find((l) => String(l['msg']).includes('veth pair'))).toMatchObject({
      level: 40,
      link: 'eth0',
    });
  });
});
