// vmpod's DHCPv4 server (`vmpod dhcp serve`) in front of real DHCP clients: dhclient, dhcpcd and
// busybox udhcpc each get the whole lease, field by field. The server sits on a bridge in one
// namespace with a veth standing in for the tap; the client holds the veth's other end in a
// second namespace; the server's namespace also has an "uplink" with a default route, on which
// tcpdump must never see a DHCP packet. Traffic only between the namespaces this file makes.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOnce } from '../helpers/build.js';

const exec = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');
const VMPOD = join(root, 'dist/bin/vmpod');
const PROBE = join(root, 'scripts/bench/dhcp.mjs');
const GUEST_MAC = '02:00:00:00:00:aa';
const FOREIGN_MAC = '02:00:00:00:00:bb';
const CLIENT_IF = 'vguest0'; // not eth0: dhcpcd keeps per-interface files under /var/lib/dhcpcd
const SERVER_ID = '169.254.75.10';

const SERVE_ARGS = [
  ...['--interface', 'k6t-eth0', '--mac', GUEST_MAC, '--address', '10.244.1.7/24', '--gateway', '10.244.1.1'],
  ...['--dns', '10.96.0.10,10.96.0.11', '--hostname', 'vm-one', '--mtu', '1400'],
  // An invalid domain among them: dropped with a warning, where KubeVirt would refuse to start.
  ...['--search', 'default.svc.cluster.local,svc.cluster.local,bad..domain,cluster.local'],
  ...['--route', '0.0.0.0/0 via 10.244.1.1', '--route', '10.200.0.0/16', 'via', '10.244.1.254'],
];
const SEARCH = ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local'];

const ip = (...args: string[]) => exec('ip', args);

interface Topology {
  readonly server: string;
  readonly client: string;
  readonly node: string;
  readonly dir: string;
  destroy(): Promise<void>;
}

let counter = 0;
/**
 * By default the uplink is routed (a default route out of it); `uplinkOnBridge` makes it a port
 * of the bridge instead, as bridge binding does with the renamed pod NIC `eth0-nic` (§7.2).
 */
async function makeTopology(opts: { uplinkOnBridge?: boolean } = {}): Promise<Topology> {
  const tag = `${process.pid}-${counter++}`;
  const server = `vmpod-dhcp-s-${tag}`;
  const client = `vmpod-dhcp-c-${tag}`;
  const node = `vmpod-dhcp-n-${tag}`;
  const dir = await mkdtemp(join(tmpdir(), 'vmpod-dhcp-'));
  const destroy = async () => {
    for (const ns of [client, server, node]) {
      // Anything a test left running in the namespace goes with it.
      const { stdout } = await ip('netns', 'pids', ns).catch(() => ({ stdout: '' }));
      for (const pid of stdout.split(/\s+/).filter(Boolean)) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {}
      }
      await ip('netns', 'del', ns).catch(() => {});
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (const ns of [server, client, node]) await ip('netns', 'add', ns);
    await ip('-n', server, 'link', 'add', 'k6t-eth0', 'type', 'bridge');
    await ip('-n', server, 'addr', 'add', `${SERVER_ID}/32`, 'dev', 'k6t-eth0');
    await ip('-n', server, 'link', 'set', 'k6t-eth0', 'up');
    await ip('-n', server, 'link', 'add', 'tap0', 'type', 'veth', 'peer', 'name', CLIENT_IF, 'netns', client);
    await ip('-n', server, 'link', 'set', 'tap0', 'master', 'k6t-eth0', 'up');
    await ip('-n', client, 'link', 'set', CLIENT_IF, 'address', GUEST_MAC, 'up');
    await ip('-n', client, 'link', 'set', 'lo', 'up');
    // The pod's uplink: a default route out of it would carry any reply the kernel routed itself.
    await ip(
      '-n',
      server,
      'link',
      'add',
      'uplink',
      'type',
      'veth',
      'peer',
      'name',
      'nodeside',
      'netns',
      node,
    );
    await ip('-n', node, 'addr', 'add', '10.99.0.1/24', 'dev', 'nodeside');
    await ip('-n', node, 'link', 'set', 'nodeside', 'up');
    if (opts.uplinkOnBridge) {
      await ip('-n', server, 'link', 'set', 'uplink', 'master', 'k6t-eth0', 'up');
      await ip('-n', server, 'link', 'set', 'dev', 'uplink', 'type', 'bridge_slave', 'learning', 'off');
    } else {
      await ip('-n', server, 'addr', 'add', '10.99.0.2/24', 'dev', 'uplink');
      await ip('-n', server, 'link', 'set', 'uplink', 'up');
      await ip('-n', server, 'route', 'add', 'default', 'via', '10.99.0.1');
    }
  } catch (err) {
    await destroy();
    throw err;
  }
  return { server, client, node, dir, destroy };
}

interface Served {
  readonly child: ChildProcess;
  readonly lines: Record<string, unknown>[];
  stop(): Promise<number | null>;
}

/** `vmpod dhcp serve` in the server namespace, resolved once it logs that it listens. */
async function serve(t: Topology, args: readonly string[], prefix: readonly string[] = []): Promise<Served> {
  const child = spawn('ip', ['netns', 'exec', t.server, ...prefix, VMPOD, 'dhcp', 'serve', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const lines: Record<string, unknown>[] = [];
  let partial = '';
  let raw = '';
  const listening = new Promise<void>((resolveListening, reject) => {
    const timer = setTimeout(() => reject(new Error(`server not listening after 15 s: ${raw}`)), 15_000);
    child.stderr?.on('data', (chunk: Buffer) => {
      raw += chunk.toString();
      partial += chunk.toString();
      const parts = partial.split('\n');
      partial = parts.pop() ?? '';
      for (const p of parts) {
        try {
          const line = JSON.parse(p) as Record<string, unknown>;
          lines.push(line);
          if (line['msg'] === 'DHCP server listening') {
            clearTimeout(timer);
            resolveListening();
          }
        } catch {}
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}: ${raw}`));
    });
  });
  await listening;
  return {
    child,
    lines,
    stop: () =>
      new Promise((resolveExit) => {
        if (child.exitCode !== null) return resolveExit(child.exitCode);
        child.once('exit', (code) => resolveExit(code));
        child.kill('SIGTERM');
      }),
  };
}

async function script(t: Topology, name: string, out: string): Promise<string> {
  const file = join(t.dir, name);
  // Each client calls its script with the lease in the environment; keep a copy per reason.
  await writeFile(file, `#!/bin/sh\nenv > "${out}/\${reason:-$1}.env"\n`);
  await chmod(file, 0o755);
  return file;
}

async function readEnv(file: string): Promise<Record<string, string>> {
  const env: Record<string, string> = {};
  for (const line of (await readFile(file, 'utf8')).split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) env[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return env;
}

async function waitFor(file: string, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!existsSync(file)) {
    if (Date.now() > until) throw new Error(`${file} did not appear within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function resetClient(t: Topology): Promise<void> {
  await ip('-n', t.client, 'addr', 'flush', 'dev', CLIENT_IF);
  await ip('-n', t.client, 'route', 'flush', 'dev', CLIENT_IF).catch(() => {});
}

async function probe(t: Topology, ...args: string[]): Promise<Record<string, unknown>> {
  return probeFrom(t.client, ...args);
}

async function probeFrom(ns: string, ...args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await exec('ip', ['netns', 'exec', ns, process.execPath, PROBE, 'probe', ...args], {
    timeout: 60_000,
  });
  return JSON.parse(stdout) as Record<string, unknown>;
}

/**
 * tcpdump on the server namespace's uplink, resolved once it captures. Immediate mode: otherwise
 * packets wait in the capture ring for a block timeout, and stopping tcpdump drops them unseen.
 */
async function captureUplink(t: Topology, file: string, filter: string): Promise<ChildProcess> {
  const capture = spawn(
    'ip',
    [
      'netns',
      'exec',
      t.server,
      'tcpdump',
      '--immediate-mode',
      '-i',
      'uplink',
      '-n',
      '-U',
      '-w',
      file,
      filter,
    ],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  await new Promise<void>((res, rej) => {
    const timer = setTimeout(() => rej(new Error('tcpdump did not start')), 10_000);
    capture.stderr?.on('data', (d: Buffer) => {
      if (d.toString().includes('listening on')) {
        clearTimeout(timer);
        res();
      }
    });
  });
  return capture;
}

async function captured(capture: ChildProcess, file: string): Promise<string[]> {
  await new Promise((r) => setTimeout(r, 300));
  capture.kill('SIGINT');
  await new Promise((r) => (capture.exitCode !== null ? r(null) : capture.once('exit', r)));
  const { stdout } = await exec('tcpdump', ['-n', '-r', file]);
  return stdout.trim().split('\n').filter(Boolean);
}

async function udhcpc(t: Topology, name: string): Promise<Record<string, string>> {
  const out = join(t.dir, name);
  await exec('mkdir', ['-p', out]);
  const sf = await script(t, `${name}-script`, out);
  await exec(
    'ip',
    ['netns', 'exec', t.client, 'udhcpc', '-i', CLIENT_IF, '-f', '-q', '-n', '-t', '5', '-T', '1', '-s', sf],
    { timeout: 30_000 },
  );
  return readEnv(join(out, 'bound.env'));
}

describe('vmpod dhcp serve with real DHCP clients', () => {
  let t: Topology;
  let server: Served;
  let capture: ChildProcess;
  const capFile = () => join(t.dir, 'uplink.pcap');

  beforeAll(async () => {
    await buildOnce();
    t = await makeTopology();
    capture = await captureUplink(t, capFile(), 'udp port 67 or udp port 68');
    server = await serve(t, SERVE_ARGS);
  });

  afterAll(async () => {
    await server?.stop();
    capture?.kill('SIGTERM');
    await t?.destroy();
    await rm(`/var/lib/dhcpcd/${CLIENT_IF}.lease`, { force: true });
  });

  it('warns about the invalid search domain and serves the rest', () => {
    const warning = server.lines.find((l) => l['msg'] === 'DHCP option dropped');
    expect(warning).toMatchObject({ level: 'warning', component: 'vmpod', subcomponent: 'dhcp' });
    expect(String(warning?.['reason'])).toContain('bad..domain');
  });

  it('dhclient gets address, prefix, gateway, DNS, search list, hostname, MTU and routes', async () => {
    await resetClient(t);
    const out = join(t.dir, 'dhclient');
    await exec('mkdir', ['-p', out]);
    const conf = join(t.dir, 'dhclient.conf');
    await writeFile(
      conf,
      'option rfc3442-classless-static-routes code 121 = array of unsigned integer 8;\n' +
        'request subnet-mask, routers, domain-name-servers, host-name, domain-name, domain-search,\n' +
        '  interface-mtu, rfc3442-classless-static-routes;\n',
    );
    const sf = await script(t, 'dhclient-script', out);
    const child = spawn(
      'ip',
      [
        ...['netns', 'exec', t.client, 'dhclient', '-d', '-1', '-sf', sf],
        ...[
          '-lf',
          join(t.dir, 'dhclient.leases'),
          '-pf',
          join(t.dir, 'dhclient.pid'),
          '-cf',
          conf,
          CLIENT_IF,
        ],
      ],
      { stdio: 'ignore' },
    );
    try {
      await waitFor(join(out, 'BOUND.env'), 20_000);
    } finally {
      child.kill('SIGTERM');
    }
    const env = await readEnv(join(out, 'BOUND.env'));
    expect(env['new_ip_address']).toBe('10.244.1.7');
    expect(env['new_subnet_mask']).toBe('255.255.255.0');
    expect(env['new_routers']).toBe('10.244.1.1');
    expect(env['new_domain_name_servers']).toBe('10.96.0.10 10.96.0.11');
    expect(env['new_domain_search']).toBe(SEARCH.map((d) => `${d}.`).join(' '));
    expect(env['new_domain_name']).toBe('default.svc.cluster.local');
    expect(env['new_host_name']).toBe('vm-one');
    expect(env['new_interface_mtu']).toBe('1400');
    expect(env['new_dhcp_server_identifier']).toBe(SERVER_ID);
    expect(env['new_dhcp_lease_time']).toBe('86313600');
    expect(env['new_rfc3442_classless_static_routes']).toBe('16 10 200 10 244 1 254 0 10 244 1 1');
  });

  it('dhcpcd gets the same lease and configures it', async () => {
    await resetClient(t);
    const out = join(t.dir, 'dhcpcd');
    await exec('mkdir', ['-p', out]);
    const sf = await script(t, 'dhcpcd-script', out);
    await exec(
      'ip',
      [
        ...['netns', 'exec', t.client, 'dhcpcd', '-4', '-1', '-B', '-A', '-t', '20', '-c', sf],
        ...['-o', 'domain_search', '-o', 'interface_mtu', '-o', 'classless_static_routes'],
        ...['-o', 'host_name', '-o', 'domain_name', CLIENT_IF],
      ],
      { timeout: 30_000 },
    );
    const env = await readEnv(join(out, 'BOUND.env'));
    expect(env['new_ip_address']).toBe('10.244.1.7');
    expect(env['new_subnet_cidr']).toBe('24');
    expect(env['new_routers']).toBe('10.244.1.1');
    expect(env['new_domain_name_servers']).toBe('10.96.0.10 10.96.0.11');
    expect(env['new_domain_search']).toBe(SEARCH.join(' '));
    expect(env['new_domain_name']).toBe('default.svc.cluster.local');
    expect(env['new_host_name']).toBe('vm-one');
    expect(env['new_interface_mtu']).toBe('1400');
    expect(env['new_classless_static_routes']).toBe('10.200.0.0/16 10.244.1.254 0.0.0.0/0 10.244.1.1');
    const { stdout } = await ip('-n', t.client, '-j', 'route', 'show', 'default');
    expect(JSON.parse(stdout)).toMatchObject([{ gateway: '10.244.1.1', dev: CLIENT_IF }]);
    await exec('ip', ['netns', 'exec', t.client, 'dhcpcd', '-x', CLIENT_IF]).catch(() => {});
  });

  it('busybox udhcpc gets the same lease', async () => {
    await resetClient(t);
    const out = join(t.dir, 'udhcpc');
    await exec('mkdir', ['-p', out]);
    const sf = await script(t, 'udhcpc-script', out);
    await exec(
      'ip',
      [
        ...[
          'netns',
          'exec',
          t.client,
          'udhcpc',
          '-i',
          CLIENT_IF,
          '-f',
          '-q',
          '-n',
          '-t',
          '5',
          '-T',
          '1',
          '-s',
          sf,
        ],
        ...['-O', 'search', '-O', 'staticroutes', '-O', 'mtu', '-O', 'domain', '-O', 'hostname'],
      ],
      { timeout: 30_000 },
    );
    const env = await readEnv(join(out, 'bound.env'));
    expect(env['ip']).toBe('10.244.1.7');
    expect(env['mask']).toBe('24');
    expect(env['router']).toBe('10.244.1.1');
    expect(env['dns']).toBe('10.96.0.10 10.96.0.11');
    expect(env['search']).toBe(SEARCH.join(' '));
    expect(env['domain']).toBe('default.svc.cluster.local');
    expect(env['hostname']).toBe('vm-one');
    expect(env['mtu']).toBe('1400');
    expect(env['staticroutes']).toBe('10.200.0.0/16 10.244.1.254 0.0.0.0/0 10.244.1.1');
    expect(env['serverid']).toBe(SERVER_ID);
  });

  it('a client with a foreign MAC gets nothing', async () => {
    await resetClient(t);
    await ip('-n', t.client, 'link', 'set', CLIENT_IF, 'address', FOREIGN_MAC);
    const out = join(t.dir, 'foreign');
    await exec('mkdir', ['-p', out]);
    const sf = await script(t, 'foreign-script', out);
    try {
      const run = exec(
        'ip',
        [
          'netns',
          'exec',
          t.client,
          'udhcpc',
          '-i',
          CLIENT_IF,
          '-f',
          '-q',
          '-n',
          '-t',
          '2',
          '-T',
          '1',
          '-s',
          sf,
        ],
        { timeout: 20_000 },
      );
      await expect(run).rejects.toMatchObject({ code: 1 });
    } finally {
      await ip('-n', t.client, 'link', 'set', CLIENT_IF, 'address', GUEST_MAC);
    }
    expect(existsSync(join(out, 'bound.env'))).toBe(false);
    const ignored = server.lines.filter(
      (l) => l['msg'] === 'DHCP request ignored' && l['client'] === FOREIGN_MAC,
    );
    expect(ignored.length).toBeGreaterThan(0);
    expect(server.lines.some((l) => l['msg'] === 'DHCP exchange' && l['client'] === FOREIGN_MAC)).toBe(false);
  });

  it('answers a renewing client by unicast to its address (§8.3)', async () => {
    await resetClient(t);
    await ip('-n', t.client, 'addr', 'add', '10.244.1.7/24', 'dev', CLIENT_IF);
    await ip('-n', t.client, 'route', 'add', `${SERVER_ID}/32`, 'dev', CLIENT_IF);
    // Bound to 10.244.1.7 (not 0.0.0.0), the probe's socket hears no broadcast: only a unicast reply.
    const r = await probe(t, 'request', '--bind', '10.244.1.7', '--server', SERVER_ID);
    expect(r).toEqual({ replied: true, type: 5, yiaddr: '10.244.1.7' });
    const last = server.lines.filter((l) => l['msg'] === 'DHCP exchange').at(-1);
    expect(last).toMatchObject({ request: 'REQUEST', reply: 'ACK', to: '10.244.1.7:68' });
  });

  it('10,000 malformed packets leave it answering the next valid DISCOVER', async () => {
    await resetClient(t);
    await ip('-n', t.client, 'route', 'add', '255.255.255.255/32', 'dev', CLIENT_IF);
    const r = await probe(t, 'garbage', '--count', '10000', '--seed', '7');
    expect(r).toEqual({ offered: true, yiaddr: '10.244.1.7' });
    expect(server.child.exitCode).toBeNull();
    const dropped = server.lines.filter((l) => l['msg'] === 'malformed DHCP packet dropped');
    expect(dropped.length).toBeGreaterThan(0);
    expect(dropped[0]).toMatchObject({ code: 'DHCP_MALFORMED' });
  });

  it('hears nothing from the uplink, sends nothing out of it, and exits 0 on SIGTERM', async () => {
    // A REQUEST from the node side reaches the pod on the uplink: tcpdump sees it, the server must not.
    const fromNode = await probeFrom(t.node, 'request', '--server', '10.99.0.2');
    expect(fromNode).toMatchObject({ replied: false });
    expect(server.lines.some((l) => l['to'] === '10.99.0.1:68')).toBe(false);
    expect(await server.stop()).toBe(0);
    const stopped = server.lines.at(-1);
    expect(stopped).toMatchObject({ msg: 'DHCP server stopped', signal: 'SIGTERM' });
    // The flood reached the server (UDP may lose some of it on the way), and none of it was answered.
    expect(Number(stopped?.['malformed'])).toBeGreaterThan(5000);
    const packets = await captured(capture, capFile());
    expect(packets.length).toBeGreaterThan(0); // the capture works: it saw the node's request…
    expect(packets.every((p) => p.includes('10.99.0.1.68 > 10.99.0.2.67'))).toBe(true); // …and nothing else
  });
});

describe('vmpod dhcp serve as non-root', () => {
  it('serves with only CAP_NET_BIND_SERVICE, as uid 107 (qemu), and exits 0 on SIGINT', async () => {
    await buildOnce();
    const t = await makeTopology();
    try {
      // With --tap: both of its sockets (bridge and tap) need nothing more than the bind capability.
      const server = await serve(
        t,
        [...SERVE_ARGS, '--tap', 'tap0'],
        [
          ...['setpriv', '--reuid=107', '--regid=107', '--clear-groups', '--inh-caps=-all,+net_bind_service'],
          ...['--ambient-caps=-all,+net_bind_service', '--bounding-set=-all,+net_bind_service', '--'],
        ],
      );
      await ip('-n', t.client, 'route', 'add', '255.255.255.255/32', 'dev', CLIENT_IF);
      const r = await probe(t, 'latency', '--count', '3');
      expect(r).toMatchObject({ lost: 0 });
      const stopped = new Promise((res) => server.child.once('exit', res));
      server.child.kill('SIGINT');
      expect(await stopped).toBe(0);
    } finally {
      await t.destroy();
    }
  });
});

describe('bridge binding layout: the pod uplink is a port of the bridge', () => {
  let t: Topology;
  beforeAll(async () => {
    await buildOnce();
    t = await makeTopology({ uplinkOnBridge: true });
  });
  afterAll(async () => {
    await t?.destroy();
  });

  it('without --tap, a broadcast reply floods to the uplink too (what KubeVirt does)', async () => {
    const file = join(t.dir, 'no-tap.pcap');
    const capture = await captureUplink(t, file, 'udp src port 67');
    const server = await serve(t, SERVE_ARGS);
    try {
      expect((await udhcpc(t, 'no-tap'))['ip']).toBe('10.244.1.7');
    } finally {
      await server.stop();
    }
    const packets = await captured(capture, file);
    expect(packets.some((p) => p.includes('169.254.75.10.67 > 255.255.255.255.68'))).toBe(true);
  });

  it('with --tap, no reply leaves through the uplink, broadcast or unicast', async () => {
    await resetClient(t);
    const file = join(t.dir, 'tap.pcap');
    const capture = await captureUplink(t, file, 'udp port 67 or udp port 68');
    const server = await serve(t, [...SERVE_ARGS, '--tap', 'tap0']);
    try {
      const env = await udhcpc(t, 'tap');
      expect(env).toMatchObject({ ip: '10.244.1.7', router: '10.244.1.1', serverid: SERVER_ID });
      // A renewal: unicast to the guest's address, which the bridge forwards only to tap0.
      await ip('-n', t.client, 'addr', 'add', '10.244.1.7/24', 'dev', CLIENT_IF);
      await ip('-n', t.client, 'route', 'add', `${SERVER_ID}/32`, 'dev', CLIENT_IF);
      expect(await probe(t, 'request', '--bind', '10.244.1.7', '--server', SERVER_ID)).toEqual({
        replied: true,
        type: 5,
        yiaddr: '10.244.1.7',
      });
    } finally {
      expect(await server.stop()).toBe(0);
    }
    const exchanges = server.lines.filter((l) => l['msg'] === 'DHCP exchange').map((l) => l['to']);
    expect(exchanges).toEqual(['255.255.255.255:68', '255.255.255.255:68', '10.244.1.7:68']);
    // The guest's own broadcasts do cross the uplink (so the capture works); no reply does.
    const packets = await captured(capture, file);
    expect(packets.some((p) => p.includes('0.0.0.0.68 > 255.255.255.255.67'))).toBe(true);
    expect(packets.filter((p) => p.includes('.67 > '))).toEqual([]);
  });
});
