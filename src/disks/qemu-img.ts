import { execa } from 'execa';
import { VmpodError } from '../errors.js';
import { type ImageInfo, parseImageInfo } from './image-info.js';

// The driver for qemu-img: argument arrays only, every call with a deadline. Probing an image
// runs under an address-space and CPU-time limit, as KubeVirt does, because a crafted image can
// make qemu-img's parser allocate without bound.

export interface QemuImg {
  /** `qemu-img info` under the limits; `forceShare` reads images a running qemu holds locked. */
  info(path: string, opts?: { forceShare?: boolean }): Promise<ImageInfo>;
  createOverlay(overlay: string, backing: string, backingFormat: 'raw' | 'qcow2'): Promise<void>;
  createQcow2(path: string, sizeBytes: number): Promise<void>;
}

export interface QemuImgOptions {
  /** `--disk-memory-limit`: address-space bytes for `qemu-img info`. */
  readonly memoryLimitBytes: number;
  /** CPU seconds for `qemu-img info` (KubeVirt: 10). */
  readonly cpuTimeSeconds?: number;
  readonly timeoutMs?: number;
}

export const DEFAULT_DISK_MEMORY_LIMIT_BYTES = 2_097_152_000;

async function run(file: string, args: readonly string[], timeoutMs: number, facts: Record<string, string>) {
  const result = await execa(file, [...args], { reject: false, timeout: timeoutMs, stdin: 'ignore' });
  if (result.exitCode !== 0 || result.failed) {
    const stderr = String(result.stderr ?? '').trim();
    throw new VmpodError(
      'DISK_QEMU_IMG_FAILED',
      `${file} ${args.join(' ')}: ${stderr || result.shortMessage}`,
      {
        facts: { ...facts, command: file, exitCode: result.exitCode, timedOut: result.timedOut },
      },
    );
  }
  return String(result.stdout ?? '');
}

export function createQemuImg(options: QemuImgOptions): QemuImg {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const cpu = options.cpuTimeSeconds ?? 10;
  return {
    async info(path, opts = {}) {
      const args = [
        `--as=${options.memoryLimitBytes}`,
        `--cpu=${cpu}`,
        '--',
        'qemu-img',
        'info',
        '--output=json',
        ...(opts.forceShare ? ['-U'] : []),
        path,
      ];
      return parseImageInfo(path, await run('prlimit', args, timeoutMs, { operation: 'info', path }));
    },
    async createOverlay(overlay, backing, backingFormat) {
      await run(
        'qemu-img',
        ['create', '-q', '-f', 'qcow2', '-F', backingFormat, '-b', backing, overlay],
        timeoutMs,
        { operation: 'create-overlay', path: overlay, backing },
      );
    },
    async createQcow2(path, sizeBytes) {
      await run('qemu-img', ['create', '-q', '-f', 'qcow2', path, String(sizeBytes)], timeoutMs, {
        operation: 'create',
        path,
      });
    },
  };
}
