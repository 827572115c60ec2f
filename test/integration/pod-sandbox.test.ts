// scripts/pod-sandbox against the real kernel: the pod-like sandbox every integration and e2e test
// builds on must look like a Kubernetes pod from the inside (PID 1, eth0, hostname, resolv.conf,
// private libvirt/KubeVirt directories) and leave nothing behind. Traffic only between the
// namespaces these tests make.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSandbox,
  destroyAllSandboxes,
  listSandboxes,
  POD_SANDBOX,
  runCommand,
  SANDBOX_FAILURE,
  type Sandbox,
  type SandboxProcess,
  uniqueSandboxName,
} from '../helpers/sandbox.js';

const POD_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

// The KubeVirt compute container's emptyDirs under /var/run (KUBEVIRT.md §2.1), plus /run/lock.
const POD_RUN_DIRS = [
  '/run/libvirt',
  '/run/kubevirt/sockets',
  '/run/kubevirt/container-disks',
  '/run/kubevirt/hotplug-disks',
  '/run/kubevirt-private',
  '/run/kubevirt-ephemeral-disks',
  '/run/lock',
];
const PRIVATE_TMPFS = ['/run', '/var/lib/libvirt', '/var/log/libvirt', '/var/cache/libvirt', '/etc/libvirt'];

interface IpAddr {
  ifname: string;
  address: string;
  mtu: number;
  operstate: string;
  addr_info: { family: string; local: string; prefixlen: number }[];
}
interface IpRoute {
  dst: string;
  gateway?: string;
  dev: string;
}

function parseJson<T>(text: string, what: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new Error(`${what}: not JSON: ${text}`, { cause: e });
  }
}

function netnsList(): string[] {
  return existsSync('/run/netns') ? readdirSync('/run/netns') : [];
}

function processGone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return /\) [ZX] /.test(stat);
  } catch {
    return true;
  }
}

async function eventually(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

afterAll(async () => {
  await destroyAllSandboxes();
});

describe('pod-sandbox run', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await createSandbox();
  });

  it('runs the command as PID 1 with only a container-like environment, and returns its exit code', async () => {
    const p = sb.start(['sh', '-c', 'echo pid=$$; env; exit 7'], { env: { FOO: 'bar baz', POD_NAME: 'p1' } });
    const status = await p.wait(30_000);
    expect(status, p.output()).toEqual({ code: 7, signal: null });
    expect(p.stdout).toMatch(/^pid=1$/m);
    const env = Object.fromEntries(
      p.lines
        .filter((l) => l.stream === 'stdout' && l.line.includes('='))
        .map((l) => [l.line.slice(0, l.line.indexOf('=')), l.line.slice(l.line.indexOf('=') + 1)]),
    );
    delete env['pid'];
    delete env['PWD']; // sh's own
    expect(env).toEqual({
      PATH: POD_PATH,
      HOSTNAME: sb.hostname,
      HOME: '/root',
      FOO: 'bar baz',
      POD_NAME: 'p1',
    });
  });

  it('passes stdin through and reports a fast exit 0', async () => {
    const p = sb.start(['sh', '-c', 'read -r line; echo "got $line"'], { stdin: 'pipe' });
    p.child.stdin?.end('hello\n');
    expect(await p.wait(30_000), p.output()).toEqual({ code: 0, signal: null });
    expect(p.stdout).toBe('got hello\n');
  });

  it('reports PID 1 killed by signal N as exit code 128+N', async () => {
    const p = sb.start(['sleep', '3600']);
    const pid1 = await p.pid1();
    process.kill(pid1, 'SIGKILL');
    expect(await p.wait(10_000), p.output()).toEqual({ code: 137, signal: null });
  });

  it('relays SIGTERM and SIGINT sent to run to PID 1', async () => {
    for (const [signal, code] of [
      ['SIGTERM', 3],
      ['SIGINT', 4],
    ] as const) {
      const p = sb.start([
        'sh',
        '-c',
        'trap "echo got TERM; exit 3" TERM; trap "echo got INT; exit 4" INT; echo ready; while :; do sleep 0.05; done',
      ]);
      await p.waitForLine((l) => l === 'ready', 10_000);
      p.kill(signal);
      expect(await p.wait(10_000), p.output()).toEqual({ code, signal: null });
      expect(p.stdout).toContain(`got ${signal.slice(3)}`);
    }
  });

  it('lets SIGTERM reach PID 1 directly by its host PID, like a kubelet', async () => {
    const p = sb.start([
      'sh',
      '-c',
      'trap "echo bye; exit 0" TERM; echo ready; while :; do sleep 0.05; done',
    ]);
    await p.waitForLine((l) => l === 'ready', 10_000);
    process.kill(await p.pid1(), 'SIGTERM');
    expect(await p.wait(10_000), p.output()).toEqual({ code: 0, signal: null });
    expect(p.stdout).toContain('bye');
  });

  it('refuses a second run while one is running, and exec when none is', async () => {
    const idle = await sb.exec(['true']);
    expect(idle.code, idle.stderr).toBe(SANDBOX_FAILURE);
    expect(idle.stderr).toContain('not running');
    const p = sb.start(['sleep', '3600']);
    const pid1 = await p.pid1();
    const second = sb.start(['true']);
    expect((await second.wait(10_000)).code, second.output()).toBe(SANDBOX_FAILURE);
    expect(second.stderr).toContain('already running');
    const cli = await runCommand(POD_SANDBOX, ['pid1', sb.name]);
    expect(cli.stdout.trim()).toBe(String(pid1));
    process.kill(pid1, 'SIGKILL');
    await p.wait(10_000);
    expect((await runCommand(POD_SANDBOX, ['pid1', sb.name])).code).not.toBe(0);
  });
});

describe('a running pod', () => {
  let sb: Sandbox;
  let p: SandboxProcess;
  let pid1: number;
  beforeAll(async () => {
    sb = await createSandbox({
      ip: '10.244.3.17/24',
      gateway: '10.244.3.1',
      mac: '0a:58:0a:f4:03:11',
      mtu: 1400,
      hostname: 'virt-launcher-vm1-abcde',
      dnsServers: ['10.96.0.10'],
      search: ['vms.svc.cluster.local', 'svc.cluster.local', 'cluster.local'],
      ipv6: 'fd00:10:244:3::11/64',
      gateway6: 'fd00:10:244:3::1',
    });
    p = sb.start(['sh', '-c', 'echo ready; exec sleep 3600'], {
      env: { POD_NAME: 'virt-launcher-vm1-abcde' },
    });
    await p.waitForLine((l) => l === 'ready', 30_000);
    pid1 = await p.pid1();
  });

  it('has eth0 with the pod IP, MAC and MTU, and a default route via the gateway', async () => {
    const [eth0] = parseJson<IpAddr[]>(
      await sb.execOk(['ip', '-j', 'addr', 'show', 'dev', 'eth0']),
      'ip addr',
    );
    expect(eth0?.address).toBe('0a:58:0a:f4:03:11');
    expect(eth0?.mtu).toBe(1400);
    expect(eth0?.addr_info).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ family: 'inet', local: '10.244.3.17', prefixlen: 24 }),
        expect.objectContaining({ family: 'inet6', local: 'fd00:10:244:3::11', prefixlen: 64 }),
      ]),
    );
    const routes = parseJson<IpRoute[]>(
      await sb.execOk(['ip', '-j', 'route', 'show', 'default']),
      'ip route',
    );
    expect(routes).toEqual([expect.objectContaining({ dst: 'default', gateway: '10.244.3.1', dev: 'eth0' })]);
    const routes6 = parseJson<IpRoute[]>(
      await sb.execOk(['ip', '-j', '-6', 'route', 'show', 'default']),
      'ip -6 route',
    );
    expect(routes6).toEqual([
      expect.objectContaining({ dst: 'default', gateway: 'fd00:10:244:3::1', dev: 'eth0' }),
    ]);
    const links = parseJson<IpAddr[]>(await sb.execOk(['ip', '-j', 'link', 'show']), 'ip link');
    expect(links.map((l) => l.ifname).sort()).toEqual(['eth0', 'lo']);
  });

  it('reaches the gateway on the node side, and the node reaches the pod', async () => {
    await sb.execOk(['ping', '-c', '1', '-W', '5', '10.244.3.1']);
    await sb.execOk(['ping', '-6', '-c', '1', '-W', '5', 'fd00:10:244:3::1']);
    const fromNode = await sb.execNode(['ping', '-c', '1', '-W', '5', '10.244.3.17']);
    expect(fromNode.code, fromNode.stdout + fromNode.stderr).toBe(0);
    const fromNode6 = await sb.execNode(['ping', '-6', '-c', '1', '-W', '5', 'fd00:10:244:3::11']);
    expect(fromNode6.code, fromNode6.stdout + fromNode6.stderr).toBe(0);
    // A full-size packet fits the MTU, one byte more does not leave with DF set.
    await sb.execOk(['ping', '-c', '1', '-W', '5', '-M', 'do', '-s', String(1400 - 28), '10.244.3.1']);
    const tooBig = await sb.exec([
      'ping',
      '-c',
      '1',
      '-W',
      '2',
      '-M',
      'do',
      '-s',
      String(1400 - 27),
      '10.244.3.1',
    ]);
    expect(tooBig.code).not.toBe(0);
  });

  it('has the sandbox hostname, /etc/hostname, /etc/hosts and a pod resolv.conf', async () => {
    expect(await sb.execOk(['cat', '/proc/sys/kernel/hostname'])).toBe('virt-launcher-vm1-abcde\n');
    expect(await sb.execOk(['hostname'])).toBe('virt-launcher-vm1-abcde\n');
    expect(await sb.execOk(['cat', '/etc/hostname'])).toBe('virt-launcher-vm1-abcde\n');
    expect(await sb.execOk(['cat', '/etc/resolv.conf'])).toBe(
      'search vms.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n',
    );
    expect(await sb.execOk(['cat', '/etc/hosts'])).toMatch(/^10\.244\.3\.17\tvirt-launcher-vm1-abcde$/m);
    // The host's own files are untouched.
    expect(readFileSync('/etc/resolv.conf', 'utf8')).not.toContain('vms.svc.cluster.local');
  });

  it('gives exec the pod environment', async () => {
    expect(await sb.execOk(['sh', '-c', 'echo "$POD_NAME $HOSTNAME $PATH"'])).toBe(
      `virt-launcher-vm1-abcde virt-launcher-vm1-abcde ${POD_PATH}\n`,
    );
    expect(await sb.execOk(['sh', '-c', 'echo "$X"'], { env: { X: 'from exec' } })).toBe('from exec\n');
  });

  it('has private tmpfs over /run and the libvirt dirs, with empty KubeVirt dirs', async () => {
    const mounts = await sb.execOk(['findmnt', '-rn', '-o', 'TARGET,FSTYPE']);
    for (const dir of PRIVATE_TMPFS) expect(mounts).toMatch(new RegExp(`^${dir} tmpfs$`, 'm'));
    for (const dir of POD_RUN_DIRS) {
      expect(await sb.execOk(['ls', '-A', dir]), dir).toBe('');
      expect(await sb.execOk(['ls', '-A', dir.replace(/^\/run/, '/var/run')]), dir).toBe('');
    }
    expect((await sb.execOk(['ls', '-A', '/run/kubevirt'])).split('\n').filter(Boolean)).toEqual([
      'container-disks',
      'hotplug-disks',
      'sockets',
    ]);
    // The pod's /etc/libvirt starts as a copy of the host's.
    if (existsSync('/etc/libvirt')) {
      const inPod = (await sb.execOk(['ls', '-A', '/etc/libvirt'])).split('\n').filter(Boolean).sort();
      expect(inPod).toEqual(readdirSync('/etc/libvirt').sort());
    }
    // Nothing written inside shows on the host.
    const probe = `probe-${sb.name}`;
    for (const dir of ['/run/libvirt', '/var/run/kubevirt/sockets', ...PRIVATE_TMPFS.slice(1)]) {
      await sb.execOk(['sh', '-c', 'echo x >"$1/$2" && cat "$1/$2"', 'sh', dir, probe]);
      expect(existsSync(`${dir}/${probe}`), `${dir}/${probe} on the host`).toBe(false);
    }
    // /var/run is /run inside too.
    expect(await sb.execOk(['cat', `/run/kubevirt/sockets/${probe}`])).toBe('x\n');
  });

  it('shares the PID namespace with exec, whose orphans are re-parented to PID 1', async () => {
    expect(await sb.execOk(['cat', '/proc/1/comm'])).toBe('sleep\n');
    const own = Number.parseInt(await sb.execOk(['sh', '-c', 'echo $$']), 10);
    expect(own).toBeGreaterThan(1);
    const ps = await sb.execOk(['ps', '-e', '-o', 'pid=,comm=']);
    expect(ps).toMatch(/^\s*1 sleep$/m);
    expect(ps).not.toMatch(/node|vitest/);
    const orphan = Number.parseInt(await sb.execOk(['sh', '-c', 'sleep 300 >/dev/null 2>&1 & echo $!']), 10);
    const status = await sb.execOk(['cat', `/proc/${orphan}/status`]);
    expect(status).toMatch(/^PPid:\s+1$/m);
    // The host sees the same PID 1: its NSpid ends in 1.
    expect(readFileSync(`/proc/${pid1}/status`, 'utf8')).toMatch(new RegExp(`^NSpid:\\s+${pid1}\\s+1$`, 'm'));
    expect(readFileSync(`/proc/${pid1}/comm`, 'utf8')).toBe('sleep\n');
  });

  it('propagates exec exit codes and stdin', async () => {
    expect((await sb.exec(['sh', '-c', 'exit 42'])).code).toBe(42);
    expect((await sb.exec(['sh', '-c', 'kill -TERM $$'])).code).toBe(143);
    expect(await sb.execOk(['cat'], { input: 'over stdin' })).toBe('over stdin');
    expect(await sb.execOk(['cat'])).toBe('');
  });
});

describe('several sandboxes', () => {
  it('coexist with the same pod IP, each reaching only its own node', async () => {
    const macs = ['0a:58:0a:f4:00:a1', '0a:58:0a:f4:00:a2'];
    const pods = await Promise.all(macs.map((mac) => createSandbox({ mac })));
    const procs = pods.map((sb) => sb.start(['sh', '-c', 'echo ready; exec sleep 3600']));
    await Promise.all(procs.map((p) => p.waitForLine((l) => l === 'ready', 30_000)));
    for (const [i, sb] of pods.entries()) {
      expect(sb.pod.ip).toBe('10.244.0.10');
      await sb.execOk(['ping', '-c', '1', '-W', '5', sb.pod.gateway]);
      const r = await sb.execNode(['ping', '-c', '1', '-W', '5', sb.pod.ip]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      const neigh = await sb.execNode(['ip', '-j', 'neigh', 'show', sb.pod.ip]);
      expect(parseJson<{ lladdr?: string }[]>(neigh.stdout, 'ip neigh')[0]?.lladdr).toBe(macs[i]);
    }
    expect(await listSandboxes()).toEqual(expect.arrayContaining(pods.map((sb) => sb.name)));
    await Promise.all(pods.map((sb) => sb.destroy()));
  });
});

describe('pod-sandbox create and destroy', () => {
  it('validates names and refuses to create a sandbox twice', async () => {
    for (const bad of ['Upper', '-lead', 'thirteen-char', 'a_b', '']) {
      const r = await runCommand(POD_SANDBOX, ['create', bad]);
      expect(r.code, bad).not.toBe(0);
      expect(r.stderr, bad).toContain('invalid sandbox name');
    }
    const sb = await createSandbox();
    const again = await runCommand(POD_SANDBOX, ['create', sb.name]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('already exists');
    await sb.destroy();
  });

  it('destroy leaves no netns, process, mount or state dir, and is idempotent', async () => {
    const sb = await createSandbox();
    const p = sb.start(['sh', '-c', 'echo ready; exec sleep 3600']);
    await p.waitForLine((l) => l === 'ready', 30_000);
    const pid1 = await p.pid1();
    // An orphan of exec inside the pod, and a process in the pod's network namespace that is not in
    // its PID namespace (as a CNI plugin or virt-handler would start).
    await sb.execOk(['sh', '-c', 'sleep 300 >/dev/null 2>&1 &']);
    const stray = spawn('ip', ['netns', 'exec', sb.podNetns, 'sleep', '300'], { stdio: 'ignore' });
    const strayExited = new Promise<void>((resolve) => stray.on('exit', () => resolve()));
    const strayPid = stray.pid ?? 0;
    await eventually(
      () => readFileSync(`/proc/${strayPid}/comm`, 'utf8') === 'sleep\n',
      'stray sleep started',
    );
    expect(netnsList()).toEqual(expect.arrayContaining([sb.podNetns, sb.nodeNetns]));

    const t0 = performance.now();
    await sb.destroy();
    const took = performance.now() - t0;

    expect(await p.wait(10_000)).toEqual({ code: 137, signal: null });
    await strayExited;
    await eventually(() => processGone(pid1) && processGone(strayPid), 'sandbox processes gone');
    expect(netnsList()).not.toContain(sb.podNetns);
    expect(netnsList()).not.toContain(sb.nodeNetns);
    expect(existsSync(sb.stateDir)).toBe(false);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(sb.name);
    expect(await listSandboxes()).not.toContain(sb.name);
    expect(took).toBeLessThan(5_000);

    const again = await runCommand(POD_SANDBOX, ['destroy', sb.name]);
    expect(again.code, again.stderr).toBe(0);
    const never = await runCommand(POD_SANDBOX, ['destroy', uniqueSandboxName()]);
    expect(never.code, never.stderr).toBe(0);
  });
});
