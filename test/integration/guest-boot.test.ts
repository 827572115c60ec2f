import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exited, qmp, run, stop, withDeadline } from '../helpers/qemu-process.js';
import { buildGuest, type Guest, GuestConsole } from '../helpers/guest.js';

// Boots the test guest under TCG on a bridge in a namespace of this test's own, with dnsmasq as the
// DHCP server, and checks every report line the guest promises (images/guest/README.md).

const bridgeAddress = '10.77.0.1';
const guestAddress = '10.77.0.66';
const guestMac = '52:54:00:7e:57:01';
const extraRouteGateway = '10.77.0.254';
const searchDomains = ['example.test', 'vmpod.test'];

describe('test guest boots, takes a DHCP lease, answers ping, powers off', () => {
  const ns = `vmpod-gb-${process.pid}-${randomBytes(3).toString('hex')}`;
  const serial = new GuestConsole();
  let nsCreated = false;
  let workDir: string | undefined;
  let guest: Guest;
  let dnsmasq: ChildProcess | undefined;
  let dnsmasqLog = '';
  let qemu: ChildProcess | undefined;
  let qemuStderr = '';
  let qmpSocket = '';
  const inNs = (cmd: string, ...args: string[]): Promise<string> =>
    run('ip', ['netns', 'exec', ns, cmd, ...args]);
  const context = (): string =>
    `--- qemu stderr ---\n${qemuStderr}\n--- dnsmasq ---\n${dnsmasqLog}\n--- console ---\n${serial.transcript()}`;

  beforeAll(async () => {
    guest = await buildGuest();
    workDir = await mkdtemp(join(tmpdir(), 'vmpod-guest-boot-'));
    qmpSocket = join(workDir, 'qmp.sock');

    await run('ip', ['netns', 'add', ns]);
    nsCreated = true;
    const ip = (...args: string[]): Promise<string> => run('ip', ['-n', ns, ...args]);
    await ip('link', 'set', 'lo', 'up');
    await ip('link', 'add', 'br0', 'type', 'bridge');
    await ip('addr', 'add', `${bridgeAddress}/24`, 'dev', 'br0');
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
        '--dhcp-range=10.77.0.50,10.77.0.99,255.255.255.0,2m',
        `--dhcp-host=${guestMac},${guestAddress}`,
        `--dhcp-option=option:router,${bridgeAddress}`,
        `--dhcp-option=option:dns-server,${bridgeAddress}`,
        '--dhcp-option=26,1400',
        // RFC 3442 clients ignore option 3 when 121 is present, so 121 carries the default route too.
        `--dhcp-option=121,10.99.0.0/16,${extraRouteGateway},0.0.0.0/0,${bridgeAddress}`,
        `--dhcp-option=119,${searchDomains.join(',')}`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const dnsmasqReady = new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer): void => {
        dnsmasqLog += chunk.toString();
        if (dnsmasqLog.includes('DHCP, IP range')) resolve();
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
        '-qmp',
        `unix:${qmpSocket},server=on,wait=off`,
        '-kernel',
        guest.kernel,
        '-initrd',
        guest.initrd,
        // panic=-1 with -no-reboot turns a guest panic into a qemu exit the waits notice at once.
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
    await step(() => stop(qemu));
    await step(() => stop(dnsmasq));
    if (nsCreated) await step(() => run('ip', ['netns', 'del', ns]));
    if (workDir) {
      const dir = workDir;
      await step(() => rm(dir, { recursive: true, force: true }));
    }
    if (errors.length > 0) throw new AggregateError(errors, 'guest-boot cleanup failed');
  });

  it('boots the Debian kernel and reports its version', async () => {
    const booted = await serial.waitFor('booted', 90_000);
    expect(booted.kernel).toBe(guest.manifest.kernelVersion);
  });

  it('reports exactly the lease dnsmasq handed out, and applies it', async () => {
    const bound = await serial.waitFor('dhcp-bound', 90_000);
    expect(bound.options, context()).toMatchObject({
      interface: 'eth0',
      ip: guestAddress,
      mask: '24',
      subnet: '255.255.255.0',
      router: bridgeAddress,
      dns: bridgeAddress,
      serverid: bridgeAddress,
      mtu: '1400',
      staticroutes: `10.99.0.0/16 ${extraRouteGateway} 0.0.0.0/0 ${bridgeAddress}`,
      search: searchDomains.join(' '),
    });
    expect(bound.lease, context()).toMatchObject({
      ip: guestAddress,
      prefix: 24,
      router: [bridgeAddress],
      mtu: 1400,
      search: searchDomains,
      staticRoutes: [
        { destination: '10.99.0.0/16', gateway: extraRouteGateway },
        { destination: '0.0.0.0/0', gateway: bridgeAddress },
      ],
    });
    const applied = await serial.waitFor('dhcp-applied', 30_000);
    expect(applied, context()).toMatchObject({ interface: 'eth0', address: `${guestAddress}/24`, mtu: 1400 });
    expect(applied.routes, context()).toEqual(
      expect.arrayContaining([
        `default via ${bridgeAddress} dev eth0`,
        `10.99.0.0/16 via ${extraRouteGateway} dev eth0`,
      ]),
    );
    expect(applied.resolv).toEqual(
      expect.arrayContaining([`search ${searchDomains.join(' ')}`, `nameserver ${bridgeAddress}`]),
    );
    expect(
      serial.events.filter((e) => e.kind === 'dhcp-failed'),
      context(),
    ).toEqual([]);
  });

  it('says ready and answers ping from the bridge address', async () => {
    await serial.waitFor('ready', 60_000);
    const deadline = Date.now() + 30_000;
    let lastError: unknown;
    while (Date.now() < deadline) {
      try {
        await inNs('busybox', 'ping', '-c', '1', '-W', '2', '-I', bridgeAddress, guestAddress);
        return;
      } catch (error) {
        lastError = error;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    throw new Error(`guest ${guestAddress} never answered ping: ${String(lastError)}\n${context()}`);
  });

  it('powers off on the ACPI power button and qemu exits by itself', async () => {
    expect(qemu, 'qemu was started').toBeDefined();
    const vm = qemu!;
    const gone = exited(vm);
    await qmp(qmpSocket, ['qmp_capabilities', 'system_powerdown'], 10_000);
    await serial.waitFor('poweroff', 30_000);
    const exit = await withDeadline(gone, 30_000, () => `qemu did not exit after poweroff\n${context()}`);
    expect(exit, context()).toEqual({ code: 0, signal: null });
  });
});
