// api.DomainSpec's top level and its non-device sections, as KubeVirt's api package names them.
// Metadata is not declared here: the spec builder fills it from the launcher's cache (§4.4).
import {
  type GoStruct,
  chars,
  el,
  empty,
  list,
  ptr,
  str,
  text,
  uint,
  uintPtr,
  xmlName,
} from './go-struct.js';
import { Devices } from './schema-devices.js';
import { Features } from './schema-features.js';

const Memory = (): GoStruct => ({ Value: chars('uint'), Unit: str('unit') });

const MemoryBacking: GoStruct = {
  HugePages: ptr('hugepages', () => ({
    HugePage: list('page', () => ({ Size: str('size'), Unit: str('unit'), NodeSet: str('nodeset') })),
  })),
  Source: ptr('source', () => ({ Type: str('type') })),
  Access: ptr('access', () => ({ Mode: str('mode') })),
  Allocation: ptr('allocation', () => ({ Mode: str('mode') })),
  NoSharePages: empty('nosharepages'),
};

const OS: GoStruct = {
  Type: el('type', () => ({ OS: chars(), Arch: str('arch'), Machine: str('machine') })),
  ACPI: ptr('acpi', () => ({ Table: list('table', () => ({ Path: chars(), Type: str('type') })) })),
  SMBios: ptr('smbios', () => ({ Mode: str('mode') })),
  BootOrder: list('boot', () => ({ Dev: str('dev') })),
  BootMenu: ptr('bootmenu', () => ({ Enable: str('enable'), Timeout: uintPtr('timeout') })),
  BIOS: ptr('bios', () => ({ UseSerial: str('useserial') })),
  BootLoader: ptr('loader', () => ({
    ReadOnly: str('readonly'),
    Secure: str('secure'),
    Type: str('type'),
    Path: chars(),
  })),
  NVRam: ptr('nvram', () => ({ Template: str('template'), NVRam: chars() })),
  Kernel: text('kernel'),
  Initrd: text('initrd'),
  KernelArgs: text('cmdline'),
};

const Entry = (): GoStruct => ({ Name: str('name'), Value: chars() });

const SysInfo: GoStruct = {
  Type: str('type'),
  System: list('system>entry', Entry),
  BIOS: list('bios>entry', Entry),
  BaseBoard: list('baseBoard>entry', Entry),
  Chassis: list('chassis>entry', Entry),
};

const Clock: GoStruct = {
  Offset: str('offset'),
  Timezone: str('timezone'),
  Adjustment: str('adjustment'),
  Timer: list('timer', () => ({
    Name: str('name'),
    TickPolicy: str('tickpolicy'),
    Present: str('present'),
    Track: str('track'),
    Frequency: str('frequency'),
  })),
};

const Commandline: GoStruct = {
  QEMUEnv: list('qemu:env', () => ({ Name: str('name'), Value: str('value') })),
  QEMUArg: list('qemu:arg', () => ({ Value: str('value') })),
};

const CPU: GoStruct = {
  Mode: str('mode'),
  Model: text('model'),
  Features: list('feature', () => ({ Name: str('name'), Policy: str('policy') })),
  Topology: ptr('topology', () => ({
    Sockets: uint('sockets'),
    Cores: uint('cores'),
    Threads: uint('threads'),
  })),
  NUMA: ptr('numa', () => ({
    Cells: list('cell', () => ({
      ID: str('id'),
      CPUs: str('cpus'),
      Memory: uint('memory'),
      Unit: str('unit'),
      MemoryAccess: str('memAccess'),
    })),
  })),
};

const CPUTune: GoStruct = {
  VCPUPin: list('vcpupin', () => ({ VCPU: uint('vcpu'), CPUSet: str('cpuset') })),
  IOThreadPin: list('iothreadpin', () => ({ IOThread: uint('iothread'), CPUSet: str('cpuset') })),
  EmulatorPin: ptr('emulatorpin', () => ({ CPUSet: str('cpuset') })),
};

const NUMATune: GoStruct = {
  Memory: el('memory', () => ({ Mode: str('mode'), NodeSet: str('nodeset') })),
  MemNodes: list('memnode', () => ({ CellID: uint('cellid'), Mode: str('mode'), NodeSet: str('nodeset') })),
};

const LaunchSecurity: GoStruct = {
  Type: str('type'),
  DHCert: text('dhCert'),
  Session: text('session'),
  Cbitpos: text('cbitpos'),
  ReducedPhysBits: text('reducedPhysBits'),
  Policy: text('policy'),
};

/** Every DomainSpec field but Metadata, in Go's declaration order (Metadata goes after QEMUCmd). */
export const DomainSpecBeforeMetadata: GoStruct = {
  XMLName: xmlName,
  Type: str('type'),
  XmlNS: str('xmlns:qemu'),
  Name: text('name'),
  UUID: text('uuid'),
  Memory: el('memory', Memory),
  CurrentMemory: ptr('currentMemory', Memory),
  MaxMemory: ptr('maxMemory', () => ({ Value: chars('uint'), Unit: str('unit'), Slots: uint('slots') })),
  MemoryBacking: ptr('memoryBacking', () => MemoryBacking),
  OS: el('os', () => OS),
  SysInfo: ptr('sysinfo', () => SysInfo),
  Devices: el('devices', () => Devices),
  Clock: ptr('clock', () => Clock),
  Resource: ptr('resource', () => ({ Partition: text('partition') })),
  QEMUCmd: ptr('qemu:commandline', () => Commandline),
};

export const DomainSpecAfterMetadata: GoStruct = {
  Features: ptr('features', () => Features),
  CPU: el('cpu', () => CPU),
  VCPU: ptr('vcpu', () => ({ Placement: str('placement'), CPUs: chars('uint') })),
  VCPUs: ptr('vcpus', () => ({
    VCPU: list('vcpu', () => ({
      ID: uint('id'),
      Enabled: str('enabled'),
      Hotpluggable: str('hotpluggable'),
      Order: uint('order'),
    })),
  })),
  CPUTune: ptr('cputune', () => CPUTune),
  NUMATune: ptr('numatune', () => NUMATune),
  IOThreads: ptr('iothreads', () => ({ IOThreads: chars('uint') })),
  LaunchSecurity: ptr('launchSecurity', () => LaunchSecurity),
  OnReboot: text('on_reboot'),
  IOMMUFD: ptr('iommufd', () => ({ Enabled: str('enabled') })),
};
