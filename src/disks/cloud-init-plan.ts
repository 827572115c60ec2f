import { type DiskDirs, cloudInitDir, cloudInitIsoPath } from './paths.js';
import { resolveCloudInitData } from './cloud-init-data.js';
import { renderConfigDriveMetaData, renderNoCloudMetaData } from './cloud-init-metadata.js';
import type { CloudInitConfigDriveSource, CloudInitNoCloudSource, VmiIdentity } from './types.js';

// What a cloud-init ISO holds, as data: its path, volume label and every file's bytes (KUBEVIRT.md
// §6.5). Pure; the ISO builder turns it into a file.

export interface IsoFile {
  /** Path inside the ISO, '/'-separated, no leading slash. */
  readonly path: string;
  readonly content: string;
}

export interface CloudInitIsoPlan {
  readonly isoPath: string;
  /** Where the files are staged before xorrisofs reads them (KubeVirt's `<vmi dir>/data`). */
  readonly dataDir: string;
  readonly volumeLabel: 'cidata' | 'config-2';
  readonly files: readonly IsoFile[];
}

/**
 * @param randomUuid drawn only when the VMI has no firmware UUID, as KubeVirt does.
 */
export function planCloudInitIso(
  source: CloudInitNoCloudSource | CloudInitConfigDriveSource,
  vmi: VmiIdentity,
  dirs: DiskDirs,
  randomUuid: () => string,
): CloudInitIsoPlan {
  const { userData, networkData } = resolveCloudInitData(source);
  const uuid =
    source.metaData.firmwareUuid !== undefined && source.metaData.firmwareUuid !== ''
      ? source.metaData.firmwareUuid
      : randomUuid();
  const dataDir = `${cloudInitDir(dirs, vmi)}/data`;
  if (source.kind === 'cloudInitNoCloud') {
    const files: IsoFile[] = [
      { path: 'user-data', content: userData },
      { path: 'meta-data', content: renderNoCloudMetaData(source.metaData, uuid) },
    ];
    if (networkData !== '') files.push({ path: 'network-config', content: networkData });
    return { isoPath: cloudInitIsoPath(dirs, vmi, 'noCloud'), dataDir, volumeLabel: 'cidata', files };
  }
  const files: IsoFile[] = [
    { path: 'openstack/latest/user_data', content: userData },
    {
      path: 'openstack/latest/meta_data.json',
      content: renderConfigDriveMetaData(source.metaData, vmi, uuid),
    },
  ];
  if (networkData !== '') files.push({ path: 'openstack/latest/network_data.json', content: networkData });
  return { isoPath: cloudInitIsoPath(dirs, vmi, 'configDrive'), dataDir, volumeLabel: 'config-2', files };
}
