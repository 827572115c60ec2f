// api.Interface and its parts, as KubeVirt's api package names them.
import { type GoStruct, alias, empty, list, ptr, str, el, uint, uintPtr, xmlName } from './go-struct.js';
import { Address, BootOrder } from './schema-address.js';

const InterfaceSource: GoStruct = {
  Network: str('network'),
  Device: str('dev'),
  Bridge: str('bridge'),
  Mode: str('mode'),
  Address: ptr('address', () => Address),
};

const PortForwardRange: GoStruct = {
  Start: uint('start'),
  End: uint('end'),
  To: uint('to'),
  Exclude: str('exclude'),
};

const PortForward: GoStruct = {
  Proto: str('proto'),
  Address: str('address'),
  Dev: str('dev'),
  Ranges: list('range', () => PortForwardRange),
};

export const Interface: GoStruct = {
  XMLName: xmlName,
  Address: ptr('address', () => Address),
  Type: str('type'),
  TrustGuestRxFilters: str('trustGuestRxFilters'),
  Source: el('source', () => InterfaceSource),
  Target: ptr('target', () => ({ Device: str('dev'), Managed: str('managed') })),
  Model: ptr('model', () => ({ Type: str('type') })),
  MAC: ptr('mac', () => ({ MAC: str('address') })),
  MTU: ptr('mtu', () => ({ Size: str('size') })),
  BandWidth: empty('bandwidth'),
  BootOrder: ptr('boot', () => BootOrder),
  LinkState: ptr('link', () => ({ State: str('state') })),
  FilterRef: ptr('filterref', () => ({ Filter: str('filter') })),
  Alias: alias,
  Driver: ptr('driver', () => ({ Name: str('name'), Queues: uintPtr('queues'), IOMMU: str('iommu') })),
  Rom: ptr('rom', () => ({ Enabled: str('enabled') })),
  ACPI: ptr('acpi', () => ({ Index: uint('index') })),
  Backend: ptr('backend', () => ({ Type: str('type'), LogFile: str('logFile') })),
  PortForward: list('portForward', () => PortForward),
};
