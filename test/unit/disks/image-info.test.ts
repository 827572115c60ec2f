import { describe, expect, it } from 'vitest';
import { parseImageInfo } from '../../../src/disks/image-info.js';
import { emptyDiskSizeBytes } from '../../../src/disks/empty-disk-size.js';

describe('qemu-img info parsing', () => {
  it('reads format, size and backing of an overlay (qemu-img 7.2 output)', () => {
    const json = JSON.stringify({
      'backing-filename-format': 'raw',
      'virtual-size': 1048576,
      filename: '/tmp/o.qcow2',
      'cluster-size': 65536,
      format: 'qcow2',
      'actual-size': 200704,
      'full-backing-filename': '/tmp/r.img',
      'backing-filename': '/tmp/r.img',
      'dirty-flag': false,
    });
    expect(parseImageInfo('/tmp/o.qcow2', json)).toEqual({
      format: 'qcow2',
      virtualSize: 1048576,
      backingFilename: '/tmp/r.img',
      backingFormat: 'raw',
    });
  });

  it('reports no backing for a standalone image', () => {
    expect(parseImageInfo('/r', '{"format":"raw","virtual-size":4096}')).toEqual({
      format: 'raw',
      virtualSize: 4096,
      backingFilename: undefined,
      backingFormat: undefined,
    });
  });

  it.each(['not json', 'null', '[]', '{"format":"raw"}'])('refuses %j with a typed error', (text) => {
    expect(() => parseImageInfo('/x', text)).toThrow(
      expect.objectContaining({
        code: 'DISK_IMAGE_INFO_INVALID',
        facts: expect.objectContaining({ path: '/x' }),
      }),
    );
  });
});

describe('emptyDisk size', () => {
  it('rounds the capacity down to whole MiB', () => {
    expect(emptyDiskSizeBytes(1024 * 1024)).toBe(1048576);
    expect(emptyDiskSizeBytes(5 * 1024 * 1024 + 12345)).toBe(5 * 1024 * 1024);
    expect(emptyDiskSizeBytes(2 ** 40 + 1)).toBe(2 ** 40);
  });

  it.each([0, 1024 * 1024 - 1, -5, Number.NaN, 1.5e300])('refuses %d bytes', (bytes) => {
    expect(() => emptyDiskSizeBytes(bytes)).toThrow(expect.objectContaining({ code: 'DISK_INVALID_SIZE' }));
  });
});
