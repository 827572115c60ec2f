import { chmod, chown } from 'node:fs/promises';

// KubeVirt runs qemu as qemu:qemu (107:107); files qemu must open are handed to it when we can.

export const QEMU_UID = 107;
export const QEMU_GID = 107;

export interface Ownership {
  /** Give files to qemu; only root may, so the launcher passes `process.getuid() === 0`. */
  readonly chownToQemu: boolean;
}

export async function handToQemu(path: string, ownership: Ownership, mode?: number): Promise<void> {
  if (mode !== undefined) await chmod(path, mode);
  if (ownership.chownToQemu) await chown(path, QEMU_UID, QEMU_GID);
}
