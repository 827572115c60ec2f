// The command socket as virt-handler uses it: Ping, GetDomain and GetDomainStats latency (p50, p99)
// through vmpod's launcher in a pod sandbox, beside the libvirt calls each one needs made directly
// with libvirt's C library (python3-libvirt) against the same libvirtd in the same run; Ping and
// GetDomain again from gRPC's C core (python3-grpcio), so the client's own cost is not grpc-js's;
// then the monitor + launcher PSS after 15,000 calls, beside KubeVirt's 125 Mi budget for the pair.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, stop as stopEsbuild } from 'esbuild';
import { childrenOf, commOf, memoryOf, sandboxCli, uniqueName } from '../bench-lib/sandbox.mjs';

export const name = 'cmd-rpc';

const CALLS = { Ping: 3000, GetDomain: 2000, GetDomainStats: 2000 };
const TOTAL_CALLS = 15_000;
const MI = 1024;

// The libvirt work behind each RPC, through the C library; prints per-call microseconds as JSON.
const PYTHON = `
import json, sys, time, libvirt
sock, dom_name, what, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
conn = libvirt.open("qemu+unix:///system?socket=" + sock)
dom = conn.lookupByName(dom_name)
groups = (libvirt.VIR_DOMAIN_STATS_BALLOON | libvirt.VIR_DOMAIN_STATS_CPU_TOTAL | libvirt.VIR_DOMAIN_STATS_VCPU
          | libvirt.VIR_DOMAIN_STATS_INTERFACE | libvirt.VIR_DOMAIN_STATS_BLOCK)
def get_domain():
    dom.state(); dom.XMLDesc(0)
def get_stats():
    conn.domainListGetStats([dom], groups); dom.memoryStats()
fn = {"Ping": lambda: conn.getLibVersion(), "GetDomain": get_domain, "GetDomainStats": get_stats}[what]
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

// The same RPCs from gRPC's C core (python3-grpcio), as virt-handler's Go client sees the server
// without grpc-js on the client side too; prints per-call microseconds as JSON. Bodies are the
// empty EmptyRequest (Ping and GetDomain take nothing else).
const PYTHON_GRPC = `
import json, sys, time, grpc
sock, method, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
channel = grpc.insecure_channel("unix://" + sock)
call = channel.unary_unary("/kubevirt.cmd.v1.Cmd/" + method,
                           request_serializer=lambda b: b, response_deserializer=lambda b: b)
for _ in range(min(200, n)):
    call(b"", timeout=5)
out = []
for _ in range(n):
    t = time.perf_counter_ns()
    call(b"", timeout=5)
    out.append((time.perf_counter_ns() - t) / 1000)
channel.close()
print(json.dumps(out))
`;

const vmi = (uid) => ({
  metadata: { name: 'benchrpc', namespace: 'default', uid },
  spec: {
    domain: {
      resources: { requests: { memory: '64Mi' } },
      devices: { autoattachPodInterface: false, disks: [] },
    },
    volumes: [],
  },
  status: { phase: 'Scheduled' },
});

export async function run({ root, log }) {
  const sb = sandboxCli(root);
  const work = await mkdtemp(join(tmpdir(), 'vmpod-bench-rpc-'));
  const sandbox = uniqueName('br');
  const uid = '6a1b2c3d-0000-4000-8000-00000000bc01';
  try {
    const lib = await compile(root, work);
    await sb.create(sandbox);
    const monitor = join(root, 'dist/bin/virt-launcher-monitor');
    const args = ['--qemu-timeout', '300s', '--name', 'benchrpc', '--namespace', 'default', '--uid', uid];
    const pod = sb.start(sandbox, [monitor, ...args, '--allow-emulation']);
    const pid1 = await sb.pid1(sandbox);
    const sockets = `/proc/${pid1}/root/run/kubevirt/sockets`;
    await waitFor(() => lib.existsSync(`${sockets}/launcher-sock`), 30_000, pod);
    const handler = await lib.connectCmd(`${sockets}/launcher-sock`);
    const synced = await handler.SyncVirtualMachine(lib.vmiRequest(vmi(uid)));
    if (!synced.success) throw new Error(`Sync failed: ${synced.message}`);
    await waitFor(
      async () => JSON.parse((await handler.GetDomain()).domain || '{}').Status?.Status === 'Running',
      30_000,
      pod,
    );
    const call = {
      Ping: () => handler.Ping(),
      GetDomain: () => handler.GetDomain(),
      GetDomainStats: () => handler.GetDomainStats(),
    };
    let calls = 0;
    const figures = [];
    const baselines = {};
    const libvirtSock = `/proc/${pid1}/root/run/libvirt/libvirt-sock`;
    for (const [method, n] of Object.entries(CALLS)) {
      const vmpod = await time(call[method], n);
      calls += n + Math.min(200, n);
      const c = JSON.parse(
        await exec('/usr/bin/python3', ['-c', PYTHON, libvirtSock, 'default_benchrpc', method, String(n)]),
      );
      baselines[method] = c;
      log(
        `${method}: vmpod p50 ${percentile(vmpod, 50).toFixed(0)} us, C library ${percentile(c, 50).toFixed(0)} us`,
      );
      for (const p of [50, 99]) {
        figures.push({
          figure: `cmd ${method} p${p} over the unix socket (vmpod)`,
          value: percentile(vmpod, p),
          unit: 'us',
          baseline: `the libvirt calls behind ${method}, p${p} (C library, python3-libvirt)`,
          baseline_value: percentile(c, p),
        });
      }
    }
    // The server alone: the same calls from gRPC's C core instead of grpc-js.
    for (const method of ['Ping', 'GetDomain']) {
      const n = CALLS[method];
      const core = JSON.parse(
        await exec('/usr/bin/python3', ['-c', PYTHON_GRPC, `${sockets}/launcher-sock`, method, String(n)]),
      );
      calls += n + Math.min(200, n);
      const c = baselines[method];
      log(`${method} from gRPC's C core: vmpod p50 ${percentile(core, 50).toFixed(0)} us`);
      figures.push({
        figure: `cmd ${method} p50 over the unix socket, gRPC C-core client (vmpod)`,
        value: percentile(core, 50),
        unit: 'us',
        baseline: `the libvirt calls behind ${method}, p50 (C library, python3-libvirt)`,
        baseline_value: percentile(c, 50),
      });
    }
    // Up to 15,000 calls in all, then let garbage settle and read what the pod pays.
    const order = ['Ping', 'GetDomain', 'GetDomainStats'];
    for (let i = 0; calls < TOTAL_CALLS; i++, calls++) await call[order[i % order.length]]();
    await new Promise((r) => setTimeout(r, 3000));
    let launcherPid;
    for (const c of await childrenOf(pid1)) if ((await commOf(c)) === 'virt-launcher') launcherPid = c;
    if (!launcherPid) throw new Error(`no virt-launcher under PID 1 ${pid1}`);
    const m = await memoryOf(pid1);
    const l = await memoryOf(launcherPid);
    log(
      `after ${calls} calls: monitor PSS ${(m.pssKiB / MI).toFixed(1)} MiB, launcher PSS ${(l.pssKiB / MI).toFixed(1)} MiB`,
    );
    figures.push(
      {
        figure: `launcher PSS after ${calls} cmd calls`,
        value: l.pssKiB / MI,
        unit: 'MiB',
        baseline: 'KubeVirt budget: launcher 100 Mi',
        baseline_value: 100,
      },
      {
        figure: `monitor+launcher PSS after ${calls} cmd calls`,
        value: (m.pssKiB + l.pssKiB) / MI,
        unit: 'MiB',
        baseline: 'KubeVirt budget: 25 Mi + 100 Mi',
        baseline_value: 125,
      },
    );
    handler.close();
    process.kill(pid1, 'SIGTERM');
    await Promise.race([pod.exited, new Promise((r) => setTimeout(r, 60_000))]);
    return figures;
  } finally {
    await sb.destroy(sandbox);
    await rm(work, { recursive: true, force: true });
  }
}

/** The test virt-handler (only .proto files + grpc-js), bundled from source. */
async function compile(root, dir) {
  const outfile = join(dir, 'cmd-bench-lib.mjs');
  await build({
    stdin: {
      contents:
        "export { connectCmd, vmiRequest } from './test/helpers/virt-handler.ts';\nexport { existsSync } from 'node:fs';\n",
      resolveDir: root,
      sourcefile: 'cmd-bench-entry.ts',
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    // The helper finds the .proto files next to its own source.
    define: {
      'import.meta.url': JSON.stringify(pathToFileURL(join(root, 'test/helpers/virt-handler.ts')).href),
    },
    banner: {
      js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    },
    logLevel: 'warning',
  });
  await stopEsbuild();
  return import(pathToFileURL(outfile).href);
}

async function waitFor(check, timeoutMs, pod) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    let ok = false;
    try {
      ok = await check();
    } catch {
      ok = false;
    }
    if (ok) return;
    if (Date.now() > until)
      throw new Error(`condition not met within ${timeoutMs} ms\n${pod.output().slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function time(fn, n) {
  for (let i = 0; i < Math.min(200, n); i++) await fn();
  const out = [];
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    await fn();
    out.push(Number(process.hrtime.bigint() - t) / 1000);
  }
  return out;
}

function exec(cmd, args) {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: 300_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
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
