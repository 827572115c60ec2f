import { describe, expect, it } from 'vitest';
import { configureDisks } from '../../../src/domain/configure-disks.js';
import { allocateTargets, indexForSuffix, suffixForIndex } from '../../../src/domain/disk-target-names.js';
import { run, vmiWith } from './fixtures.js';

const one = (volume: Record<string, unknown>, disk: Record<string, unknown> = { disk: {} }, ctx = {}) =>
  run(
    configureDisks,
    vmiWith({ devices: { disks: [{ name: 'v', ...disk }] } }, { volumes: [{ name: 'v', ...volume }] }),
    ctx,
  ).devices.disks[0];

describe('disk target names', () => {
  it('counts a..z, then aa, ab…', () => {
    expect([0, 1, 25, 26, 27, 701, 702].map(suffixForIndex)).toEqual([
      'a',
      'b',
      'z',
      'aa',
      'ab',
      'zz',
      'aaa',
    ]);
    for (const n of [0, 25, 26, 700, 5000]) expect(indexForSuffix(suffixForIndex(n))).toBe(n);
  });
  it('allocates per prefix in disk order and keeps targets recorded in the status', () => {
    const disks = [
      { name: 'a', bus: 'virtio' },
      { name: 'b', bus: 'sata' },
      { name: 'c', bus: 'virtio' },
      { name: 'd', bus: 'scsi' },
    ];
    expect(allocateTargets(disks, new Map())).toEqual(['vda', 'sda', 'vdb', 'sdb']);
    expect(
      allocateTargets(
        disks,
        new Map([
          ['c', 'vda'],
          ['d', 'sda'],
        ]),
      ),
    ).toEqual(['vdb', 'sdb', 'vda', 'sda']);
    // A recorded target of the wrong prefix (bus changed) is not kept.
    expect(allocateTargets([{ name: 'a', bus: 'sata' }], new Map([['a', 'vdc']]))).toEqual(['sda']);
  });
});

describe('disks', () => {
  it('overlays a containerDisk on disk_<volume index>.img', () => {
    const d = one(
      { containerDisk: { image: 'i' } },
      { disk: {} },
      { containerDiskFormats: new Map([['v', 'qcow2']]) },
    );
    expect(d).toEqual({
      type: 'file',
      device: 'disk',
      driver: { name: 'qemu', type: 'qcow2', cache: 'none', errorPolicy: 'stop', discard: 'unmap' },
      source: { file: '/var/run/kubevirt-ephemeral-disks/disk-data/v/disk.qcow2' },
      backingStore: { type: 'file', format: 'qcow2', path: '/var/run/kubevirt/container-disks/disk_0.img' },
      target: { bus: 'virtio', dev: 'vda' },
      model: 'virtio-non-transitional',
      alias: 'ua-v',
    });
  });
  it.each([
    [{ emptyDisk: { capacity: '1Gi' } }, 'file', 'qcow2', { file: '/var/run/libvirt/empty-disks/v.qcow2' }],
    [
      { hostDisk: { path: '/a/b/img.raw', type: 'Disk' } },
      'file',
      'raw',
      { file: '/var/run/kubevirt-private/vmi-disks/v/img.raw' },
    ],
    [
      { persistentVolumeClaim: { claimName: 'c' } },
      'file',
      'raw',
      { file: '/var/run/kubevirt-private/vmi-disks/v/disk.img' },
    ],
    [
      { dataVolume: { name: 'dv' } },
      'file',
      'raw',
      { file: '/var/run/kubevirt-private/vmi-disks/v/disk.img' },
    ],
    [
      { cloudInitNoCloud: { userData: 'x' } },
      'file',
      'raw',
      { file: '/var/run/kubevirt-ephemeral-disks/cloud-init-data/ns/vm/noCloud.iso' },
    ],
    [
      { cloudInitConfigDrive: { userData: 'x' } },
      'file',
      'raw',
      { file: '/var/run/kubevirt-ephemeral-disks/cloud-init-data/ns/vm/configdrive.iso' },
    ],
    [
      { configMap: { name: 'm' } },
      'file',
      'raw',
      { file: '/var/run/kubevirt-private/config-map-disks/v.iso' },
    ],
    [
      { secret: { secretName: 's' } },
      'file',
      'raw',
      { file: '/var/run/kubevirt-private/secret-disks/v.iso' },
    ],
    [{ downwardAPI: {} }, 'file', 'raw', { file: '/var/run/kubevirt-private/downwardapi-disks/v.iso' }],
    [
      { serviceAccount: { serviceAccountName: 'sa' } },
      'file',
      'raw',
      { file: '/var/run/kubevirt-private/service-account-disk/service-account.iso' },
    ],
  ])('sources %j where KubeVirt mounts it', (volume, type, driverType, source) => {
    const d = one(volume);
    expect(d?.type).toBe(type);
    expect(d?.driver.type).toBe(driverType);
    expect(d?.source).toEqual(source);
  });
  it('gives config and cloud-init ISOs no discard', () => {
    expect(one({ configMap: { name: 'm' } })?.driver.discard).toBeUndefined();
    expect(one({ cloudInitNoCloud: { userData: 'x' } })?.driver.discard).toBeUndefined();
  });
  it('attaches a block PVC by device with io native, and no discard when preallocated', () => {
    const d = one(
      { persistentVolumeClaim: { claimName: 'c' } },
      { disk: {} },
      { blockVolumes: new Set(['v']), preallocatedVolumes: new Set(['v']) },
    );
    expect(d?.type).toBe('block');
    expect(d?.source).toEqual({ dev: '/dev/v' });
    expect(d?.driver).toEqual({
      name: 'qemu',
      type: 'raw',
      cache: 'none',
      io: 'native',
      errorPolicy: 'stop',
    });
  });
  it('backs an ephemeral volume with the PVC image under a qcow2 overlay', () => {
    const d = one({ ephemeral: { persistentVolumeClaim: { claimName: 'c' } } });
    expect(d?.backingStore).toEqual({
      type: 'file',
      format: 'raw',
      path: '/var/run/kubevirt-private/vmi-disks/v/disk.img',
    });
  });
  it('makes a cdrom read-only with its tray, and one without a volume an empty block cdrom', () => {
    const vmi = vmiWith(
      {
        devices: {
          disks: [
            { name: 'v', cdrom: { tray: 'open' } },
            { name: 'empty', cdrom: {} },
          ],
        },
      },
      { volumes: [{ name: 'v', dataVolume: { name: 'x' } }] },
    );
    const [cd, empty] = run(configureDisks, vmi).devices.disks;
    expect(cd).toMatchObject({
      device: 'cdrom',
      readonly: true,
      target: { bus: 'sata', dev: 'sda', tray: 'open' },
    });
    expect(cd?.driver.discard).toBeUndefined();
    expect(empty).toEqual({
      type: 'block',
      device: 'cdrom',
      driver: { name: 'qemu', type: 'raw', cache: 'none', errorPolicy: 'stop' },
      target: { bus: 'sata', dev: 'sdb', tray: 'closed' },
      readonly: true,
      alias: 'ua-empty',
    });
  });
  it('addresses SCSI disks by unit and copies serial, boot order, error policy, cache, io', () => {
    const d = one(
      { emptyDisk: { capacity: '1Gi' } },
      {
        lun: undefined,
        disk: { bus: 'scsi' },
        serial: 'X1',
        bootOrder: 3,
        errorPolicy: 'enospace',
        cache: 'writethrough',
        io: 'threads',
      },
    );
    expect(d).toMatchObject({
      serial: 'X1',
      bootOrder: 3,
      driveAddress: { controller: 0, bus: 0, unit: 0 },
      driver: { errorPolicy: 'enospace', cache: 'writethrough', io: 'threads' },
    });
    expect(d?.model).toBeUndefined();
  });
  it('sets virtio queues to the vCPU count with blockMultiQueue, and the transitional model when asked', () => {
    const vmi = vmiWith(
      {
        cpu: { cores: 3 },
        devices: { blockMultiQueue: true, useVirtioTransitional: true, disks: [{ name: 'v' }] },
      },
      { volumes: [{ name: 'v', emptyDisk: { capacity: '1Gi' } }] },
    );
    const d = run(configureDisks, vmi).devices.disks[0];
    expect(d?.driver.queues).toBe(3);
    expect(d?.model).toBe('virtio-transitional');
  });
  it('falls back to writethrough without O_DIRECT and refuses an explicit cache none there', () => {
    expect(
      one({ emptyDisk: { capacity: '1Gi' } }, { disk: {} }, { noDirectIoVolumes: new Set(['v']) })?.driver
        .cache,
    ).toBe('writethrough');
    expect(() =>
      one(
        { emptyDisk: { capacity: '1Gi' } },
        { disk: {}, cache: 'none' },
        { noDirectIoVolumes: new Set(['v']) },
      ),
    ).toThrow(
      expect.objectContaining({ code: 'VMI_INVALID', facts: { path: 'spec.domain.devices.disks[0].cache' } }),
    );
  });
  it('attaches only disks listed in the status once it lists any', () => {
    const vmi = vmiWith(
      { devices: { disks: [{ name: 'a' }, { name: 'b' }] } },
      {
        volumes: [
          { name: 'a', emptyDisk: { capacity: '1Gi' } },
          { name: 'b', emptyDisk: { capacity: '1Gi' } },
        ],
      },
      { status: { volumeStatus: [{ name: 'b', target: 'vdc' }] } },
    );
    expect(run(configureDisks, vmi).devices.disks.map((d) => [d.alias, d.target.dev])).toEqual([
      ['ua-b', 'vdc'],
    ]);
  });
  it('refuses a dedicated I/O thread on a non-virtio disk', () => {
    expect(() =>
      one({ emptyDisk: { capacity: '1Gi' } }, { disk: { bus: 'sata' }, dedicatedIOThread: true }),
    ).toThrow(
      expect.objectContaining({
        code: 'VMI_INVALID',
        facts: { path: 'spec.domain.devices.disks[0].dedicatedIOThread' },
      }),
    );
  });
});
