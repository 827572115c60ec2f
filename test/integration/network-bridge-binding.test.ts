// Phase 1 of the bridge binding against the real kernel, in a pod sandbox's network namespace:
// the namespace must end up exactly as KUBEVIRT.md §7.2 describes, stay so on a second run,
// complete after a crash half-way, and forward a stand-in guest's traffic to the node.
// Traffic only between namespaces this test makes.
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VmpodError } from '../../src/errors.js';
import type { NetworkDrivers } from '../../src/network/drivers.js';
import {
  createNetworkDrivers,
  guestInterfaceFromPod,
  readVifCache,
  setUpBridgeBinding,
} from '../../src/network/index.js';
import type { IpJsonAddr, IpJsonLink } from '../helpers/iproute2.js';
import { createSandbox, destroyAllSandboxes, runCommand, type Sandbox } from '../helpers/sandbox.js';

const iface = { name: 'default', bridge: {} };
const MTU = 1400;

interface JsonBridgePort {
  ifname: string;
  master?: string;
  flags?: string[];
  learning?: boolean;
}

async function inPod(sb: Sandbox, file: string, args: string[]): Promise<string> {
  const r = await runCommand('ip', ['netns', 'exec', sb.podNetns, file, ...args]);
  if (r.code !== 0) throw new Error(`${file} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/**
 * What vmpod controls, without what the kernel changes on its own after a link comes up (carrier,
 * operstate, IPv6 link-local addresses and DAD, STP port state, timers).
 */
function controlled(s: Awaited<ReturnType<typeof podState>>): unknown {
  return {
    links: s.links.map((l) => ({
      ifindex: l.ifindex,
      ifname: l.ifname,
      address: l.address,
      mtu: l.mtu,
      up: l.flags.includes('UP'),
      master: l.master,
      kind: l.linkinfo?.info_kind,
      learning: l.linkinfo?.info_slave_data?.learning,
    })),
    addrs: s.addrs.map((a) => ({
      ifname: a.ifname,
      addrs: a.addr_info.filter((i) => i.scope !== 'link').map((i) => `${i.local}/${i.prefixlen}`),
    })),
    arpIgnore: s.arpIgnore,
  };
}

async function podState(sb: Sandbox) {
  const links = JSON.parse(await inPod(sb, 'ip', ['-d', '-j', 'link'])) as IpJsonLink[];
  const addrs = JSON.parse(await inPod(sb, 'ip', ['-j', 'addr'])) as IpJsonAddr[];
  const ports = JSON.parse(await inPod(sb, 'bridge', ['-d', '-j', 'link'])) as JsonBridgePort[];
  const arpIgnore = (await inPod(sb, 'sysctl', ['-n', 'net.ipv4.conf.all.arp_ignore'])).trim();
  const link = (n: string) => links.find((l) => l.ifname === n);
  const v4 = (n: string) =>
    (addrs.find((a) => a.ifname === n)?.addr_info ?? [])
      .filter((a) => a.family === 'inet')
      .map((a) => `${a.local}/${a.prefixlen}`);
  const owner = async (n: string) => ({
    uid: Number((await inPod(sb, 'cat', [`/sys/class/net/${n}/owner`])).trim()),
    gid: Number((await inPod(sb, 'cat', [`/sys/class/net/${n}/group`])).trim()),
  });
  return { links, addrs, ports, arpIgnore, link, v4, owner };
}

function expectKubevirtLayout(
  sb: Sandbox,
  s: Awaited<ReturnType<typeof podState>>,
  originalIndex: number,
): void {
  const bridge = s.link('k6t-eth0');
  const nic = s.link('eth0-nic');
  const tap = s.link('tap0');
  const eth0 = s.link('eth0');
  expect(bridge?.linkinfo?.info_kind).toBe('bridge');
  expect(bridge?.flags).toContain('UP');
  expect(s.v4('k6t-eth0')).toEqual(['169.254.75.10/32']);

  expect(nic).toMatchObject({ ifindex: originalIndex, master: 'k6t-eth0', address: bridge?.address });
  expect(nic?.flags).toContain('UP');
  expect(s.v4('eth0-nic')).toEqual([]);
  const nicGlobal6 = s.addrs
    .find((a) => a.ifname === 'eth0-nic')
    ?.addr_info.filter((a) => a.family === 'inet6' && a.scope === 'global');
  expect(nicGlobal6 ?? []).toEqual([]);
  expect(s.ports.find((p) => p.ifname === 'eth0-nic')).toMatchObject({ master: 'k6t-eth0', learning: false });

  expect(tap?.linkinfo?.info_kind).toBe('tun');
  expect(tap).toMatchObject({ master: 'k6t-eth0', mtu: MTU });
  expect(tap?.flags).toContain('UP');
  expect(s.ports.find((p) => p.ifname === 'tap0')).toMatchObject({ master: 'k6t-eth0' });

  // No dummy in this kernel (TESTBED.md): the placeholder is a veth, down, with the pod's identity.
  expect(eth0?.linkinfo?.info_kind).toBe('veth');
  expect(eth0?.flags).not.toContain('UP');
  expect(eth0).toMatchObject({ address: sb.pod.mac, mtu: MTU });
  expect(s.v4('eth0')).toEqual([sb.pod.cidr]);
  expect(s.arpIgnore).toBe('1');
}

const sandboxes: Sandbox[] = [];
let privateDir = '';

beforeEach(async () => {
  privateDir = await mkdtemp(join(tmpdir(), 'vmpod-net-'));
});
afterEach(async () => {
  await rm(privateDir, { recursive: true, force: true });
});
afterAll(async () => {
  await destroyAllSandboxes();
});

async function sandbox(): Promise<Sandbox> {
  const sb = await createSandbox({ mtu: MTU });
  sandboxes.push(sb);
  return sb;
}

const setUp = (drivers: NetworkDrivers) =>
  setUpBridgeBinding({ iface, index: 0, podIfaceName: 'eth0', drivers, options: { privateDir } });

async function eth0Index(sb: Sandbox): Promise<number> {
  const [l] = JSON.parse(await inPod(sb, 'ip', ['-j', 'link', 'show', 'dev', 'eth0'])) as IpJsonLink[];
  return l?.ifindex ?? -1;
}

describe('bridge binding phase 1 in a pod network namespace', () => {
  it('builds the layout of KUBEVIRT.md §7.2 and the vif cache of the original pod interface', async () => {
    const sb = await sandbox();
    const index = await eth0Index(sb);
    const result = await setUp(createNetworkDrivers(sb.podNetns));
    expect(result.placeholderKind).toBe('veth');
    const s = await podState(sb);
    expectKubevirtLayout(sb, s, index);
    expect(await s.owner('tap0')).toEqual({ uid: 107, gid: 107 });

    const cache = await readVifCache(createNetworkDrivers().files, 'eth0', privateDir);
    expect(cache).toMatchObject({
      name: 'eth0',
      ipamDisabled: false,
      ip: { address: sb.pod.ip, prefixLength: sb.pod.prefixLength },
      mac: sb.pod.mac,
      gateway: sb.pod.gateway,
      routes: [{ destination: 'default', gateway: sb.pod.gateway }],
      mtu: 0,
    });
    const st = await stat(join(privateDir, 'vif-cache-eth0.json'));
    expect({ mode: st.mode & 0o777, uid: st.uid }).toEqual({ mode: 0o604, uid: 107 });
    // Phase 2 reads the guest's tap, MAC and MTU off the layout.
    const guest = await guestInterfaceFromPod({
      iface,
      podIfaceName: 'eth0',
      links: createNetworkDrivers(sb.podNetns).links,
    });
    expect(guest).toEqual({
      alias: 'ua-default',
      targetDevice: 'tap0',
      managed: false,
      mac: sb.pod.mac,
      mtu: MTU,
    });
    const raw = JSON.parse(await readFile(join(privateDir, 'vif-cache-eth0.json'), 'utf8'));
    expect(raw.MAC).toBe(
      Buffer.from(sb.pod.mac.split(':').map((h) => Number.parseInt(h, 16))).toString('base64'),
    );
  });

  it('changes nothing when run twice', async () => {
    const sb = await sandbox();
    await setUp(createNetworkDrivers(sb.podNetns));
    const before = await podState(sb);
    const second = await setUp(createNetworkDrivers(sb.podNetns));
    expect(second.stepsRun).toBe(0);
    expect(controlled(await podState(sb))).toEqual(controlled(before));
    // Without the progress file, discovery recognises the built layout and leaves it alone.
    await rm(join(privateDir, 'vmpod-network-eth0.json'));
    const third = await setUp(createNetworkDrivers(sb.podNetns));
    expect(third.plan.kind).toBe('already-built');
    expect(controlled(await podState(sb))).toEqual(controlled(before));
  });

  it.each([3, 7, 12, 15])('completes after a crash following %i kernel changes', async (budget) => {
    const sb = await sandbox();
    const index = await eth0Index(sb);
    const crashed = await setUp(crashingAfter(createNetworkDrivers(sb.podNetns), budget)).catch(
      (e: unknown) => e,
    );
    expect(crashed).toMatchObject({ code: 'TEST_CRASH' });
    await setUp(createNetworkDrivers(sb.podNetns));
    expectKubevirtLayout(sb, await podState(sb), index);
  });

  it('forwards a stand-in guest with the pod IP and MAC to the node through the bridge', async () => {
    const sb = await sandbox();
    await setUp(createNetworkDrivers(sb.podNetns));
    const guestNs = `${sb.name}-g`;
    await runCommand('ip', ['netns', 'add', guestNs]);
    try {
      const ok = async (args: string[]) => {
        const r = await runCommand('ip', args);
        if (r.code !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
      };
      // The veth end in the pod stands in for tap0: a bridge port whose other end is the "guest".
      await ok([
        '-n',
        sb.podNetns,
        'link',
        'add',
        'gst0',
        'mtu',
        String(MTU),
        'type',
        'veth',
        'peer',
        'name',
        'eth0',
        'netns',
        guestNs,
      ]);
      await ok(['-n', sb.podNetns, 'link', 'set', 'gst0', 'master', 'k6t-eth0', 'up']);
      await ok(['-n', guestNs, 'link', 'set', 'lo', 'up']);
      await ok(['-n', guestNs, 'link', 'set', 'eth0', 'address', sb.pod.mac, 'mtu', String(MTU), 'up']);
      await ok(['-n', guestNs, 'addr', 'add', sb.pod.cidr, 'dev', 'eth0']);
      await ok(['-n', guestNs, 'route', 'add', 'default', 'via', sb.pod.gateway]);
      const ping = await runCommand('ip', [
        'netns',
        'exec',
        guestNs,
        'ping',
        '-c',
        '3',
        '-i',
        '0.2',
        '-W',
        '2',
        sb.pod.gateway,
      ]);
      expect(ping.code, ping.stdout + ping.stderr).toBe(0);
      expect(ping.stdout).toMatch(/3 received/);
    } finally {
      await runCommand('ip', ['netns', 'del', guestNs]);
    }
  });
});

/** Drivers whose mutating calls fail, as if the process were killed, once `budget` of them ran. */
function crashingAfter(d: NetworkDrivers, budget: number): NetworkDrivers {
  let left = budget;
  const gate = <T extends object>(o: T): T =>
    new Proxy(o, {
      get(target, prop, recv) {
        const v = Reflect.get(target, prop, recv);
        if (typeof v !== 'function' || /^(get|list|read)/.test(String(prop))) return v;
        return (...args: unknown[]) => {
          if (left-- <= 0) throw new VmpodError('TEST_CRASH', 'simulated crash');
          return v.apply(recv, args);
        };
      },
    });
  return { links: gate(d.links), taps: gate(d.taps), sysctls: gate(d.sysctls), files: d.files };
}
