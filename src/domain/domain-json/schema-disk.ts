// api.Disk and its parts, as KubeVirt's api package names them.
import {
  type GoStruct,
  alias,
  el,
  empty,
  int,
  list,
  ptr,
  str,
  text,
  textPtr,
  uint,
  uintPtr,
  zero,
} from './go-struct.js';
import { Address, BootOrder } from './schema-address.js';

const Format: GoStruct = { Type: str('type') };

const DiskSourceHost: GoStruct = { Name: str('name'), Port: str('port') };

const SourceReservations: GoStruct = { Type: str('type'), Path: str('path'), Mode: str('mode') };

const Reservations: GoStruct = {
  Managed: str('managed'),
  SourceReservations: ptr('source', () => SourceReservations),
};

const SliceType: GoStruct = { Type: str('type'), Offset: int('offset'), Size: int('size') };

const Slice: GoStruct = { Slice: el('slice', () => SliceType) };

const DataStore: GoStruct = {
  Type: str('type'),
  Format: ptr('format', () => Format),
  Source: ptr('source', () => DiskSource),
};

export const DiskSource: GoStruct = {
  Dev: str('dev'),
  File: str('file'),
  StartupPolicy: str('startupPolicy'),
  Protocol: str('protocol'),
  Name: str('name'),
  Host: ptr('host', () => DiskSourceHost),
  Reservations: ptr('reservations', () => Reservations),
  Slices: list('slices', () => Slice),
  DataStore: ptr('dataStore', () => DataStore),
};

export const DiskTarget: GoStruct = { Bus: str('bus'), Device: str('dev'), Tray: str('tray') };

const DiskIOThreads: GoStruct = { IOThread: list('iothread', () => ({ Id: uint('id') })) };

const DiskDriver: GoStruct = {
  Cache: str('cache'),
  ErrorPolicy: str('error_policy'),
  IO: str('io'),
  Name: str('name'),
  Type: str('type'),
  IOThread: uintPtr('iothread'),
  IOThreads: ptr('iothreads', () => DiskIOThreads),
  Queues: uintPtr('queues'),
  Discard: str('discard'),
  IOMMU: str('iommu'),
};

const DiskSecret: GoStruct = { Type: str('type'), Usage: str('usage'), UUID: str('uuid') };

const DiskAuth: GoStruct = { Username: str('username'), Secret: ptr('secret', () => DiskSecret) };

const BackingStore: GoStruct = {
  Type: str('type'),
  Format: ptr('format', () => Format),
  Source: ptr('source', () => DiskSource),
};

const BlockIO: GoStruct = {
  LogicalBlockSize: uint('logical_block_size'),
  PhysicalBlockSize: uint('physical_block_size'),
  DiscardGranularity: uintPtr('discard_granularity'),
};

export const Disk: GoStruct = {
  Device: str('device'),
  Snapshot: str('snapshot'),
  Type: str('type'),
  Source: el('source', () => DiskSource),
  Target: el('target', () => DiskTarget),
  Serial: text('serial'),
  Driver: ptr('driver', () => DiskDriver),
  ReadOnly: empty('readonly'),
  Auth: ptr('auth', () => DiskAuth),
  Alias: alias,
  BackingStore: ptr('backingStore', () => BackingStore),
  BootOrder: ptr('boot', () => BootOrder),
  Address: ptr('address', () => Address),
  Model: str('model'),
  BlockIO: ptr('blockio', () => BlockIO),
  FilesystemOverhead: textPtr('filesystemOverhead'),
  Capacity: textPtr('capacity', 'int'),
  ExpandDisksEnabled: zero(false),
  Shareable: empty('shareable'),
};
