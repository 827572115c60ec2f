import { VmpodError } from '../errors.js';
import type { Disk, Vmi, Volume } from '../vmi/types.js';
import type { ConvertContext } from './context.js';
import type { Configurator } from './configurator.js';
import { vcpuCount, virtioModel } from './configurator.js';
import { allocateTargets, indexForSuffix } from './disk-target-names.js';
import type { DomainDisk } from './domain-types.js';

// §6.5: one <disk> per spec.domain.devices.disks[] entry, sourced exactly where KubeVirt puts
// each volume type inside the pod (§2.6).

const EPHEMERAL_DISK_DATA = '/var/run/kubevirt-ephemeral-disks/disk-data';
const CLOUD_INIT_DATA = '/var/run/kubevirt-ephemeral-disks/cloud-init-data';
const PRIVATE = '/var/run/kubevirt-private';

interface Source {
  type: DomainDisk['type'];
  driverType: DomainDisk['driver']['type'];
  source: NonNullable<DomainDisk['source']>;
  backingStore?: DomainDisk['backingStore'];
  /** Config and cloud-init ISOs get no discard. */
  discard: boolean;
  block: boolean;
}

// KubeVirt also writes name="<vol>" on a block source; libvirt's schema has no such attribute and
// libvirt drops it on define, so vmpod leaves it out.
function pvcSource(vol: string, ctx: ConvertContext): Source {
  return ctx.blockVolumes.has(vol)
    ? { type: 'block', driverType: 'raw', source: { dev: `/dev/${vol}` }, discard: true, block: true }
    : {
        type: 'file',
        driverType: 'raw',
        source: { file: `${PRIVATE}/vmi-disks/${vol}/disk.img` },
        discard: true,
        block: false,
      };
}

function iso(file: string): Source {
  return { type: 'file', driverType: 'raw', source: { file }, discard: false, block: false };
}

function volumeSource(vmi: Vmi, volume: Volume, ctx: ConvertContext): Source {
  const vol = volume.name;
  const overlay = `${EPHEMERAL_DISK_DATA}/${vol}/disk.qcow2`;
  if (volume.containerDisk) {
    const index = vmi.spec.volumes.indexOf(volume);
    return {
      type: 'file',
      driverType: 'qcow2',
      source: { file: overlay },
      backingStore: {
        type: 'file',
        format: ctx.containerDiskFormats.get(vol) ?? 'raw',
        path: `/var/run/kubevirt/container-disks/disk_${index}.img`,
      },
      discard: true,
      block: false,
    };
  }
  if (volume.ephemeral) {
    const block = ctx.blockVolumes.has(vol);
    return {
      type: 'file',
      driverType: 'qcow2',
      source: { file: overlay },
      backingStore: block
        ? { type: 'block', format: 'raw', path: `/dev/${vol}` }
        : { type: 'file', format: 'raw', path: `${PRIVATE}/vmi-disks/${vol}/disk.img` },
      discard: true,
      block: false,
    };
  }
  if (volume.emptyDisk) {
    return {
      type: 'file',
      driverType: 'qcow2',
      source: { file: `/var/run/libvirt/empty-disks/${vol}.qcow2` },
      discard: true,
      block: false,
    };
  }
  if (volume.hostDisk) {
    const base = volume.hostDisk.path.slice(volume.hostDisk.path.lastIndexOf('/') + 1);
    return {
      type: 'file',
      driverType: 'raw',
      source: { file: `${PRIVATE}/vmi-disks/${vol}/${base}` },
      discard: true,
      block: false,
    };
  }
  if (volume.persistentVolumeClaim || volume.dataVolume) return pvcSource(vol, ctx);
  const { namespace, name } = vmi.metadata;
  if (volume.cloudInitNoCloud) return iso(`${CLOUD_INIT_DATA}/${namespace}/${name}/noCloud.iso`);
  if (volume.cloudInitConfigDrive) return iso(`${CLOUD_INIT_DATA}/${namespace}/${name}/configdrive.iso`);
  if (volume.configMap) return iso(`${PRIVATE}/config-map-disks/${vol}.iso`);
  if (volume.secret) return iso(`${PRIVATE}/secret-disks/${vol}.iso`);
  if (volume.downwardAPI) return iso(`${PRIVATE}/downwardapi-disks/${vol}.iso`);
  if (volume.serviceAccount) return iso(`${PRIVATE}/service-account-disk/service-account.iso`);
  throw new VmpodError('NOT_SUPPORTED', `spec.volumes: volume "${vol}" has no source vmpod can attach`, {
    facts: { path: `spec.volumes[${vmi.spec.volumes.indexOf(volume)}]` },
  });
}

function busOf(disk: Disk): string {
  return disk.disk?.bus ?? disk.cdrom?.bus ?? disk.lun?.bus ?? 'virtio';
}

function cacheOf(disk: Disk, path: string, ctx: ConvertContext): string {
  const noDirectIo = ctx.noDirectIoVolumes.has(disk.name);
  if (disk.cache === 'none' && noDirectIo) {
    throw new VmpodError(
      'VMI_INVALID',
      `${path}.cache: "none" needs O_DIRECT, which the volume's file system lacks`,
      {
        facts: { path: `${path}.cache` },
      },
    );
  }
  return disk.cache ?? (noDirectIo ? 'writethrough' : 'none');
}

function parsePci(address: string) {
  const [domain = '0', bus = '0', slotFn = '0.0'] = address.split(':');
  const [slot = '0', fn = '0'] = slotFn.split('.');
  return { domain: `0x${domain}`, bus: `0x${bus}`, slot: `0x${slot}`, function: `0x${fn}` };
}

export const configureDisks: Configurator = (vmi, ctx, domain) => {
  const { devices } = vmi.spec.domain;
  const statuses = vmi.status.volumeStatus;
  const listed = new Set(statuses.map((s) => s.name));
  // Once the status lists volumes, only the listed ones are attached (§6.5 "Hotplug").
  const indexed = devices.disks
    .map((disk, index) => ({ disk, index }))
    .filter(({ disk }) => statuses.length === 0 || listed.has(disk.name));
  const recorded = new Map(statuses.flatMap((s) => (s.target ? [[s.name, s.target] as const] : [])));
  const targets = allocateTargets(
    indexed.map(({ disk }) => ({ name: disk.name, bus: busOf(disk) })),
    recorded,
  );
  const volumes = new Map(vmi.spec.volumes.map((v) => [v.name, v]));

  indexed.forEach(({ disk, index }, i) => {
    const path = `spec.domain.devices.disks[${index}]`;
    if (disk.dedicatedIOThread && busOf(disk) !== 'virtio') {
      throw new VmpodError('VMI_INVALID', `${path}.dedicatedIOThread: only virtio disks can have one`, {
        facts: { path: `${path}.dedicatedIOThread` },
      });
    }
    if (disk.lun?.reservation) {
      throw new VmpodError('NOT_SUPPORTED', `${path}.lun.reservation: not supported by vmpod`, {
        facts: { path: `${path}.lun.reservation` },
      });
    }
    const bus = busOf(disk);
    const dev = targets[i] as string;
    const device: DomainDisk['device'] = disk.cdrom ? 'cdrom' : disk.lun ? 'lun' : 'disk';
    const volume = volumes.get(disk.name);
    const src = volume ? volumeSource(vmi, volume, ctx) : undefined;
    const cache = cacheOf(disk, path, ctx);
    if (disk.shareable && cache !== 'none') {
      throw new VmpodError('VMI_INVALID', `${path}.shareable: a shareable disk needs cache "none"`, {
        facts: { path: `${path}.shareable` },
      });
    }
    const out: DomainDisk = {
      type: src?.type ?? 'block',
      device,
      driver: {
        name: 'qemu',
        type: src?.driverType ?? 'raw',
        cache,
        errorPolicy: disk.errorPolicy ?? 'stop',
      },
      target: { bus, dev },
      alias: `ua-${disk.name}`,
    };
    if (src) {
      out.source = src.source;
      if (src.backingStore) out.backingStore = src.backingStore;
      if (disk.io) out.driver.io = disk.io;
      else if (cache === 'none' && src.block) out.driver.io = 'native';
      if (src.discard && device !== 'cdrom' && !ctx.preallocatedVolumes.has(disk.name))
        out.driver.discard = 'unmap';
    }
    if (bus === 'virtio') {
      out.model = virtioModel(vmi);
      if (devices.blockMultiQueue) out.driver.queues = vcpuCount(vmi);
    }
    if (disk.cdrom) {
      if (disk.cdrom.readonly !== false) out.readonly = true;
      if (disk.cdrom.tray) out.target.tray = disk.cdrom.tray;
    }
    if (disk.disk?.readonly || disk.lun?.readonly) out.readonly = true;
    if (disk.shareable) out.shareable = true;
    if (disk.serial) out.serial = disk.serial;
    if (disk.bootOrder !== undefined) out.bootOrder = disk.bootOrder;
    if (bus === 'scsi') out.driveAddress = { controller: 0, bus: 0, unit: indexForSuffix(dev.slice(2)) };
    if (disk.disk?.pciAddress) out.pciAddress = parsePci(disk.disk.pciAddress);
    domain.devices.disks.push(out);
  });
};
