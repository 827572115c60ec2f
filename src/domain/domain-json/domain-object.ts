// The api.Domain envelope (§4.4): TypeMeta, ObjectMeta from the libvirt name, Spec and Status.
import type {
  DomainJson,
  DomainSpecJson,
  DomainStatusJson,
  KubevirtMetadata,
  ObjectMetaJson,
  OsInfoJson,
} from './model.js';

/** Kubernetes' default namespace: where a libvirt name without `_` belongs. */
const DEFAULT_NAMESPACE = 'default';

/** Splits a libvirt name `<namespace>_<name>` at the first `_` (namespaces cannot hold one). */
export function splitLibvirtName(libvirtName: string): { namespace: string; name: string } {
  const at = libvirtName.indexOf('_');
  if (at < 0) return { namespace: DEFAULT_NAMESPACE, name: libvirtName };
  return { namespace: libvirtName.slice(0, at), name: libvirtName.slice(at + 1) };
}

function zeroOsInfo(): OsInfoJson {
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

/** A Status with Status/Reason given and everything else at its Go zero value, then `extra`. */
export function domainStatusJson(
  state: { Status: string; Reason: string },
  extra: Partial<DomainStatusJson> = {},
): DomainStatusJson {
  return {
    Status: state.Status,
    Reason: state.Reason,
    Interfaces: null,
    OSInfo: zeroOsInfo(),
    FSFreezeStatus: { Status: '' },
    GuestPanicInfo: null,
    PanicCount: 0,
    ...extra,
  };
}

/**
 * The whole api.Domain JSON. ObjectMeta's uid and deletionTimestamp are omitempty in Kubernetes,
 * so they appear only when non-empty; `metadata` replaces Spec.Metadata.KubeVirt when given.
 */
export function buildDomainJson(args: {
  libvirtName: string;
  uid?: string;
  spec: DomainSpecJson;
  metadata?: KubevirtMetadata;
  status: DomainStatusJson;
  deletionTimestamp?: string;
}): DomainJson {
  const { namespace, name } = splitLibvirtName(args.libvirtName);
  const meta: ObjectMetaJson = {
    name,
    namespace,
    ...(args.uid ? { uid: args.uid } : {}),
    creationTimestamp: null,
    ...(args.deletionTimestamp ? { deletionTimestamp: args.deletionTimestamp } : {}),
  };
  const spec: DomainSpecJson =
    args.metadata === undefined ? args.spec : { ...args.spec, Metadata: { KubeVirt: args.metadata } };
  return { kind: 'Domain', apiVersion: '1.2.2', ObjectMeta: meta, Spec: spec, Status: args.status };
}
