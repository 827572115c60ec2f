// The rtnetlink link driver and the /proc/sys sysctl driver against the real kernel, with
// iproute2 as the independent witness: what the driver reads matches `ip -d -j`, what it changes
// `ip` sees, the kernel's refusals come back with their codes and words, and a named namespace
// is reached from outside without the calling thread staying in it.
import { readlinkSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode } from '../../src/errors.js';
import {
  createNetlinkLinkDriver,
  createProcSysctlDriver,
  listLinkOverviews,
} from '../../src/network/netlink-drivers.js';
import { NetlinkSocket, inNetns } from '../../src/network/netlink-socket.js';
import { createTunTapDriver } from '../../src/network/tap-driver.js';
import { createLinkRequest } from '../../src/network/rtnetlink.js';
import type { IpJsonAddr, IpJsonLink } from '../helpers/iproute2.js';
import { runCommand, uniqueSandboxName } from '../helpers/sandbox.js';

const ns = uniqueSandboxName();

async function ip(...args: string[]): Promise<string> {
  const r = await runCommand('ip', ['-n', ns, ...args]);
  if (r.code !== 0) throw new Error(`ip -n ${ns} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('resolved');
    },
    (err: unknown) => err,
  );
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('did not throw');
}

beforeAll(async () => {
  const r = await runCommand('ip', ['netns', 'add', ns]);
  if (r.code !== 0) throw new Error(r.stderr);
});

afterAll(async () => {
  await runCommand('ip', ['netns', 'del', ns]);
});

describe('rtnetlink link driver, in a named namespace', () => {
  const links = createNetlinkLinkDriver(ns);

  it('builds a bridge, a port and a tap that iproute2 sees as built', async () => {
    await links.createLink('br-t', 'bridge');
    await links.createLink('port-t', 'veth');
    await createTunTapDriver(ns).createTap('tap-t', { uid: 107, gid: 107, queues: 1 });
    await links.setMac('br-t', '02:00:00:00:01:01');
    await links.setMtu('port-t', 1400);
    await links.setMac('port-t', '02:00:00:00:01:02');
    await links.setMaster('port-t', 'br-t');
    await links.setMaster('tap-t', 'br-t');
    await links.setLearning('port-t', false);
    await links.setUp('br-t', true);
    await links.setUp('port-t', true);
    await links.addAddress('br-t', '169.254.75.10/32');
    await links.addAddress('br-t', 'fd10:0:2::1/120');

    const seen = JSON.parse(await ip('-d', '-j', 'link', 'show')) as IpJsonLink[];
    const byName = new Map(seen.map((l) => [l.ifname, l]));
    expect(byName.get('br-t')).toMatchObject({
      address: '02:00:00:00:01:01',
      linkinfo: { info_kind: 'bridge' },
    });
    expect(byName.get('br-t')?.flags).toContain('UP');
    expect(byName.get('port-t')).toMatchObject({
      address: '02:00:00:00:01:02',
      mtu: 1400,
      master: 'br-t',
      linkinfo: { info_kind: 'veth', info_slave_data: { learning: false } },
    });
    expect(byName.get('tap-t')).toMatchObject({ master: 'br-t' });
    const addrs = JSON.parse(await ip('-j', 'addr', 'show', 'dev', 'br-t')) as IpJsonAddr[];
    expect(addrs[0]?.addr_info.map((a) => `${a.local}/${a.prefixlen}`)).toEqual(
      expect.arrayContaining(['169.254.75.10/32', 'fd10:0:2::1/120']),
    );
  });

  it('reads every link as `ip -d -j link` does, the tap owner as sysfs has it', async () => {
    const seen = JSON.parse(await ip('-d', '-j', 'link', 'show')) as IpJsonLink[];
    for (const l of seen) {
      const mine = await links.getLink(l.ifname);
      expect(mine, l.ifname).toMatchObject({
        index: l.ifindex,
        name: l.ifname,
        mac: l.address,
        mtu: l.mtu,
        up: l.flags.includes('UP'),
        kind: l.linkinfo?.info_kind,
        master: l.master,
        learning: l.linkinfo?.info_slave_data?.learning,
      });
      expect(await links.getLinkByIndex(l.ifindex)).toEqual(mine);
    }
    expect((await links.getLink('tap-t'))?.tapOwner).toEqual({ uid: 107, gid: 107 });
    expect((await links.getLink('br-t'))?.tapOwner).toBeUndefined();
  });

  it('gives `vmpod net` every link with its addresses, as `ip -d -j addr` shows them', async () => {
    const theirs = JSON.parse(await ip('-d', '-j', 'addr', 'show')) as (IpJsonLink & IpJsonAddr)[];
    expect(listLinkOverviews(ns)).toEqual(
      theirs.map((l) => ({
        name: l.ifname,
        kind: l.linkinfo?.info_kind,
        mac: l.address,
        mtu: l.mtu,
        up: l.flags.includes('UP'),
        operState: l.operstate,
        master: l.master,
        addresses: l.addr_info.map((a) => `${a.local}/${a.prefixlen}`),
      })),
    );
  });

  it('lists addresses and routes as `ip addr` and `ip route` print them', async () => {
    await ip('route', 'add', '10.9.0.0/16', 'dev', 'br-t');
    await ip('route', 'add', 'default', 'via', '169.254.75.1', 'dev', 'br-t', 'onlink');
    const addrs = await links.listAddresses('br-t');
    expect(addrs.filter((a) => a.scope === 'global')).toEqual([
      { family: 4, address: '169.254.75.10', prefixLength: 32, scope: 'global' },
      { family: 6, address: 'fd10:0:2::1', prefixLength: 120, scope: 'global' },
    ]);
    expect(await links.listRoutes('br-t')).toEqual(
      expect.arrayContaining([
        { family: 4, destination: 'default', gateway: '169.254.75.1' },
        { family: 4, destination: '10.9.0.0/16', gateway: undefined },
        { family: 6, destination: 'fd10:0:2::/120', gateway: undefined },
      ]),
    );
    await links.removeAddress('br-t', 'fd10:0:2::1/120');
    expect((await links.listAddresses('br-t')).map((a) => a.address)).not.toContain('fd10:0:2::1');
  });

  it('renames by index and says what the kernel refused, with its code and words', async () => {
    const port = await links.getLink('port-t');
    await links.setUp('port-t', false);
    await links.rename(port?.index ?? -1, 'port-u');
    expect((await ip('-j', 'link', 'show', 'dev', 'port-u')).length).toBeGreaterThan(0);
    expect(await links.getLink('port-t')).toBeUndefined();

    const exists = await rejection(links.createLink('br-t', 'bridge'));
    expect(errorCode(exists)).toBe('NETLINK_EEXIST');
    expect(String(exists)).toContain('br-t');
    expect(errorCode(await rejection(links.setMtu('nosuch', 1500)))).toBe('NETLINK_ENODEV');
    expect(errorCode(await rejection(links.removeAddress('br-t', '10.1.1.1/24')))).toBe(
      'NETLINK_EADDRNOTAVAIL',
    );
    expect(errorCode(await rejection(links.rename(999_999, 'x')))).toBe('NETLINK_ENODEV');
    // A kind no kernel has: refused with the kernel's own explanation (extended ack).
    const unknown = thrown(() =>
      NetlinkSocket.use(ns, (s) => {
        s.request(createLinkRequest('x-t', 'vmpod-no-such-kind'), 'create x-t');
      }),
    );
    expect(errorCode(unknown)).toBe('NETLINK_EOPNOTSUPP');
    expect(String(unknown)).toMatch(/create x-t: EOPNOTSUPP \(.+\)/);
  });
});

describe('tap driver', () => {
  const taps = createTunTapDriver(ns);
  const tunData = async (name: string) =>
    (
      JSON.parse(await ip('-d', '-j', 'link', 'show', 'dev', name)) as { linkinfo: { info_data: object } }[]
    )[0]?.linkinfo.info_data;

  it.each([1, 4])('makes the tap `ip tuntap add … user 107 group 107` makes (%i queues)', async (queues) => {
    const multi = queues > 1 ? ['multi_queue'] : [];
    await ip('tuntap', 'add', 'dev', `ip-q${queues}`, 'mode', 'tap', 'user', '107', 'group', '107', ...multi);
    await taps.createTap(`vm-q${queues}`, { uid: 107, gid: 107, queues });
    const theirs = await tunData(`ip-q${queues}`);
    expect(theirs).toMatchObject({ type: 'tap', pi: false, persist: true, multi_queue: queues > 1 });
    expect(await tunData(`vm-q${queues}`)).toEqual(theirs);
  });

  it('refuses a tap that exists and a name the kernel cannot take, with codes', async () => {
    const busy = await rejection(taps.createTap('vm-q1', { uid: 107, gid: 107, queues: 1 }));
    expect(errorCode(busy)).toBe('NETLINK_EBUSY');
    expect(String(busy)).toContain('create tap vm-q1: TUNSETIFF: EBUSY');
    for (const bad of ['', 'a'.repeat(16), 'a/b']) {
      expect(errorCode(await rejection(taps.createTap(bad, { uid: 0, gid: 0, queues: 1 }))), bad).toBe(
        'NETWORK_BAD_NAME',
      );
    }
  });
});

describe('reaching a named namespace', () => {
  it('leaves the calling thread in its own namespace, also when the work throws', () => {
    const home = readlinkSync('/proc/thread-self/ns/net');
    const inside = inNetns(ns, () => readlinkSync('/proc/thread-self/ns/net'));
    expect(inside).not.toBe(home);
    expect(() =>
      inNetns(ns, () => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(readlinkSync('/proc/thread-self/ns/net')).toBe(home);
    expect(errorCode(thrown(() => inNetns('vmpod-no-such-netns', () => 1)))).toBe('ENOENT');
    expect(readlinkSync('/proc/thread-self/ns/net')).toBe(home);
  });

  it('reads and writes the namespace’s own sysctls, not the host’s', async () => {
    const inNs = createProcSysctlDriver(ns);
    const host = createProcSysctlDriver();
    const before = await host.get('net.ipv4.conf.all.arp_ignore');
    await inNs.set('net.ipv4.conf.all.arp_ignore', before === '1' ? '2' : '1');
    const r = await runCommand('ip', ['netns', 'exec', ns, 'sysctl', '-n', 'net.ipv4.conf.all.arp_ignore']);
    expect(r.stdout.trim()).toBe(before === '1' ? '2' : '1');
    expect(await inNs.get('net.ipv4.conf.all.arp_ignore')).toBe(r.stdout.trim());
    expect(await host.get('net.ipv4.conf.all.arp_ignore')).toBe(before);
    expect(errorCode(await rejection(inNs.set('../../etc/passwd', 'x')))).toBe('SYSCTL_INVALID_KEY');
    expect(errorCode(await rejection(inNs.get('net.ipv4.no_such_key')))).toBe('SYSCTL_FAILED');
  });
});
