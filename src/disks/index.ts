// Disk preparation before the domain is defined (KUBEVIRT.md §2.6, §6.5).
export * from './types.js';
export * from './paths.js';
export { planCloudInitIso, type CloudInitIsoPlan, type IsoFile } from './cloud-init-plan.js';
export { resolveCloudInitData } from './cloud-init-data.js';
export { renderConfigDriveMetaData, renderNoCloudMetaData } from './cloud-init-metadata.js';
export { emptyDiskSizeBytes } from './empty-disk-size.js';
export {
  createQemuImg,
  DEFAULT_DISK_MEMORY_LIMIT_BYTES,
  type QemuImg,
  type QemuImgOptions,
} from './qemu-img.js';
export { QEMU_GID, QEMU_UID, type Ownership } from './qemu-owner.js';
export { prepareDisks, type PrepareDisksContext, type PreparedDisk } from './prepare-disks.js';
