// The libvirt domain as vmpod builds it: only what the converter emits (KUBEVIRT.md §6). The XML
// codec (domain-xml.ts) is the one place that knows element and attribute spelling.

export type OnOff = 'on' | 'off';
export type YesNo = 'yes' | 'no';

export interface DomainOs {
  arch: 'x86_64';
  machine: string;
  smbiosMode?: 'sysinfo';
  bootMenu?: { enable: YesNo; timeoutMs: number };
  biosUseSerial?: boolean;
  loader?: { path: string; readonly: YesNo; secure: YesNo; type: 'pflash' };
  nvram?: { template: string; path: string };
  kernel?: string;
  initrd?: string;
  cmdline?: string;
}

export interface SysinfoEntry {
  name: string;
  value: string;
}
export interface Sysinfo {
  system: SysinfoEntry[];
  bios: SysinfoEntry[];
  baseBoard: SysinfoEntry[];
  chassis: SysinfoEntry[];
}

export interface HypervFeature {
  name: string;
  state: OnOff;
  attrs?: Record<string, string>;
  /** Child elements such as stimer's `<direct state=…/>`. */
  children?: { name: string; state: OnOff }[];
}
export interface DomainFeatures {
  acpi?: boolean;
  apic?: boolean;
  smm?: boolean;
  hyperv?: HypervFeature[];
  kvmHidden?: OnOff;
  pvspinlock?: OnOff;
  vmport?: OnOff;
}

export interface DomainTimer {
  name: 'rtc' | 'pit' | 'kvmclock' | 'hpet' | 'hypervclock';
  present: YesNo;
  tickpolicy?: string;
  track?: string;
}
export interface DomainClock {
  offset: 'utc' | 'timezone';
  adjustment?: string;
  timezone?: string;
  timers: DomainTimer[];
}

export interface DomainCpu {
  mode: 'host-model' | 'host-passthrough' | 'custom';
  model?: string;
  topology: { sockets: number; cores: number; threads: number };
  features: { name: string; policy: string }[];
}

export interface DiskSource {
  file?: string;
  dev?: string;
  name?: string;
}
export interface DomainDisk {
  type: 'file' | 'block';
  device: 'disk' | 'cdrom' | 'lun';
  driver: {
    name: 'qemu';
    type: 'raw' | 'qcow2';
    cache?: string;
    io?: string;
    errorPolicy: string;
    discard?: 'unmap';
    queues?: number;
    iothread?: number;
  };
  source?: DiskSource;
  backingStore?: { type: 'file' | 'block'; format: 'raw' | 'qcow2'; path: string };
  target: { bus: string; dev: string; tray?: string };
  model?: string;
  readonly?: boolean;
  shareable?: boolean;
  serial?: string;
  bootOrder?: number;
  alias: string;
  /** SCSI drive address. */
  driveAddress?: { controller: number; bus: number; unit: number };
  pciAddress?: PciAddress;
}

export interface PciAddress {
  domain: string;
  bus: string;
  slot: string;
  function: string;
}

export interface DomainInterface {
  type: 'ethernet';
  alias: string;
  model: string;
  mac?: string;
  target?: { dev: string; managed: 'no' };
  mtu?: number;
  driver?: { name: 'vhost'; queues: number };
  bootOrder?: number;
  romEnabled?: 'no';
  linkState?: 'down';
  acpiIndex?: number;
  pciAddress?: PciAddress;
}

export interface DomainController {
  type: 'usb' | 'scsi' | 'virtio-serial';
  index: number;
  model: string;
}

export interface DomainDevices {
  disks: DomainDisk[];
  interfaces: DomainInterface[];
  controllers: DomainController[];
  serials: { socketPath: string; logFile?: string }[];
  consoles: { type: 'pty'; targetType: 'serial'; port: number }[];
  channels: { name: string; socketPath?: string }[];
  graphics?: { vncSocket: string };
  video?: { model: 'vga' | 'bochs' | 'virtio'; heads: number; vram?: number };
  memballoon: { model: string; statsPeriod?: number; freePageReporting?: OnOff };
  rngs: { model: string; backend: string }[];
  watchdogs: { model: 'i6300esb'; action: string; alias: string }[];
  inputs: { type: 'tablet'; bus: 'usb' | 'virtio'; model?: 'virtio'; alias: string }[];
}

export interface Domain {
  type: 'kvm' | 'qemu';
  name: string;
  memoryBytes: number;
  vcpus: number;
  iothreads?: number;
  cpu: DomainCpu;
  os: DomainOs;
  sysinfo?: Sysinfo;
  features: DomainFeatures;
  clock?: DomainClock;
  onReboot?: 'destroy' | 'restart';
  devices: DomainDevices;
}

/** A domain with nothing but its type and name: the configurators fill the rest. */
export function emptyDomain(type: Domain['type'], name: string): Domain {
  return {
    type,
    name,
    memoryBytes: 0,
    vcpus: 0,
    cpu: { mode: 'host-model', topology: { sockets: 1, cores: 1, threads: 1 }, features: [] },
    os: { arch: 'x86_64', machine: 'q35' },
    features: {},
    devices: {
      disks: [],
      interfaces: [],
      controllers: [],
      serials: [],
      consoles: [],
      channels: [],
      memballoon: { model: 'none' },
      rngs: [],
      watchdogs: [],
      inputs: [],
    },
  };
}
