// The public API of vmpod's libvirt client.
export { LibvirtClient } from './client.js';
export type {
  EventHandler,
  LibvirtClientEvents,
  LibvirtClientOptions,
  ReconnectOptions,
  Subscription,
} from './client.js';
export { Domain } from './domain.js';
export type { DiskError, DomainInfo, DomainStateInfo } from './domain.js';
export {
  AgentLifecycleState,
  DomainEventId,
  LifecycleEvent,
  type DomainEvent,
  type DomainEventKind,
  type DomainEventMap,
} from './events.js';
export {
  CLIENT_ERROR_CODES,
  LIBVIRT_ERROR_CODES,
  LibvirtError,
  VirErrorNumber,
  formatLibvirtError,
  libvirtErrorCode,
  type ClientErrorCode,
} from './errors.js';
export type { KeepaliveOptions } from './keepalive.js';
export { AgentCommandTimeout } from './qemu-procedures.js';
export type { CallOptions, Procedure, RpcCaller } from './procedure.js';
export { type DomainRef, uuidFromString, uuidToString } from './remote-types.js';
export {
  DomainState,
  NON_EXISTENT,
  kubevirtReason,
  kubevirtState,
  kubevirtStatus,
  type KubevirtState,
  type KubevirtStatus,
} from './state-mapping.js';
export {
  TypedParamType,
  param,
  typedParamScalar,
  typedParamsToRecord,
  type TypedParam,
  type TypedParamScalar,
  type TypedParamValue,
} from './typed-params.js';

// Procedure descriptors and the XDR combinators, for calls the typed API above does not wrap:
// `client.call(domainProcedures.domainGetState, { dom, flags: 0 })`, or a new `remoteProc(...)`.
export * as connectProcedures from './connect-procedures.js';
export * as domainProcedures from './domain-procedures.js';
export * as statsProcedures from './stats-procedures.js';
export * as qemuProcedures from './qemu-procedures.js';
export { remoteProc } from './procedure.js';
export * as xdr from './xdr-types.js';
