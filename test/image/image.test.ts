import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGuest, type DhcpLease, type Guest } from '../helpers/guest.js';
import { withDeadline } from '../helpers/qemu-process.js';
import { createSandbox, type Sandbox } from '../helpers/sandbox.js';
import { kernelBootVmi } from '../helpers/test-vmi.js';
import {
  buildImage,
  type Container,
  containerPid,
  IMAGE,
  NON_ROOT_SETPRIV,
  NON_ROOT_USER,
  nonRootPhase1,
  PHASE1_PRIVILEGES,
  podmanOk,
  podVolumes,
  removeContainer,
  RUN_LIMITS,
  runContainer,
  waitForConsole,
} from './podman.js';

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

let guest: Guest;
let imageSize = 0;

beforeAll(async () => {
  // Builds the image, or, when nothing changed, finds every layer cached.
  imageSize = await buildImage();
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
      const mounts = await podVolumes(dir, guest, mode.nonRoot);
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
      consoleFile = join(dir, 'private', uid, 'virt-serial0-log');
      const name = `vmpod-image-${sb.name}`;
      if (!mode.nonRoot) {
        c = runContainer(name, [
          ...common,
          '--user',
          '0:0',
          ...PHASE1_PRIVILEGES,
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
        // virt-handler's phase 1 as root, in a container of its own. Then KubeVirt's command: the
        // monitor (the file-capability carrier) with the VMI as STANDALONE_VMI, which is what
        // `vmpod run` does.
        await nonRootPhase1(dir, common);
        c = runContainer(name, [
          ...common,
          '--env',
          `STANDALONE_VMI=${JSON.stringify(vmi)}`,
          ...NON_ROOT_USER,
          IMAGE,
          ...NON_ROOT_SETPRIV,
          '/usr/bin/virt-launcher-monitor',
          '--run-as-nonroot',
        ]);
      }
      pid = await containerPid(c, 60_000);
    }, 300_000);

    afterAll(async () => {
      await removeContainer(c);
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
      const code = await withDeadline(c.exited, 120_000, () => 'container exit after SIGTERM');
      expect(code, c.output()).toBe(0);
      expect(c.output()).toContain('shutting the guest down through ACPI');
      const status = await podmanOk(['inspect', '--format', '{{.State.ExitCode}}', c.name]);
      expect(status.trim()).toBe('0');
    });
  });
}
