import { describe, expect, it } from 'vitest';
import { VmpodError } from '../../../src/errors.js';
import type { NetworkDrivers } from '../../../src/network/drivers.js';
import { FakeKernel } from '../../../src/network/fake-drivers.js';
import { masqueradeProgressFilePath, setUpMasqueradeBinding } from '../../../src/network/index.js';

const PRIVATE = '/run/test-private';
const iface = { name: 'default', masquerade: {} };
const POD_V4 = { family: 4, address: '10.244.0.10', prefixLength: 24, scope: 'global' } as const;
const POD_V6 = { family: 6, address: 'fd00:10:244::a', prefixLength: 64, scope: 'global' } as const;

function podKernel(dualStack = false): FakeKernel {
  const k = new FakeKernel();
  k.addLink({ name: 'lo', up: true });
  k.addLink({
    name: 'eth0',
    mac: '0a:58:0a:f4:00:0a',
    mtu: 1450,
    up: true,
    kind: 'veth',
    addresses: dualStack ? [POD_V4, POD_V6] : [POD_V4],
    routes: [{ family: 4, destination: 'default', gateway: '10.244.0.1' }],
  });
  return k;
}

const setUp = (drivers: NetworkDrivers, ports?: { port: number }[]) =>
  setUpMasqueradeBinding({
    iface: { ...iface, ports },
    index: 0,
    podIfaceName: 'eth0',
    drivers,
    options: { privateDir: PRIVATE },
  });

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
  return {
    links: gate(d.links),
    taps: gate(d.taps),
    sysctls: gate(d.sysctls),
    files: d.files,
    nft: d.nft && gate(d.nft),
  };
}

function expectLayout(k: FakeKernel, dualStack: boolean): void {
  const bridge = k.byName('k6t-eth0');
  expect(bridge).toMatchObject({ kind: 'bridge', up: true, mac: '02:00:00:00:00:00', mtu: 1450 });
  expect(bridge?.addresses.map((a) => `${a.address}/${a.prefixLength}`)).toEqual(
    dualStack ? ['10.0.2.1/24', 'fd10:0:2::1/120'] : ['10.0.2.1/24'],
  );
  expect(k.byName('tap0')).toMatchObject({
    kind: 'tun',
    up: true,
    master: 'k6t-eth0',
    mtu: 1450,
    tapOwner: { uid: 107, gid: 107 },
  });
  // The pod interface is left as it was.
  expect(k.byName('eth0')).toMatchObject({ index: 2, up: true, mac: '0a:58:0a:f4:00:0a', master: undefined });
  expect(k.byName('eth0')?.addresses).toEqual(dualStack ? [POD_V4, POD_V6] : [POD_V4]);
  expect(k.sysctls.get('net.ipv4.conf.k6t-eth0.route_localnet')).toBe('1');
  expect(k.sysctls.get('net.ipv4.ip_forward')).toBe('1');
  expect(k.sysctls.get('net.ipv6.conf.all.forwarding')).toBe(dualStack ? '1' : undefined);
  expect(k.nftTables.get('ip nat')).toContain(
    'add rule ip nat postrouting ip saddr 10.0.2.2 counter masquerade',
  );
  expect(k.nftTables.has('ip6 nat')).toBe(dualStack);
}

describe('applying the masquerade binding', () => {
  it.each([false, true])('builds the layout (dual stack: %s) and returns phase 2 data', async (dual) => {
    const k = podKernel(dual);
    const result = await setUp(k.drivers());
    expectLayout(k, dual);
    expect(result).toMatchObject({
      bridge: 'k6t-eth0',
      tap: 'tap0',
      mtu: 1450,
      v4: { guest: '10.0.2.2', gateway: '10.0.2.1', prefixLength: 24 },
      resumed: false,
      alreadyBuilt: false,
    });
    expect(result.v6).toEqual(
      dual ? { guest: 'fd10:0:2::2', gateway: 'fd10:0:2::1', prefixLength: 120 } : undefined,
    );
    expect(k.files.get(masqueradeProgressFilePath('eth0', PRIVATE))?.content).toContain('"finished": true');
  });

  it('changes nothing when run again, with or without its progress file', async () => {
    const k = podKernel(true);
    await setUp(k.drivers());
    const calls = k.calls.length;
    const second = await setUp(k.drivers());
    expect(second).toMatchObject({ stepsRun: 0, resumed: true, v6: { guest: 'fd10:0:2::2' } });
    k.files.delete(masqueradeProgressFilePath('eth0', PRIVATE));
    const third = await setUp(k.drivers());
    expect(third).toMatchObject({ stepsRun: 0, alreadyBuilt: true, v4: { gateway: '10.0.2.1' } });
    expect(k.calls.length).toBe(calls);
  });

  it.each([1, 3, 6, 9])('completes after a crash following %i kernel changes', async (budget) => {
    const k = podKernel(true);
    const crashed = await setUp(crashingAfter(k, budget)).catch((e: unknown) => e);
    expect(crashed).toMatchObject({ code: 'TEST_CRASH' });
    const result = await setUp(k.drivers());
    expect(result.resumed).toBe(true);
    expectLayout(k, true);
  });

  it('needs an nft driver', async () => {
    const { nft: _nft, ...withoutNft } = podKernel().drivers();
    await expect(setUp(withoutNft)).rejects.toMatchObject({ code: 'NETWORK_NFT_UNAVAILABLE' });
  });

  it('refuses a bridge name taken by another kind of link', async () => {
    const k = podKernel();
    k.addLink({ name: 'k6t-eth0', kind: 'dummy' });
    await expect(setUp(k.drivers())).rejects.toMatchObject({ code: 'NETWORK_LINK_CONFLICT' });
  });
});
