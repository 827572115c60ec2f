// The snapshot as KubeVirt's RPCs and domain status carry it (KUBEVIRT.md §4.4, §4.7): the lower-camel
// v1 API JSON of GetGuestInfo/GetUsers/GetFilesystems (Go's omitempty honoured), and the agent
// fields of api.Domain's Status. Pure.
import type { InterfaceStatusJson, OsInfoJson } from '../../domain/domain-json/model.js';
import type { AgentFilesystem, AgentSnapshot, AgentUser } from './snapshot.js';

/** GetGuestInfo caps both lists at ten entries. */
const MAX_LISTED = 10;

type Json = Record<string, unknown>;

/** Drops Go-omitempty members: '', 0, false, empty arrays. */
function omitEmpty(o: Json): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === '' || v === 0 || v === false || v === undefined) continue;
    if (Array.isArray(v) && v.length === 0) continue;
    out[k] = v;
  }
  return out;
}

function userJson(u: AgentUser): Json {
  // v1.VirtualMachineInstanceGuestOSUser: userName always; domain, loginTime omitempty.
  return { userName: u.userName, ...omitEmpty({ domain: u.domain, loginTime: u.loginTime }) };
}

function filesystemJson(f: AgentFilesystem): Json {
  // v1.VirtualMachineInstanceFileSystem: disk omitempty; disk[].serial omitempty, busType always.
  const out: Json = {
    diskName: f.diskName,
    mountPoint: f.mountPoint,
    fileSystemType: f.fileSystemType,
    usedBytes: f.usedBytes,
    totalBytes: f.totalBytes,
  };
  if (f.disk.length > 0) {
    out['disk'] = f.disk.map((d) => ({ ...omitEmpty({ serial: d.serial }), busType: d.busType }));
  }
  return out;
}

function osJson(os: OsInfoJson): Json {
  return omitEmpty({
    name: os.Name,
    kernelRelease: os.KernelRelease,
    version: os.Version,
    prettyName: os.PrettyName,
    versionId: os.VersionId,
    kernelVersion: os.KernelVersion,
    machine: os.Machine,
    id: os.Id,
  });
}

/** "<zone>, <offsetSeconds>", as KubeVirt formats it; '' when unknown. */
export function timezoneText(s: AgentSnapshot): string {
  return s.timezone ? `${s.timezone.zone}, ${s.timezone.offsetSeconds}` : '';
}

/** GetGuestInfo's v1.VirtualMachineInstanceGuestAgentInfo. */
export function guestAgentInfoJson(s: AgentSnapshot): string {
  const info: Json = {
    ...omitEmpty({
      guestAgentVersion: s.version,
      supportedCommands: s.supportedCommands.map((c) => ({
        name: c.name,
        ...omitEmpty({ enabled: c.enabled }),
      })),
      hostname: s.hostname,
    }),
    os: osJson(s.os),
    ...omitEmpty({
      timezone: timezoneText(s),
      userList: s.users.slice(0, MAX_LISTED).map(userJson),
    }),
    fsInfo: { disks: s.filesystems.slice(0, MAX_LISTED).map(filesystemJson) },
    ...omitEmpty({ fsFreezeStatus: s.fsFreezeStatus }),
  };
  return JSON.stringify(info);
}

/** GetUsers: every user, as a JSON array. */
export function guestUsersJson(s: AgentSnapshot): string {
  return JSON.stringify(s.users.map(userJson));
}

/** GetFilesystems: every filesystem, as a JSON array. */
export function guestFilesystemsJson(s: AgentSnapshot): string {
  return JSON.stringify(s.filesystems.map(filesystemJson));
}

export interface DomainStatusAgentFields {
  Interfaces: InterfaceStatusJson[] | null;
  OSInfo: Partial<OsInfoJson>;
  FSFreezeStatus: { Status: string };
}

/** api.Domain Status's agent-derived fields; loopback is left out of Interfaces. */
export function domainStatusAgentFields(s: AgentSnapshot | undefined): DomainStatusAgentFields {
  if (s === undefined) return { Interfaces: null, OSInfo: { Name: '' }, FSFreezeStatus: { Status: '' } };
  const nics = s.interfaces === null ? null : s.interfaces.filter((i) => i.InterfaceName !== 'lo');
  return {
    Interfaces:
      nics === null || nics.length === 0 ? null : nics.map((i) => ({ ...i, IPs: i.IPs ? [...i.IPs] : null })),
    OSInfo: { ...s.os },
    FSFreezeStatus: { Status: s.fsFreezeStatus },
  };
}
