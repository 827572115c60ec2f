import { invalid } from './field-reader.js';
import { firmwareUuidForName } from './firmware-uuid.js';
import type { Vmi } from './types.js';

// What KubeVirt's API webhooks (and the VM controller, for the firmware UUID) would have filled
// in, so a hand-written VMI converts exactly like one that went through the API server.
// Returns a new VMI; the input is left alone.

export function applyDefaults(input: Vmi): Vmi {
  const vmi = structuredClone(input);
  const { domain } = vmi.spec;
  const { devices } = domain;

  if (!domain.machine.type) domain.machine.type = 'q35';
  if (!domain.firmware.uuid) domain.firmware.uuid = firmwareUuidForName(vmi.metadata.name);
  // The API server gives every object a uid; a hand-written VMI (standalone mode) gets a stable
  // one, since the serial console and VNC socket paths contain it.
  if (!vmi.metadata.uid)
    vmi.metadata.uid = firmwareUuidForName(`uid:${vmi.metadata.namespace}/${vmi.metadata.name}`);

  // EFI boots with Secure Boot unless told otherwise, and Secure Boot needs SMM.
  const efi = domain.firmware.bootloader?.efi;
  if (efi) {
    efi.secureBoot ??= true;
    if (efi.secureBoot) {
      domain.features ??= {};
      domain.features.smm ??= { enabled: true };
    }
    // libvirt refuses UEFI without ACPI on x86_64 ("UEFI requires ACPI on this architecture").
    domain.features ??= { acpi: { enabled: true } };
  }

  // Memory: guest, else the request, else the limit.
  const guest = domain.memory.guest ?? domain.resources.requests.memory ?? domain.resources.limits.memory;
  if (guest === undefined || guest <= 0) {
    throw invalid(
      'spec.domain.memory.guest',
      'no guest memory: set memory.guest or resources.requests.memory',
    );
  }
  domain.memory.guest = guest;
  if (domain.resources.requests.memory === undefined && domain.resources.limits.memory === undefined) {
    domain.resources.requests.memory = guest;
  }

  // CPU topology: all unset → sockets from the CPU limit, else the request, else 1.
  const { cpu } = domain;
  if (!cpu.sockets && !cpu.cores && !cpu.threads) {
    const fromResources = domain.resources.limits.cpu ?? domain.resources.requests.cpu;
    cpu.sockets = fromResources === undefined ? 1 : Math.max(1, Math.ceil(fromResources));
  }
  cpu.sockets = cpu.sockets || 1;
  cpu.cores = cpu.cores || 1;
  cpu.threads = cpu.threads || 1;

  // Every volume without a disk gets a plain disk (SetDefaultVolumeDisk).
  for (const volume of vmi.spec.volumes) {
    if (!devices.disks.some((d) => d.name === volume.name)) devices.disks.push({ name: volume.name });
  }
  for (const disk of devices.disks) {
    if (!disk.disk && !disk.cdrom && !disk.lun) disk.disk = {};
    if (disk.disk) disk.disk.bus ??= 'virtio';
    if (disk.cdrom) {
      disk.cdrom.bus ??= 'sata';
      disk.cdrom.readonly ??= true;
      disk.cdrom.tray ??= 'closed';
    }
    if (disk.lun) disk.lun.bus ??= 'scsi';
  }

  // No interfaces and no networks: one bridge interface on the pod network (the cluster's
  // default binding is bridge).
  if (
    devices.interfaces.length === 0 &&
    vmi.spec.networks.length === 0 &&
    devices.autoattachPodInterface !== false
  ) {
    devices.interfaces.push({ name: 'default', bridge: {} });
    vmi.spec.networks.push({ name: 'default', pod: {} });
  }
  for (const iface of devices.interfaces) iface.model ??= 'virtio';

  if (devices.watchdog?.i6300esb) devices.watchdog.i6300esb.action ??= 'reset';
  for (const input of devices.inputs) input.bus ??= 'usb';
  return vmi;
}
