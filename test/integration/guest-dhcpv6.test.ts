import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGuest, type Guest, GuestConsole } from '../helpers/guest.js';
import { exited, run, stop, withDeadline } from '../helpers/qemu-process.js';

// Boots the test guest under TCG on a dual-stack bridge in a namespace of this test's own, with
// dnsmasq serving DHCPv4, DHCPv6 and router advertisements (like a masquerade dual-stack pod's
// bridge), and checks the guest's IPv6 report lines (images/guest/README.md).

const bridgeAddress = '10.78.0.1';
const guestAddress = '10.78.0.66';
const bridgeAddress6 = 'fd10:0:2::1';
const guestAddress6 = 'fd10:0:2::2';
const guestMac = '52:54:00:7e:57:06';

describe('test guest takes a DHCPv6 address and a default route from router advertisements', () => {
  const ns = `vmpod-g6-${process.pid}-${randomBytes(3).toString('hex')}`;
  const serial = new GuestConsole();
  let nsCreated = false;
  let workDir: string | undefined;
  let guest: Guest;
  let dnsmasq: ChildProcess | undefined;
  let dnsmasqLog = '';
  let qemu: ChildProcess | undefined;
  let qemuStderr = '';
  const inNs = (cmd: string, ...args: string[]): Promise<string> =>
    run('ip', ['netns', 'exec', ns, cmd, ...args]);
  const context = (): string =>
    `--- qemu stderr ---\n${qemuStderr}\n--- dnsmasq ---\n${dnsmasqLog}\n--- console ---\n${serial.transcript()}`;

  beforeAll(async () => {
    guest = await buildGuest();
    workDir = await mkdtemp(join(tmpdir(), 'vmpod-guest-dhcpv6-'));

    await run('ip', ['netns', 'add', ns]);
    nsCreated = true;
    const ip = (...args: string[]): Promise<string> => run('ip', ['-n', ns, ...args]);
    await ip('link', 'set', 'lo', 'up');
    await ip('link', 'add', 'br0', 'type', 'bridge');
    await ip('addr', 'add', `${bridgeAddress}/24`, 'dev', 'br0');
    await ip('addr', 'add', `${bridgeAddress6}/120`, 'dev', 'br0', 'nodad');
    await ip('link', 'set', 'br0', 'up');
    await ip('tuntap', 'add', 'dev', 'tap0', 'mode', 'tap');
    await ip('link', 'set', 'tap0', 'master', 'br0', 'up');

    dnsmasq = spawn(
      'ip',
      [
        'netns',
        'exec',
        ns,
        'dnsmasq',
        '--no-daemon',
        '--conf-file=/dev/null',
        '--port=0',
        '--user=root',
        '--log-facility=-',
        '--log-dhcp',
        '--interface=br0',
        '--bind-interfaces',
        '--dhcp-authoritative',
        `--dhcp-leasefile=${join(workDir, 'leases')}`,
        '--dhcp-range=10.78.0.50,10.78.0.99,255.255.255.0,2m',
        `--dhcp-host=${guestMac},${guestAddress}`,
        `--dhcp-option=option:router,${bridgeAddress}`,
        `--dhcp-range=${guestAddress6},${guestAddress6},120,2m`,
        '--enable-ra',
        '--ra-param=br0,5,600',
        `--dhcp-option=option6:dns-server,[${bridgeAddress6}]`,
        '--dhcp-option=option6:domain-search,v6.vmpod.test',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const dnsmasqReady = new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer): void => {
        dnsmasqLog += chunk.toString();
        if (dnsmasqLog.includes('DHCPv6, IP range')) resolve();
      };
      dnsmasq?.stdout?.on('data', onData);
      dnsmasq?.stderr?.on('data', onData);
      dnsmasq?.once('exit', (code) => reject(new Error(`dnsmasq exited (${code}):\n${dnsmasqLog}`)));
    });
    await withDeadline(dnsmasqReady, 10_000, () => `dnsmasq did not start:\n${dnsmasqLog}`);

    qemu = spawn(
      'ip',
      [
        'netns',
        'exec',
        ns,
        'qemu-system-x86_64',
        '-accel',
        'tcg',
        '-m',
        '256',
        '-smp',
        '1',
        '-nographic',
        '-no-reboot',
        '-monitor',
        'none',
        '-serial',
        'stdio',
        '-kernel',
        guest.kernel,
        '-initrd',
        guest.initrd,
        '-append',
        'console=ttyS0 panic=-1',
        '-netdev',
        'tap,id=n0,ifname=tap0,script=no,downscript=no',
        '-device',
        `virtio-net-pci,netdev=n0,mac=${guestMac}`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    serial.attach(qemu.stdout!);
    qemu.stderr?.on('data', (chunk: Buffer) => {
      qemuStderr += chunk.toString();
    });
    void exited(qemu).then(({ code, signal }) => serial.end(`qemu exited, code ${code}, signal ${signal}`));
  });

  afterAll(async () => {
    const errors: unknown[] = [];
    const step = async (fn: () => Promise<unknown>): Promise<void> => {
      try {
        await fn();
      } catch (error) {
        errors.push(error);
      }
    };
    if (process.env['VMPOD_DUMP_CONSOLE']) console.log(context());
    await step(() => stop(qemu));
    await step(() => stop(dnsmasq));
    if (nsCreated) await step(() => run('ip', ['netns', 'del', ns]));
    if (workDir) {
      const dir = workDir;
      await step(() => rm(dir, { recursive: true, force: true }));
    }
    if (errors.length > 0) throw new AggregateError(errors, 'guest-dhcpv6 cleanup failed');
  });

  it('keeps the IPv4 flow: the lease, then ready', async () => {
    const bound = await serial.waitFor('dhcp-bound', 90_000);
    expect(bound.lease.ip, context()).toBe(guestAddress);
    await serial.waitFor('ready', 60_000);
  });

  it('reports the DHCPv6 address dnsmasq handed out, with its DNS server and search list', async () => {
    const bound = await serial.waitFor('dhcp6-bound', 90_000);
    expect(bound, context()).toMatchObject({
      interface: 'eth0',
      ip6: guestAddress6,
      dns6: [bridgeAddress6],
      search6: ['v6.vmpod.test'],
    });
    // dhcpcd holds an IA_NA address as a /128; the on-link prefix comes from the RA.
    expect(bound.prefix, context()).toBe(128);
  });

  it('takes the default route from the router advertisement, via the bridge link-local address', async () => {
    const route = await serial.waitFor('ipv6-route', 60_000);
    expect(route.dev, context()).toBe('eth0');
    expect(route.default, context()).toMatch(/^fe80:/);
    const bridgeLinkLocal = await inNs('ip', '-6', '-o', 'addr', 'show', 'dev', 'br0', 'scope', 'link');
    expect(bridgeLinkLocal, context()).toContain(`${route.default}/64`);
    expect(
      serial.events.filter((e) => e.kind === 'ipv6-route-absent'),
      context(),
    ).toEqual([]);
  });

  it('answers ping on its DHCPv6 address', async () => {
    const deadline = Date.now() + 30_000;
    let lastError: unknown;
    while (Date.now() < deadline) {
      try {
        await inNs('ping', '-6', '-c', '1', '-W', '2', guestAddress6);
        return;
      } catch (error) {
        lastError = error;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    throw new Error(`guest ${guestAddress6} never answered ping: ${String(lastError)}\n${context()}`);
  });
});
