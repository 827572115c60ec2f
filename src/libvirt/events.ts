// Domain event messages (type MESSAGE, remote program) decoded into typed events, routed by
// procedure number; each carries the server's callbackID of the registration it belongs to. Pure.
import { REMOTE_DOMAIN_JOB_STATS_MAX, type DomainRef, nonnullDomain, nonnullString } from './remote-types.js';
import { type TypedParam, type TypedParamScalar, typedParams, typedParamsToRecord } from './typed-params.js';
import { type XdrType, decode, int, struct, uhyper } from './xdr-types.js';

/** VIR_DOMAIN_EVENT_ID_* for the events vmpod subscribes to (KUBEVIRT.md §5.1). */
export const DomainEventId = {
  LIFECYCLE: 0,
  REBOOT: 1,
  DEVICE_REMOVED: 15,
  AGENT_LIFECYCLE: 18,
  DEVICE_ADDED: 19,
  JOB_COMPLETED: 21,
  MEMORY_DEVICE_SIZE_CHANGE: 26,
} as const;

/** virDomainEventType (lifecycle `event` field). */
export const LifecycleEvent = {
  DEFINED: 0,
  UNDEFINED: 1,
  STARTED: 2,
  SUSPENDED: 3,
  RESUMED: 4,
  STOPPED: 5,
  SHUTDOWN: 6,
  PMSUSPENDED: 7,
  CRASHED: 8,
} as const;

/** virConnectDomainEventAgentLifecycleState */
export const AgentLifecycleState = { CONNECTED: 1, DISCONNECTED: 2 } as const;

export interface DomainEventMap {
  lifecycle: { domain: DomainRef; event: number; detail: number };
  reboot: { domain: DomainRef };
  deviceAdded: { domain: DomainRef; devAlias: string };
  deviceRemoved: { domain: DomainRef; devAlias: string };
  memoryDeviceSizeChange: { domain: DomainRef; alias: string; size: bigint };
  jobCompleted: {
    domain: DomainRef;
    params: TypedParam[];
    /** VIR_DOMAIN_JOB_OPERATION_* from the `operation` parameter, when present. */
    operation: number | undefined;
    /** The `success` parameter, when present. */
    success: boolean | undefined;
  };
  agentLifecycle: { domain: DomainRef; state: number; reason: number };
}

export type DomainEventKind = keyof DomainEventMap;
export type DomainEvent = {
  [K in DomainEventKind]: { kind: K; callbackID: number } & DomainEventMap[K];
}[DomainEventKind];

export const EVENT_ID_OF: Readonly<Record<DomainEventKind, number>> = {
  lifecycle: DomainEventId.LIFECYCLE,
  reboot: DomainEventId.REBOOT,
  deviceAdded: DomainEventId.DEVICE_ADDED,
  deviceRemoved: DomainEventId.DEVICE_REMOVED,
  memoryDeviceSizeChange: DomainEventId.MEMORY_DEVICE_SIZE_CHANGE,
  jobCompleted: DomainEventId.JOB_COMPLETED,
  agentLifecycle: DomainEventId.AGENT_LIFECYCLE,
};

interface EventDecoder {
  kind: DomainEventKind;
  name: string;
  decode(body: Uint8Array): DomainEvent;
}

function decoder<T>(
  kind: DomainEventKind,
  name: string,
  type: XdrType<T>,
  build: (msg: T) => DomainEvent,
): EventDecoder {
  return { kind, name, decode: (body) => build(decode(type, body, name)) };
}

const lifecycleMsg = struct({
  callbackID: int,
  msg: struct({ dom: nonnullDomain, event: int, detail: int }),
});
const rebootMsg = struct({ callbackID: int, msg: struct({ dom: nonnullDomain }) });
const deviceRemovedMsg = struct({
  callbackID: int,
  msg: struct({ dom: nonnullDomain, devAlias: nonnullString }),
});
const deviceAddedMsg = struct({ callbackID: int, dom: nonnullDomain, devAlias: nonnullString });
const agentLifecycleMsg = struct({ callbackID: int, dom: nonnullDomain, state: int, reason: int });
const jobCompletedMsg = struct({
  callbackID: int,
  dom: nonnullDomain,
  params: typedParams(REMOTE_DOMAIN_JOB_STATS_MAX),
});
const memoryDeviceSizeChangeMsg = struct({
  callbackID: int,
  dom: nonnullDomain,
  alias: nonnullString,
  size: uhyper,
});

/** Event decoders by REMOTE_PROC_DOMAIN_EVENT_* procedure number. */
export const EVENT_DECODERS: ReadonlyMap<number, EventDecoder> = new Map([
  [
    318,
    decoder('lifecycle', 'DOMAIN_EVENT_CALLBACK_LIFECYCLE', lifecycleMsg, (m) => ({
      kind: 'lifecycle',
      callbackID: m.callbackID,
      domain: m.msg.dom,
      event: m.msg.event,
      detail: m.msg.detail,
    })),
  ],
  [
    319,
    decoder('reboot', 'DOMAIN_EVENT_CALLBACK_REBOOT', rebootMsg, (m) => ({
      kind: 'reboot',
      callbackID: m.callbackID,
      domain: m.msg.dom,
    })),
  ],
  [
    333,
    decoder('deviceRemoved', 'DOMAIN_EVENT_CALLBACK_DEVICE_REMOVED', deviceRemovedMsg, (m) => ({
      kind: 'deviceRemoved',
      callbackID: m.callbackID,
      domain: m.msg.dom,
      devAlias: m.msg.devAlias,
    })),
  ],
  [
    348,
    decoder('agentLifecycle', 'DOMAIN_EVENT_CALLBACK_AGENT_LIFECYCLE', agentLifecycleMsg, (m) => ({
      kind: 'agentLifecycle',
      callbackID: m.callbackID,
      domain: m.dom,
      state: m.state,
      reason: m.reason,
    })),
  ],
  [
    354,
    decoder('deviceAdded', 'DOMAIN_EVENT_CALLBACK_DEVICE_ADDED', deviceAddedMsg, (m) => ({
      kind: 'deviceAdded',
      callbackID: m.callbackID,
      domain: m.dom,
      devAlias: m.devAlias,
    })),
  ],
  [
    363,
    decoder('jobCompleted', 'DOMAIN_EVENT_CALLBACK_JOB_COMPLETED', jobCompletedMsg, (m) => {
      const rec = typedParamsToRecord(m.params);
      return {
        kind: 'jobCompleted',
        callbackID: m.callbackID,
        domain: m.dom,
        params: m.params,
        operation: asNumber(rec['operation']),
        success: typeof rec['success'] === 'boolean' ? rec['success'] : undefined,
      };
    }),
  ],
  [
    438,
    decoder(
      'memoryDeviceSizeChange',
      'DOMAIN_EVENT_MEMORY_DEVICE_SIZE_CHANGE',
      memoryDeviceSizeChangeMsg,
      (m) => ({
        kind: 'memoryDeviceSizeChange',
        callbackID: m.callbackID,
        domain: m.dom,
        alias: m.alias,
        size: m.size,
      }),
    ),
  ],
]);

/** REMOTE_PROC_CONNECT_EVENT_CONNECTION_CLOSED: the server tells us it is closing the connection. */
export const CONNECTION_CLOSED_PROC = 362;

function asNumber(v: TypedParamScalar | undefined): number | undefined {
  return typeof v === 'number' ? v : undefined;
}
