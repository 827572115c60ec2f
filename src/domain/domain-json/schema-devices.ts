// api.Devices and the smaller devices, as KubeVirt's api package names them.
import {
  type GoStruct,
  alias,
  chars,
  el,
  int,
  list,
  ptr,
  str,
  strPtr,
  text,
  uint,
  uintPtr,
  xmlName,
} from './go-struct.js';
import { Address, BootOrder } from './schema-address.js';
import { Disk } from './schema-disk.js';
import { Interface } from './schema-interface.js';

const sourceModePath = (): GoStruct => ({ Mode: str('mode'), Path: str('path') });

const Channel: GoStruct = {
  Type: str('type'),
  Source: ptr('source', sourceModePath),
  Target: ptr('target', () => ({
    Name: str('name'),
    Type: str('type'),
    Address: str('address'),
    Port: uint('port'),
    State: str('state'),
  })),
};

const HostDevice: GoStruct = {
  XMLName: xmlName,
  Source: el('source', () => ({ Address: ptr('address', () => Address) })),
  Type: str('type'),
  BootOrder: ptr('boot', () => BootOrder),
  Managed: str('managed'),
  Mode: str('mode'),
  Model: str('model'),
  Address: ptr('address', () => Address),
  Alias: alias,
  Display: str('display'),
  RamFB: str('ramfb'),
};

const Controller: GoStruct = {
  Type: str('type'),
  Index: str('index'),
  Model: str('model'),
  Driver: ptr('driver', () => ({
    IOThread: uintPtr('iothread'),
    Queues: uintPtr('queues'),
    IOMMU: str('iommu'),
  })),
  Alias: alias,
  Address: ptr('address', () => Address),
  PCIHole64: ptr('pcihole64', () => ({ Value: chars('uint'), Unit: str('unit') })),
};

const Video: GoStruct = {
  Model: el('model', () => ({
    Type: str('type'),
    Heads: uintPtr('heads'),
    Ram: uintPtr('ram'),
    VRam: uintPtr('vram'),
    VGAMem: uintPtr('vgamem'),
  })),
};

const Graphics: GoStruct = {
  AutoPort: str('autoport'),
  DefaultMode: str('defaultMode'),
  Listen: ptr('listen', () => ({
    Type: str('type'),
    Address: str('address'),
    Network: str('network'),
    Socket: str('socket'),
  })),
  PasswdValidTo: str('passwdValidTo'),
  Port: int('port'),
  TLSPort: int('tlsPort'),
  Type: str('type'),
};

const MemBalloon: GoStruct = {
  Model: str('model'),
  Stats: ptr('stats', () => ({ Period: uint('period') })),
  Address: ptr('address', () => Address),
  Driver: ptr('driver', () => ({ IOMMU: str('iommu') })),
  FreePageReporting: str('freePageReporting'),
};

const Input: GoStruct = {
  Type: str('type'),
  Bus: str('bus'),
  Alias: alias,
  Address: ptr('address', () => Address),
  Model: str('model'),
};

const Serial: GoStruct = {
  Type: str('type'),
  Target: ptr('target', () => ({ Port: uintPtr('port') })),
  Source: ptr('source', sourceModePath),
  Alias: alias,
  Log: ptr('log', () => ({ File: str('file'), Append: str('append') })),
};

const Console: GoStruct = {
  Type: str('type'),
  Target: ptr('target', () => ({ Type: strPtr('type'), Port: uintPtr('port') })),
  Source: ptr('source', sourceModePath),
  Alias: alias,
};

const Watchdog: GoStruct = {
  Model: str('model'),
  Action: str('action'),
  Alias: alias,
  Address: ptr('address', () => Address),
};

const Rng: GoStruct = {
  Model: str('model'),
  Backend: ptr('backend', () => ({ Model: str('model'), Source: chars() })),
  Address: ptr('address', () => Address),
  Driver: ptr('driver', () => ({ IOMMU: str('iommu') })),
};

const FilesystemDevice: GoStruct = {
  Type: str('type'),
  AccessMode: str('accessmode'),
  Source: ptr('source', () => ({ Dir: str('dir'), Socket: str('socket') })),
  Target: ptr('target', () => ({ Dir: str('dir') })),
  Driver: ptr('driver', () => ({ Type: str('type'), Queue: str('queue') })),
  Binary: ptr('binary', () => ({
    Path: str('path'),
    Xattr: str('xattr'),
    Cache: ptr('cache', () => ({ Mode: str('mode') })),
    Lock: ptr('lock', () => ({ Posix: str('posix'), Flock: str('flock') })),
  })),
};

const RedirectedDevice: GoStruct = {
  Type: str('type'),
  Bus: str('bus'),
  Source: el('source', sourceModePath),
};

const TPM: GoStruct = {
  Model: str('model'),
  Backend: el('backend', () => ({
    Type: str('type'),
    Version: str('version'),
    PersistentState: str('persistent_state'),
  })),
};

const Memory = (): GoStruct => ({ Value: chars('uint'), Unit: str('unit') });

const MemoryDevice: GoStruct = {
  XMLName: xmlName,
  Model: str('model'),
  Target: ptr('target', () => ({
    Size: el('size', Memory),
    Requested: el('requested', Memory),
    Current: el('current', Memory),
    Node: text('node'),
    Block: el('block', Memory),
    Address: ptr('address', () => ({ Base: str('base') })),
  })),
  Alias: alias,
  Address: ptr('address', () => Address),
};

const IOMMU: GoStruct = {
  Model: str('model'),
  Driver: ptr('driver', () => ({
    IntRemap: str('intremap'),
    CachingMode: str('caching_mode'),
    EIM: str('eim'),
    IOTLB: str('iotlb'),
    AWBits: uint('aw_bits'),
  })),
};

export const Devices: GoStruct = {
  Emulator: text('emulator'),
  Interfaces: list('interface', () => Interface),
  Channels: list('channel', () => Channel),
  HostDevices: list('hostdev', () => HostDevice),
  PanicDevices: list('panic', () => ({ Model: strPtr('model') })),
  Controllers: list('controller', () => Controller),
  Video: list('video', () => Video),
  Graphics: list('graphics', () => Graphics),
  Ballooning: ptr('memballoon', () => MemBalloon),
  Disks: list('disk', () => Disk),
  Inputs: list('input', () => Input),
  Serials: list('serial', () => Serial),
  Consoles: list('console', () => Console),
  Watchdogs: list('watchdog', () => Watchdog),
  Rng: ptr('rng', () => Rng),
  Filesystems: list('filesystem', () => FilesystemDevice),
  Redirs: list('redirdev', () => RedirectedDevice),
  SoundCards: list('sound', () => ({ Alias: alias, Model: str('model') })),
  TPMs: list('tpm', () => TPM),
  VSOCK: ptr('vsock', () => ({
    Model: str('model'),
    CID: el('cid', () => ({ Auto: str('auto'), Address: uint('address') })),
  })),
  Memory: ptr('memory', () => MemoryDevice),
  IOMMU: ptr('iommu', () => IOMMU),
};
