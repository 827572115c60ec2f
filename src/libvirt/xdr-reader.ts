// Bounds-checked XDR (RFC 4506) reader. Pure: it takes bytes and returns values or throws a typed
// error naming the field path and offset. Lengths are checked against the declared maximum and the
// bytes left before anything is allocated, so a hostile length can never make us allocate.
import { type XdrErrorCode, renderPath, xdrError } from './xdr-error.js';

export class XdrReader {
  private readonly view: DataView;
  private readonly bytes: Uint8Array;
  private readonly end: number;
  private pos: number;
  private readonly path: (string | number)[] = [];

  constructor(bytes: Uint8Array, start = 0, end = bytes.length, root?: string) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = start;
    this.end = end;
    if (root !== undefined) this.path.push(root);
  }

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  /** Enters a struct field or array element; pair every push with a pop. */
  push(segment: string | number): void {
    this.path.push(segment);
  }

  pop(): void {
    this.path.pop();
  }

  fail(code: XdrErrorCode, detail: string, offset = this.pos): never {
    throw xdrError(code, renderPath(this.path), offset, detail);
  }

  private need(n: number): void {
    if (this.end - this.pos < n) {
      this.fail('XDR_TRUNCATED', `need ${n} bytes, ${this.end - this.pos} left`);
    }
  }

  int32(): number {
    this.need(4);
    const v = this.view.getInt32(this.pos);
    this.pos += 4;
    return v;
  }

  uint32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }

  int64(): bigint {
    this.need(8);
    const v = this.view.getBigInt64(this.pos);
    this.pos += 8;
    return v;
  }

  uint64(): bigint {
    this.need(8);
    const v = this.view.getBigUint64(this.pos);
    this.pos += 8;
    return v;
  }

  float64(): number {
    this.need(8);
    const v = this.view.getFloat64(this.pos);
    this.pos += 8;
    return v;
  }

  bool(): boolean {
    const at = this.pos;
    const v = this.int32();
    if (v === 0) return false;
    if (v === 1) return true;
    return this.fail('XDR_BAD_BOOL', `bool must be 0 or 1, got ${v}`, at);
  }

  /** An enum: a signed int that must be one of the declared values. */
  enumValue(allowed: ReadonlySet<number>): number {
    const at = this.pos;
    const v = this.int32();
    if (!allowed.has(v)) this.fail('XDR_BAD_ENUM', `enum value ${v} is not declared`, at);
    return v;
  }

  /** Fixed-length opaque data: exactly n bytes plus padding to a multiple of 4. */
  fixedOpaque(n: number): Uint8Array {
    this.need(n + pad(n));
    // A copy, as a plain Uint8Array, so no decoded value pins the whole receive buffer.
    const out = new Uint8Array(this.bytes.subarray(this.pos, this.pos + n));
    this.pos += n + pad(n);
    return out;
  }

  /** Variable-length opaque data of at most max bytes. */
  varOpaque(max: number): Uint8Array {
    const n = this.length(max, 'opaque');
    return this.fixedOpaque(n);
  }

  /** A string of at most max bytes, decoded as UTF-8 (invalid bytes become U+FFFD, never an error). */
  string(max: number): string {
    const n = this.length(max, 'string');
    this.need(n + pad(n));
    const s = decodeUtf8(this.bytes, this.pos, this.pos + n);
    this.pos += n + pad(n);
    return s;
  }

  /** An array count, checked against its maximum and against the bytes left (each element takes ≥ minSize). */
  count(max: number, minSize: number): number {
    const at = this.pos;
    const n = this.uint32();
    if (n > max) this.fail('XDR_TOO_LONG', `array of ${n} exceeds its maximum ${max}`, at);
    if (n * minSize > this.remaining) {
      this.fail(
        'XDR_TRUNCATED',
        `array of ${n} needs at least ${n * minSize} bytes, ${this.remaining} left`,
        at,
      );
    }
    return n;
  }

  /** Fails unless every byte was consumed: trailing bytes mean the layout is not what we think. */
  expectEnd(): void {
    if (this.pos !== this.end) {
      this.fail('XDR_TRAILING_BYTES', `${this.end - this.pos} bytes left after the value`);
    }
  }

  private length(max: number, what: string): number {
    const at = this.pos;
    const n = this.uint32();
    if (n > max) this.fail('XDR_TOO_LONG', `${what} of ${n} bytes exceeds its maximum ${max}`, at);
    return n;
  }
}

function pad(n: number): number {
  return (4 - (n & 3)) & 3;
}

const utf8 = new TextDecoder('utf-8');
const isBuffer = (b: Uint8Array): b is Buffer => typeof Buffer !== 'undefined' && Buffer.isBuffer(b);

function decodeUtf8(bytes: Uint8Array, start: number, end: number): string {
  // Buffer's native slice is several times faster than TextDecoder for short strings.
  if (isBuffer(bytes)) return bytes.toString('utf8', start, end);
  return utf8.decode(bytes.subarray(start, end));
}
