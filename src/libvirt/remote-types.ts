// The shared building blocks of libvirt's remote protocol (remote_protocol.x): limits, strings,
// domain references and the error struct. Pure.
import { type XdrType, fixedOpaque, int, optional, string, struct } from './xdr-types.js';

export const REMOTE_STRING_MAX = 4_194_304;
export const REMOTE_DOMAIN_LIST_MAX = 16_384;
export const REMOTE_UUID_LEN = 16;
export const REMOTE_CONNECT_GET_ALL_DOMAIN_STATS_MAX = 262_144;
export const REMOTE_DOMAIN_JOB_STATS_MAX = 64;
export const REMOTE_DOMAIN_GUEST_INFO_PARAMS_MAX = 2048;
export const REMOTE_DOMAIN_MEMORY_STATS_MAX = 1024;
export const REMOTE_DOMAIN_DISK_ERRORS_MAX = 256;
export const REMOTE_DOMAIN_FSFREEZE_MOUNTPOINTS_MAX = 256;
export const REMOTE_AUTH_TYPE_LIST_MAX = 20;

/** remote_nonnull_string */
export const nonnullString: XdrType<string> = string(REMOTE_STRING_MAX);
/** remote_string: a string that may be NULL. */
export const remoteString: XdrType<string | null> = optional(nonnullString);

/** remote_nonnull_domain: how every call names a domain (the server finds it by UUID). */
export interface DomainRef {
  name: string;
  uuid: Uint8Array;
  /** The running domain's id, -1 when inactive. */
  id: number;
}

export const nonnullDomain: XdrType<DomainRef> = struct({
  name: nonnullString,
  uuid: fixedOpaque(REMOTE_UUID_LEN),
  id: int,
});

/** remote_domain: a domain reference that may be NULL. */
export const remoteDomain: XdrType<DomainRef | null> = optional(nonnullDomain);

export interface NetworkRef {
  name: string;
  uuid: Uint8Array;
}

const nonnullNetwork: XdrType<NetworkRef> = struct({
  name: nonnullString,
  uuid: fixedOpaque(REMOTE_UUID_LEN),
});

/** remote_error: the payload of every failed reply. */
export interface RemoteError {
  code: number;
  domain: number;
  message: string | null;
  level: number;
  dom: DomainRef | null;
  str1: string | null;
  str2: string | null;
  str3: string | null;
  int1: number;
  int2: number;
  net: NetworkRef | null;
}

export const remoteError: XdrType<RemoteError> = struct({
  code: int,
  domain: int,
  message: remoteString,
  level: int,
  dom: remoteDomain,
  str1: remoteString,
  str2: remoteString,
  str3: remoteString,
  int1: int,
  int2: int,
  net: optional(nonnullNetwork),
});

/** Formats a UUID as libvirt prints it (8-4-4-4-12 lowercase hex). */
export function uuidToString(uuid: Uint8Array): string {
  const hex = Buffer.from(uuid).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function uuidFromString(text: string): Uint8Array | undefined {
  const hex = text.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) return undefined;
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}
