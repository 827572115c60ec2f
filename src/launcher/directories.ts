import type { LauncherConfig } from '../config/launcher-config.js';

// The directories virt-launcher prepares before anything else (KUBEVIRT.md §1.3.2 step 1). Pure.

export interface DirectorySpec {
  readonly path: string;
  readonly mode: number;
  /** Owned by the qemu user (107) so qemu, not only root, may use it. */
  readonly qemuOwned: boolean;
}

export const QEMU_UID = 107;
export const QEMU_GID = 107;
const PRIVATE = '/var/run/kubevirt-private';

export function launcherDirectories(cfg: LauncherConfig): DirectorySpec[] {
  const dirs: DirectorySpec[] = [];
  if (cfg.uid !== '') dirs.push({ path: `${PRIVATE}/${cfg.uid}`, mode: 0o755, qemuOwned: true });
  dirs.push(
    { path: `${cfg.ephemeralDiskDir}/cloud-init-data`, mode: 0o755, qemuOwned: false },
    { path: `${cfg.ephemeralDiskDir}/ignition-data`, mode: 0o755, qemuOwned: false },
    { path: cfg.containerDiskDir, mode: 0o755, qemuOwned: false },
    { path: cfg.hotplugDiskDir, mode: 0o755, qemuOwned: false },
  );
  for (const sub of [
    'vm-disks',
    'config-map-disks',
    'sysprep-disks',
    'secret-disks',
    'downwardapi-disks',
    'service-account-disk',
    'downwardmetrics-channel',
  ]) {
    dirs.push({ path: `${PRIVATE}/${sub}`, mode: 0o750, qemuOwned: true });
  }
  return dirs;
}

/** libvirt's own runtime directories, which a pod's emptyDirs start without. */
export function libvirtRuntimeDirectories(nonRoot: boolean): DirectorySpec[] {
  const base = ['/var/run/libvirt', '/var/lib/libvirt/qemu', '/var/log/libvirt/qemu', '/var/cache/libvirt'];
  const dirs = base.map((path) => ({ path, mode: 0o755, qemuOwned: false }));
  if (nonRoot) dirs.push({ path: `${PRIVATE}/libvirt`, mode: 0o755, qemuOwned: false });
  return dirs;
}

/** The serial console log of root mode (§1.3.2 step 2); undefined without a VMI uid. */
export function serialLogPath(cfg: LauncherConfig): string | undefined {
  return cfg.uid === '' ? undefined : `${PRIVATE}/${cfg.uid}/virt-serial0-log`;
}
