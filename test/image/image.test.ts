import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, chown, copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildGuest,
  type DhcpLease,
  type Guest,
  type GuestEvent,
  parseConsoleLine,
} from '../helpers/guest.js';
import { createSandbox, type Sandbox } from '../helpers/sandbox.js';
import { KERNEL_BOOT_DIR, kernelBootVmi } from '../helpers/test-vmi.js';

// The image level of the testing ladder (ARCHITECTURE.md): the Containerfile builds (through
// scripts/build-image, which reuses its base and podman's layer cache), and the e2e boot passes
// with vmpod as the container's PID 1, in a pod sandbox's network namespace, in KubeVirt's two
// modes: root (vmpod builds the pod network itself) and non-root (uid 107 with NET_BIND_SERVICE
// only, after `vmpod pod-network` ran as root in a container of its own, as virt-handler's phase
// 1). The guest must get the pod's IP by DHCP and answer ping; SIGTERM must end the container
// with exit 0.
//
// What the containers get, and why (nothing else):
//   --device /dev/net/tun        qemu's tap (and, in root mode, vmpod creating it)
//   --cap-add NET_ADMIN, --security-opt unmask=/proc/sys
//                                phase 1 of the pod network only (root mode's container, and the
//                                non-root mode's phase-1 container): bridge, tap, renames, and
//                                the pod's net.* sysctls (podman mounts /proc/sys read-only)
//   --cap-add SYS_NICE           root mode: as KubeVirt's root pods (§10.3)
//   --cap-drop ALL --cap-add NET_BIND_SERVICE --user 107:107
//                                non-root mode: exactly KubeVirt's non-root compute container
//   --security-opt label=disable no SELinux labelling of the volumes (no-op where SELinux is off)
//   -v …/private etc.            the pod's emptyDirs (KUBEVIRT.md §2.1), owned by 107 in non-root mode
//   -v …/container-disks         the kernel-boot artifacts virt-handler mounts there
//   --ulimit …, runc, cgroupfs   this testbed's podman settings (TESTBED.md)

const root = resolve(import.meta.dirname, '../..');
const IMAGE = process.env.VMPOD_IMAGE ?? 'localhost/vmpod:dev';
const PODMAN = ['--runtime', 'runc', '--cgroup-manager', 'cgroupfs'];
const RUN_LIMITS = ['--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024'];

function podman(args: readonly string[], timeoutMs = 120_000): Promise<{ code: number; out: string }> {
  return new Promise((done) => {
    execFile(
      'podman',
      [...PODMAN, ...args],
      { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        done({ code, out: `${stdout}${stderr}` });
      },
    );
  });
}

async function podmanOk(args: readonly string[], timeoutMs?: number): Promise<string> {
  const r = await podman(args, timeoutMs);
  if (r.code !== 0) throw new Error(`podman ${args.join(' ')} failed (${r.code}):\n${r.out}`);
  return r.out;
}

interface Container {
  readonly name: string;
  readonly child: ChildProcess;
  output(): string;
  readonly exited: Promise<number | null>;
}

/** `podman run` in the foreground, its output collected. */
function runContainer(name: string, args: readonly string[]): Container {
  let out = '';
  const child = spawn('podman', [...PODMAN, 'run', '--name', name, ...RUN_LIMITS, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { name, child, output: () => out, exited };
}

async function containerPid(c: Container, timeoutMs: number): Promise<number> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const r = await podman(['inspect', '--format', '{{.State.Pid}}', c.name]);
    const pid = Number(r.out.trim());
    if (r.code === 0 && pid > 0) return pid;
    if (Date.now() > until || c.child.exitCode !== null) {
      throw new Error(`container ${c.name} never ran:\n${c.output()}`);
    }
    await new Promise((res) => setTimeout(res, 200));
  }
}

async function waitForConsole(
  file: string,
  c: Container,
  kind: GuestEvent['kind'],
  timeoutMs: number,
): Promise<GuestEvent> {
  const until = Date.now() + timeoutMs;
  const text = () => (existsSync(file) ? readFileSync(file, 'utf8') : '');
  for (;;) {
    const event = text()
      .split('\n')
      .map(parseConsoleLine)
      .find((e) => e?.kind === kind);
    if (event) return event;
    if (Date.now() > until || c.child.exitCode !== null) {
      throw new Error(`no "${kind}" on the guest console within ${timeoutMs} ms\n${text()}\n${c.output()}`);
    }
    await new Promise((res) => setTimeout(res, 250));
  }
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    t = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(t);
  }
}

let guest: Guest;
let imageSize = 0;

beforeAll(async () => {
  // Builds the image, or, when nothing changed, finds every layer cached.
  const built = await new Promise<string>((done, fail) => {
    execFile(
      join(root, 'scripts/build-image'),
      [],
      { timeout: 1_800_000, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, VMPOD_IMAGE: IMAGE } },
      (err, stdout, stderr) =>
        err ? fail(new Error(`build-image failed:\n${stdout}\n${stderr}`)) : done(stdout),
    );
  });
  imageSize = Number(/size (\d+) bytes/.exec(built)?.[1] ?? 0);
  guest = await buildGuest();
}, 1_800_000);

describe('the image', () => {
  it("has KubeVirt's layout: entry points, qemu 107, /var/run, hook, capability", async () => {
    expect(imageSize).toBeGreaterThan(0);
    const script = [
      'set -e',
      'for n in virt-launcher-monitor virt-launcher virt-probe virt-freezer virt-tail vmpod; do test -x /usr/bin/$n; done',
      'getent passwd qemu',
      'getent group qemu',
      'readlink /var/run',
      'stat -c "%a %u:%g" /etc/libvirt/hooks/qemu',
      'getcap /usr/bin/virt-launcher-monitor',
      // Debian trixie has no modular virtqemud: vmpod runs libvirtd there.
      'test -x /usr/sbin/libvirtd',
      'test -x /usr/sbin/virtlogd',
      'for c in virsh qemu-img qemu-system-x86_64 xorrisofs nft ip ps; do command -v $c >/dev/null; done',
      'id -u',
      'vmpod version',
    ].join('\n');
    const out = await podmanOk([
      'run',
      '--rm',
      ...RUN_LIMITS,
      '--entrypoint',
      '/bin/sh',
      IMAGE,
      '-c',
      script,
    ]);
    expect(out).toContain('qemu:x:107:107::/home/qemu:/bin/bash');
    expect(out).toMatch(/^qemu:x:107:/m);
    expect(out).toMatch(/^\.\.\/run$/m);
    expect(out).toContain('755 107:107');
    expect(out).toMatch(/\/usr\/bin\/virt-launcher-monitor cap_net_bind_service=ep/);
    expect(out).toMatch(/^107$/m);
    expect(out).toMatch(/^vmpod \d+\.\d+\.\d+/m);
    const cfg = JSON.parse(await podmanOk(['image', 'inspect', '--format', '{{json .Config}}', IMAGE])) as {
      Entrypoint: string[];
      User: string;
    };
    expect(cfg.Entrypoint).toEqual(['/usr/bin/virt-launcher']);
    expect(cfg.User).toBe('107');
  });
});

for (const mode of [
  {
    title: 'root mode: `vmpod run --vmi` as PID 1 builds the pod network and boots the guest',
    nonRoot: false,
  },
  {
    title: 'non-root mode: the monitor as uid 107 with only NET_BIND_SERVICE, after phase 1 as root',
    nonRoot: true,
  },
]) {
  describe(mode.title, () => {
    const ip = mode.nonRoot ? '10.244.0.42' : '10.244.0.41';
    const uid = mode.nonRoot
      ? '7c3d4e5f-0000-4000-8000-0000000000a2'
      : '7c3d4e5f-0000-4000-8000-0000000000a1';
    let sb: Sandbox;
    let dir: string;
    let c: Container;
    let pid: number;
    let consoleFile: string;

    beforeAll(async () => {
      sb = await createSandbox({ ip: `${ip}/24`, gateway: '10.244.0.1', hostname: 'imgvmi' });
      dir = await mkdtemp(join(tmpdir(), 'vmpod-image-'));
      const vmi = kernelBootVmi({ name: 'imgvmi', uid, terminationGracePeriodSeconds: 30 });
      await writeFile(join(dir, 'vmi.json'), JSON.stringify(vmi));
      // The pod's emptyDirs (KUBEVIRT.md §2.1).
      const volumes: Record<string, string> = {
        private: '/run/kubevirt-private',
        public: '/run/kubevirt',
        ephemeral: '/run/kubevirt-ephemeral-disks',
        'libvirt-runtime': '/run/libvirt',
      };
      const mounts: string[] = [];
      for (const [host, inPod] of Object.entries(volumes)) {
        await mkdir(join(dir, host));
        if (mode.nonRoot) await chown(join(dir, host), 107, 107);
        mounts.push('-v', `${join(dir, host)}:${inPod}`);
      }
      // The container-disks emptyDir with what virt-handler mounts from a kernel-boot container.
      const disks = join(dir, 'container-disks');
      await mkdir(join(disks, 'kernel-boot'), { recursive: true });
      await copyFile(guest.kernel, join(disks, 'kernel-boot/vmlinuz'));
      await copyFile(guest.initrd, join(disks, 'kernel-boot/initrd.img'));
      if (mode.nonRoot) for (const d of [disks, join(disks, 'kernel-boot')]) await chown(d, 107, 107);
      mounts.push('-v', `${disks}:${KERNEL_BOOT_DIR.replace('/kernel-boot', '')}`);
      await chmod(dir, 0o755);
      const common = [
        '--network',
        `ns:/run/netns/${sb.podNetns}`,
        '--hostname',
        'imgvmi',
        '--security-opt',
        'label=disable',
        '--device',
        '/dev/net/tun',
        ...mounts,
      ];
      // Phase 1 of the pod network writes the pod's network sysctls (arp_ignore, …).
      const phase1 = ['--cap-add', 'NET_ADMIN', '--security-opt', 'unmask=/proc/sys'];
      consoleFile = join(dir, 'private', uid, 'virt-serial0-log');
      const name = `vmpod-image-${sb.name}`;
      if (!mode.nonRoot) {
        c = runContainer(name, [
          ...common,
          '--user',
          '0:0',
          ...phase1,
          '--cap-add',
          'SYS_NICE',
          '-v',
          `${join(dir, 'vmi.json')}:/etc/vmpod/vmi.json:ro`,
          '--entrypoint',
          '/usr/bin/vmpod',
          IMAGE,
          'run',
          '--vmi',
          '/etc/vmpod/vmi.json',
        ]);
      } else {
        // virt-handler's phase 1, as root (podman's default capabilities, to write into the
        // emptyDir owned by 107, plus NET_ADMIN), in a container of its own sharing the pod's
        // network namespace and the private emptyDir (where the DHCP cache goes).
        await podmanOk([
          'run',
          '--rm',
          ...RUN_LIMITS,
          ...common,
          '--user',
          '0:0',
          ...phase1,
          '--entrypoint',
          '/usr/bin/vmpod',
          IMAGE,
          'pod-network',
          '--interface',
          'default',
          '--owner',
          '107',
          '--group',
          '107',
        ]);
        // As in test/e2e/kubevirt-dropin.test.ts: what phase 1 left in the emptyDirs goes to 107.
        await new Promise<void>((done, fail) =>
          execFile('chown', ['-R', '107:107', ...Object.keys(volumes).map((v) => join(dir, v))], (err) =>
            err ? fail(err) : done(),
          ),
        );
        // The container's command is KubeVirt's: the monitor (the file-capability carrier), with
        // the VMI as STANDALONE_VMI, which is what `vmpod run` does. podman hands a non-root
        // process its added capabilities as ambient ones; containerd and CRI-O (Kubernetes) leave
        // them in the bounding set only, so setpriv drops the rest first: NET_BIND_SERVICE must
        // then come from the file capability on /usr/bin/virt-launcher-monitor.
        c = runContainer(name, [
          ...common,
          '--user',
          '107:107',
          '--cap-drop',
          'ALL',
          '--cap-add',
          'NET_BIND_SERVICE',
          '--env',
          `STANDALONE_VMI=${JSON.stringify(vmi)}`,
          '--env',
          'XDG_RUNTIME_DIR=/var/run',
          '--env',
          'XDG_CONFIG_HOME=/var/run/kubevirt-private',
          '--env',
          'XDG_CACHE_HOME=/var/run/kubevirt-private',
          '--entrypoint',
          '/usr/bin/setpriv',
          IMAGE,
          '--inh-caps=-all',
          '--ambient-caps=-all',
          '--',
          '/usr/bin/virt-launcher-monitor',
          '--run-as-nonroot',
        ]);
      }
      pid = await containerPid(c, 60_000);
    }, 300_000);

    afterAll(async () => {
      if (c && c.child.exitCode === null) await podman(['rm', '-f', '-t', '0', c.name]);
      if (c) await podman(['rm', '-f', c.name]);
      await sb?.destroy();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it("gives the guest the pod's own address by DHCP, and the guest answers ping", async () => {
      const bound = await waitForConsole(consoleFile, c, 'dhcp-bound', 240_000);
      const lease = (bound as { lease: DhcpLease }).lease;
      expect(lease.ip).toBe(ip);
      expect(lease.router).toEqual(['10.244.0.1']);
      let last = '';
      for (let i = 0; i < 15; i++) {
        const r = await sb.execNode(['ping', '-c', '1', '-W', '2', ip]);
        if (r.code === 0) return;
        last = r.stdout + r.stderr;
      }
      throw new Error(`the guest never answered ping:\n${last}\n${c.output()}`);
    });

    it('runs vmpod as PID 1, with the launcher, libvirt and qemu under it as the mode wants', async () => {
      const ps = await podmanOk(['exec', c.name, 'ps', '-eo', 'pid=,uid=,comm=']);
      const procs = ps
        .trim()
        .split('\n')
        .map((l) => l.trim().split(/\s+/))
        .map(([p, u, comm]) => ({ pid: Number(p), uid: Number(u), comm: comm ?? '' }));
      const byComm = (name: string) => procs.find((p) => p.comm === name);
      // comm is cut at 15 characters.
      expect(procs.find((p) => p.pid === 1)?.comm).toBe('virt-launcher-m');
      expect(byComm('virt-launcher')?.uid).toBe(mode.nonRoot ? 107 : 0);
      expect(byComm('libvirtd')?.uid).toBe(mode.nonRoot ? 107 : 0);
      expect(byComm('virtlogd')).toBeDefined();
      expect(byComm('qemu-system-x86')?.uid).toBe(107);
      // NET_BIND_SERVICE (bit 10) reached the launcher, which serves DHCP on port 67.
      const launcherPid = byComm('virt-launcher')?.pid ?? 0;
      const status = await podmanOk(['exec', c.name, 'cat', `/proc/${launcherPid}/status`]);
      const capEff = BigInt(`0x${/^CapEff:\s+([0-9a-f]+)/m.exec(status)?.[1] ?? '0'}`);
      expect(capEff & (1n << 10n)).toBe(1n << 10n);
      expect(pid).toBeGreaterThan(1);
    });

    it('ends with exit 0 on SIGTERM, the guest shut down', async () => {
      await podmanOk(['kill', '--signal', 'TERM', c.name]);
      const code = await withTimeout(c.exited, 120_000, 'container exit after SIGTERM');
      expect(code, c.output()).toBe(0);
      expect(c.output()).toContain('shutting the guest down through ACPI');
      const status = await podmanOk(['inspect', '--format', '{{.State.ExitCode}}', c.name]);
      expect(status.trim()).toBe('0');
    });
  });
}
