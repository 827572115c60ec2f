import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VmpodError } from '../../../src/errors.js';
import { applyDefaults, loadVmi, parseVmiObject, parseVmiText } from '../../../src/vmi/index.js';
import { examplesDir } from '../domain/golden-context.js';

interface Doc {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string };
  spec: {
    domain: { devices: Record<string, unknown> & { disks?: unknown[] }; [k: string]: unknown };
    volumes: unknown[];
    [k: string]: unknown;
  };
}

const base = (): Doc => ({
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachineInstance',
  metadata: { name: 'vm1', namespace: 'ns' },
  spec: {
    domain: { memory: { guest: '64Mi' }, devices: { disks: [{ name: 'root', disk: { bus: 'virtio' } }] } },
    volumes: [{ name: 'root', containerDisk: { image: 'x' } }],
  },
});

function rejection(doc: unknown): VmpodError {
  try {
    parseVmiObject(doc);
  } catch (err) {
    if (err instanceof VmpodError) return err;
    throw err;
  }
  throw new Error('accepted');
}

describe('parsing a VMI', () => {
  it('reads every KubeVirt example from YAML', () => {
    for (const f of readdirSync(examplesDir).filter((n) => n.endsWith('.yaml'))) {
      const vmi = loadVmi(readFileSync(join(examplesDir, f), 'utf8'));
      expect(vmi.metadata.name).toBe(f.replace('.yaml', ''));
    }
  });

  it('reads JSON as well as YAML', () => {
    const vmi = parseVmiText(JSON.stringify(base()));
    expect(vmi.spec.domain.memory.guest).toBe(64 * 2 ** 20);
    expect(vmi.metadata.namespace).toBe('ns');
  });

  it('parses quantities in decimal and binary units', () => {
    const doc = base();
    doc.spec.domain.memory = { guest: '1024M' };
    expect(parseVmiObject(doc).spec.domain.memory.guest).toBe(1_024_000_000);
  });

  it('refuses text that is not YAML', () => {
    expect(() => parseVmiText('{ unterminated')).toThrow(expect.objectContaining({ code: 'VMI_INVALID' }));
  });

  it('refuses text over 1.5 MiB (etcd would not store it) before parsing it', () => {
    const padded = `${JSON.stringify(base())}\n#${'x'.repeat(1.5 * 1024 * 1024)}`;
    const started = performance.now();
    expect(() => parseVmiText(padded)).toThrow(
      expect.objectContaining({ code: 'VMI_INVALID', message: expect.stringContaining('1.5 MiB') }),
    );
    expect(performance.now() - started).toBeLessThan(1_000);
    // Just under the limit is still read.
    const fits = `${JSON.stringify(base())}\n#${'x'.repeat(1024 * 1024)}`;
    expect(parseVmiText(fits).metadata.name).toBe(base().metadata.name);
  });

  it('names the field path of an unknown disk bus', () => {
    const doc = base();
    doc.spec.domain.devices.disks?.push({ name: 'two', disk: { bus: 'ide' } });
    doc.spec.volumes.push({ name: 'two', emptyDisk: { capacity: '1Gi' } });
    const err = rejection(doc);
    expect(err.code).toBe('VMI_INVALID');
    expect(err.facts.path).toBe('spec.domain.devices.disks[1].disk.bus');
    expect(err.message).toBe('spec.domain.devices.disks[1].disk.bus: unknown bus "ide"');
  });

  it.each([
    [(d: Doc) => (d.metadata.name = 'Bad_Name'), 'metadata.name'],
    [(d: Doc) => (d.spec.volumes = []), 'spec.domain.devices.disks[0].name'],
    [(d: Doc) => (d.spec.domain.memory = { guest: 'lots' }), 'spec.domain.memory.guest'],
    [(d: Doc) => (d.spec.volumes = [{ name: 'root' }]), 'spec.volumes[0]'],
    [
      (d: Doc) =>
        (d.spec.volumes = [{ name: 'root', emptyDisk: { capacity: '1Gi' }, containerDisk: { image: 'x' } }]),
      'spec.volumes[0]',
    ],
    [
      (d: Doc) => {
        d.spec.domain.devices = { interfaces: [{ name: 'default', masquerade: {} }] };
        d.spec.networks = [{ name: 'other', pod: {} }];
      },
      'spec.domain.devices.interfaces[0].name',
    ],
    [
      (d: Doc) => {
        d.spec.domain.devices = { interfaces: [{ name: 'default', masquerade: {}, macAddress: 'zz:00' }] };
        d.spec.networks = [{ name: 'default', pod: {} }];
      },
      'spec.domain.devices.interfaces[0].macAddress',
    ],
    [
      (d: Doc) => {
        d.spec.domain.devices = { interfaces: [{ name: 'm', masquerade: {} }] };
        d.spec.networks = [{ name: 'm', multus: { networkName: 'x' } }];
      },
      'spec.domain.devices.interfaces[0].masquerade',
    ],
    [
      (d: Doc) => {
        d.spec.domain.devices = {
          interfaces: [{ name: 'default', masquerade: {}, portRanges: [{ start: 2000, end: 1000 }] }],
        };
        d.spec.networks = [{ name: 'default', pod: {} }];
      },
      'spec.domain.devices.interfaces[0].portRanges[0]',
    ],
    [
      (d: Doc) => {
        d.spec.domain.devices = {
          interfaces: [{ name: 'default', masquerade: {}, portRanges: [{ start: 1000 }] }],
        };
        d.spec.networks = [{ name: 'default', pod: {} }];
      },
      'spec.domain.devices.interfaces[0].portRanges[0].end',
    ],
    [
      (d: Doc) => {
        d.spec.domain.devices = {
          interfaces: [
            { name: 'default', masquerade: {}, portRanges: [{ start: 1, end: 9, protocol: 'SCTP' }] },
          ],
        };
        d.spec.networks = [{ name: 'default', pod: {} }];
      },
      'spec.domain.devices.interfaces[0].portRanges[0].protocol',
    ],
    [
      (d: Doc) => {
        d.spec.domain.devices = {
          interfaces: [{ name: 'default', bridge: {}, portRanges: [{ start: 1, end: 9 }] }],
        };
        d.spec.networks = [{ name: 'default', pod: {} }];
      },
      'spec.domain.devices.interfaces[0].portRanges',
    ],
    [
      (d: Doc) => {
        d.spec.domain.devices = {
          interfaces: [
            { name: 'default', masquerade: {}, ports: [{ port: 80 }], portRanges: [{ start: 1, end: 9 }] },
          ],
        };
        d.spec.networks = [{ name: 'default', pod: {} }];
      },
      'spec.domain.devices.interfaces[0].portRanges',
    ],
    [
      (d: Doc) => {
        d.spec.domain.devices = {
          interfaces: [
            {
              name: 'default',
              masquerade: {},
              portRanges: [
                { start: 1, end: 9 },
                { start: 9, end: 20, protocol: 'TCP' },
              ],
            },
          ],
        };
        d.spec.networks = [{ name: 'default', pod: {} }];
      },
      'spec.domain.devices.interfaces[0].portRanges',
    ],
    [(d: Doc) => (d.spec.domain.firmware = { uuid: 'not-a-uuid' }), 'spec.domain.firmware.uuid'],
    [(d: Doc) => (d.spec.domain.clock = { timezone: 'Bad Zone' }), 'spec.domain.clock.timezone'],
    [
      (d: Doc) => (d.spec.domain.devices = { disks: [{ name: 'root', disk: {}, serial: 'has space' }] }),
      'spec.domain.devices.disks[0].serial',
    ],
    [
      (d: Doc) => (d.spec.domain.devices = { disks: [{ name: 'root', disk: {}, cdrom: {} }] }),
      'spec.domain.devices.disks[0]',
    ],
    [
      (d: Doc) => (d.spec.domain.devices = { disks: [{ name: 'root', cdrom: { bus: 'virtio' } }] }),
      'spec.domain.devices.disks[0].cdrom.bus',
    ],
    [
      (d: Doc) => (d.spec.domain.devices = { disks: [{ name: 'root', lun: {} }] }),
      'spec.domain.devices.disks[0].lun',
    ],
    [
      (d: Doc) =>
        (d.spec.domain.devices.disks = [
          { name: 'root', disk: {} },
          { name: 'root', disk: {} },
        ]),
      'spec.domain.devices.disks[1].name',
    ],
    [(d: Doc) => (d.spec.domain.cpu = { sockets: -1 }), 'spec.domain.cpu.sockets'],
    [(d: Doc) => (d.kind = 'Pod'), 'kind'],
    [
      (d: Doc) => (d.spec.volumes = [{ name: '../../etc', emptyDisk: { capacity: '1Gi' } }]),
      'spec.volumes[0].name',
    ],
    [(d: Doc) => ((d.metadata as Record<string, unknown>).uid = '../x'), 'metadata.uid'],
    [
      (d: Doc) => (d.spec.volumes = [{ name: 'root', hostDisk: { path: '/data/..', type: 'Disk' } }]),
      'spec.volumes[0].hostDisk.path',
    ],
    [
      (d: Doc) => (d.spec.volumes = [{ name: 'root', hostDisk: { path: 'relative.img', type: 'Disk' } }]),
      'spec.volumes[0].hostDisk.path',
    ],
    [
      (d: Doc) =>
        (d.spec.domain.firmware = { kernelBoot: { container: { image: 'i', kernelPath: '/boot/\nx' } } }),
      'spec.domain.firmware.kernelBoot.container.kernelPath',
    ],
  ])('rejects a broken field with its path (%#)', (mutate, path) => {
    const doc = base();
    mutate(doc);
    const err = rejection(doc);
    expect(err.code).toBe('VMI_INVALID');
    expect(err.facts.path).toBe(path);
    expect(err.message.startsWith(`${path}: `)).toBe(true);
  });

  it.each([
    [(d: Doc) => (d.spec.domain.devices = { gpus: [{ name: 'g' }] }), 'spec.domain.devices.gpus'],
    [(d: Doc) => (d.spec.domain.devices = { tpm: {} }), 'spec.domain.devices.tpm'],
    [
      (d: Doc) => (d.spec.domain.memory = { guest: '1Gi', hugepages: { pageSize: '2Mi' } }),
      'spec.domain.memory.hugepages',
    ],
    [
      (d: Doc) => (d.spec.domain.cpu = { dedicatedCpuPlacement: true }),
      'spec.domain.cpu.dedicatedCpuPlacement',
    ],
    [(d: Doc) => (d.spec.domain.launchSecurity = { sev: {} }), 'spec.domain.launchSecurity'],
    [(d: Doc) => (d.spec.accessCredentials = []), 'spec.accessCredentials'],
    [
      (d: Doc) => {
        d.spec.domain.devices = { interfaces: [{ name: 'default', sriov: {} }] };
        d.spec.networks = [{ name: 'default', pod: {} }];
      },
      'spec.domain.devices.interfaces[0].sriov',
    ],
    [(d: Doc) => (d.spec.volumes = [{ name: 'root', sysprep: {} }]), 'spec.volumes[0].sysprep'],
    [
      (d: Doc) =>
        (d.spec.volumes = [{ name: 'root', persistentVolumeClaim: { claimName: 'c', hotpluggable: true } }]),
      'spec.volumes[0].persistentVolumeClaim.hotpluggable',
    ],
  ])('refuses a section vmpod does not convert, naming the field (%#)', (mutate, path) => {
    const doc = base();
    mutate(doc);
    const err = rejection(doc);
    expect(err.code).toBe('NOT_SUPPORTED');
    expect(err.facts.path).toBe(path);
  });
});

describe('webhook defaults', () => {
  const load = (doc: unknown) => applyDefaults(parseVmiObject(doc));

  it('reads masquerade port ranges; TCP and UDP ranges may overlap', () => {
    const d = base();
    d.spec.domain.devices = {
      interfaces: [
        {
          name: 'default',
          masquerade: {},
          portRanges: [
            { start: 1000, end: 2000 },
            { start: 1500, end: 2500, protocol: 'UDP' },
          ],
        },
      ],
    };
    d.spec.networks = [{ name: 'default', pod: {} }];
    expect(parseVmiObject(d).spec.domain.devices.interfaces?.[0]?.portRanges).toEqual([
      { start: 1000, end: 2000 },
      { start: 1500, end: 2500, protocol: 'UDP' },
    ]);
  });

  it('fills machine type, firmware UUID from the name, topology and disk bus', () => {
    const doc = base();
    doc.spec.domain.devices = { disks: [{ name: 'root' }] };
    const vmi = load(doc);
    expect(vmi.spec.domain.machine.type).toBe('q35');
    // uuid.uuid5(UUID('6a1a24a1-4061-4607-8bf4-a3963d0c5895'), 'vm1') in Python, as KubeVirt's NewSHA1.
    expect(vmi.spec.domain.firmware.uuid).toBe('133bf63e-9459-5126-9b21-b56e9b3d17b3');
    expect(vmi.spec.domain.cpu).toEqual({ sockets: 1, cores: 1, threads: 1 });
    expect(vmi.spec.domain.devices.disks[0]?.disk?.bus).toBe('virtio');
  });

  it('keeps an explicit firmware UUID, lower-cased', () => {
    const doc = base();
    doc.spec.domain.firmware = { uuid: '5D307CA9-B3EF-428C-8861-06E72D69F223' };
    expect(load(doc).spec.domain.firmware.uuid).toBe('5d307ca9-b3ef-428c-8861-06e72d69f223');
  });

  it('takes sockets from the CPU limit, else the request, when no topology is given', () => {
    const doc = base();
    doc.spec.domain.resources = { requests: { cpu: '2' }, limits: { cpu: '3500m' } };
    expect(load(doc).spec.domain.cpu.sockets).toBe(4);
    doc.spec.domain.resources = { requests: { cpu: '2' } };
    expect(load(doc).spec.domain.cpu.sockets).toBe(2);
  });

  it('takes guest memory from requests, else limits, and refuses a VMI with none', () => {
    const doc = base();
    doc.spec.domain.memory = undefined;
    doc.spec.domain.resources = { limits: { memory: '128Mi' } };
    expect(load(doc).spec.domain.memory.guest).toBe(128 * 2 ** 20);
    doc.spec.domain.resources = {};
    expect(() => load(doc)).toThrow(
      expect.objectContaining({ code: 'VMI_INVALID', facts: { path: 'spec.domain.memory.guest' } }),
    );
  });

  it('adds a disk for a volume without one, and a bridge interface on the pod network when none is given', () => {
    const doc = base();
    doc.spec.domain.devices = {};
    const vmi = load(doc);
    expect(vmi.spec.domain.devices.disks).toEqual([{ name: 'root', disk: { bus: 'virtio' } }]);
    expect(vmi.spec.domain.devices.interfaces).toEqual([{ name: 'default', bridge: {}, model: 'virtio' }]);
    expect(vmi.spec.networks).toEqual([{ name: 'default', pod: {} }]);
  });

  it('adds no interface when autoattachPodInterface is false', () => {
    const doc = base();
    doc.spec.domain.devices = { autoattachPodInterface: false };
    expect(load(doc).spec.domain.devices.interfaces).toEqual([]);
  });

  it('defaults cdrom (sata, read-only, closed), lun (scsi), watchdog (reset) and input (usb)', () => {
    const doc = base();
    doc.spec.domain.devices = {
      disks: [
        { name: 'root', cdrom: {} },
        { name: 'l', lun: {} },
      ],
      watchdog: { name: 'w', i6300esb: {} },
      inputs: [{ name: 't', type: 'tablet' }],
    };
    doc.spec.volumes.push({ name: 'l', persistentVolumeClaim: { claimName: 'c' } });
    const d = load(doc).spec.domain.devices;
    expect(d.disks[0]?.cdrom).toEqual({ bus: 'sata', readonly: true, tray: 'closed' });
    expect(d.disks[1]?.lun).toEqual({ bus: 'scsi' });
    expect(d.watchdog?.i6300esb?.action).toBe('reset');
    expect(d.inputs[0]?.bus).toBe('usb');
  });

  it('turns SMM on for Secure Boot EFI (the default) and ACPI on for any EFI', () => {
    const doc = base();
    doc.spec.domain.firmware = { bootloader: { efi: {} } };
    const secure = load(doc).spec.domain;
    expect(secure.firmware.bootloader?.efi?.secureBoot).toBe(true);
    expect(secure.features?.smm).toEqual({ enabled: true });
    doc.spec.domain.firmware = { bootloader: { efi: { secureBoot: false } } };
    expect(load(doc).spec.domain.features).toEqual({ acpi: { enabled: true } });
  });

  it('does not change the parsed input', () => {
    const parsed = parseVmiObject(base());
    const before = structuredClone(parsed);
    applyDefaults(parsed);
    expect(parsed).toEqual(before);
  });
});
