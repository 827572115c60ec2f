// vmpod's DHCPv4 server beside dnsmasq serving the same single static lease, in the same run:
// DISCOVER→OFFER latency (p50, p99) from a small client of our own, and kea's perfdhcp rate.
// Both servers sit on a bridge in one namespace; the client is a veth end in another.
//
// Run directly, this file is also that small client (`node dhcp.mjs probe MODE …`), which the
// dhcp integration tests use too:
//   latency --count N --warmup W  W untimed, then N timed DISCOVERs → {samples_ms, lost}
//   garbage --count N --seed S  N malformed packets, then one DISCOVER → {offered, yiaddr}
//   request --bind IP --server IP  a unicast REQUEST (renewal) from IP → {replied, type, yiaddr}
import { execFile, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const name = 'dhcp';

const GUEST_MAC = '02:00:00:00:00:aa';
const LATENCY_ROUNDS = 400;
const PERF_SECONDS = 5;
const PERF_RATE = 20000;

// ---------------------------------------------------------------- the probe client

function packet({ mac, type, xid, ciaddr = '0.0.0.0', flags = 0x8000, requested }) {
  const b = Buffer.alloc(300);
  b[0] = 1;
  b[1] = 1;
  b[2] = 6;
  b.writeUInt32BE(xid >>> 0, 4);
  b.writeUInt16BE(flags, 10);
  Buffer.from(ciaddr.split('.').map(Number)).copy(b, 12);
  Buffer.from(mac.split(':').map((x) => Number.parseInt(x, 16))).copy(b, 28);
  b.writeUInt32BE(0x63825363, 236);
  const opts = [53, 1, type, 55, 4, 1, 3, 6, 15];
  if (requested) opts.push(50, 4, ...requested.split('.').map(Number));
  opts.push(255);
  Buffer.from(opts).copy(b, 240);
  return b;
}

function parseReply(buf) {
  if (buf.length < 240 || buf[0] !== 2) return undefined;
  let type;
  for (let i = 240; i < buf.length; ) {
    const code = buf[i];
    if (code === 0) {
      i++;
      continue;
    }
    if (code === 255 || i + 1 >= buf.length) break;
    if (code === 53) type = buf[i + 2];
    i += 2 + buf[i + 1];
  }
  return { xid: buf.readUInt32BE(4), yiaddr: [...buf.subarray(16, 20)].join('.'), type };
}

function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function probe(mode, flags) {
  const mac = flags.mac ?? GUEST_MAC;
  const sock = createSocket({ type: 'udp4', reuseAddr: true });
  await new Promise((resolve) => sock.bind(68, flags.bind ?? '0.0.0.0', resolve));
  sock.setBroadcast(true);
  const waiters = new Map();
  sock.on('message', (msg) => {
    const r = parseReply(msg);
    const w = r && waiters.get(r.xid);
    if (w) {
      waiters.delete(r.xid);
      w(r);
    }
  });
  const exchange = (buf, xid, to, port = 67, timeoutMs = 1000) =>
    new Promise((resolve) => {
      const timer = setTimeout(() => {
        waiters.delete(xid);
        resolve(undefined);
      }, timeoutMs);
      waiters.set(xid, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
      sock.send(buf, port, to);
    });
  const rand = rng(Number(flags.seed ?? 1));
  const xid = () => Math.floor(rand() * 2 ** 32);
  let result;
  if (mode === 'latency') {
    const samples = [];
    let lost = 0;
    // Untimed warm-up rounds first: both servers are measured hot.
    const warmup = Number(flags.warmup ?? 0);
    for (let i = 0; i < warmup + Number(flags.count ?? 100); i++) {
      const id = xid();
      const t0 = process.hrtime.bigint();
      const r = await exchange(packet({ mac, type: 1, xid: id }), id, '255.255.255.255');
      if (r?.type === 2) {
        if (i >= warmup) samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
      } else if (++lost >= 5) break; // a silent server: say so instead of waiting out every round
    }
    result = { samples_ms: samples, lost };
  } else if (mode === 'garbage') {
    const valid = packet({ mac, type: 1, xid: 1 });
    for (let i = 0; i < Number(flags.count ?? 10000); i++) {
      let bad;
      if (i % 2 === 0) {
        bad = Buffer.from({ length: Math.floor(rand() * 400) }, () => Math.floor(rand() * 256));
      } else {
        bad = Buffer.from(valid.subarray(0, 240 + Math.floor(rand() * 60)));
        for (let f = 0; f < 4; f++) bad[Math.floor(rand() * bad.length)] = Math.floor(rand() * 256);
        bad[2] = 6;
        bad[241] = 250; // option 53's length runs past the end: malformed for certain
        bad[240] = 53;
      }
      sock.send(bad, 67, '255.255.255.255');
      // Paced, so the flood reaches the server instead of overflowing a socket buffer on the way.
      if (i % 50 === 49) await new Promise((r) => setTimeout(r, 1));
    }
    let r;
    for (let attempt = 0; attempt < 5 && r?.type !== 2; attempt++) {
      const id = xid();
      r = await exchange(packet({ mac, type: 1, xid: id }), id, '255.255.255.255');
    }
    result = { offered: r?.type === 2, yiaddr: r?.yiaddr };
  } else if (mode === 'request') {
    const id = xid();
    const buf = packet({ mac, type: 3, xid: id, ciaddr: flags.bind, flags: 0 });
    const r = await exchange(buf, id, flags.server);
    result = { replied: r !== undefined, type: r?.type, yiaddr: r?.yiaddr };
  } else {
    throw new Error(`unknown probe mode ${mode}`);
  }
  sock.close();
  return result;
}

// ---------------------------------------------------------------- the bench

const exec = promisify(execFile);
const ip = (...args) => exec('ip', args);

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

// Both servers log every exchange (vmpod must; dnsmasq does without --quiet-dhcp) to a file,
// so neither pays for a pipe the other does not.
async function startServer(argv, logFile) {
  const out = await open(logFile, 'w');
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', out.fd, out.fd] });
  await new Promise((r) => setTimeout(r, 1500)); // both print nothing reliable when ready
  if (child.exitCode !== null) {
    await out.close();
    throw new Error(`${argv[3]} exited early: ${await readFile(logFile, 'utf8')}`);
  }
  return {
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
      await out.close();
    },
  };
}

async function perfdhcpRate(clientNs) {
  try {
    await exec('which', ['perfdhcp']);
  } catch {
    return undefined;
  }
  // perfdhcp acts as a relay: it needs an address of its own to send from (port 67, giaddr set).
  await ip('-n', clientNs, 'addr', 'add', '10.244.1.200/24', 'dev', 'eth0');
  const { stdout } = await exec(
    'ip',
    [
      ...['netns', 'exec', clientNs, 'perfdhcp', '-4', '-r', String(PERF_RATE), '-R', '1'],
      ...['-b', `mac=${GUEST_MAC}`, '-p', String(PERF_SECONDS), '-W', '1000000', '-l', 'eth0'],
    ],
    { timeout: (PERF_SECONDS + 10) * 1000 },
  )
    .catch((e) => ({ stdout: String(e.stdout ?? '') }))
    .finally(async () => {
      // Flushing takes the broadcast route with it; the latency probe needs it back.
      await ip('-n', clientNs, 'addr', 'flush', 'dev', 'eth0');
      await ip('-n', clientNs, 'route', 'replace', '255.255.255.255/32', 'dev', 'eth0');
    });
  const m = /Rate:\s*([0-9.]+)/.exec(stdout);
  return m ? Number(m[1]) : undefined;
}

export async function run({ root, log }) {
  const tag = `${process.pid}`;
  const serverNs = `vmpod-bdhcp-s-${tag}`;
  const clientNs = `vmpod-bdhcp-c-${tag}`;
  const dir = await mkdtemp(join(tmpdir(), 'vmpod-bench-dhcp-'));
  const figures = [];
  try {
    await ip('netns', 'add', serverNs);
    await ip('netns', 'add', clientNs);
    await ip('-n', serverNs, 'link', 'add', 'k6t-eth0', 'type', 'bridge');
    await ip('-n', serverNs, 'addr', 'add', '10.244.1.1/24', 'dev', 'k6t-eth0');
    await ip('-n', serverNs, 'link', 'set', 'k6t-eth0', 'up');
    await ip(
      '-n',
      serverNs,
      'link',
      'add',
      'tap0',
      'type',
      'veth',
      'peer',
      'name',
      'eth0',
      'netns',
      clientNs,
    );
    await ip('-n', serverNs, 'link', 'set', 'tap0', 'master', 'k6t-eth0', 'up');
    await ip('-n', clientNs, 'link', 'set', 'eth0', 'address', GUEST_MAC, 'up');
    await ip('-n', clientNs, 'route', 'add', '255.255.255.255/32', 'dev', 'eth0');

    const lease = { dns: '10.96.0.10', search: 'default.svc.cluster.local', mtu: '1400' };
    const servers = {
      vmpod: [
        ...['ip', 'netns', 'exec', serverNs, join(root, 'dist/bin/vmpod'), 'dhcp', 'serve'],
        ...['--interface', 'k6t-eth0', '--mac', GUEST_MAC, '--address', '10.244.1.7/24'],
        ...['--gateway', '10.244.1.1', '--dns', lease.dns, '--search', lease.search, '--mtu', lease.mtu],
        ...['--hostname', 'vm-one', '-v', '0'],
      ],
      dnsmasq: [
        ...['ip', 'netns', 'exec', serverNs, 'dnsmasq', '--keep-in-foreground', '--port=0', '--no-resolv'],
        ...['--no-hosts', '--interface=k6t-eth0', '--bind-interfaces', '--no-ping', '--dhcp-authoritative'],
        ...[`--dhcp-leasefile=${join(dir, 'dnsmasq.leases')}`, `--pid-file=${join(dir, 'dnsmasq.pid')}`],
        ...[
          '--dhcp-range=10.244.1.7,static,255.255.255.0,infinite',
          `--dhcp-host=${GUEST_MAC},10.244.1.7,vm-one`,
        ],
        ...[
          '--dhcp-option=3,10.244.1.1',
          `--dhcp-option=6,${lease.dns}`,
          `--dhcp-option=119,${lease.search}`,
        ],
        ...[`--dhcp-option=26,${lease.mtu}`, '--log-facility=-'],
      ],
    };
    const results = {};
    for (const [who, argv] of Object.entries(servers)) {
      const server = await startServer(argv, join(dir, `${who}.log`));
      try {
        const self = fileURLToPath(import.meta.url);
        const { stdout } = await exec(
          'ip',
          [
            'netns',
            'exec',
            clientNs,
            process.execPath,
            self,
            'probe',
            'latency',
            '--count',
            String(LATENCY_ROUNDS),
            '--warmup',
            '50',
          ],
          { timeout: 60_000 },
        );
        const { samples_ms, lost } = JSON.parse(stdout);
        const sorted = samples_ms.sort((a, b) => a - b);
        const rate = await perfdhcpRate(clientNs);
        results[who] = { p50: percentile(sorted, 50), p99: percentile(sorted, 99), lost, rate };
      } finally {
        await server.stop();
      }
      const logLines = (await readFile(join(dir, `${who}.log`), 'utf8')).split('\n').length;
      log(`${who}: ${JSON.stringify(results[who])}, ${logLines} log lines`);
    }
    const v = results.vmpod;
    const d = results.dnsmasq;
    figures.push(
      {
        figure: 'DISCOVER→OFFER latency p50',
        value: v.p50,
        unit: 'ms',
        baseline: 'dnsmasq p50',
        baseline_value: d.p50,
      },
      {
        figure: 'DISCOVER→OFFER latency p99',
        value: v.p99,
        unit: 'ms',
        baseline: 'dnsmasq p99',
        baseline_value: d.p99,
      },
    );
    if (v.rate !== undefined && d.rate !== undefined) {
      figures.push({
        figure: 'perfdhcp DORA rate, one client',
        value: v.rate,
        unit: '/s',
        baseline: 'dnsmasq perfdhcp rate',
        baseline_value: d.rate,
      });
    } else {
      log('perfdhcp not available (Debian package kea-admin): no rate figure');
    }
    return figures;
  } finally {
    await ip('netns', 'del', clientNs).catch(() => {});
    await ip('netns', 'del', serverNs).catch(() => {});
    await rm(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- `node dhcp.mjs probe …`

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === 'probe') {
  const [, , , mode, ...rest] = process.argv;
  const flags = {};
  for (let i = 0; i < rest.length; i += 2) flags[rest[i].replace(/^--/, '')] = rest[i + 1];
  probe(mode, flags).then(
    (r) => {
      process.stdout.write(`${JSON.stringify(r)}\n`);
      process.exit(0);
    },
    (err) => {
      process.stderr.write(`${err?.stack ?? err}\n`);
      process.exit(1);
    },
  );
}
