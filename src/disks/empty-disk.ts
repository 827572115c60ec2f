import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { VmpodError } from '../errors.js';
import { emptyDiskSizeBytes } from './empty-disk-size.js';
import type { QemuImg } from './qemu-img.js';
import { type Ownership, handToQemu } from './qemu-owner.js';

// An emptyDisk: a fresh qcow2 of the requested capacity (rounded down to MiB). Like KubeVirt, an
// existing one is kept: it holds what the guest wrote before the launcher restarted.

export interface EmptyDiskResult {
  readonly path: string;
  readonly sizeBytes: number;
  readonly created: boolean;
}

export async function prepareEmptyDisk(
  path: string,
  capacityBytes: number,
  deps: { readonly qemuImg: QemuImg; readonly ownership: Ownership },
): Promise<EmptyDiskResult> {
  const sizeBytes = emptyDiskSizeBytes(capacityBytes);
  const existing = await stat(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (existing !== undefined) {
    const info = await deps.qemuImg.info(path, { forceShare: true });
    if (info.format !== 'qcow2' || info.backingFilename !== undefined) {
      throw new VmpodError('DISK_EMPTY_DISK_CONFLICT', `${path} exists but is not a standalone qcow2 image`, {
        facts: { path, format: info.format, backingFilename: info.backingFilename },
      });
    }
    return { path, sizeBytes: info.virtualSize, created: false };
  }
  await mkdir(dirname(path), { recursive: true, mode: 0o755 });
  const partial = `${path}.partial`;
  await rm(partial, { force: true });
  await deps.qemuImg.createQcow2(partial, sizeBytes);
  await handToQemu(partial, deps.ownership);
  await rename(partial, path);
  return { path, sizeBytes, created: true };
}
