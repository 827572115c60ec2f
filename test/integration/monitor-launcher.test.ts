import { readdirSync, readlinkSync } from 'node:fs';
import { chown, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildOnce } from '../helpers/build.js';
import { createSandbox, jsonLogLines, type Sandbox, type SandboxProcess } from '../helpers/sandbox.js';
import { type NotifyTestServer, startNotifyServer } from '../helpers/virt-handler.js';

// vmpod's monitor as PID 1 of a pod sandbox, with its real launcher and real libvirt daemons.

const root = resolve(import.meta.dirname, '../..');
const monitorBin = join(root, 'dist/bin/virt-launcher-monitor');
const kubevirtArgs = [
  '--qemu-timeout',
  '300s',
  '--name',
  'testvmi',
  '--uid',
  '0b6a5a63-6f0e-4d0a-9a4e-2f1f1f1f1f1f',
  '--namespace',
  'default',
  '--grace-period-seconds',
  '45',
];
const READY = 'vmpod launcher ready';

interface Proc {
  pid: number;
  ppid: number;
  stat: string;
  comm: string;
}

async function processes(sb: Sandbox): Promise<Proc[]> {
  const r = await sb.exec(['ps', '-eo', 'pid=,ppid=,stat=,comm=']);
  expect(r.code).toBe(0);
  return r.stdout
    .trim()
    .split('\n')
    .map((line) => {
      const [pid, ppid, stat, ...comm] = line.trim().split(/\s+/);
      return { pid: Number(pid), ppid: Number(ppid), stat: stat ?? '', comm: comm.join(' ') };
    })
    .filter((p) => p.comm !== 'ps' && p.comm !== 'nsenter');
}

/** The gid of a group on this machine: the pod shares the host's /etc/group. */
async function sandboxGroupId(name: string): Promise<number | undefined> {
  const line = (await readFile('/etc/group', 'utf8')).split('\n').find((l) => l.startsWith(`${name}:`));
  const gid = Number(line?.split(':')[2]);
  return Number.isInteger(gid) ? gid : undefined;
}

/** Host pids of every process in the PID namespace whose init is `pid1`. */
function hostPidsInNamespaceOf(pid1: number): number[] {
  const ns = readlinkSync(`/proc/${pid1}/ns/pid`);
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .filter((pid) => {
      try {
        return readlinkSync(`/proc/${pid}/ns/pid`) === ns;
      } catch {
        return false;
      }
    });
}

const logLines = jsonLogLines;

let sandboxes: Sandbox[] = [];
async function sandbox(): Promise<Sandbox> {
  const sb = await createSandbox();
  sandboxes.push(sb);
  return sb;
}

beforeAll(async () => {
  await buildOnce();
});

afterEach(async () => {
  await Promise.all(sandboxes.map((s) => s.destroy()));
  sandboxes = [];
});

describe('vmpod as PID 1 of a pod', () => {
  it('runs monitor → launcher → {virtlogd, libvirtd}, and libvirt answers virsh inside the pod', async () => {
    const sb = await sandbox();
    const h = sb.start([monitorBin, ...kubevirtArgs]);
    await h.waitForLine((l) => l.includes(READY), 20_000);

    const ps = await processes(sb);
    const pid1 = ps.find((p) => p.pid === 1);
    expect(pid1?.comm).toBe('virt-launcher-m'); // the kernel's 15-character comm, as for KubeVirt's Go binary
    const launcher = ps.filter((p) => p.ppid === 1 && p.comm === 'virt-launcher');
    expect(launcher).toHaveLength(1);
    const daemons = ps.filter((p) => p.ppid === launcher[0]?.pid).map((p) => p.comm);
    expect(daemons.sort()).toEqual(['libvirtd', 'virtlogd']);

    const virsh = await sb.exec(['virsh', '-c', 'qemu:///system', 'list', '--all']);
    expect(virsh.code).toBe(0);
    expect(virsh.stdout).toMatch(/Id\s+Name\s+State/);

    // Every start-up phase logs its duration.
    const phases = logLines(h.stderr)
      .filter((o) => typeof o.durationMs === 'number' && typeof o.phase === 'string')
      .map((o) => o.phase);
    expect(phases, h.output()).toEqual([
      'directories',
      'libvirt-config',
      'libvirt-start',
      'libvirt-connect',
      'libvirt-client',
      'cmd-server',
      'domain-events',
      'ready',
    ]);
  });

  it('reaps orphans left by an exec into the pod within a second', async () => {
    const sb = await sandbox();
    const h = sb.start([monitorBin, ...kubevirtArgs]);
    await h.waitForLine((l) => l.includes(READY), 20_000);

    const r = await sb.exec(['sh', '-c', 'for i in 1 2 3 4 5 6 7 8; do sleep 0.3 & done; exit 0']);
    expect(r.code).toBe(0);
    // The sleeps now belong to PID 1; once they end they must not linger as zombies.
    await new Promise((res) => setTimeout(res, 1300));
    const zombies = (await processes(sb)).filter((p) => p.stat.startsWith('Z'));
    expect(zombies).toEqual([]);
    const reaped = logLines(h.stderr).filter(
      (o) => o.msg === 'reaped orphaned process' && o.orphanComm === 'sleep',
    );
    expect(reaped.length).toBeGreaterThanOrEqual(8);
  });

  it("still reports the launcher's own exit code while reaping a storm of orphans", async () => {
    // A monitor beside a stand-in launcher that orphans 50 processes and exits 3.
    const dir = await mkdtemp(join(tmpdir(), 'vmpod-fixture-'));
    try {
      await symlink(monitorBin, join(dir, 'virt-launcher-monitor'));
      await symlink(join(root, 'test/fixtures/orphaning-launcher'), join(dir, 'virt-launcher'));
      const sb = await sandbox();
      const h = sb.start([join(dir, 'virt-launcher-monitor')], { env: { FIXTURE_EXIT_CODE: '3' } });
      const exit = await h.exited;
      expect(exit.code).toBe(3);
      const lines = logLines(h.stderr);
      expect(lines.find((o) => o.msg === 'dirty virt-launcher shutdown')).toMatchObject({ exitCode: 3 });
      const reaped = lines.filter((o) => o.msg === 'reaped orphaned process').length;
      const final = lines.find((o) => o.msg === 'virt-launcher-monitor exiting');
      expect(final).toMatchObject({ exitCode: 3 });
      expect(reaped).toBeGreaterThan(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('SIGTERM to PID 1 stops everything and the pod exits 0', async () => {
    const sb = await sandbox();
    const h = sb.start([monitorBin, ...kubevirtArgs]);
    await h.waitForLine((l) => l.includes(READY), 20_000);
    const pid1 = await h.pid1();
    const hostPids = hostPidsInNamespaceOf(pid1);
    expect(hostPids.length).toBeGreaterThanOrEqual(4);

    process.kill(pid1, 'SIGTERM');
    const exit = await h.exited;
    expect(exit.code).toBe(0);
    const lines = logLines(h.stderr);
    expect(lines.some((o) => o.msg === 'libvirtd stopped (killed by signal SIGKILL)')).toBe(true);
    expect(lines.some((o) => o.msg === 'virtlogd stopped (killed by signal SIGKILL)')).toBe(true);
    expect(lines.find((o) => o.msg === 'virt-launcher-monitor exiting')).toMatchObject({ exitCode: 0 });
    // Nothing that lived in the pod is left on the host.
    const alive = hostPids.filter((p) => {
      try {
        process.kill(p, 0);
        return true;
      } catch {
        return false;
      }
    });
    expect(alive).toEqual([]);
  });

  it('restarts libvirtd after kill -9 and libvirt answers again', async () => {
    const sb = await sandbox();
    const h = sb.start([monitorBin, ...kubevirtArgs]);
    await h.waitForLine((l) => l.includes(READY), 20_000);
    const before = (await processes(sb)).find((p) => p.comm === 'libvirtd');
    expect(before).toBeDefined();

    expect((await sb.exec(['kill', '-9', String(before?.pid)])).code).toBe(0);
    await h.waitForLine((l) => l.includes('libvirt answering again after restart'), 15_000);
    const after = (await processes(sb)).find((p) => p.comm === 'libvirtd');
    expect(after?.pid).not.toBe(before?.pid);
    expect(after?.ppid).toBe(before?.ppid); // still the launcher's child
    const warn = logLines(h.stderr).find((o) => o.pos === 'libvirt-daemons.ts' && o.level === 'warning');
    expect(warn?.msg).toMatch(/^libvirtd killed by signal SIGKILL; restarting it in \d+ ms$/);
    expect((await sb.exec(['virsh', '-c', 'qemu:///system', 'version'])).code).toBe(0);
  });

  it('keeps PID 1 alive after a failing launcher with --keep-after-failure', async () => {
    const sb = await sandbox();
    const h = sb.start([monitorBin, ...kubevirtArgs, '--simulate-crash', '--keep-after-failure']);
    await h.waitForLine((l) => l.includes('keeping the pod alive after a failure'), 20_000);
    const lines = logLines(h.stderr);
    expect(lines.find((o) => o.msg === 'dirty virt-launcher shutdown')).toMatchObject({ exitCode: 2 });
    // The launcher never saw the monitor-only flag (it would have failed on it as unknown).
    expect(lines.some((o) => o.phase === 'simulate-crash')).toBe(true);
    await new Promise((res) => setTimeout(res, 1500));
    expect(h.child.exitCode).toBeNull();
    const ps = await processes(sb);
    expect(ps.map((p) => p.comm)).toEqual(['virt-launcher-m']);
  });

  it('exits at once with the launcher code when --keep-after-failure is absent', async () => {
    const sb = await sandbox();
    const h = sb.start([monitorBin, ...kubevirtArgs, '--simulate-crash']);
    expect((await h.exited).code).toBe(2);
  });
});

// A domain defined by hand inside the pod (as virt-handler's SyncVirtualMachine later will):
// the launcher must find it, watch its qemu, and end with it.
const domainXml = `<domain type='qemu'>
  <name>default_testvmi</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices></devices>
</domain>`;

/**
 * virt-handler's side of a pod: its notify socket (the launcher reports every domain change there,
 * retrying 20 s per notification when nobody listens) and, once the domain is off, Delete, whose
 * UNDEFINED event is the "domain gone" notification the launcher waits for before it exits.
 */
async function handlerFor(
  h: SandboxProcess,
  owner?: { uid: number; gid: number },
): Promise<NotifyTestServer> {
  const socket = `/proc/${await h.pid1()}/root/run/kubevirt/domain-notify-pipe.sock`;
  const server = await startNotifyServer(socket);
  if (owner) await chown(socket, owner.uid, owner.gid);
  handlers.push(server);
  return server;
}

const handlers: NotifyTestServer[] = [];
afterEach(async () => {
  for (const s of handlers.splice(0)) await s.close();
});

async function defineAndStart(sb: Sandbox): Promise<void> {
  // stdin is a socket here, which /dev/stdin cannot reopen: go through a file in the pod's /run.
  const def = await sb.exec(
    ['sh', '-c', 'cat > /run/testvmi.xml && virsh -c qemu:///system define /run/testvmi.xml'],
    { input: domainXml },
  );
  expect(def.code, def.stderr).toBe(0);
  const start = await sb.exec(['virsh', '-c', 'qemu:///system', 'start', 'default_testvmi']);
  expect(start.code, start.stderr).toBe(0);
}

describe('the launcher and a domain', () => {
  it('finds the domain, watches its qemu (a direct child of PID 1), and exits 0 when qemu is gone', async () => {
    const sb = await sandbox();
    const h = sb.start([monitorBin, ...kubevirtArgs]);
    await h.waitForLine((l) => l.includes(READY), 20_000);
    const notify = await handlerFor(h);
    await defineAndStart(sb);
    await h.waitForLine((l) => l.includes('"msg":"monitoring qemu"'), 20_000);

    const qemu = (await processes(sb)).filter((p) => p.comm.startsWith('qemu-system'));
    expect(qemu).toHaveLength(1);
    expect(qemu[0]?.ppid).toBe(1);

    expect((await sb.exec(['virsh', '-c', 'qemu:///system', 'destroy', 'default_testvmi'])).code).toBe(0);
    expect((await sb.exec(['virsh', '-c', 'qemu:///system', 'undefine', 'default_testvmi'])).code).toBe(0);
    const exit = await h.wait(20_000);
    expect(notify.domainEvents.at(-1)?.domain).toMatchObject({
      ObjectMeta: { name: 'testvmi', namespace: 'default', deletionTimestamp: expect.any(String) },
    });
    expect(exit.code).toBe(0);
    const lines = logLines(h.stderr);
    expect(lines.find((o) => o.msg === 'domain defined')).toMatchObject({ domain: 'default_testvmi' });
    expect(lines.find((o) => o.msg === 'qemu monitoring ended')?.end).toMatch(/^qemu-(exited|zombie)$/);
    expect(lines.find((o) => o.msg === 'virt-launcher-monitor exiting')).toMatchObject({ exitCode: 0 });
  });

  it('destroys the domain once the grace period after SIGTERM has passed, then exits 0', async () => {
    const sb = await sandbox();
    const args = kubevirtArgs.map((a, i) => (kubevirtArgs[i - 1] === '--grace-period-seconds' ? '1' : a));
    const h = sb.start([monitorBin, ...args]);
    await h.waitForLine((l) => l.includes(READY), 20_000);
    const notify = await handlerFor(h);
    await defineAndStart(sb);
    await h.waitForLine((l) => l.includes('"msg":"monitoring qemu"'), 20_000);

    const t0 = Date.now();
    process.kill(await h.pid1(), 'SIGTERM');
    // §1.3.3: the handler learns of the pod's deletion through the metadata.
    await notify.waitFor(
      (n) =>
        n.domainEvents.some(
          (e) =>
            (
              e.domain as {
                Spec: {
                  Metadata: { KubeVirt: { GracePeriod: { MarkedForGracefulShutdown?: boolean } | null } };
                };
              }
            ).Spec.Metadata.KubeVirt.GracePeriod?.MarkedForGracefulShutdown === true,
        ),
      10_000,
    );
    await h.waitForLine((l) => l.includes('grace period over: destroying the domain'), 20_000);
    await h.waitForLine((l) => l.includes('"msg":"qemu monitoring ended"'), 20_000);
    expect((await sb.exec(['virsh', '-c', 'qemu:///system', 'undefine', 'default_testvmi'])).code).toBe(0);
    const exit = await h.wait(20_000);
    const elapsed = Date.now() - t0;
    expect(exit.code).toBe(0);
    expect(elapsed).toBeGreaterThan(1000); // not before the grace period
    const lines = logLines(h.stderr);
    expect(lines.some((o) => o.msg === 'grace period over: destroying the domain')).toBe(true);
    expect(lines.find((o) => o.msg === 'virt-launcher-monitor exiting')).toMatchObject({ exitCode: 0 });
  });
});

describe('non-root mode (--run-as-nonroot, uid 107)', () => {
  it('runs the whole tree as qemu with a session libvirt, and follows a domain through its session pid file', async () => {
    const gid = (await sandboxGroupId('qemu')) ?? 107;
    const sb = await sandbox();
    // What KubeVirt's pod gives a non-root launcher: uid 107, XDG dirs, emptyDirs it may write.
    const env = {
      XDG_RUNTIME_DIR: '/var/run',
      XDG_CONFIG_HOME: '/var/run/kubevirt-private',
      XDG_CACHE_HOME: '/var/run/kubevirt-private',
    };
    const dirs =
      '/run/libvirt /run/kubevirt /run/kubevirt-private /run/kubevirt-ephemeral-disks /var/lib/libvirt /var/log/libvirt /var/cache/libvirt';
    const h = sb.start(
      [
        'sh',
        '-c',
        `chown -R 107:${gid} ${dirs} && exec setpriv --reuid 107 --regid ${gid} --clear-groups "$0" "$@"`,
        monitorBin,
        ...kubevirtArgs,
        '--run-as-nonroot',
      ],
      { env },
    );
    await h.waitForLine((l) => l.includes(READY), 20_000);
    await handlerFor(h, { uid: 107, gid });
    const users = await sb.exec(['ps', '-eo', 'uid=,comm=']);
    const byComm = Object.fromEntries(
      users.stdout
        .trim()
        .split('\n')
        .map((l) => l.trim().split(/\s+/))
        .map(([uid, comm]) => [comm, uid]),
    );
    for (const comm of ['virt-launcher-m', 'virt-launcher', 'libvirtd', 'virtlogd'])
      expect(byComm[comm]).toBe('107');
    const conf = await sb.exec(['cat', '/var/run/kubevirt-private/libvirt/qemu.conf']);
    expect(conf.stdout).toContain('stdio_handler = "logd"');

    const asQemu = [
      'setpriv',
      '--reuid',
      '107',
      '--regid',
      String(gid),
      '--clear-groups',
      'env',
      ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
    ];
    const def = await sb.exec(
      [
        ...asQemu,
        'sh',
        '-c',
        'cat > /run/kubevirt-private/testvmi.xml && virsh -c qemu:///session define /run/kubevirt-private/testvmi.xml && virsh -c qemu:///session start default_testvmi',
      ],
      { input: domainXml },
    );
    expect(def.code, def.stderr).toBe(0);
    await h.waitForLine((l) => l.includes('"msg":"monitoring qemu"'), 20_000);
    const watched = logLines(h.stderr).find((o) => o.msg === 'monitoring qemu');
    expect(watched?.pidFile).toBe('/run/libvirt/qemu/run/default_testvmi.pid');
    expect(
      (await sb.exec([...asQemu, 'virsh', '-c', 'qemu:///session', 'destroy', 'default_testvmi'])).code,
    ).toBe(0);
    expect(
      (await sb.exec([...asQemu, 'virsh', '-c', 'qemu:///session', 'undefine', 'default_testvmi'])).code,
    ).toBe(0);
    expect((await h.wait(20_000)).code).toBe(0);
  });
});

describe('a failed start names its phase and cause', () => {
  const lastError = (text: string) =>
    logLines(text)
      .filter((o) => o.level === 'error' && o.component === 'virt-launcher')
      .at(-1);

  it('a malformed flag', async () => {
    const sb = await sandbox();
    const h = sb.start([monitorBin, ...kubevirtArgs, '--grace-period-seconds', 'soon']);
    expect((await h.exited).code).toBe(2);
    expect(lastError(h.stderr)).toMatchObject({ phase: 'flags' });
    expect(String(lastError(h.stderr)?.reason)).toContain('--grace-period-seconds');
  });

  it('an unwritable directory', async () => {
    const sb = await sandbox();
    const h = sb.start([monitorBin, ...kubevirtArgs, '--ephemeral-disk-dir', '/proc/vmpod-cannot-write']);
    expect((await h.exited).code).toBe(2);
    expect(lastError(h.stderr)).toMatchObject({ phase: 'directories' });
    expect(String(lastError(h.stderr)?.reason)).toContain('DIRECTORY_UNWRITABLE');
  });

  it('a libvirt daemon that cannot start', async () => {
    const sb = await sandbox();
    // libvirtd replaced by a program that fails at once, inside the pod's mount namespace only.
    const h = sb.start([
      'sh',
      '-c',
      'mount --bind /bin/false /usr/sbin/libvirtd && exec "$0" "$@"',
      monitorBin,
      ...kubevirtArgs,
    ]);
    expect((await h.exited).code).toBe(2);
    const err = lastError(h.stderr);
    expect(err).toMatchObject({ phase: 'libvirt-connect' });
    expect(String(err?.reason)).toContain('LIBVIRT_DAEMON_FAILED');
    expect(String(err?.reason)).toContain('libvirtd keeps exiting (last exit: code 1)');
  });
});
