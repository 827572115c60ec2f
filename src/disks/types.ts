// What the launcher asks src/disks to prepare before the domain is defined: a minimal, VMI-free
// description per volume (the VMI model lives in src/vmi; the launcher maps it onto these).

/** A containerDisk: the handler bind-mounts the image as `disk_<volumeIndex>.img`; we add an overlay. */
export interface ContainerDiskSource {
  readonly kind: 'containerDisk';
  readonly volumeName: string;
  /** Position of the volume in `vmi.spec.volumes`. */
  readonly volumeIndex: number;
}

/** An `ephemeral` volume: a qcow2 overlay over a PVC's raw image file or block device. */
export interface EphemeralSource {
  readonly kind: 'ephemeral';
  readonly volumeName: string;
  readonly backing: { readonly path: string; readonly blockDevice: boolean };
}

export interface EmptyDiskSource {
  readonly kind: 'emptyDisk';
  readonly volumeName: string;
  readonly capacityBytes: number;
}

/** User/network data as KubeVirt's CloudInitNoCloudSource / CloudInitConfigDriveSource carry them. */
export interface CloudInitUserAndNetworkData {
  readonly userData?: string;
  readonly userDataBase64?: string;
  /** A Kubernetes secret name; resolving it needs the handler's secret mounts. */
  readonly userDataSecretRef?: string;
  readonly networkData?: string;
  readonly networkDataBase64?: string;
  readonly networkDataSecretRef?: string;
}

/** What KubeVirt derives from the VMI for the meta-data file. */
export interface CloudInitMetaDataInput {
  /** `spec.domain.firmware.uuid`; KubeVirt uses a random UUID when absent. */
  readonly firmwareUuid?: string;
  /** The instancetype annotation (cluster instancetype wins), if any. */
  readonly instanceType?: string;
  /** The sanitized hostname (KubeVirt's dns.SanitizeHostname). */
  readonly hostname?: string;
  /** SSH public keys from accessCredentials, in KubeVirt's numbering ("0", "1", …). */
  readonly publicKeys?: Readonly<Record<string, string>>;
}

export interface CloudInitNoCloudSource extends CloudInitUserAndNetworkData {
  readonly kind: 'cloudInitNoCloud';
  readonly volumeName: string;
  readonly metaData: CloudInitMetaDataInput;
}

/** One entry of ConfigDrive's `devices` list (KubeVirt's DeviceData). */
export interface ConfigDriveDevice {
  readonly type: 'nic' | 'hostdev';
  readonly bus: string;
  readonly address: string;
  readonly mac?: string;
  readonly serial?: string;
  readonly numaNode?: number;
  readonly alignedCPUs?: readonly number[];
  readonly tags?: readonly string[];
}

export interface CloudInitConfigDriveSource extends CloudInitUserAndNetworkData {
  readonly kind: 'cloudInitConfigDrive';
  readonly volumeName: string;
  readonly metaData: CloudInitMetaDataInput & { readonly devices?: readonly ConfigDriveDevice[] };
}

export type DiskSource =
  | ContainerDiskSource
  | EphemeralSource
  | EmptyDiskSource
  | CloudInitNoCloudSource
  | CloudInitConfigDriveSource;

/** The VMI's identity, which names the cloud-init directory and ConfigDrive's instance id. */
export interface VmiIdentity {
  readonly namespace: string;
  readonly name: string;
}
