import { readdirSync, readlinkSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOnce } from '../helpers/build.js';
import { buildGuest, type DhcpLease, type Guest, type GuestEvent } from '../helpers/guest.js';
import { type PodConsole, podConsole } from '../helpers/pod-console.js';
import { createSandbox, type Sandbox, type SandboxProcess } from '../helpers/sandbox.js';
import { withKernelBoot } from '../helpers/test-vmi.js';

// The whole job, standalone: `vmpod run --vmi FILE` as PID 1 of a pod sandbox boots the test
// guest (kernel boot, bridge binding on the pod network) under TCG; the guest gets the pod's
// own address from vmpod's DHCP server, answers the node's ping, and goes down through ACPI on
// SIGTERM while the pod exits 0.

const root = resolve(import.meta.dirname, '../..');
const uid = '6a1b2c3d-0000-4000-8000-0000000000e2';
const pod = {
  ip: '10.244.0.10/24',
  gateway: '10.244.0.1',
  hostname: 'testvmi',
  mtu: 1450,
  dnsServers: ['10.96.0.10'],
  search: ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local'],
};

const vmiYaml = `apiVersion: kubevirt.io/v1
kind: VirtualMachineInstance
metadata:
  name: testvmi
  namespace: default
  uid: ${uid}
spec:
  terminationGracePeriodSeconds: 30
  domain:
    resources:
      requests:
        memory: 256Mi
    firmware:
      kernelBoot:
        kernelArgs: console=ttyS0
        container:
          image: vmpod/test-guest
          kernelPath: /boot/vmlinuz
          initrdPath: /boot/initrd.img
    devices:
      interfaces:
        - name: default
          bridge: {}
  networks:
    - name: default
      pod: {}
`;

let guest: Guest;
let dir: string;
let sb: Sandbox;
let h: SandboxProcess;
let pid1: number;

let console_: PodConsole;
const waitForConsole = (kind: GuestEvent['kind'], ms: number) => console_.waitFor(kind, ms);

beforeAll(async () => {
  await buildOnce();
  guest = await buildGuest();
  dir = await mkdtemp(join(tmpdir(), 'vmpod-e2e-'));
  await writeFile(join(dir, 'testvmi.yaml'), vmiYaml);
  sb = await createSandbox(pod);
  // What virt-handler would have mounted: the kernel-boot artifacts of the VMI's container.
  h = sb.start(
    withKernelBoot(guest, [join(root, 'dist/bin/vmpod'), 'run', '--vmi', join(dir, 'testvmi.yaml')]),
  );
  pid1 = await h.pid1();
  console_ = podConsole(pid1, uid, h);
  await h.waitForLine((l) => l.includes('"msg":"standalone VMI started"'), 240_000);
});

afterAll(async () => {
  await sb?.destroy();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('vmpod run --vmi: a VM in a pod', () => {
  it("gives the guest the pod's own address, gateway, DNS, search list, hostname and MTU over DHCP", async () => {
    const bound = await waitForConsole('dhcp-bound', 180_000);
    const lease = (bound as { lease: DhcpLease }).lease;
    expect(lease.ip).toBe('10.244.0.10');
    expect(lease.prefix).toBe(24);
    expect(lease.router).toEqual(['10.244.0.1']);
    expect(lease.dns).toEqual(['10.96.0.10']);
    expect(lease.search).toEqual(pod.search);
    expect(lease.domain).toBe('default.svc.cluster.local');
    expect(lease.hostname).toBe('testvmi');
    expect(lease.mtu).toBe(1450);
    expect(lease.serverId).toBe('169.254.75.10');
    expect(lease.staticRoutes).toContainEqual({ destination: '0.0.0.0/0', gateway: '10.244.0.1' });
    await waitForConsole('ready', 60_000);
  });

  it("answers the node's ping at the pod IP", async () => {
    let last = '';
    for (let i = 0; i < 10; i++) {
      const r = await sb.execNode(['ping', '-c', '1', '-W', '2', '10.244.0.10']);
      if (r.code === 0) return;
      last = r.stdout + r.stderr;
    }
    throw new Error(`the guest never answered ping:\n${last}`);
  });

  it('logs every start-up phase with its duration', () => {
    const phases = h.stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { phase?: string; durationMs?: number })
      .filter((o) => typeof o.durationMs === 'number')
      .map((o) => o.phase);
    for (const p of ['libvirt-connect', 'vmi', 'network', 'disks', 'convert', 'define', 'start']) {
      expect(phases).toContain(p);
    }
  });

  it('shuts the guest down through ACPI on SIGTERM; the pod exits 0 with nothing left running', async () => {
    const ns = readlinkSync(`/proc/${pid1}/ns/pid`);
    const inPod = () =>
      readdirSync('/proc')
        .filter((d) => /^\d+$/.test(d))
        .filter((d) => {
          try {
            return readlinkSync(`/proc/${d}/ns/pid`) === ns;
          } catch {
            return false;
          }
        });
    expect(inPod().length).toBeGreaterThan(3);
    process.kill(pid1, 'SIGTERM');
    const exit = await h.wait(60_000);
    expect(exit.code).toBe(0);
    expect(h.stderr).toContain('shutting the guest down through ACPI');
    expect(h.stderr).not.toContain('grace period over');
    expect(inPod()).toEqual([]);
  });
});
