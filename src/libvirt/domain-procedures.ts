// Per-domain lifecycle, configuration and guest procedures of remote_protocol.x. Pure.
import { remoteProc } from './procedure.js';
import {
  REMOTE_DOMAIN_FSFREEZE_MOUNTPOINTS_MAX,
  REMOTE_DOMAIN_GUEST_INFO_PARAMS_MAX,
  REMOTE_UUID_LEN,
  nonnullDomain,
  nonnullString,
} from './remote-types.js';
import { typedParams } from './typed-params.js';
import { array, fixedOpaque, hyper, int, struct, uhyper, uint } from './xdr-types.js';

const dom = struct({ dom: nonnullDomain });
const domFlags = struct({ dom: nonnullDomain, flags: uint });
const domXmlFlags = struct({ dom: nonnullDomain, xml: nonnullString, flags: uint });
const retDom = struct({ dom: nonnullDomain });
const mountpoints = struct({
  dom: nonnullDomain,
  mountpoints: array(nonnullString, REMOTE_DOMAIN_FSFREEZE_MOUNTPOINTS_MAX),
  flags: uint,
});
const filesystems = struct({ filesystems: int });

export const domainGetXmlDesc = remoteProc(
  'DOMAIN_GET_XML_DESC',
  14,
  domFlags,
  struct({ xml: nonnullString }),
);
export const domainGetInfo = remoteProc(
  'DOMAIN_GET_INFO',
  16,
  dom,
  // unsigned char state and unsigned short nrVirtCpu each take a full XDR word.
  struct({ state: uint, maxMem: uhyper, memory: uhyper, nrVirtCpu: uint, cpuTime: uhyper }),
);
export const domainLookupByName = remoteProc(
  'DOMAIN_LOOKUP_BY_NAME',
  23,
  struct({ name: nonnullString }),
  retDom,
);
export const domainLookupByUuid = remoteProc(
  'DOMAIN_LOOKUP_BY_UUID',
  24,
  struct({ uuid: fixedOpaque(REMOTE_UUID_LEN) }),
  retDom,
);
export const domainReboot = remoteProc('DOMAIN_REBOOT', 27, domFlags);
export const domainResume = remoteProc('DOMAIN_RESUME', 28, dom);
export const domainSuspend = remoteProc('DOMAIN_SUSPEND', 34, dom);
export const domainAttachDeviceFlags = remoteProc('DOMAIN_ATTACH_DEVICE_FLAGS', 160, domXmlFlags);
export const domainDetachDeviceFlags = remoteProc('DOMAIN_DETACH_DEVICE_FLAGS', 161, domXmlFlags);
export const domainUpdateDeviceFlags = remoteProc('DOMAIN_UPDATE_DEVICE_FLAGS', 174, domXmlFlags);
export const domainCreateWithFlags = remoteProc('DOMAIN_CREATE_WITH_FLAGS', 196, domFlags, retDom);
export const domainSetVcpusFlags = remoteProc(
  'DOMAIN_SET_VCPUS_FLAGS',
  199,
  struct({ dom: nonnullDomain, nvcpus: uint, flags: uint }),
);
export const domainSetMemoryFlags = remoteProc(
  'DOMAIN_SET_MEMORY_FLAGS',
  204,
  struct({ dom: nonnullDomain, memory: uhyper, flags: uint }),
);
export const domainGetState = remoteProc(
  'DOMAIN_GET_STATE',
  212,
  domFlags,
  struct({ state: int, reason: int }),
);
export const domainUndefineFlags = remoteProc('DOMAIN_UNDEFINE_FLAGS', 231, domFlags);
export const domainDestroyFlags = remoteProc('DOMAIN_DESTROY_FLAGS', 234, domFlags);
export const domainReset = remoteProc('DOMAIN_RESET', 245, domFlags);
export const domainShutdownFlags = remoteProc('DOMAIN_SHUTDOWN_FLAGS', 258, domFlags);
export const domainFsfreeze = remoteProc('DOMAIN_FSFREEZE', 335, mountpoints, filesystems);
export const domainFsthaw = remoteProc('DOMAIN_FSTHAW', 336, mountpoints, filesystems);
export const domainGetTime = remoteProc(
  'DOMAIN_GET_TIME',
  337,
  domFlags,
  struct({ seconds: hyper, nseconds: uint }),
);
export const domainSetTime = remoteProc(
  'DOMAIN_SET_TIME',
  338,
  struct({ dom: nonnullDomain, seconds: hyper, nseconds: uint, flags: uint }),
);
export const domainDefineXmlFlags = remoteProc(
  'DOMAIN_DEFINE_XML_FLAGS',
  350,
  struct({ xml: nonnullString, flags: uint }),
  retDom,
);
export const domainGetGuestInfo = remoteProc(
  'DOMAIN_GET_GUEST_INFO',
  418,
  struct({ dom: nonnullDomain, types: uint, flags: uint }),
  struct({ params: typedParams(REMOTE_DOMAIN_GUEST_INFO_PARAMS_MAX) }),
);
