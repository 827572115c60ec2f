import { describe, expect, it } from 'vitest';
import { VmpodError } from '../../../src/errors.js';
import {
  DEFAULT_DISK_DIRS,
  cloudInitIsoPath,
  containerDiskImagePath,
  emptyDiskPath,
  overlayPath,
  stagingPath,
} from '../../../src/disks/paths.js';

const vmi = { namespace: 'default', name: 'testvmi' };

describe('disk paths', () => {
  it('match KubeVirt’s launcher paths under the default directories', () => {
    expect(containerDiskImagePath(DEFAULT_DISK_DIRS, 0)).toBe('/var/run/kubevirt/container-disks/disk_0.img');
    expect(containerDiskImagePath(DEFAULT_DISK_DIRS, 3)).toBe('/var/run/kubevirt/container-disks/disk_3.img');
    expect(overlayPath(DEFAULT_DISK_DIRS, 'rootdisk')).toBe(
      '/var/run/kubevirt-ephemeral-disks/disk-data/rootdisk/disk.qcow2',
    );
    expect(emptyDiskPath(DEFAULT_DISK_DIRS, 'scratch')).toBe('/var/run/libvirt/empty-disks/scratch.qcow2');
    expect(cloudInitIsoPath(DEFAULT_DISK_DIRS, vmi, 'noCloud')).toBe(
      '/var/run/kubevirt-ephemeral-disks/cloud-init-data/default/testvmi/noCloud.iso',
    );
    expect(cloudInitIsoPath(DEFAULT_DISK_DIRS, vmi, 'configDrive')).toBe(
      '/var/run/kubevirt-ephemeral-disks/cloud-init-data/default/testvmi/configdrive.iso',
    );
    expect(stagingPath('/x/noCloud.iso')).toBe('/x/noCloud.iso.staging');
  });

  it('follow overridden base directories', () => {
    const dirs = { ephemeralDiskDir: '/tmp/e', containerDiskDir: '/tmp/c', emptyDiskDir: '/tmp/m' };
    expect(containerDiskImagePath(dirs, 1)).toBe('/tmp/c/disk_1.img');
    expect(overlayPath(dirs, 'v')).toBe('/tmp/e/disk-data/v/disk.qcow2');
    expect(emptyDiskPath(dirs, 'v')).toBe('/tmp/m/v.qcow2');
    expect(cloudInitIsoPath(dirs, vmi, 'noCloud')).toBe('/tmp/e/cloud-init-data/default/testvmi/noCloud.iso');
  });

  it.each(['', '.', '..', 'a/b', '../x', 'a\0b'])('refuse the name %j as a path component', (name) => {
    expect(() => overlayPath(DEFAULT_DISK_DIRS, name)).toThrow(VmpodError);
    expect(() => emptyDiskPath(DEFAULT_DISK_DIRS, name)).toThrow(VmpodError);
    expect(() => cloudInitIsoPath(DEFAULT_DISK_DIRS, { namespace: name, name: 'x' }, 'noCloud')).toThrow(
      expect.objectContaining({ code: 'DISK_INVALID_NAME' }),
    );
  });

  it.each([-1, 1.5, Number.NaN])('refuse the volume index %d', (index) => {
    expect(() => containerDiskImagePath(DEFAULT_DISK_DIRS, index)).toThrow(
      expect.objectContaining({ code: 'DISK_INVALID_NAME' }),
    );
  });
});
