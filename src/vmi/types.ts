// The kubevirt.io/v1 VirtualMachineInstance fields vmpod reads, as the API server stores them
// (KUBEVIRT.md §4.1, §6). Types only; parse-vmi.ts checks them and apply-defaults.ts fills them.

export type DiskBus = 'virtio' | 'sata' | 'scsi' | 'usb';
export const DISK_BUSES: readonly DiskBus[] = ['virtio', 'sata', 'scsi', 'usb'];

export interface ObjectMeta {
  name: string;
  namespace: string;
  uid: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface DiskTarget {
  bus?: DiskBus;
  readonly?: boolean;
  pciAddress?: string;
}
export interface CdromTarget {
  bus?: DiskBus;
  readonly?: boolean;
  tray?: 'open' | 'closed';
}
export interface LunTarget {
  bus?: DiskBus;
  readonly?: boolean;
  reservation?: boolean;
}

export interface Disk {
  name: string;
  disk?: DiskTarget;
  cdrom?: CdromTarget;
  lun?: LunTarget;
  bootOrder?: number;
  serial?: string;
  cache?: 'none' | 'writethrough' | 'writeback';
  io?: 'native' | 'threads';
  errorPolicy?: 'stop' | 'ignore' | 'report' | 'enospace';
  dedicatedIOThread?: boolean;
  shareable?: boolean;
}

export interface Interface {
  name: string;
  bridge?: Record<string, never>;
  masquerade?: Record<string, never>;
  macAddress?: string;
  model?: string;
  bootOrder?: number;
  pciAddress?: string;
  acpiIndex?: number;
  state?: 'up' | 'linkDown' | 'absent';
  ports?: { name?: string; port: number; protocol?: string }[];
  /** Masquerade only, exclusive with `ports` (KubeVirt's PortRangesSpec feature gate). */
  portRanges?: { start: number; end: number; protocol?: string }[];
}

export interface Input {
  name: string;
  type: 'tablet';
  bus?: 'usb' | 'virtio';
}

export interface Watchdog {
  name: string;
  i6300esb?: { action?: 'poweroff' | 'reset' | 'shutdown' | 'pause' | 'none' | 'dump' };
}

export interface Devices {
  disks: Disk[];
  interfaces: Interface[];
  inputs: Input[];
  watchdog?: Watchdog;
  rng?: Record<string, never>;
  autoattachPodInterface?: boolean;
  autoattachGraphicsDevice?: boolean;
  autoattachSerialConsole?: boolean;
  autoattachMemBalloon?: boolean;
  logSerialConsole?: boolean;
  networkInterfaceMultiqueue?: boolean;
  blockMultiQueue?: boolean;
  useVirtioTransitional?: boolean;
}

export interface CpuFeature {
  name: string;
  policy?: 'force' | 'require' | 'optional' | 'disable' | 'forbid';
}

export interface Cpu {
  sockets?: number;
  cores?: number;
  threads?: number;
  model?: string;
  features?: CpuFeature[];
}

export interface Memory {
  /** Bytes, already parsed from the Kubernetes quantity. */
  guest?: number;
}

export interface Resources {
  requests: { memory?: number; cpu?: number };
  limits: { memory?: number; cpu?: number };
}

export interface Firmware {
  uuid?: string;
  serial?: string;
  bootloader?: { bios?: { useSerial?: boolean }; efi?: { secureBoot?: boolean } };
  kernelBoot?: {
    kernelArgs?: string;
    container?: { image: string; kernelPath?: string; initrdPath?: string };
  };
}

export interface FeatureState {
  enabled?: boolean;
}
export interface HypervFeatures {
  relaxed?: FeatureState;
  vapic?: FeatureState;
  spinlocks?: FeatureState & { spinlocks?: number };
  vpindex?: FeatureState;
  runtime?: FeatureState;
  synic?: FeatureState;
  synictimer?: FeatureState & { direct?: FeatureState };
  reset?: FeatureState;
  vendorid?: FeatureState & { vendorid?: string };
  frequencies?: FeatureState;
  reenlightenment?: FeatureState;
  tlbflush?: FeatureState;
  ipi?: FeatureState;
  evmcs?: FeatureState;
}
export interface Features {
  acpi?: FeatureState;
  apic?: FeatureState;
  smm?: FeatureState;
  hyperv?: HypervFeatures;
  kvm?: { hidden?: boolean };
  pvspinlock?: FeatureState;
}

export interface Timer {
  present?: boolean;
  tickPolicy?: string;
  track?: string;
}
export interface Clock {
  utc?: { offsetSeconds?: number };
  timezone?: string;
  timer?: { hpet?: Timer; kvm?: Timer; pit?: Timer; rtc?: Timer; hyperv?: Timer };
}

export interface Chassis {
  manufacturer?: string;
  version?: string;
  serial?: string;
  asset?: string;
  sku?: string;
}

export interface DomainSpec {
  cpu: Cpu;
  chassis?: Chassis;
  rebootPolicy?: 'Reboot' | 'Terminate';
  memory: Memory;
  resources: Resources;
  machine: { type: string };
  firmware: Firmware;
  features?: Features;
  clock?: Clock;
  devices: Devices;
  ioThreadsPolicy?: 'shared' | 'auto';
}

export interface Volume {
  name: string;
  containerDisk?: { image: string; path?: string; imagePullPolicy?: string };
  emptyDisk?: { capacity: number };
  hostDisk?: { path: string; type: 'Disk' | 'DiskOrCreate'; capacity?: number; shared?: boolean };
  persistentVolumeClaim?: { claimName: string; readOnly?: boolean; hotpluggable?: boolean };
  dataVolume?: { name: string; hotpluggable?: boolean };
  cloudInitNoCloud?: CloudInitSource;
  cloudInitConfigDrive?: CloudInitSource;
  configMap?: { name: string; optional?: boolean; volumeLabel?: string };
  secret?: { secretName: string; optional?: boolean; volumeLabel?: string };
  serviceAccount?: { serviceAccountName: string };
  downwardAPI?: { fields?: unknown[]; volumeLabel?: string };
  ephemeral?: { persistentVolumeClaim: { claimName: string; readOnly?: boolean } };
}

export interface CloudInitSource {
  userData?: string;
  userDataBase64?: string;
  userDataSecretRef?: { name: string };
  networkData?: string;
  networkDataBase64?: string;
  networkDataSecretRef?: { name: string };
}

export interface Network {
  name: string;
  pod?: { vmNetworkCIDR?: string; vmIPv6NetworkCIDR?: string };
  multus?: { networkName: string; default?: boolean };
}

export interface InterfaceStatus {
  name?: string;
  mac?: string;
  interfaceName?: string;
  podInterfaceName?: string;
  ipAddress?: string;
}
export interface VolumeStatus {
  name: string;
  target?: string;
  phase?: string;
  hotplugVolume?: object;
}

export interface VmiSpec {
  domain: DomainSpec;
  volumes: Volume[];
  networks: Network[];
  hostname?: string;
  subdomain?: string;
  terminationGracePeriodSeconds?: number;
  startStrategy?: 'Paused';
}

export interface VmiStatus {
  interfaces: InterfaceStatus[];
  volumeStatus: VolumeStatus[];
  phase?: string;
  /** "Unix" on current KubeVirt; otherwise masquerade keeps libvirt's migration ports out of NAT. */
  migrationTransport?: string;
}

export interface Vmi {
  metadata: ObjectMeta;
  spec: VmiSpec;
  status: VmiStatus;
}
