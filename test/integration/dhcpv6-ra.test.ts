// vmpod's DHCPv6 server and router advertiser (KUBEVIRT.md §8.4; RFC 8415, RFC 4861) in front of a
// real client: a veth pair between two fresh namespaces, one end standing in for the masquerade
// bridge (fd10:0:2::1/120, MAC 02:00:00:00:00:00), the other for the guest's NIC. dhclient -6
// gets fd10:0:2::2 and the name server; the guest's kernel takes its default route from the RAs,
// also when it solicits them; a flood of 10,000 malformed DHCPv6 packets and Router Solicitations
// leaves both servers answering. Traffic only between the namespaces this file makes.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');
const SERVER_IF = 'k6t-eth0';
const CLIENT_IF = 'vguest6';
const BRIDGE_MAC = '02:00:00:00:00:00';
const GUEST_MAC = '02:00:00:00:00:aa';
const DNS = 'fd00:10:96::a';

const tag = process.pid;
const serverNs = `vmpod-v6-s-${tag}`;
const clientNs = `vmpod-v6-c-${tag}`;
let dir = '';
let server: ChildProcess | undefined;
const lines: Record<string, unknown>[] = [];

const ip = (...args: string[]) => exec('ip', args);
const inClient = (cmd: string, ...args: string[]) => exec('ip', ['netns', 'exec', clientNs, cmd, ...args]);

// Starts both servers as the launcher would, on the stand-in bridge; logs JSON lines on stderr.
const ENTRY = `
import { createLogger } from ${JSON.stringify(join(root, 'src/log/logger.ts'))};
import { startDhcpv6Server } from ${JSON.stringify(join(root, 'src/dhcp/v6-server.ts'))};
import { startRouterAdvertiser } from ${JSON.stringify(join(root, 'src/dhcp/ra-advertiser.ts'))};
const log = createLogger({ component: 'vmpod', verbosity: 2 });
const dhcp = await startDhcpv6Server({
  interfaceName: '${SERVER_IF}', serverMac: '${BRIDGE_MAC}',
  lease: { address: 'fd10:0:2::2', dns: ['${DNS}'] }, log,
});
const ra = await startRouterAdvertiser({
  interfaceName: '${SERVER_IF}', routerMac: '${BRIDGE_MAC}', prefix: 'fd10:0:2::1/120', mtu: 1400, log,
  initialIntervalMs: 500,
});
process.on('SIGUSR1', () => log.info({ dhcp: dhcp.stats, ra: ra.stats }, 'stats'));
process.on('SIGTERM', async () => { await dhcp.close(); await ra.close(); process.exit(0); });
`;

// 10,000 malformed packets from the guest's side: half DHCPv6 to ff02::1:2, half ICMPv6 type 133
// with broken options to ff02::2 (through a raw socket, hop limit 255).
const FLOOD = `
import { createSocket } from 'node:dgram';
import { createRequire } from 'node:module';
const koffi = createRequire(${JSON.stringify(join(root, 'package.json'))})('koffi');
const lib = koffi.load('libc.so.6');
const socket = lib.func('int socket(int, int, int)');
const setsockopt = lib.func('int setsockopt(int, int, int, const void *, uint32_t)');
const sendto = lib.func('intptr_t sendto(int, const void *, size_t, int, const void *, uint32_t)');
const ifindex = lib.func('unsigned int if_nametoindex(const char *)')('${CLIENT_IF}');
let seed = 7;
const rand = (n) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
const solicit = Buffer.from('01abcdef0001000e000100012a2b2c2d0200000000aa000300' + '0c0000002a00000e1000001518', 'hex');
const udp = createSocket({ type: 'udp6' });
await new Promise((r) => udp.bind(0, r));
for (let i = 0; i < 5000; i++) {
  const b = Buffer.from(solicit.subarray(0, 8 + rand(solicit.length - 8)));
  b[4 + rand(b.length - 4)] = rand(256);
  b[0] = 1 + rand(11);
  b.writeUInt16BE(200 + rand(60000), 6); // an option length that runs past the end
  await new Promise((r) => udp.send(b, 547, 'ff02::1:2%${CLIENT_IF}', r));
  // Paced like the RS below: on a busy machine an unpaced flood overruns the server's socket
  // buffer, and the kernel, not the server, drops what the test means to count.
  if (i % 50 === 0) await new Promise((r) => setTimeout(r, 5));
}
udp.close();
const fd = socket(10, 3, 58);
const hops = Buffer.alloc(4); hops.writeInt32LE(255);
setsockopt(fd, 41, 18, hops, 4);
const to = Buffer.alloc(28); to.writeUInt16LE(10, 0);
Buffer.from('ff020000000000000000000000000002', 'hex').copy(to, 8); to.writeUInt32LE(ifindex, 24);
let sent = 0;
for (let i = 0; i < 5000; i++) {
  const rs = Buffer.alloc(8 + 8 * (1 + rand(3)));
  rs[0] = 133;
  rs[8] = 1; rs[9] = i % 2 === 0 ? 0 : 9; // length 0, or longer than the packet
  if (rand(4) === 0) rs[1] = 1 + rand(255); // a code other than 0
  if (sendto(fd, rs, rs.length, 0, to, 28) > 0) sent++;
  if (i % 50 === 0) await new Promise((r) => setTimeout(r, 5));
}
process.stdout.write(JSON.stringify({ rs: sent }));
`;

async function waitFor<T>(
  what: string,
  ms: number,
  probe: () => Promise<T | undefined> | T | undefined,
): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > until)
      throw new Error(`${what} not seen within ${ms} ms; server log: ${JSON.stringify(lines)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const logged = (msg: string) => lines.filter((l) => l['msg'] === msg);

async function defaultRoute(): Promise<string | undefined> {
  const { stdout } = await inClient('ip', '-6', 'route', 'show', 'default');
  return stdout.trim() === '' ? undefined : stdout.trim();
}

/** dhclient -6 once, with its own lease and pid file; the script records the lease and sets the address. */
async function dhclient(run: string): Promise<Record<string, string>> {
  const out = join(dir, run);
  const script = join(dir, `${run}.sh`);
  await writeFile(
    script,
    `#!/bin/sh\nenv > "${out}.\${reason}.env"\n` +
      `if [ "$reason" = BOUND6 ]; then ip -6 addr add "$new_ip6_address/128" dev "$interface" nodad; fi\n`,
  );
  await chmod(script, 0o755);
  const pidFile = join(dir, `${run}.pid`);
  try {
    await exec(
      'ip',
      [
        'netns',
        'exec',
        clientNs,
        'dhclient',
        '-6',
        '-1',
        '-v',
        '-lf',
        join(dir, `${run}.leases`),
        '-pf',
        pidFile,
        '-sf',
        script,
        CLIENT_IF,
      ],
      { timeout: 60_000 },
    );
  } finally {
    if (existsSync(pidFile)) {
      try {
        process.kill(Number((await readFile(pidFile, 'utf8')).trim()), 'SIGKILL');
      } catch {}
    }
  }
  const env: Record<string, string> = {};
  for (const line of (await readFile(`${out}.BOUND6.env`, 'utf8')).split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) env[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return env;
}

/** Down and up: the guest's kernel sends Router Solicitations when the link comes back. */
async function solicitAgain(): Promise<string> {
  await inClient('ip', '-6', 'route', 'flush', 'default').catch(() => {});
  expect(await defaultRoute()).toBeUndefined();
  const before = logged('router solicitation answered').length;
  await inClient('ip', 'link', 'set', CLIENT_IF, 'down');
  await inClient('ip', 'link', 'set', CLIENT_IF, 'up');
  await waitFor('an answered RS', 15_000, () =>
    logged('router solicitation answered').length > before ? true : undefined,
  );
  return waitFor('a default route after RS', 15_000, defaultRoute);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vmpod-dhcpv6-'));
  await build({
    stdin: { contents: ENTRY, resolveDir: root, loader: 'ts' },
    outfile: join(dir, 'servers.mjs'),
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: ['koffi'],
    banner: {
      js: "import { createRequire as __r } from 'node:module'; const require = __r(import.meta.url);",
    },
    logLevel: 'warning',
  });
  await writeFile(join(dir, 'flood.mjs'), FLOOD);
  await ip('netns', 'add', serverNs);
  await ip('netns', 'add', clientNs);
  const sysctl = (ns: string, kv: string) => exec('ip', ['netns', 'exec', ns, 'sysctl', '-qw', kv]);
  await ip(
    '-n',
    serverNs,
    'link',
    'add',
    SERVER_IF,
    'address',
    BRIDGE_MAC,
    'type',
    'veth',
    'peer',
    'name',
    CLIENT_IF,
    'netns',
    clientNs,
  );
  await sysctl(serverNs, `net.ipv6.conf.${SERVER_IF}.accept_dad=0`);
  await sysctl(clientNs, `net.ipv6.conf.${CLIENT_IF}.accept_dad=0`);
  await sysctl(clientNs, `net.ipv6.conf.${CLIENT_IF}.forwarding=0`);
  await sysctl(clientNs, `net.ipv6.conf.${CLIENT_IF}.accept_ra=1`);
  await sysctl(clientNs, `net.ipv6.conf.${CLIENT_IF}.router_solicitation_interval=1`);
  await ip('-n', serverNs, 'addr', 'add', 'fd10:0:2::1/120', 'dev', SERVER_IF, 'nodad');
  await ip('-n', clientNs, 'link', 'set', CLIENT_IF, 'address', GUEST_MAC);
  await ip('-n', serverNs, 'link', 'set', SERVER_IF, 'up');
  await ip('-n', clientNs, 'link', 'set', 'lo', 'up');
  await ip('-n', clientNs, 'link', 'set', CLIENT_IF, 'up');
  await waitFor('the guest link-local address', 15_000, async () => {
    const { stdout } = await inClient('ip', '-6', 'addr', 'show', 'dev', CLIENT_IF, 'scope', 'link');
    return stdout.includes('fe80::') && !stdout.includes('tentative') ? true : undefined;
  });
  server = spawn('ip', ['netns', 'exec', serverNs, process.execPath, join(dir, 'servers.mjs')], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, NODE_PATH: join(root, 'node_modules') },
  });
  let partial = '';
  server.stderr?.on('data', (chunk: Buffer) => {
    partial += chunk.toString();
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    for (const p of parts) {
      try {
        lines.push(JSON.parse(p) as Record<string, unknown>);
      } catch {
        lines.push({ raw: p });
      }
    }
  });
  await waitFor('both servers listening', 15_000, () =>
    logged('router advertiser started').length > 0 && logged('DHCPv6 server listening').length > 0
      ? true
      : undefined,
  );
});

afterAll(async () => {
  server?.kill('SIGTERM');
  for (const ns of [clientNs, serverNs]) {
    const { stdout } = await ip('netns', 'pids', ns).catch(() => ({ stdout: '' }));
    for (const pid of stdout.split(/\s+/).filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {}
    }
    await ip('netns', 'del', ns).catch(() => {});
  }
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('DHCPv6 and router advertisements against real clients', () => {
  it('dhclient -6 gets fd10:0:2::2 and the name server', async () => {
    const env = await dhclient('first');
    expect(env['new_ip6_address']).toBe('fd10:0:2::2');
    expect(env['new_dhcp6_name_servers']).toBe(DNS);
    expect(env['new_dhcp6_server_id']).toBe('0:3:0:1:2:0:0:0:0:0');
    const { stdout } = await inClient('ip', '-6', 'addr', 'show', 'dev', CLIENT_IF);
    expect(stdout).toContain('fd10:0:2::2/128');
    const exchanges = logged('DHCPv6 exchange').map((l) => [l['request'], l['reply']]);
    expect(exchanges).toEqual(
      expect.arrayContaining([
        ['SOLICIT', 'ADVERTISE'],
        ['REQUEST', 'REPLY'],
      ]),
    );
  });

  it('the guest takes its default route from the RAs, unsolicited and solicited', async () => {
    const route = await waitFor('a default route from the initial RAs', 15_000, defaultRoute);
    expect(route).toMatch(/^default via fe80::[0-9a-f:]+ dev vguest6 proto ra/);
    const { stdout } = await inClient('ip', '-6', 'route', 'show', 'fd10:0:2::/120');
    expect(stdout).toMatch(/^fd10:0:2::\/120 dev vguest6 .*expires/); // on-link, from the prefix option
    expect(await inClient('cat', `/proc/sys/net/ipv6/conf/${CLIENT_IF}/mtu`)).toMatchObject({
      stdout: '1400\n',
    });
    expect(await solicitAgain()).toMatch(/^default via fe80::/);
  });

  it('10,000 malformed DHCPv6 packets and RS leave both servers answering', async () => {
    const { stdout } = await exec(
      'ip',
      ['netns', 'exec', clientNs, process.execPath, join(dir, 'flood.mjs')],
      {
        timeout: 120_000,
      },
    );
    expect(JSON.parse(stdout)).toEqual({ rs: 5000 });
    expect(server?.exitCode).toBeNull();
    await new Promise((r) => setTimeout(r, 1000));
    server?.kill('SIGUSR1');
    const stats = await waitFor('stats', 5_000, () => logged('stats').at(-1));
    const dhcp = stats['dhcp'] as { malformed: number };
    const ra = stats['ra'] as { malformed: number };
    expect(dhcp.malformed).toBeGreaterThan(1000);
    expect(ra.malformed).toBeGreaterThan(1000);
    expect(logged('malformed DHCPv6 packet dropped').length).toBeLessThan(60); // rate-limited
    await inClient('ip', '-6', 'addr', 'flush', 'dev', CLIENT_IF, 'scope', 'global');
    const env = await dhclient('second');
    expect(env['new_ip6_address']).toBe('fd10:0:2::2');
    expect(await solicitAgain()).toMatch(/^default via fe80::/);
  });
});
