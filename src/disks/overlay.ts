import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { VmpodError } from '../errors.js';
import type { QemuImg } from './qemu-img.js';
import { type Ownership, handToQemu } from './qemu-owner.js';

// A qcow2 overlay over a containerDisk image or an ephemeral volume's PVC: the guest writes go to
// the overlay, the backing image stays untouched. A restarted launcher keeps an existing overlay,
// or it would wipe the guest's writes.

export const OVERLAY_MODE = 0o640;

export interface OverlayResult {
  readonly path: string;
  readonly backingFormat: 'raw' | 'qcow2';
  readonly created: boolean;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/** Probes the backing image and refuses what KubeVirt refuses: chains and unknown formats. */
async function probeBacking(backing: string, qemuImg: QemuImg): Promise<'raw' | 'qcow2'> {
  if (!(await exists(backing))) {
    throw new VmpodError('DISK_BACKING_MISSING', `backing image ${backing} does not exist`, {
      facts: { path: backing },
    });
  }
  const info = await qemuImg.info(backing);
  // A backing file of its own would let an image name any file on the node for the guest to read.
  if (info.backingFilename !== undefined) {
    throw new VmpodError(
      'DISK_BACKING_HAS_BACKING',
      `backing image ${backing} has a backing file of its own (${info.backingFilename}); refusing it`,
      { facts: { path: backing, backingFilename: info.backingFilename } },
    );
  }
  if (info.format !== 'raw' && info.format !== 'qcow2') {
    throw new VmpodError('DISK_BACKING_FORMAT_UNSUPPORTED', `backing image ${backing} is ${info.format}`, {
      facts: { path: backing, format: info.format },
    });
  }
  return info.format;
}

/**
 * How the backing image's format is known. A containerDisk image is probed (it may be raw or
 * qcow2). An ephemeral volume's PVC is raw by definition, as KubeVirt declares it: probing data
 * the guest can write would let it forge a qcow2 header and pick its own backing file.
 */
export type BackingSpec =
  | { readonly path: string; readonly format: 'probe' }
  | { readonly path: string; readonly format: 'raw'; readonly blockDevice: boolean };

async function rawBacking(path: string, blockDevice: boolean): Promise<'raw'> {
  const st = await stat(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (st === undefined) {
    throw new VmpodError('DISK_BACKING_MISSING', `backing ${path} does not exist`, { facts: { path } });
  }
  if (blockDevice ? !st.isBlockDevice() : !st.isFile()) {
    throw new VmpodError(
      'DISK_BACKING_WRONG_TYPE',
      `backing ${path} is not a ${blockDevice ? 'block device' : 'regular file'}`,
      { facts: { path, blockDevice } },
    );
  }
  return 'raw';
}

export async function prepareOverlay(
  overlay: string,
  spec: BackingSpec,
  deps: { readonly qemuImg: QemuImg; readonly ownership: Ownership },
): Promise<OverlayResult> {
  const backing = spec.path;
  const backingFormat =
    spec.format === 'probe'
      ? await probeBacking(backing, deps.qemuImg)
      : await rawBacking(backing, spec.blockDevice);
  if (await exists(overlay)) {
    // -U: the overlay may be open in a qemu that outlived the previous launcher.
    const info = await deps.qemuImg.info(overlay, { forceShare: true });
    if (info.format !== 'qcow2' || info.backingFilename !== backing || info.backingFormat !== backingFormat) {
      throw new VmpodError(
        'DISK_OVERLAY_CONFLICT',
        `${overlay} exists but is not a qcow2 overlay of ${backing} (${backingFormat}); refusing to replace the guest's data`,
        {
          facts: {
            path: overlay,
            backing,
            format: info.format,
            foundBacking: info.backingFilename,
            foundBackingFormat: info.backingFormat,
          },
        },
      );
    }
    return { path: overlay, backingFormat, created: false };
  }
  await mkdir(dirname(overlay), { recursive: true, mode: 0o755 });
  // Built aside and renamed, so an overlay that exists is always complete.
  const partial = `${overlay}.partial`;
  await rm(partial, { force: true });
  await deps.qemuImg.createOverlay(partial, backing, backingFormat);
  await handToQemu(partial, deps.ownership, OVERLAY_MODE);
  await rename(partial, overlay);
  return { path: overlay, backingFormat, created: true };
}
