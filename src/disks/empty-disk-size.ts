import { VmpodError } from '../errors.js';

// KubeVirt rounds an emptyDisk's capacity down to whole MiB before `qemu-img create`. Pure.

const MIB = 1024 * 1024;

export function emptyDiskSizeBytes(capacityBytes: number): number {
  const size = Number.isSafeInteger(capacityBytes) ? Math.floor(capacityBytes / MIB) * MIB : 0;
  if (size < MIB) {
    throw new VmpodError('DISK_INVALID_SIZE', `emptyDisk capacity ${capacityBytes} is less than 1 MiB`, {
      facts: { capacityBytes },
    });
  }
  return size;
}
