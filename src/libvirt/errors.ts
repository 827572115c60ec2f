// libvirt's error replies as typed errors: a stable vmpod code per common virErrorNumber, libvirt's
// own code/domain/level/message as facts, and KubeVirt's rendering of the message. Pure.
import { VmpodError } from '../errors.js';
import type { RemoteError } from './remote-types.js';

/** virErrorNumber values vmpod branches on, with the stable code each one gets. */
export const LIBVIRT_ERROR_CODES: Readonly<Record<number, string>> = {
  1: 'LIBVIRT_INTERNAL_ERROR',
  3: 'LIBVIRT_NO_SUPPORT',
  5: 'LIBVIRT_NO_CONNECT',
  6: 'LIBVIRT_INVALID_CONN',
  7: 'LIBVIRT_INVALID_DOMAIN',
  8: 'LIBVIRT_INVALID_ARG',
  9: 'LIBVIRT_OPERATION_FAILED',
  27: 'LIBVIRT_XML_ERROR',
  28: 'LIBVIRT_DOMAIN_EXISTS',
  29: 'LIBVIRT_OPERATION_DENIED',
  38: 'LIBVIRT_SYSTEM_ERROR',
  39: 'LIBVIRT_RPC',
  42: 'LIBVIRT_NO_DOMAIN',
  45: 'LIBVIRT_AUTH_FAILED',
  55: 'LIBVIRT_OPERATION_INVALID',
  67: 'LIBVIRT_CONFIG_UNSUPPORTED',
  68: 'LIBVIRT_OPERATION_TIMEOUT',
  74: 'LIBVIRT_ARGUMENT_UNSUPPORTED',
  78: 'LIBVIRT_OPERATION_ABORTED',
  80: 'LIBVIRT_NO_DOMAIN_METADATA',
  84: 'LIBVIRT_OPERATION_UNSUPPORTED',
  86: 'LIBVIRT_AGENT_UNRESPONSIVE',
  87: 'LIBVIRT_RESOURCE_BUSY',
  88: 'LIBVIRT_ACCESS_DENIED',
  97: 'LIBVIRT_AGENT_UNSYNCED',
  99: 'LIBVIRT_DEVICE_MISSING',
};

/** virErrorNumber constants for callers that compare libvirt codes. */
export const VirErrorNumber = {
  INTERNAL_ERROR: 1,
  NO_SUPPORT: 3,
  INVALID_ARG: 8,
  OPERATION_FAILED: 9,
  XML_ERROR: 27,
  DOM_EXIST: 28,
  SYSTEM_ERROR: 38,
  RPC: 39,
  NO_DOMAIN: 42,
  OPERATION_INVALID: 55,
  OPERATION_TIMEOUT: 68,
  OPERATION_UNSUPPORTED: 84,
  AGENT_UNRESPONSIVE: 86,
} as const;

/** A failed libvirt call: `code` is stable for vmpod, the libvirt fields are kept as they came. */
export class LibvirtError extends VmpodError {
  readonly libvirtCode: number;
  readonly libvirtDomain: number;
  readonly level: number;
  readonly libvirtMessage: string;

  constructor(remote: Pick<RemoteError, 'code' | 'domain' | 'message' | 'level'>, procedure?: string) {
    const message = remote.message ?? '';
    super(libvirtErrorCode(remote.code), formatLibvirtError(remote.code, remote.domain, message), {
      facts: {
        libvirtCode: remote.code,
        libvirtDomain: remote.domain,
        libvirtLevel: remote.level,
        libvirtMessage: message,
        procedure,
      },
    });
    this.name = 'LibvirtError';
    this.libvirtCode = remote.code;
    this.libvirtDomain = remote.domain;
    this.level = remote.level;
    this.libvirtMessage = message;
  }
}

export function libvirtErrorCode(virErrorNumber: number): string {
  return LIBVIRT_ERROR_CODES[virErrorNumber] ?? 'LIBVIRT_ERROR';
}

/** The string KubeVirt shows for a libvirt error (libvirt-go's Error.Error()). */
export function formatLibvirtError(code: number, domain: number, message: string): string {
  return `LibvirtError(Code=${code}, Domain=${domain}, Message='${message}')`;
}

/** Every connection-level failure code this client raises, besides the per-libvirt-error ones. */
export const CLIENT_ERROR_CODES = [
  'LIBVIRT_DISCONNECTED',
  'LIBVIRT_TIMEOUT',
  'LIBVIRT_CONNECT_FAILED',
  'LIBVIRT_KEEPALIVE_TIMEOUT',
  'LIBVIRT_PROTOCOL_ERROR',
  'LIBVIRT_AUTH_UNSUPPORTED',
  'LIBVIRT_FRAME_TOO_SHORT',
  'LIBVIRT_FRAME_TOO_LONG',
  'LIBVIRT_FRAME_BAD_LENGTH',
] as const;
export type ClientErrorCode = (typeof CLIENT_ERROR_CODES)[number];

export function clientError(
  code: ClientErrorCode,
  message: string,
  facts: Record<string, string | number | boolean | undefined> = {},
  cause?: unknown,
): VmpodError {
  return new VmpodError(code, message, { facts, cause });
}
