import { posix } from 'node:path';
import { VmpodError } from '../errors.js';
import type { VmiIdentity } from './types.js';

// Where KubeVirt's launcher keeps each prepared disk (KUBEVIRT.md §2.6, §6.5). Pure: paths only.

export interface DiskDirs {
  /** `--ephemeral-disk-dir`: overlays (`disk-data`) and cloud-init ISOs (`cloud-init-data`). */
  readonly ephemeralDiskDir: string;
  /** `--container-disk-dir`: where the handler bind-mounts container-disk images. */
  readonly containerDiskDir: string;
  /** Where emptyDisk images live; KubeVirt has no flag for it. */
  readonly emptyDiskDir: string;
}

export const DEFAULT_DISK_DIRS: DiskDirs = Object.freeze({
  ephemeralDiskDir: '/var/run/kubevirt-ephemeral-disks',
  containerDiskDir: '/var/run/kubevirt/container-disks',
  emptyDiskDir: '/var/run/libvirt/empty-disks',
});

// A volume or VMI name becomes a path component: refuse anything that could climb out of it.
function component(what: string, value: string): string {
  if (value === '' || value === '.' || value === '..' || value.includes('/') || value.includes('\0')) {
    throw new VmpodError('DISK_INVALID_NAME', `${what} ${JSON.stringify(value)} cannot name a file`, {
      facts: { what, value },
    });
  }
  return value;
}

export function containerDiskImagePath(dirs: DiskDirs, volumeIndex: number): string {
  if (!Number.isSafeInteger(volumeIndex) || volumeIndex < 0) {
    throw new VmpodError('DISK_INVALID_NAME', `volume index ${volumeIndex} is not a non-negative integer`, {
      facts: { what: 'volumeIndex', value: volumeIndex },
    });
  }
  return posix.join(dirs.containerDiskDir, `disk_${volumeIndex}.img`);
}

/** The qcow2 overlay of a containerDisk or ephemeral volume. */
export function overlayPath(dirs: DiskDirs, volumeName: string): string {
  return posix.join(dirs.ephemeralDiskDir, 'disk-data', component('volume name', volumeName), 'disk.qcow2');
}

export function emptyDiskPath(dirs: DiskDirs, volumeName: string): string {
  return posix.join(dirs.emptyDiskDir, `${component('volume name', volumeName)}.qcow2`);
}

export function cloudInitDir(dirs: DiskDirs, vmi: VmiIdentity): string {
  return posix.join(
    dirs.ephemeralDiskDir,
    'cloud-init-data',
    component('namespace', vmi.namespace),
    component('VMI name', vmi.name),
  );
}

export type CloudInitDataSource = 'noCloud' | 'configDrive';

export function cloudInitIsoPath(dirs: DiskDirs, vmi: VmiIdentity, source: CloudInitDataSource): string {
  return posix.join(cloudInitDir(dirs, vmi), source === 'noCloud' ? 'noCloud.iso' : 'configdrive.iso');
}

/** The name an ISO is built under before it is renamed into place. */
export function stagingPath(finalPath: string): string {
  return `${finalPath}.staging`;
}
