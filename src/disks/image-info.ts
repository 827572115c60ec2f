import { VmpodError } from '../errors.js';

// The part of `qemu-img info --output=json` that disk preparation decides on. Pure.

export interface ImageInfo {
  readonly format: string;
  readonly virtualSize: number;
  /** The backing file as recorded in the image, if it has one. */
  readonly backingFilename?: string;
  readonly backingFormat?: string;
}

export function parseImageInfo(path: string, json: string): ImageInfo {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (cause) {
    throw new VmpodError('DISK_IMAGE_INFO_INVALID', `qemu-img info of ${path} is not JSON`, {
      cause,
      facts: { path },
    });
  }
  if (typeof value !== 'object' || value === null) {
    throw new VmpodError('DISK_IMAGE_INFO_INVALID', `qemu-img info of ${path} is not an object`, {
      facts: { path },
    });
  }
  const o = value as Record<string, unknown>;
  if (typeof o['format'] !== 'string' || typeof o['virtual-size'] !== 'number') {
    throw new VmpodError('DISK_IMAGE_INFO_INVALID', `qemu-img info of ${path} lacks format or virtual-size`, {
      facts: { path },
    });
  }
  const str = (k: string) => (typeof o[k] === 'string' && o[k] !== '' ? (o[k] as string) : undefined);
  return {
    format: o['format'],
    virtualSize: o['virtual-size'],
    backingFilename: str('backing-filename'),
    backingFormat: str('backing-filename-format'),
  };
}
