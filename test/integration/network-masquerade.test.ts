// Phase 1 of the masquerade binding against the real kernel and the real `nft`, in a pod
// sandbox's network namespace (its eth0 is a veth to the "node"): the namespace must end up as
// KUBEVIRT.md §7.3 describes, stay so on a second run, and NAT a stand-in guest's traffic both
// ways. Traffic only between namespaces this test makes.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VmpodError } from '../../src/errors.js';
import type { NetworkDrivers } from '../../src/network/drivers.js';
import {
  createNetworkDrivers,
  type MasqueradePort,
  type MasqueradeRulesetInput,
  masqueradeProgressFilePath,
  masqueradeRuleset,
  setUpMasqueradeBinding,
} from '../../src/network/index.js';
import type { IpJsonAddr, IpJsonLink } from '../helpers/iproute2.js';
import { createSandbox, destroyAllSandboxes, runCommand, type Sandbox } from '../helpers/sandbox.js';

const MTU = 1400;
const PYTHON = '/usr/bin/python3';

async function inPod(sb: Sandbox, file: string, args: string[]): Promise<string> {
  const r = await runCommand('ip', ['netns', 'exec', sb.podNetns, file, ...args]);
  if (r.code !== 0) throw new Error(`${file} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function ok(args: string[]): Promise<void> {
  const r = await runCommand('ip', args);
  if (r.code !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
}

/** `nft list table`, without the counters' values (traffic changes them, not vmpod). */
async function natTable(sb: Sandbox, family: 'ip' | 'ip6'): Promise<string> {
  const text = await inPod(sb, 'nft', ['list', 'table', family, 'nat']);
  return text.replace(/counter packets \d+ bytes \d+/g, 'counter');
}

async function podState(sb: Sandbox) {
  const links = JSON.parse(await inPod(sb, 'ip', ['-d', '-j', 'link'])) as IpJsonLink[];
  const addrs = JSON.parse(await inPod(sb, 'ip', ['-j', 'addr'])) as IpJsonAddr[];
  const sysctl = async (key: string) => (await inPod(sb, 'sysctl', ['-n', key])).trim();
  const global = (n: string) =>
    (addrs.find((a) => a.ifname === n)?.addr_info ?? [])
      .filter((a) => a.scope !== 'link')
      .map((a) => `${a.local}/${a.prefixlen}`);
  const pick = (l: IpJsonLink | undefined) =>
    l && {
      ifindex: l.ifindex,
      address: l.address,
      mtu: l.mtu,
      up: l.flags.includes('UP'),
      master: l.master,
      kind: l.linkinfo?.info_kind,
    };
  return {
    bridge: pick(links.find((l) => l.ifname === 'k6t-eth0')),
    tap: pick(links.find((l) => l.ifname === 'tap0')),
    eth0: pick(links.find((l) => l.ifname === 'eth0')),
    bridgeAddrs: global('k6t-eth0'),
    eth0Addrs: global('eth0'),
    tapOwner: (await inPod(sb, 'cat', ['/sys/class/net/tap0/owner'])).trim(),
    routeLocalnet: await sysctl('net.ipv4.conf.k6t-eth0.route_localnet'),
    ipForward: await sysctl('net.ipv4.ip_forward'),
    ip6Forwarding: await sysctl('net.ipv6.conf.all.forwarding'),
    links: links.map((l) => l.ifname).sort(),
  };
}

const sandboxes: Sandbox[] = [];
let privateDir = '';

beforeEach(async () => {
  privateDir = await mkdtemp(join(tmpdir(), 'vmpod-masq-'));
});
afterEach(async () => {
  await rm(privateDir, { recursive: true, force: true });
});
afterAll(async () => {
  await destroyAllSandboxes();
});

async function sandbox(dualStack = false): Promise<Sandbox> {
  const sb = await createSandbox({
    mtu: MTU,
    ...(dualStack ? { ipv6: 'fd00:10:244::a/64', gateway6: 'fd00:10:244::1' } : {}),
  });
  sandboxes.push(sb);
  return sb;
}

const setUp = (sb: Sandbox, ports?: MasqueradePort[], drivers?: NetworkDrivers) =>
  setUpMasqueradeBinding({
    iface: { name: 'default', masquerade: {}, ports },
    index: 0,
    podIfaceName: 'eth0',
    drivers: drivers ?? createNetworkDrivers(sb.podNetns),
    options: { privateDir },
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
  return {
    links: gate(d.links),
    taps: gate(d.taps),
    sysctls: gate(d.sysctls),
    files: d.files,
    nft: d.nft && gate(d.nft),
  };
}

describe('masquerade binding phase 1 in a pod network namespace', () => {
  it('IPv4 pod: bridge, tap, sysctls and NAT of KUBEVIRT.md §7.3; the pod interface untouched', async () => {
    const sb = await sandbox();
    const result = await setUp(sb);
    expect(result).toMatchObject({
      bridge: 'k6t-eth0',
      tap: 'tap0',
      mtu: MTU,
      v4: { guest: '10.0.2.2', gateway: '10.0.2.1', prefixLength: 24 },
      alreadyBuilt: false,
    });
    expect(result.v6).toBeUndefined();

    const s = await podState(sb);
    expect(s.bridge).toMatchObject({ kind: 'bridge', up: true, address: '02:00:00:00:00:00', mtu: MTU });
    expect(s.bridgeAddrs).toEqual(['10.0.2.1/24']);
    expect(s.tap).toMatchObject({ kind: 'tun', up: true, master: 'k6t-eth0', mtu: MTU });
    expect(s.tapOwner).toBe('107');
    expect(s.eth0).toMatchObject({
      address: sb.pod.mac,
      mtu: MTU,
      up: true,
      master: undefined,
      kind: 'veth',
    });
    expect(s.eth0Addrs).toEqual([sb.pod.cidr]);
    expect(s.routeLocalnet).toBe('1');
    expect(s.ipForward).toBe('1');

    const nat = await natTable(sb, 'ip');
    expect(nat).toMatch(/chain postrouting \{\s+type nat hook postrouting priority srcnat; policy accept;/);
    expect(nat).toContain('ip saddr 10.0.2.2 counter masquerade');
    expect(nat).toContain('iifname "eth0" counter jump KUBEVIRT_PREINBOUND');
    expect(nat).toContain('oifname "k6t-eth0" counter jump KUBEVIRT_POSTINBOUND');
    expect(nat).toMatch(/chain KUBEVIRT_PREINBOUND \{\s+counter dnat to 10\.0\.2\.2\s+\}/);
    expect(nat).toMatch(
      /chain KUBEVIRT_POSTINBOUND \{\s+ip saddr 127\.0\.0\.1 counter snat to 10\.0\.2\.1\s+\}/,
    );
    expect(nat).toMatch(
      /chain output \{\s+type nat hook output priority -100; policy accept;\s+ip daddr 127\.0\.0\.1 counter dnat to 10\.0\.2\.2/,
    );
    expect(nat).toMatch(/chain input \{\s+type nat hook input priority 100; policy accept;\s+\}/);
    const missing = await runCommand('ip', [
      'netns',
      'exec',
      sb.podNetns,
      'nft',
      'list',
      'table',
      'ip6',
      'nat',
    ]);
    expect(missing.code).not.toBe(0);
  });

  it('changes nothing when run twice, with or without its progress file', async () => {
    const sb = await sandbox(true);
    await setUp(sb);
    const before = { state: await podState(sb), v4: await natTable(sb, 'ip'), v6: await natTable(sb, 'ip6') };
    const second = await setUp(sb);
    expect(second).toMatchObject({ stepsRun: 0, resumed: true });
    await rm(masqueradeProgressFilePath('eth0', privateDir));
    const third = await setUp(sb);
    expect(third).toMatchObject({ stepsRun: 0, alreadyBuilt: true, v6: { guest: 'fd10:0:2::2' } });
    const after = { state: await podState(sb), v4: await natTable(sb, 'ip'), v6: await natTable(sb, 'ip6') };
    expect(after).toEqual(before);
    // Applying the recorded scripts again (a crash right after nft) leaves the same rules.
    for (const step of third.plan.steps) {
      if (step.op === 'nft') await createNetworkDrivers(sb.podNetns).nft?.apply(step.script);
    }
    expect(await natTable(sb, 'ip')).toBe(before.v4);
    expect(await natTable(sb, 'ip6')).toBe(before.v6);
  });

  it.each([2, 6, 11])('completes after a crash following %i kernel changes', async (budget) => {
    const sb = await sandbox(true);
    const crashed = await setUp(
      sb,
      undefined,
      crashingAfter(createNetworkDrivers(sb.podNetns), budget),
    ).catch((e: unknown) => e);
    expect(crashed).toMatchObject({ code: 'TEST_CRASH' });
    const result = await setUp(sb);
    expect(result).toMatchObject({ resumed: true, v4: { guest: '10.0.2.2' }, v6: { guest: 'fd10:0:2::2' } });
    const s = await podState(sb);
    expect(s.bridge).toMatchObject({ kind: 'bridge', up: true, address: '02:00:00:00:00:00', mtu: MTU });
    expect(s.bridgeAddrs).toEqual(['10.0.2.1/24', 'fd10:0:2::1/120']);
    expect(s.tap).toMatchObject({ up: true, master: 'k6t-eth0', mtu: MTU });
    expect(await natTable(sb, 'ip6')).toContain('ip6 saddr fd10:0:2::2 counter masquerade');
  });

  it('the kernel accepts every variant of the ruleset', async () => {
    const sb = await sandbox();
    const base = { podIfaceName: 'eth0', bridge: 'k6t-eth0' } as const;
    const v4 = { ...base, family: 'ipv4', guestAddress: '10.0.2.2', gatewayAddress: '10.0.2.1' } as const;
    const v6 = {
      ...base,
      family: 'ipv6',
      guestAddress: 'fd10:0:2::2',
      gatewayAddress: 'fd10:0:2::1',
    } as const;
    const ports = [
      { port: 22 },
      { port: 8080 },
      { port: 53, protocol: 'UDP' },
      { port: 9, protocol: 'sctp' },
    ];
    const portRanges = [
      { start: 1000, end: 2000 },
      { start: 1500, end: 2500, protocol: 'UDP' },
      { start: 20, end: 30 },
    ];
    const variants: MasqueradeRulesetInput[] = [
      v4,
      v6,
      { ...v4, portRanges },
      { ...v6, portRanges },
      { ...v4, istio: true, podIPv4: sb.pod.ip, portRanges },
      { ...v4, ports },
      { ...v6, ports },
      { ...v4, istio: true, podIPv4: sb.pod.ip, migrationTransportUnix: false },
      { ...v4, istio: true, podIPv4: sb.pod.ip, ports },
      { ...v6, istio: true, migrationTransportUnix: false },
    ];
    for (const input of variants) {
      const script = masqueradeRuleset(input);
      const r = await runCommand('ip', ['netns', 'exec', sb.podNetns, 'nft', '-c', '-f', '-'], {
        input: script,
      });
      expect(r.code, `${JSON.stringify(input)}\n${r.stderr}`).toBe(0);
    }
  });

  it('dual-stack pod: IPv6 gateway on the bridge, forwarding, an ip6 nat table', async () => {
    const sb = await sandbox(true);
    const result = await setUp(sb);
    expect(result.v6).toEqual({ guest: 'fd10:0:2::2', gateway: 'fd10:0:2::1', prefixLength: 120 });
    const s = await podState(sb);
    expect(s.bridgeAddrs).toEqual(['10.0.2.1/24', 'fd10:0:2::1/120']);
    expect(s.ip6Forwarding).toBe('1');
    expect(s.eth0Addrs).toEqual([sb.pod.cidr, sb.pod.ipv6?.cidr]);
    const nat6 = await natTable(sb, 'ip6');
    expect(nat6).toContain('ip6 saddr fd10:0:2::2 counter masquerade');
    expect(nat6).toMatch(/chain KUBEVIRT_PREINBOUND \{\s+counter dnat to fd10:0:2::2\s+\}/);
    expect(nat6).toContain('ip6 saddr ::1 counter snat to fd10:0:2::1');
    expect(await natTable(sb, 'ip')).toContain('ip saddr 10.0.2.2 counter masquerade');
  });

  it('with ports [8080]: a DNAT rule only for tcp 8080, and traffic NAT-ed both ways', async () => {
    const sb = await sandbox();
    await setUp(sb, [{ port: 8080 }]);
    const nat = await natTable(sb, 'ip');
    const preinbound = /chain KUBEVIRT_PREINBOUND \{\n([^}]*)\}/.exec(nat)?.[1] ?? '';
    expect(
      preinbound
        .trim()
        .split('\n')
        .map((l) => l.trim()),
    ).toEqual(['tcp dport 8080 counter dnat to 10.0.2.2']);
    expect(nat).toContain('tcp dport 8080 ip saddr 127.0.0.1 counter snat to 10.0.2.1');
    expect(nat).toContain('ip daddr 127.0.0.1 tcp dport 8080 counter dnat to 10.0.2.2');

    const guestNs = `${sb.name}-g`;
    await runCommand('ip', ['netns', 'add', guestNs]);
    let server: ChildProcess | undefined;
    try {
      // A veth port of the bridge stands in for tap0; its other end is the guest.
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
      await ok(['-n', guestNs, 'link', 'set', 'eth0', 'mtu', String(MTU), 'up']);
      await ok(['-n', guestNs, 'addr', 'add', '10.0.2.2/24', 'dev', 'eth0']);
      await ok(['-n', guestNs, 'route', 'add', 'default', 'via', '10.0.2.1']);

      // Outbound: the node has no route to 10.0.2.0/24, so an answer proves the masquerade.
      const ping = await runCommand('ip', [
        'netns',
        'exec',
        guestNs,
        'ping',
        '-c',
        '2',
        '-i',
        '0.2',
        '-W',
        '2',
        sb.pod.gateway,
      ]);
      expect(ping.code, ping.stdout + ping.stderr).toBe(0);

      // Inbound: the node reaches the guest's 8080 at the pod IP; 8081 is not forwarded.
      server = spawn('ip', ['netns', 'exec', guestNs, PYTHON, '-c', GUEST_SERVER], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      await waitForReady(server);
      const connect = (port: number) =>
        sb.execNode([PYTHON, '-c', NODE_CLIENT, sb.pod.ip, String(port)], { timeoutMs: 10_000 });
      const forwarded = await connect(8080);
      expect(forwarded.stdout + forwarded.stderr).toContain(`guest:8080 from ${sb.pod.gateway}`);
      const notForwarded = await connect(8081);
      expect(notForwarded.stdout).not.toContain('guest:');
      expect(notForwarded.code).not.toBe(0);
    } finally {
      if (server?.pid !== undefined && server.exitCode === null) server.kill('SIGKILL');
      await runCommand('ip', ['netns', 'del', guestNs]);
    }
  });
});

const GUEST_SERVER = `
import socket, threading
def serve(port):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('0.0.0.0', port)); s.listen(4)
    return s
socks = [serve(8080), serve(8081)]
print('ready', flush=True)
def loop(s, port):
    while True:
        c, addr = s.accept(); c.sendall(f'guest:{port} from {addr[0]}\\n'.encode()); c.close()
for s, p in zip(socks, (8080, 8081)):
    threading.Thread(target=loop, args=(s, p), daemon=True).start()
threading.Event().wait(60)
`;

const NODE_CLIENT = `
import socket, sys
c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3)
print(c.recv(100).decode(), end='')
`;

function waitForReady(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`guest server not ready: ${out}`)), 10_000);
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (out.includes('ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`guest server exited ${code}: ${out}`));
    });
  });
}
