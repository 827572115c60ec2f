import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { VmpodError } from '../errors.js';
import type { CloudInitIsoPlan } from './cloud-init-plan.js';
import { stagingPath } from './paths.js';
import { type Ownership, handToQemu } from './qemu-owner.js';

// Writes a cloud-init ISO as KubeVirt does: files staged in `<vmi dir>/data` (0600, removed after),
// `xorrisofs` into `<iso>.staging`, handed to qemu, renamed into place so qemu never sees half an ISO.

const XORRISOFS_TIMEOUT_MS = 10_000; // KubeVirt's deadline for xorrisofs

export async function buildCloudInitIso(
  plan: CloudInitIsoPlan,
  deps: { readonly ownership: Ownership },
): Promise<{ readonly path: string }> {
  const staging = stagingPath(plan.isoPath);
  await rm(plan.dataDir, { recursive: true, force: true });
  await rm(staging, { force: true });
  try {
    for (const file of plan.files) {
      const target = join(plan.dataDir, file.path);
      await mkdir(dirname(target), { recursive: true, mode: 0o755 });
      await writeFile(target, file.content, { mode: 0o600 });
    }
    const args = [
      '-output',
      staging,
      '-volid',
      plan.volumeLabel,
      '-joliet',
      '-rock',
      '-partition_cyl_align',
      'on',
      plan.dataDir,
    ];
    const result = await execa('xorrisofs', args, {
      reject: false,
      timeout: XORRISOFS_TIMEOUT_MS,
      stdin: 'ignore',
    });
    if (result.exitCode !== 0 || result.failed) {
      await rm(staging, { force: true });
      throw new VmpodError(
        'CLOUD_INIT_ISO_FAILED',
        `xorrisofs ${args.join(' ')}: ${String(result.stderr ?? '').trim() || result.shortMessage}`,
        { facts: { path: plan.isoPath, exitCode: result.exitCode, timedOut: result.timedOut } },
      );
    }
  } finally {
    // The files hold user data (maybe secrets): they live only as long as the build.
    await rm(plan.dataDir, { recursive: true, force: true });
  }
  await handToQemu(staging, deps.ownership);
  await rename(staging, plan.isoPath);
  return { path: plan.isoPath };
}
