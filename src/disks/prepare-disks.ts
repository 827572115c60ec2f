import { randomUUID } from 'node:crypto';
import type { Logger } from '../log/logger.js';
import { buildCloudInitIso } from './cloud-init-iso.js';
import { planCloudInitIso } from './cloud-init-plan.js';
import { prepareEmptyDisk } from './empty-disk.js';
import { type BackingSpec, prepareOverlay } from './overlay.js';
import { type DiskDirs, containerDiskImagePath, emptyDiskPath, overlayPath } from './paths.js';
import type { QemuImg } from './qemu-img.js';
import type { Ownership } from './qemu-owner.js';
import type { DiskSource, VmiIdentity } from './types.js';

// Prepares every file-backed disk a domain needs before it is defined, in volume order.
// Re-running is safe: overlays and emptyDisks are kept, cloud-init ISOs rebuilt atomically.

export interface PrepareDisksContext {
  readonly vmi: VmiIdentity;
  readonly dirs: DiskDirs;
  readonly qemuImg: QemuImg;
  readonly ownership: Ownership;
  readonly log?: Logger;
  /** Only for a VMI without firmware UUID; injectable for tests. */
  readonly randomUuid?: () => string;
}

export interface PreparedDisk {
  readonly volumeName: string;
  readonly kind: DiskSource['kind'];
  /** The file the domain's `<source file>` names. */
  readonly path: string;
  /** The backing store of an overlay, as the domain's `<backingStore>` must name it. */
  readonly backing?: { readonly path: string; readonly format: 'raw' | 'qcow2' };
  readonly created: boolean;
}

async function prepareOne(source: DiskSource, ctx: PrepareDisksContext): Promise<PreparedDisk> {
  const deps = { qemuImg: ctx.qemuImg, ownership: ctx.ownership };
  switch (source.kind) {
    case 'containerDisk':
    case 'ephemeral': {
      const spec: BackingSpec =
        source.kind === 'containerDisk'
          ? { path: containerDiskImagePath(ctx.dirs, source.volumeIndex), format: 'probe' }
          : { path: source.backing.path, format: 'raw', blockDevice: source.backing.blockDevice };
      const r = await prepareOverlay(overlayPath(ctx.dirs, source.volumeName), spec, deps);
      return {
        volumeName: source.volumeName,
        kind: source.kind,
        path: r.path,
        backing: { path: spec.path, format: r.backingFormat },
        created: r.created,
      };
    }
    case 'emptyDisk': {
      const r = await prepareEmptyDisk(
        emptyDiskPath(ctx.dirs, source.volumeName),
        source.capacityBytes,
        deps,
      );
      return { volumeName: source.volumeName, kind: source.kind, path: r.path, created: r.created };
    }
    case 'cloudInitNoCloud':
    case 'cloudInitConfigDrive': {
      const plan = planCloudInitIso(source, ctx.vmi, ctx.dirs, ctx.randomUuid ?? randomUUID);
      const r = await buildCloudInitIso(plan, { ownership: ctx.ownership });
      return { volumeName: source.volumeName, kind: source.kind, path: r.path, created: true };
    }
  }
}

export async function prepareDisks(
  sources: readonly DiskSource[],
  ctx: PrepareDisksContext,
): Promise<PreparedDisk[]> {
  const prepared: PreparedDisk[] = [];
  for (const source of sources) {
    const started = performance.now();
    const disk = await prepareOne(source, ctx);
    ctx.log?.info(
      {
        volume: disk.volumeName,
        kind: disk.kind,
        path: disk.path,
        created: disk.created,
        durationMs: Math.round(performance.now() - started),
      },
      disk.created ? 'prepared disk' : 'kept existing disk',
    );
    prepared.push(disk);
  }
  return prepared;
}
