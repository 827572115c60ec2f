// Connection-wide procedures of remote_protocol.x (numbers from its remote_procedure enum). Pure.
import { remoteProc } from './procedure.js';
import {
  REMOTE_AUTH_TYPE_LIST_MAX,
  REMOTE_CONNECT_GET_ALL_DOMAIN_STATS_MAX,
  REMOTE_DOMAIN_LIST_MAX,
  nonnullDomain,
  nonnullString,
  remoteDomain,
  remoteString,
} from './remote-types.js';
import { typedParams } from './typed-params.js';
import { array, enumOf, int, struct, uhyper, uint } from './xdr-types.js';

/** remote_auth_type */
export const AuthType = { NONE: 0, SASL: 1, POLKIT: 2 } as const;

/** virDrvFeature values the client advertises or asks about. */
export const DrvFeature = { PROGRAM_KEEPALIVE: 10, REMOTE_EVENT_CALLBACK: 14 } as const;

export const connectOpen = remoteProc('CONNECT_OPEN', 1, struct({ name: remoteString, flags: uint }));
export const connectClose = remoteProc('CONNECT_CLOSE', 2);
export const connectGetVersion = remoteProc('CONNECT_GET_VERSION', 4, undefined, struct({ hv_ver: uhyper }));
export const connectGetCapabilities = remoteProc(
  'CONNECT_GET_CAPABILITIES',
  7,
  undefined,
  struct({ capabilities: nonnullString }),
);
export const connectGetHostname = remoteProc(
  'CONNECT_GET_HOSTNAME',
  59,
  undefined,
  struct({ hostname: nonnullString }),
);
export const connectSupportsFeature = remoteProc(
  'CONNECT_SUPPORTS_FEATURE',
  60,
  struct({ feature: int }),
  struct({ supported: int }),
);
export const authList = remoteProc(
  'AUTH_LIST',
  66,
  undefined,
  struct({
    types: array(enumOf([AuthType.NONE, AuthType.SASL, AuthType.POLKIT]), REMOTE_AUTH_TYPE_LIST_MAX),
  }),
);
export const authPolkit = remoteProc('AUTH_POLKIT', 70, undefined, struct({ complete: int }));
export const connectGetLibVersion = remoteProc(
  'CONNECT_GET_LIB_VERSION',
  157,
  undefined,
  struct({ lib_ver: uhyper }),
);
export const connectListAllDomains = remoteProc(
  'CONNECT_LIST_ALL_DOMAINS',
  273,
  struct({ need_results: int, flags: uint }),
  struct({ domains: array(nonnullDomain, REMOTE_DOMAIN_LIST_MAX), ret: uint }),
);
export const connectDomainEventCallbackRegisterAny = remoteProc(
  'CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY',
  316,
  struct({ eventID: int, dom: remoteDomain }),
  struct({ callbackID: int }),
);
export const connectDomainEventCallbackDeregisterAny = remoteProc(
  'CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY',
  317,
  struct({ callbackID: int }),
);
export const connectGetDomainCapabilities = remoteProc(
  'CONNECT_GET_DOMAIN_CAPABILITIES',
  342,
  struct({
    emulatorbin: remoteString,
    arch: remoteString,
    machine: remoteString,
    virttype: remoteString,
    flags: uint,
  }),
  struct({ capabilities: nonnullString }),
);

export const domainStatsRecord = struct({
  dom: nonnullDomain,
  params: typedParams(REMOTE_CONNECT_GET_ALL_DOMAIN_STATS_MAX),
});

export const connectGetAllDomainStats = remoteProc(
  'CONNECT_GET_ALL_DOMAIN_STATS',
  344,
  struct({ doms: array(nonnullDomain, REMOTE_DOMAIN_LIST_MAX), stats: uint, flags: uint }),
  struct({ retStats: array(domainStatsRecord, REMOTE_DOMAIN_LIST_MAX) }),
);
