import type { CloudInitMetaDataInput, ConfigDriveDevice, VmiIdentity } from './types.js';
import { goJson, sortedRecord } from './go-json.js';

// The meta-data files KubeVirt writes into cloud-init ISOs, rendered byte-for-byte as its Go
// structs marshal (pkg/cloud-init: NoCloudMetadata, ConfigDriveMetadata, DeviceData). Pure: the
// caller supplies the instance UUID (the firmware UUID, or a random one KubeVirt would draw).

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function keys(publicKeys: Readonly<Record<string, string>> | undefined) {
  return publicKeys === undefined || Object.keys(publicKeys).length === 0
    ? undefined
    : sortedRecord(publicKeys);
}

/** NoCloud `meta-data`: instance-type?, instance-id, local-hostname?, public-keys? (omitempty). */
export function renderNoCloudMetaData(meta: CloudInitMetaDataInput, instanceUuid: string): string {
  return goJson({
    'instance-type': nonEmpty(meta.instanceType),
    'instance-id': instanceUuid,
    'local-hostname': nonEmpty(meta.hostname),
    'public-keys': keys(meta.publicKeys),
  });
}

function device(d: ConfigDriveDevice) {
  return {
    type: d.type,
    bus: d.bus,
    address: d.address,
    mac: nonEmpty(d.mac),
    serial: nonEmpty(d.serial),
    numaNode: d.numaNode === undefined || d.numaNode === 0 ? undefined : d.numaNode,
    alignedCPUs: d.alignedCPUs === undefined || d.alignedCPUs.length === 0 ? undefined : d.alignedCPUs,
    // `tags` has no omitempty: a nil slice marshals as null.
    tags: d.tags ?? null,
  };
}

/**
 * ConfigDrive `openstack/latest/meta_data.json`. KubeVirt's custom marshaller emits the legacy
 * hyphenated keys first (instance-type?, instance-id, local-hostname?), then the OpenStack ones:
 * instance_type?, instance_id, local_hostname?, hostname?, uuid?, devices?, public_keys?.
 * KubeVirt sets `hostname` (not local_hostname) from the VMI's hostname.
 */
export function renderConfigDriveMetaData(
  meta: CloudInitMetaDataInput & { readonly devices?: readonly ConfigDriveDevice[] },
  vmi: VmiIdentity,
  instanceUuid: string,
): string {
  const instanceId = `${vmi.name}.${vmi.namespace}`;
  const instanceType = nonEmpty(meta.instanceType);
  return goJson({
    'instance-type': instanceType,
    'instance-id': instanceId,
    'local-hostname': undefined,
    instance_type: instanceType,
    instance_id: instanceId,
    local_hostname: undefined,
    hostname: nonEmpty(meta.hostname),
    uuid: nonEmpty(instanceUuid),
    devices: meta.devices === undefined ? undefined : meta.devices.map(device),
    public_keys: keys(meta.publicKeys),
  });
}
