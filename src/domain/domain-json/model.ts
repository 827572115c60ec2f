// The shape of KubeVirt's `api.Domain` JSON (KUBEVIRT.md §4.4): Go field names, `null` for nil
// pointers and slices. The handler decodes it case-insensitively but vmpod emits exact names.
// Spec is open-ended (every libvirt element the handler might read), so it is typed loosely here
// and built by domain-json/spec.ts; the parts the launcher fills in itself are typed exactly.

export interface GracePeriodMetadata {
  DeletionGracePeriodSeconds: number;
  /** RFC 3339, or null. */
  DeletionTimestamp: string | null;
  MarkedForGracefulShutdown: boolean | null;
}

export interface MigrationMetadata {
  UID: string;
  StartTimestamp: string | null;
  EndTimestamp: string | null;
  Failed: boolean;
  FailureReason: string;
  AbortStatus: string;
  Mode: string;
}

export interface AccessCredentialMetadata {
  Succeeded: boolean;
  Message: string;
}

export interface MemoryDumpMetadata {
  FileName: string | null;
  StartTimestamp: string | null;
  EndTimestamp: string | null;
  Completed: boolean;
  Failed: boolean;
  FailureReason: string;
}

/** `Spec.Metadata.KubeVirt`: the launcher's in-memory metadata cache (§6.1). */
export interface KubevirtMetadata {
  UID: string;
  GracePeriod: GracePeriodMetadata | null;
  Migration: MigrationMetadata | null;
  Backup: Record<string, unknown> | null;
  AccessCredential: AccessCredentialMetadata | null;
  MemoryDump: MemoryDumpMetadata | null;
}

export interface InterfaceStatusJson {
  Mac: string;
  Ip: string;
  IPs: string[] | null;
  InterfaceName: string;
}

export interface OsInfoJson {
  Name: string;
  KernelRelease: string;
  Version: string;
  PrettyName: string;
  VersionId: string;
  KernelVersion: string;
  Machine: string;
  Id: string;
}

export interface GuestPanicInfoJson {
  Type: string;
  Arg1: number;
  Arg2: number;
  Arg3: number;
  Arg4: number;
  Arg5: number;
}

export interface DomainStatusJson {
  Status: string;
  Reason: string;
  Interfaces: InterfaceStatusJson[] | null;
  OSInfo: Partial<OsInfoJson>;
  FSFreezeStatus: { Status: string };
  GuestPanicInfo: GuestPanicInfoJson | null;
  PanicCount: number;
}

export interface ObjectMetaJson {
  name: string;
  namespace: string;
  uid?: string;
  creationTimestamp: null;
  deletionTimestamp?: string;
}

/** `api.DomainSpec` as JSON; `Metadata.KubeVirt` is always the launcher's cache. */
export type DomainSpecJson = Record<string, unknown> & {
  Metadata: { KubeVirt: KubevirtMetadata | Record<string, unknown> };
};

export interface DomainJson {
  kind: 'Domain';
  apiVersion: '1.2.2';
  ObjectMeta: ObjectMetaJson;
  Spec: DomainSpecJson;
  Status: DomainStatusJson;
}

export function emptyKubevirtMetadata(uid: string): KubevirtMetadata {
  return {
    UID: uid,
    GracePeriod: null,
    Migration: null,
    Backup: null,
    AccessCredential: null,
    MemoryDump: null,
  };
}
