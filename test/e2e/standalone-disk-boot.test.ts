import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOnce } from '../helpers/build.js';
import { buildGuest, type Guest, type GuestEvent } from '../helpers/guest.js';
import { type PodConsole, podConsole } from '../helpers/pod-console.js';
import { createSandbox, type Sandbox, type SandboxProcess } from '../helpers/sandbox.js';

// Booting from a disk, as most VMIs do: the test guest's disk image as a containerDisk at the path
// where virt-handler mounts it, under the qcow2 overlay vmpod makes, with a cloud-init NoCloud
// volume whose user-data the guest reads back from the ISO vmpod built.

const root = resolve(import.meta.dirname, '../..');
const uid = '6a1b2c3d-0000-4000-8000-0000000000d1';
const userData = '#cloud-config\nvmpod: "hello <&> \\"quoted\\" from the e2e test"\n';

const vmiYaml = `apiVersion: kubevirt.io/v1
kind: VirtualMachineInstance
metadata:
  name: diskvmi
  namespace: default
  uid: ${uid}
spec:
  domain:
    resources:
      requests:
        memory: 256Mi
    devices:
      disks:
        - name: containerdisk
          disk:
            bus: virtio
        - name: cloudinitdisk
          disk:
            bus: virtio
      interfaces:
        - name: default
          bridge: {}
  networks:
    - name: default
      pod: {}
  volumes:
    - name: containerdisk
      containerDisk:
        image: vmpod/test-guest-disk
    - name: cloudinitdisk
      cloudInitNoCloud:
        userData: ${JSON.stringify(userData)}
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
  dir = await mkdtemp(join(tmpdir(), 'vmpod-e2e-disk-'));
  await writeFile(join(dir, 'diskvmi.yaml'), vmiYaml);
  sb = await createSandbox({ ip: '10.244.0.20/24', gateway: '10.244.0.1', hostname: 'diskvmi' });
  // What virt-handler would have mounted: the container disk of volume 0.
  h = sb.start([
    'sh',
    '-c',
    'cp "$0" /run/kubevirt/container-disks/disk_0.img && exec "$1" run --vmi "$2"',
    guest.disk,
    join(root, 'dist/bin/vmpod'),
    join(dir, 'diskvmi.yaml'),
  ]);
  pid1 = await h.pid1();
  console_ = podConsole(pid1, uid, h);
  await h.waitForLine((l) => l.includes('"msg":"standalone VMI started"'), 240_000);
});

afterAll(async () => {
  await sb?.destroy();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('vmpod run --vmi: a VM booting from a containerDisk with cloud-init', () => {
  it('boots from the qcow2 overlay over the container disk', async () => {
    const info = await sb.exec([
      'qemu-img',
      'info',
      '-U', // qemu holds the image's lock while the guest runs
      '--output=json',
      '/run/kubevirt-ephemeral-disks/disk-data/containerdisk/disk.qcow2',
    ]);
    expect(info.code, info.stderr).toBe(0);
    expect(JSON.parse(info.stdout)).toMatchObject({
      format: 'qcow2',
      'backing-filename': '/var/run/kubevirt/container-disks/disk_0.img',
      'backing-filename-format': 'raw',
    });
    await waitForConsole('booted', 180_000);
  });

  it('hands the guest the user-data of its NoCloud volume', async () => {
    const ci = (await waitForConsole('cloud-init', 120_000)) as unknown as { files: Record<string, string> };
    expect(ci.files['user-data']).toBe(userData);
    expect(ci.files['meta-data']).toContain('"local-hostname":"diskvmi"');
  });

  it('gets the pod IP over DHCP and goes down through ACPI on SIGTERM', async () => {
    const bound = (await waitForConsole('dhcp-bound', 120_000)) as { lease: { ip: string } };
    expect(bound.lease.ip).toBe('10.244.0.20');
    process.kill(pid1, 'SIGTERM');
    expect((await h.wait(60_000)).code).toBe(0);
    expect(h.stderr).toContain('shutting the guest down through ACPI');
  });
});
