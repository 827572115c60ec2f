import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exited, qmp, run, stop, withDeadline } from '../helpers/qemu-process.js';
import { buildGuest, type Guest, GuestConsole } from '../helpers/guest.js';

// Boots the test guest's disk image (SeaBIOS → syslinux → kernel → the same initramfs) under TCG,
// through a qcow2 overlay as a virtio disk, with a cloud-init NoCloud ISO (volume label cidata) as
// a second virtio disk, and checks the guest reports the ISO's files exactly (images/guest/README.md).

// Quotes, backslashes, tabs, a non-ASCII character and no final newline: the JSON escaping is exact.
const userData = '#cloud-config\nhostname: "vmpod\\test"\nruncmd:\n\t- echo ✓ done\n';
const metaData = 'instance-id: i-vmpod-disk-1\nlocal-hostname: vmpod-disk';

interface DiskGuest {
  readonly serial: GuestConsole;
  guest(): Guest;
  qemu(): ChildProcess | undefined;
  qmpSocket(): string;
  context(): string;
}

/**
 * Registers hooks that boot disk.img through a qcow2 overlay as a virtio disk, no network, plus,
 * given seed files, a NoCloud ISO (volume label cidata) built from them as a second virtio disk.
 */
function bootDisk(seedFiles: Record<string, string> | undefined): DiskGuest {
  const serial = new GuestConsole();
  let workDir: string | undefined;
  let guest: Guest | undefined;
  let qemu: ChildProcess | undefined;
  let qemuStderr = '';
  let qmpSocket = '';
  const context = (): string => `--- qemu stderr ---\n${qemuStderr}\n--- console ---\n${serial.transcript()}`;

  beforeAll(async () => {
    const built = await buildGuest();
    guest = built;
    const dir = await mkdtemp(join(tmpdir(), 'vmpod-guest-disk-'));
    workDir = dir;
    qmpSocket = join(dir, 'qmp.sock');

    const drives: string[] = [];
    // The cached disk.img is shared: the guest writes only to an overlay of its own.
    const overlay = join(dir, 'overlay.qcow2');
    await run('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'raw', '-b', built.disk, overlay]);
    drives.push('-drive', `file=${overlay},format=qcow2,if=virtio`);
    if (seedFiles) {
      const seed = join(dir, 'seed');
      await mkdir(seed);
      for (const [name, text] of Object.entries(seedFiles)) await writeFile(join(seed, name), text);
      const iso = join(dir, 'cidata.iso');
      await run('xorrisofs', ['-quiet', '-output', iso, '-volid', 'cidata', '-joliet', '-rock', seed]);
      drives.push('-drive', `file=${iso},format=raw,if=virtio,readonly=on`);
    }

    const vm = spawn(
      'qemu-system-x86_64',
      [
        '-accel',
        'tcg',
        '-m',
        '256',
        '-smp',
        '1',
        '-nographic',
        '-no-reboot',
        '-monitor',
        'none',
        '-serial',
        'stdio',
        '-qmp',
        `unix:${qmpSocket},server=on,wait=off`,
        '-nic',
        'none',
        ...drives,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    qemu = vm;
    serial.attach(vm.stdout!);
    vm.stderr?.on('data', (chunk: Buffer) => {
      qemuStderr += chunk.toString();
    });
    void exited(vm).then(({ code, signal }) => serial.end(`qemu exited, code ${code}, signal ${signal}`));
  });

  afterAll(async () => {
    const errors: unknown[] = [];
    try {
      await stop(qemu);
    } catch (error) {
      errors.push(error);
    }
    if (workDir) {
      try {
        await rm(workDir, { recursive: true, force: true });
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, 'guest-disk-boot cleanup failed');
  });

  return {
    serial,
    guest: () => {
      if (!guest) throw new Error('the guest was not built');
      return guest;
    },
    qemu: () => qemu,
    qmpSocket: () => qmpSocket,
    context,
  };
}

async function powerOff(vm: DiskGuest): Promise<void> {
  const child = vm.qemu();
  expect(child, 'qemu was started').toBeDefined();
  const gone = exited(child!);
  await qmp(vm.qmpSocket(), ['qmp_capabilities', 'system_powerdown'], 10_000);
  await vm.serial.waitFor('poweroff', 30_000);
  const exit = await withDeadline(gone, 30_000, () => `qemu did not exit after poweroff\n${vm.context()}`);
  expect(exit, vm.context()).toEqual({ code: 0, signal: null });
}

describe('test guest disk image boots through syslinux and reports its cloud-init NoCloud ISO', () => {
  const vm = bootDisk({ 'user-data': userData, 'meta-data': metaData });

  it('boots the Debian kernel from the disk through syslinux', async () => {
    const booted = await vm.serial.waitFor('booted', 90_000);
    expect(booted.kernel).toBe(vm.guest().manifest.kernelVersion);
    // Booted from the disk, not from -kernel: syslinux hands its BOOT_IMAGE to the kernel.
    expect(vm.serial.lines.some((l) => l.includes('BOOT_IMAGE=/vmlinuz'))).toBe(true);
  });

  it('reports the NoCloud ISO user-data and meta-data exactly, on one line', async () => {
    const ci = await vm.serial.waitFor('cloud-init', 60_000);
    expect(ci.userData, vm.context()).toBe(userData);
    expect(ci.metaData, vm.context()).toBe(metaData);
    expect(ci.networkConfig).toBeUndefined();
    expect(ci.files).toEqual({ 'user-data': userData, 'meta-data': metaData });
    expect(vm.serial.events.filter((e) => e.kind === 'cloud-init-absent')).toEqual([]);
  });

  it('powers off on the ACPI power button and qemu exits by itself', async () => {
    await powerOff(vm);
  });
});

describe('test guest disk image without a NoCloud ISO', () => {
  const vm = bootDisk(undefined);

  it('says cloud-init-absent, once, and nothing else about cloud-init', async () => {
    await vm.serial.waitFor('booted', 90_000);
    await vm.serial.waitFor('cloud-init-absent', 60_000);
    const reports = vm.serial.events.filter((e) => e.kind === 'cloud-init' || e.kind === 'cloud-init-absent');
    expect(reports, vm.context()).toEqual([{ kind: 'cloud-init-absent' }]);
  });

  it('powers off on the ACPI power button and qemu exits by itself', async () => {
    await powerOff(vm);
  });
});
