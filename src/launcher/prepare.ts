import {
  chmodSync,
  chownSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname } from 'node:path';
import type { LauncherConfig } from '../config/launcher-config.js';
import { VmpodError } from '../errors.js';
import { type DirectorySpec, QEMU_GID, QEMU_UID } from './directories.js';
import { libvirtLogFilters, renderDaemonConf, renderQemuConf } from './libvirt-config.js';
import type { LibvirtLayout } from './libvirt-paths.js';

// The launcher's writes to the pod filesystem before libvirt starts.

const isRoot = () => process.getuid?.() === 0;

export function applyDirectories(specs: readonly DirectorySpec[]): void {
  for (const d of specs) {
    try {
      makeDirectories(d.path, d.mode);
      chmodSync(d.path, d.mode);
      if (d.qemuOwned && isRoot()) chownSync(d.path, QEMU_UID, QEMU_GID);
    } catch (err) {
      throw new VmpodError('DIRECTORY_UNWRITABLE', `cannot prepare directory ${d.path}`, {
        cause: err,
        facts: { path: d.path, errno: (err as NodeJS.ErrnoException).code },
      });
    }
  }
}

/**
 * `mkdir -p`, one component at a time. Node's recursive mkdir loops forever when the kernel
 * answers ENOENT for a parent that exists (as /proc does), so a bad flag would hang the launcher.
 */
export function makeDirectories(path: string, mode: number): void {
  const parts = path.split('/').filter((p) => p !== '');
  let cur = '';
  for (const part of parts) {
    cur += `/${part}`;
    try {
      mkdirSync(cur, { mode });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || !statSync(cur).isDirectory()) throw err;
    }
  }
}

/** Creates the file if missing, owned by qemu (root mode's serial console log). */
export function ensureQemuFile(path: string): void {
  try {
    if (!existsSync(path)) closeSync(openSync(path, 'a', 0o644));
    if (isRoot()) chownSync(path, QEMU_UID, QEMU_GID);
  } catch (err) {
    throw new VmpodError('FILE_UNWRITABLE', `cannot create ${path}`, { cause: err, facts: { path } });
  }
}

/** Writes qemu.conf and the daemon's config; returns the log filters in force, if any. */
export function writeLibvirtConfig(layout: LibvirtLayout, cfg: LauncherConfig): string | undefined {
  const filters = libvirtLogFilters(
    cfg.libvirtLogFilters,
    cfg.env.verbosityOverride,
    cfg.env.libvirtDebugLogs,
  );
  writeAtomically(
    layout.qemuConf,
    renderQemuConf({
      hugepagesMounted: existsSync('/dev/hugepages'),
      virtiofsdDebug: cfg.env.virtiofsdDebugLogs,
      sharedFilesystemPaths: cfg.env.sharedFilesystemPaths,
    }),
  );
  writeAtomically(layout.daemonConf, renderDaemonConf(filters));
  return filters;
}

function writeAtomically(path: string, text: string): void {
  try {
    makeDirectories(dirname(path), 0o755);
    const tmp = `${path}.vmpod-tmp`;
    writeFileSync(tmp, text, { mode: 0o644 });
    renameSync(tmp, path);
  } catch (err) {
    throw new VmpodError('FILE_UNWRITABLE', `cannot write ${path}`, {
      cause: err,
      facts: { path, errno: (err as NodeJS.ErrnoException).code },
    });
  }
}
