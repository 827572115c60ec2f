import type { GuestInterfaceSpec } from '../network/guest-interface.js';

// What the converter needs besides the VMI: decided by the caller (the launcher), passed as values.

export interface SmbiosOptions {
  manufacturer?: string;
  family?: string;
  product?: string;
  sku?: string;
  version?: string;
}

export interface ConvertContext {
  /** `kvm`, or `qemu` when /dev/kvm is absent and emulation is allowed: the caller decides. */
  readonly domainType: 'kvm' | 'qemu';
  /** `--ovmf-path`: the directory holding OVMF_CODE*.fd / OVMF_VARS*.fd. */
  readonly ovmfPath: string;
  /** Where per-VMI NVRAM files live. */
  readonly nvramDir: string;
  /** Phase-2 specs by VMI interface name; an interface without one gets a bare `<interface>`. */
  readonly interfaces: ReadonlyMap<string, GuestInterfaceSpec>;
  /** Cluster default for serial console logging (`SerialConsoleLogDisabled` inverted). */
  readonly serialConsoleLog: boolean;
  readonly smbios: SmbiosOptions;
  /** `MemBalloonStatsPeriod` seconds; 0 → no `<stats>`. */
  readonly memBalloonStatsPeriod: number;
  readonly freePageReportingDisabled: boolean;
  readonly bochsDisplayForEfiGuests: boolean;
  /** Volumes whose PVC is preallocated: no `discard="unmap"`. */
  readonly preallocatedVolumes: ReadonlySet<string>;
  /** Volumes backed by a block device (`/dev/<vol>`), as the launcher probed them. */
  readonly blockVolumes: ReadonlySet<string>;
  /** Volumes whose file system lacks O_DIRECT: default cache `writethrough`, `none` refused. */
  readonly noDirectIoVolumes: ReadonlySet<string>;
  /** Container disk formats by volume name (qemu-img info); raw when unknown. */
  readonly containerDiskFormats: ReadonlyMap<string, 'raw' | 'qcow2'>;
}

/** KubeVirt's defaults for a handler-less start (standalone mode). */
export function defaultContext(overrides: Partial<ConvertContext> = {}): ConvertContext {
  return {
    domainType: 'kvm',
    ovmfPath: '/usr/share/edk2/ovmf',
    nvramDir: '/var/lib/libvirt/qemu/nvram',
    interfaces: new Map(),
    serialConsoleLog: true,
    smbios: { manufacturer: 'KubeVirt', family: 'KubeVirt', product: 'None' },
    memBalloonStatsPeriod: 10,
    freePageReportingDisabled: false,
    bochsDisplayForEfiGuests: true,
    preallocatedVolumes: new Set(),
    blockVolumes: new Set(),
    noDirectIoVolumes: new Set(),
    containerDiskFormats: new Map(),
    ...overrides,
  };
}
