// Per-call latency of vmpod's libvirt client beside libvirt's own C library (python3-libvirt) and a
// virsh process per call, all against the same private libvirtd and the same running TCG domain.
// Figures are ratios against the C library. Target: vmpod within 1.5x of it, virsh 20x slower or more.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, stop as stopEsbuild } from 'esbuild';

export const name = 'libvirt-calls';

const STATE_CALLS = 5000;
const STATS_CALLS = 300;
const VIRSH_CALLS = 30;
const ROUNDS = 10; // vmpod and the C library take turns, so drift hits both alike
// A launcher's client is long-lived: measure it warm (V8 has optimised the call path), as the C
// library, which needs no warm-up, is measured from its first calls on.
const NODE_WARMUP = { state: 5000, stats: 100 };

// Times the C library through python3-libvirt; prints JSON of per-call microseconds.
const PYTHON = `
import json, sys, time, libvirt
sock, dom_name, what, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
conn = libvirt.open("qemu+unix:///system?socket=" + sock)
dom = conn.lookupByName(dom_name)
fn = (lambda: dom.state()) if what == "state" else (lambda: conn.domainListGetStats([dom]))
for _ in range(min(200, n)):
    fn()
out = []
for _ in range(n):
    t = time.perf_counter_ns()
    fn()
    out.append((time.perf_counter_ns() - t) / 1000)
conn.close()
print(json.dumps(out))
`;

export async function run({ root, log }) {
  const dir = await mkdtemp(join(tmpdir(), 'vmpod-bench-libvirt-'));
  let daemon;
  let client;
  const domName = `vmpod-bench-${randomBytes(4).toString('hex')}`;
  try {
    const lib = await compile(root, dir);
    daemon = await lib.PrivateLibvirtd.start();
    const sock = daemon.socketPath;
    log(`libvirtd ${daemon.pid} at ${sock}`);
    client = await lib.LibvirtClient.connect({ socketPath: sock, reconnect: { auto: false } });
    const dom = await client.defineXML(
      `<domain type='qemu'><name>${domName}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>` +
        `<os><type arch='x86_64' machine='pc'>hvm</type></os><devices></devices></domain>`,
    );
    await dom.create();

    for (let i = 0; i < NODE_WARMUP.state; i++) await dom.state();
    for (let i = 0; i < NODE_WARMUP.stats; i++) await dom.stats();
    const samples = { vmpod: { state: [], stats: [] }, c: { state: [], stats: [] } };
    for (let round = 0; round < ROUNDS; round++) {
      samples.vmpod.state.push(...(await timeNode(() => dom.state(), STATE_CALLS / ROUNDS)));
      samples.c.state.push(...(await timePython(sock, domName, 'state', STATE_CALLS / ROUNDS)));
      samples.vmpod.stats.push(...(await timeNode(() => dom.stats(), STATS_CALLS / ROUNDS)));
      samples.c.stats.push(...(await timePython(sock, domName, 'stats', STATS_CALLS / ROUNDS)));
      log(`round ${round + 1}/${ROUNDS} done`);
    }
    const uri = `qemu+unix:///system?socket=${sock}`;
    const virshState = await timeVirsh(['-c', uri, 'domstate', domName], VIRSH_CALLS);
    const virshStats = await timeVirsh(['-c', uri, 'domstats', domName], VIRSH_CALLS);

    const figures = [];
    const add = (figure, value, baseline, baselineValue) =>
      figures.push({ figure, value, unit: 'us', baseline, baseline_value: baselineValue });
    for (const [call, key] of [
      ['get-state', 'state'],
      ['all-domain-stats', 'stats'],
    ]) {
      for (const p of [50, 99]) {
        add(
          `libvirt ${call} p${p} (vmpod)`,
          percentile(samples.vmpod[key], p),
          `libvirt ${call} p${p} (C library)`,
          percentile(samples.c[key], p),
        );
      }
    }
    add(
      'libvirt get-state p50 (virsh per call)',
      percentile(virshState, 50),
      'libvirt get-state p50 (C library)',
      percentile(samples.c.state, 50),
    );
    add(
      'libvirt all-domain-stats p50 (virsh per call)',
      percentile(virshStats, 50),
      'libvirt all-domain-stats p50 (C library)',
      percentile(samples.c.stats, 50),
    );
    return figures;
  } finally {
    if (client) {
      const d = client.domain(domName);
      await d.destroy().catch(() => undefined);
      await d.undefine().catch(() => undefined);
      await client.close({ timeoutMs: 2_000 });
    }
    if (daemon) await daemon.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Bundles the client and the private-libvirtd helper from source, so the bench needs no build step of its own. */
async function compile(root, dir) {
  const outfile = join(dir, 'libvirt-bench-lib.mjs');
  await build({
    stdin: {
      contents: `export * from './src/libvirt/index.ts';\nexport { PrivateLibvirtd } from './test/helpers/libvirtd.ts';\n`,
      resolveDir: root,
      sourcefile: 'libvirt-bench-entry.ts',
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    logLevel: 'warning',
  });
  await stopEsbuild(); // its service process would otherwise share the CPUs with what we measure
  return import(pathToFileURL(outfile).href);
}

async function timeNode(fn, n) {
  for (let i = 0; i < Math.min(200, n); i++) await fn();
  const out = [];
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    await fn();
    out.push(Number(process.hrtime.bigint() - t) / 1000);
  }
  return out;
}

async function timePython(sock, domName, what, n) {
  const stdout = await exec('/usr/bin/python3', ['-c', PYTHON, sock, domName, what, String(n)], 300_000);
  return JSON.parse(stdout);
}

async function timeVirsh(args, n) {
  await exec('virsh', args, 30_000);
  const out = [];
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    await exec('virsh', args, 30_000);
    out.push(Number(process.hrtime.bigint() - t) / 1000);
  }
  return out;
}

function exec(cmd, args, timeout) {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} failed: ${err.message}\n${stderr}`, { cause: err }));
      else resolve(stdout);
    });
  });
}

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}
