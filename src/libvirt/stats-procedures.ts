// Statistics and job procedures of remote_protocol.x. Pure.
import { remoteProc } from './procedure.js';
import {
  REMOTE_DOMAIN_DISK_ERRORS_MAX,
  REMOTE_DOMAIN_JOB_STATS_MAX,
  REMOTE_DOMAIN_MEMORY_STATS_MAX,
  nonnullDomain,
  nonnullString,
} from './remote-types.js';
import { typedParams } from './typed-params.js';
import { array, hyper, int, struct, uhyper, uint } from './xdr-types.js';

const domPath = struct({ dom: nonnullDomain, path: nonnullString });

export const domainBlockStats = remoteProc(
  'DOMAIN_BLOCK_STATS',
  64,
  domPath,
  struct({ rd_req: hyper, rd_bytes: hyper, wr_req: hyper, wr_bytes: hyper, errs: hyper }),
);
export const domainInterfaceStats = remoteProc(
  'DOMAIN_INTERFACE_STATS',
  65,
  domPath,
  struct({
    rx_bytes: hyper,
    rx_packets: hyper,
    rx_errs: hyper,
    rx_drop: hyper,
    tx_bytes: hyper,
    tx_packets: hyper,
    tx_errs: hyper,
    tx_drop: hyper,
  }),
);
export const domainMemoryStats = remoteProc(
  'DOMAIN_MEMORY_STATS',
  159,
  struct({ dom: nonnullDomain, maxStats: uint, flags: uint }),
  struct({ stats: array(struct({ tag: int, val: uhyper }), REMOTE_DOMAIN_MEMORY_STATS_MAX) }),
);
export const domainGetJobInfo = remoteProc(
  'DOMAIN_GET_JOB_INFO',
  163,
  struct({ dom: nonnullDomain }),
  struct({
    type: int,
    timeElapsed: uhyper,
    timeRemaining: uhyper,
    dataTotal: uhyper,
    dataProcessed: uhyper,
    dataRemaining: uhyper,
    memTotal: uhyper,
    memProcessed: uhyper,
    memRemaining: uhyper,
    fileTotal: uhyper,
    fileProcessed: uhyper,
    fileRemaining: uhyper,
  }),
);
export const domainAbortJob = remoteProc('DOMAIN_ABORT_JOB', 164, struct({ dom: nonnullDomain }));
export const domainGetBlockInfo = remoteProc(
  'DOMAIN_GET_BLOCK_INFO',
  194,
  struct({ dom: nonnullDomain, path: nonnullString, flags: uint }),
  struct({ allocation: uhyper, capacity: uhyper, physical: uhyper }),
);
export const domainGetDiskErrors = remoteProc(
  'DOMAIN_GET_DISK_ERRORS',
  263,
  struct({ dom: nonnullDomain, maxerrors: uint, flags: uint }),
  struct({
    errors: array(struct({ disk: nonnullString, error: int }), REMOTE_DOMAIN_DISK_ERRORS_MAX),
    nerrors: int,
  }),
);
export const domainGetJobStats = remoteProc(
  'DOMAIN_GET_JOB_STATS',
  298,
  struct({ dom: nonnullDomain, flags: uint }),
  struct({ type: int, params: typedParams(REMOTE_DOMAIN_JOB_STATS_MAX) }),
);
