import { describe, expect, it } from 'vitest';
import { VmpodError } from '../../../../src/errors.js';
import { deviceAliases, domainSpecFromXml } from '../../../../src/domain/domain-json/index.js';
import { LIVE_XML, LIVE_XML_AGENT_CONNECTED } from './fixtures.js';

// biome-ignore lint/suspicious/noExplicitAny: the tests walk untyped JSON
type Json = Record<string, any>;

const spec = domainSpecFromXml(LIVE_XML) as Json;
const devices = spec.Devices as Json;

function thrown(fn: () => unknown): VmpodError {
  try {
    fn();
  } catch (err) {
    if (err instanceof VmpodError) return err;
    throw err;
  }
  throw new Error('expected a VmpodError');
}

describe('domainSpecFromXml on real live XML', () => {
  it('emits every DomainSpec field §4.4 lists, in Go order, with Metadata after QEMUCmd', () => {
    expect(Object.keys(spec)).toEqual([
      'XMLName',
      'Type',
      'XmlNS',
      'Name',
      'UUID',
      'Memory',
      'CurrentMemory',
      'MaxMemory',
      'MemoryBacking',
      'OS',
      'SysInfo',
      'Devices',
      'Clock',
      'Resource',
      'QEMUCmd',
      'Metadata',
      'Features',
      'CPU',
      'VCPU',
      'VCPUs',
      'CPUTune',
      'NUMATune',
      'IOThreads',
      'LaunchSecurity',
      'OnReboot',
      'IOMMUFD',
    ]);
    expect(Object.keys(devices)).toEqual([
      'Emulator',
      'Interfaces',
      'Channels',
      'HostDevices',
      'PanicDevices',
      'Controllers',
      'Video',
      'Graphics',
      'Ballooning',
      'Disks',
      'Inputs',
      'Serials',
      'Consoles',
      'Watchdogs',
      'Rng',
      'Filesystems',
      'Redirs',
      'SoundCards',
      'TPMs',
      'VSOCK',
      'Memory',
      'IOMMU',
    ]);
  });

  it('reads identity, type, memory as numbers, the expanded machine and ACPI', () => {
    expect(spec.XMLName).toEqual({ Space: '', Local: 'domain' });
    expect(spec.Type).toBe('qemu');
    expect(spec.Name).toBe('default_vmi-masquerade');
    expect(spec.UUID).toBe('a4bd6ece-a763-52aa-8234-12bf308a5b6f');
    expect(spec.Memory).toEqual({ Value: 131072, Unit: 'KiB' });
    expect(spec.CurrentMemory).toEqual({ Value: 131072, Unit: 'KiB' });
    expect(spec.MaxMemory).toBeNull();
    expect(spec.OS.Type).toEqual({ OS: 'hvm', Arch: 'x86_64', Machine: 'pc-q35-7.2' });
    expect(spec.OS.BootOrder).toEqual([{ Dev: 'hd' }]);
    expect(spec.Features.ACPI).toEqual({});
    expect(spec.Features.APIC).toBeNull();
    expect(spec.VCPU).toEqual({ Placement: 'static', CPUs: 1 });
    expect(spec.CPU.Topology).toEqual({ Sockets: 1, Cores: 1, Threads: 1 });
    expect(spec.CPU.Model).toBe('qemu64');
    expect(spec.CPU.Features).toEqual([
      { Name: 'hypervisor', Policy: 'require' },
      { Name: 'lahf_lm', Policy: 'require' },
    ]);
    expect(spec.Resource).toEqual({ Partition: '/machine' });
    expect(spec.Clock).toEqual({ Offset: 'utc', Timezone: '', Adjustment: '', Timer: null });
    expect(spec.SysInfo.System[0]).toEqual({ Name: 'manufacturer', Value: 'KubeVirt' });
    expect(spec.SysInfo.BIOS).toBeNull();
    expect(spec.OnReboot).toBe('restart');
  });

  it('takes the XML metadata UID into Metadata.KubeVirt with the other parts null', () => {
    expect(spec.Metadata).toEqual({
      KubeVirt: {
        UID: '',
        GracePeriod: null,
        Migration: null,
        Backup: null,
        AccessCredential: null,
        MemoryDump: null,
      },
    });
  });

  it('strips ua- from user-defined aliases and keeps libvirt aliases as they are', () => {
    const [iface] = devices.Interfaces;
    expect(iface.Alias).toEqual({ Name: 'testmasquerade', UserDefined: true });
    expect(devices.Disks.map((d: Json) => d.Alias)).toEqual([
      { Name: 'containerdisk', UserDefined: true },
      { Name: 'cloudinitdisk', UserDefined: true },
    ]);
    expect(devices.Controllers[0].Alias).toEqual({ Name: 'virtio-serial0', UserDefined: false });
    expect(devices.Serials[0].Alias).toEqual({ Name: 'serial0', UserDefined: false });
    expect(devices.Inputs.map((i: Json) => i.Alias.Name)).toEqual(['input0', 'input1']);
  });

  it('gives the interface its tap, MAC, MTU, model and PCI address', () => {
    const [iface] = devices.Interfaces;
    expect(iface.XMLName).toEqual({ Space: '', Local: 'interface' });
    expect(iface.Type).toBe('ethernet');
    expect(iface.Target).toEqual({ Device: 'tap0', Managed: 'no' });
    expect(iface.MAC).toEqual({ MAC: '02:00:00:00:00:01' });
    expect(iface.MTU).toEqual({ Size: '1450' });
    expect(iface.Model).toEqual({ Type: 'virtio-non-transitional' });
    expect(iface.Rom).toEqual({ Enabled: 'no' });
    expect(iface.Driver).toBeNull();
    expect(iface.LinkState).toBeNull();
    expect(iface.Address).toMatchObject({
      Type: 'pci',
      Domain: '0x0000',
      Bus: '0x01',
      Slot: '0x00',
      Function: '0x0',
    });
  });

  it('gives disks their target, source, driver and backing store', () => {
    const [vda, vdb] = devices.Disks;
    expect(vda.Target).toEqual({ Bus: 'virtio', Device: 'vda', Tray: '' });
    expect(vda.Source.File).toBe('/var/run/kubevirt-ephemeral-disks/disk-data/containerdisk/disk.qcow2');
    expect(vda.Source.Dev).toBe('');
    expect(vda.Source.DataStore).toBeNull();
    expect(vda.Driver).toMatchObject({ Name: 'qemu', Type: 'qcow2', Cache: 'none', ErrorPolicy: 'stop' });
    expect(vda.Driver.Queues).toBeNull();
    expect(vda.BackingStore).toEqual({
      Type: 'file',
      Format: { Type: 'raw' },
      Source: expect.objectContaining({ File: '/var/run/kubevirt/container-disks/disk_0.img' }),
    });
    expect(vda.ReadOnly).toBeNull();
    expect(vda.ExpandDisksEnabled).toBe(false);
    expect(vda.Capacity).toBeNull();
    expect(vdb.Target.Device).toBe('vdb');
    expect(vdb.BackingStore).toEqual({ Type: '', Format: null, Source: null });
  });

  it('reads the guest-agent channel and its runtime state', () => {
    expect(devices.Channels[0].Target).toEqual({
      Name: 'org.qemu.guest_agent.0',
      Type: 'virtio',
      Address: '',
      Port: 0,
      State: 'disconnected',
    });
    const connected = domainSpecFromXml(LIVE_XML_AGENT_CONNECTED) as Json;
    expect(connected.Devices.Channels[0].Target.State).toBe('connected');
  });

  it('reads serial, console, video, graphics, balloon and rng', () => {
    expect(devices.Serials[0]).toMatchObject({ Type: 'unix', Target: { Port: 0 }, Log: { Append: 'on' } });
    expect(devices.Consoles[0].Target).toEqual({ Type: 'serial', Port: 0 });
    expect(devices.Video).toEqual([
      { Model: { Type: 'vga', Heads: 1, Ram: null, VRam: 16384, VGAMem: null } },
    ]);
    expect(devices.Graphics[0]).toMatchObject({ Type: 'vnc', Port: 0, Listen: { Type: 'socket' } });
    expect(devices.Ballooning).toMatchObject({
      Model: 'virtio-non-transitional',
      Stats: { Period: 10 },
      FreePageReporting: 'on',
    });
    expect(devices.Rng).toMatchObject({
      Model: 'virtio-non-transitional',
      Backend: { Model: 'random', Source: '/dev/urandom' },
    });
    expect(devices.Emulator).toBe('/usr/bin/qemu-system-x86_64');
    expect(devices.HostDevices).toBeNull();
    expect(devices.Watchdogs).toBeNull();
  });

  it('survives a JSON round trip unchanged', () => {
    expect(JSON.parse(JSON.stringify(spec))).toEqual(spec);
  });

  it('maps target devs to alias names for disks and interfaces', () => {
    expect(deviceAliases(spec as never)).toEqual(
      new Map([
        ['tap0', 'testmasquerade'],
        ['vda', 'containerdisk'],
        ['vdb', 'cloudinitdisk'],
      ]),
    );
  });
});

describe('domainSpecFromXml on hand-written XML', () => {
  const xml = (devicesXml: string, extra = '') =>
    `<domain type='kvm' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'><name>ns_vm</name>
     <memory unit='b'>1024</memory>${extra}<devices>${devicesXml}</devices></domain>`;

  it('gives every interface Alias and MAC objects even when the XML has neither', () => {
    const s = domainSpecFromXml(
      xml("<interface type='bridge'><source bridge='k6t-eth0'/></interface>"),
    ) as Json;
    const [iface] = s.Devices.Interfaces;
    expect(iface.Alias).toEqual({ Name: '', UserDefined: false });
    expect(iface.MAC).toEqual({ MAC: '' });
    expect(iface.Source.Bridge).toBe('k6t-eth0');
  });

  it('reads multiqueue, link state, hostdev alias, block disks and qemu:commandline', () => {
    const s = domainSpecFromXml(
      xml(
        `<interface type='ethernet'><driver name='vhost' queues='4'/><link state='down'/>
           <alias name='ua-default'/></interface>
         <hostdev mode='subsystem' type='pci' managed='no'><source><address domain='0x0000' bus='0x81'
           slot='0x00' function='0x1'/></source><alias name='ua-sriov-net1'/></hostdev>
         <disk type='block' device='disk'><source dev='/dev/xvda'/><target dev='sda' bus='scsi'/><readonly/>
           <alias name='ua-blk'/></disk>`,
        "<qemu:commandline><qemu:arg value='-x'/></qemu:commandline><features><acpi/><apic/></features>",
      ),
    ) as Json;
    const [iface] = s.Devices.Interfaces;
    expect(iface.Driver).toEqual({ Name: 'vhost', Queues: 4, IOMMU: '' });
    expect(iface.LinkState).toEqual({ State: 'down' });
    expect(s.Devices.HostDevices[0].Alias).toEqual({ Name: 'sriov-net1', UserDefined: true });
    expect(s.Devices.HostDevices[0].XMLName).toEqual({ Space: '', Local: 'hostdev' });
    expect(s.Devices.HostDevices[0].Source.Address).toMatchObject({ Bus: '0x81', Function: '0x1' });
    expect(s.Devices.Disks[0].Source.Dev).toBe('/dev/xvda');
    expect(s.Devices.Disks[0].ReadOnly).toEqual({});
    expect(s.QEMUCmd).toEqual({ QEMUEnv: null, QEMUArg: [{ Value: '-x' }] });
    expect(s.XmlNS).toBe('http://libvirt.org/schemas/domain/qemu/1.0');
    expect(s.Memory).toEqual({ Value: 1024, Unit: 'b' });
    expect(s.Features).toMatchObject({ ACPI: {}, APIC: {}, SMM: null, Hyperv: null });
    expect(s.CurrentMemory).toBeNull();
  });

  it('gives a disk without an alias an empty Alias object', () => {
    const s = domainSpecFromXml(
      xml("<disk type='file' device='disk'><source file='/a'/><target dev='vda'/></disk>"),
    ) as Json;
    expect(s.Devices.Disks[0].Alias).toEqual({ Name: '', UserDefined: false });
  });
});

describe('domainSpecFromXml on malformed input', () => {
  it.each([
    ['an unclosed element', "<domain type='kvm'><name>x</domain>"],
    ['an empty document', ''],
    ['text that is not XML', 'not xml at all'],
    ['a root that is not <domain>', '<network><name>x</name></network>'],
    ['two root elements', '<domain/><domain/>'],
    ['a non-integer memory size', "<domain type='kvm'><memory unit='KiB'>lots</memory></domain>"],
    [
      'a negative unsigned attribute',
      "<domain><devices><controller type='x' index='0'><driver queues='-1'/></controller></devices></domain>",
    ],
  ])('refuses %s with DOMAIN_XML_MALFORMED', (_what, input) => {
    const err = thrown(() => domainSpecFromXml(input));
    expect(err.code).toBe('DOMAIN_XML_MALFORMED');
    expect(err.message).toMatch(/^domain XML is malformed: /);
  });

  it('names the line and column of a syntax error', () => {
    const err = thrown(() => domainSpecFromXml('<domain>\n  <name>x</nam>\n</domain>'));
    expect(err.facts).toMatchObject({ line: 2 });
  });

  it('names the field of a bad number', () => {
    const err = thrown(() => domainSpecFromXml("<domain><vcpu placement='static'>two</vcpu></domain>"));
    expect(err.message).toContain('vcpu');
    expect(err.facts.value).toBe('two');
  });
});
