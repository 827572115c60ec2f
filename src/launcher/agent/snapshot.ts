// What the guest-agent pollers learned (KUBEVIRT.md §5.2), as plain data. Pure.
import type { InterfaceStatusJson, OsInfoJson } from '../../domain/domain-json/model.js';

export interface AgentCommandInfo {
  name: string;
  enabled: boolean;
}

export interface AgentUser {
  userName: string;
  domain: string;
  /** Seconds since the epoch, fractional (libvirt gives milliseconds). */
  loginTime: number;
}

export interface AgentFilesystemDisk {
  serial: string;
  busType: string;
}

export interface AgentFilesystem {
  diskName: string;
  mountPoint: string;
  fileSystemType: string;
  usedBytes: number;
  totalBytes: number;
  disk: AgentFilesystemDisk[];
}

export interface AgentTimezone {
  zone: string;
  offsetSeconds: number;
}

export interface AgentLoad {
  load1m: number;
  load5m: number;
  load15m: number;
}

export interface AgentSnapshot {
  /** qemu-ga's version from guest-info; '' until known. */
  version: string;
  supportedCommands: AgentCommandInfo[];
  hostname: string;
  os: OsInfoJson;
  timezone: AgentTimezone | undefined;
  users: AgentUser[];
  filesystems: AgentFilesystem[];
  /** 'frozen' | 'thawed' from guest-fsfreeze-status; '' until known. */
  fsFreezeStatus: string;
  /** Every interface the agent reported, loopback included; null until known. */
  interfaces: InterfaceStatusJson[] | null;
  load: AgentLoad | undefined;
}

export function emptyOsInfo(): OsInfoJson {
  return {
    Name: '',
    KernelRelease: '',
    Version: '',
    PrettyName: '',
    VersionId: '',
    KernelVersion: '',
    Machine: '',
    Id: '',
  };
}

export function emptySnapshot(): AgentSnapshot {
  return {
    version: '',
    supportedCommands: [],
    hostname: '',
    os: emptyOsInfo(),
    timezone: undefined,
    users: [],
    filesystems: [],
    fsFreezeStatus: '',
    interfaces: null,
    load: undefined,
  };
}
