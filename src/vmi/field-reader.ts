import { VmpodError } from '../errors.js';

// Reads untyped JSON one field at a time, so every complaint names the field path
// (`spec.domain.devices.disks[1].disk.bus`). Keys a section lists as unsupported, and keys it does
// not know at all, fail loudly instead of being dropped.

export type Json = unknown;

export function invalid(path: string, message: string): VmpodError {
  return new VmpodError('VMI_INVALID', `${path}: ${message}`, { facts: { path } });
}

export function notSupported(path: string): VmpodError {
  return new VmpodError('NOT_SUPPORTED', `${path}: not supported by vmpod`, { facts: { path } });
}

export class Fields {
  private constructor(
    readonly path: string,
    private readonly value: Record<string, Json>,
  ) {}

  /** An object at `path`; undefined/null reads as empty. */
  static of(value: Json, path: string): Fields {
    if (value === undefined || value === null) return new Fields(path, {});
    if (typeof value !== 'object' || Array.isArray(value)) throw invalid(path, 'must be an object');
    return new Fields(path, value as Record<string, Json>);
  }

  has(key: string): boolean {
    return this.value[key] !== undefined && this.value[key] !== null;
  }

  at(key: string): string {
    return this.path === '' ? key : `${this.path}.${key}`;
  }

  raw(key: string): Json {
    const v = this.value[key];
    return v === null ? undefined : v;
  }

  obj(key: string): Fields {
    return Fields.of(this.raw(key), this.at(key));
  }

  optObj(key: string): Fields | undefined {
    return this.has(key) ? this.obj(key) : undefined;
  }

  str(key: string): string | undefined {
    const v = this.raw(key);
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw invalid(this.at(key), `must be a string, got ${JSON.stringify(v)}`);
    return v;
  }

  reqStr(key: string): string {
    const v = this.str(key);
    if (v === undefined || v === '') throw invalid(this.at(key), 'is required');
    return v;
  }

  bool(key: string): boolean | undefined {
    const v = this.raw(key);
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean')
      throw invalid(this.at(key), `must be true or false, got ${JSON.stringify(v)}`);
    return v;
  }

  int(key: string, min = 0, max = Number.MAX_SAFE_INTEGER): number | undefined {
    const v = this.raw(key);
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      throw invalid(this.at(key), `must be an integer in ${min}..${max}, got ${JSON.stringify(v)}`);
    }
    return v;
  }

  oneOf<T extends string>(key: string, allowed: readonly T[], what: string): T | undefined {
    const v = this.str(key);
    if (v === undefined) return undefined;
    if (!(allowed as readonly string[]).includes(v)) throw invalid(this.at(key), `unknown ${what} "${v}"`);
    return v as T;
  }

  list(key: string): Fields[] {
    const v = this.raw(key);
    if (v === undefined) return [];
    if (!Array.isArray(v)) throw invalid(this.at(key), 'must be a list');
    return v.map((item, i) => Fields.of(item, `${this.at(key)}[${i}]`));
  }

  stringMap(key: string): Record<string, string> {
    const f = this.obj(key);
    const out: Record<string, string> = {};
    for (const k of f.keys()) out[k] = f.str(k) ?? '';
    return out;
  }

  /**
   * A name that becomes part of a pod path or a device alias: a DNS-1123 label, so it can never
   * climb out of its directory (`../`) or carry characters a path or alias cannot.
   */
  label(key: string): string {
    const v = this.reqStr(key);
    if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(v)) {
      throw invalid(this.at(key), `"${v}" is not a DNS-1123 label (a-z, 0-9, -; at most 63)`);
    }
    return v;
  }

  /** A string that becomes one path segment: no `/`, no control characters, not `.` or `..`. */
  segment(key: string): string | undefined {
    const v = this.str(key);
    if (v === undefined) return undefined;
    if (v === '' || v === '.' || v === '..' || /[/\u0000-\u001f\u007f]/.test(v)) {
      throw invalid(this.at(key), `"${v}" cannot be used as a path segment`);
    }
    return v;
  }

  /** A file path whose last segment vmpod uses: absolute, with a usable basename. */
  filePath(key: string): string | undefined {
    const v = this.str(key);
    if (v === undefined) return undefined;
    const base = v.slice(v.lastIndexOf('/') + 1);
    if (
      !v.startsWith('/') ||
      base === '' ||
      base === '.' ||
      base === '..' ||
      /[\u0000-\u001f\u007f]/.test(v)
    ) {
      throw invalid(this.at(key), `"${v}" is not an absolute file path`);
    }
    return v;
  }

  keys(): string[] {
    return Object.keys(this.value).filter((k) => this.value[k] !== undefined && this.value[k] !== null);
  }

  /** Throws NOT_SUPPORTED for a present key outside `known`. */
  only(known: readonly string[]): void {
    for (const k of this.keys()) if (!known.includes(k)) throw notSupported(this.at(k));
  }

  /** An empty-object marker such as `bridge: {}` or `rng: {}`. */
  marker(key: string): Record<string, never> | undefined {
    if (!this.has(key)) return undefined;
    this.obj(key).only([]);
    return {};
  }
}
