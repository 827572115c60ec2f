// Growable XDR (RFC 4506) writer. Pure. Values outside their XDR type's range, and strings or arrays
// over their declared maximum, throw a typed error naming the field path instead of being truncated.
import { type XdrErrorCode, renderPath, xdrError } from './xdr-error.js';

const INT32_MIN = -0x8000_0000;
const INT32_MAX = 0x7fff_ffff;
const UINT32_MAX = 0xffff_ffff;
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const UINT64_MAX = (1n << 64n) - 1n;

export class XdrWriter {
  private buf: Buffer;
  private pos = 0;
  private readonly path: (string | number)[] = [];

  constructor(initialSize = 256) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  get length(): number {
    return this.pos;
  }

  push(segment: string | number): void {
    this.path.push(segment);
  }

  pop(): void {
    this.path.pop();
  }

  fail(code: XdrErrorCode, detail: string): never {
    throw xdrError(code, renderPath(this.path), this.pos, detail);
  }

  /** The bytes written so far (a view, not a copy). */
  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  /** Overwrites a uint32 already written at a given offset (used for the length prefix). */
  patchUint32(offset: number, value: number): void {
    this.buf.writeUInt32BE(value, offset);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  int32(v: number): void {
    if (!Number.isInteger(v) || v < INT32_MIN || v > INT32_MAX)
      this.fail('XDR_OUT_OF_RANGE', `${v} is not an int`);
    this.ensure(4);
    this.buf.writeInt32BE(v, this.pos);
    this.pos += 4;
  }

  uint32(v: number): void {
    if (!Number.isInteger(v) || v < 0 || v > UINT32_MAX)
      this.fail('XDR_OUT_OF_RANGE', `${v} is not an unsigned int`);
    this.ensure(4);
    this.buf.writeUInt32BE(v, this.pos);
    this.pos += 4;
  }

  int64(v: bigint | number): void {
    const b = toBigInt(v, this);
    if (b < INT64_MIN || b > INT64_MAX) this.fail('XDR_OUT_OF_RANGE', `${v} is not a hyper`);
    this.ensure(8);
    this.buf.writeBigInt64BE(b, this.pos);
    this.pos += 8;
  }

  uint64(v: bigint | number): void {
    const b = toBigInt(v, this);
    if (b < 0n || b > UINT64_MAX) this.fail('XDR_OUT_OF_RANGE', `${v} is not an unsigned hyper`);
    this.ensure(8);
    this.buf.writeBigUInt64BE(b, this.pos);
    this.pos += 8;
  }

  float64(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleBE(v, this.pos);
    this.pos += 8;
  }

  bool(v: boolean): void {
    this.int32(v ? 1 : 0);
  }

  fixedOpaque(bytes: Uint8Array, n: number): void {
    if (bytes.length !== n) this.fail('XDR_OUT_OF_RANGE', `opaque[${n}] given ${bytes.length} bytes`);
    this.ensure(n + pad(n));
    this.buf.set(bytes, this.pos);
    this.pos += n;
    this.zeroPad(n);
  }

  varOpaque(bytes: Uint8Array, max: number): void {
    if (bytes.length > max)
      this.fail('XDR_TOO_LONG', `opaque of ${bytes.length} bytes exceeds its maximum ${max}`);
    this.uint32(bytes.length);
    this.fixedOpaque(bytes, bytes.length);
  }

  string(s: string, max: number): void {
    const n = Buffer.byteLength(s, 'utf8');
    if (n > max) this.fail('XDR_TOO_LONG', `string of ${n} bytes exceeds its maximum ${max}`);
    this.uint32(n);
    this.ensure(n + pad(n));
    this.buf.write(s, this.pos, n, 'utf8');
    this.pos += n;
    this.zeroPad(n);
  }

  count(n: number, max: number): void {
    if (n > max) this.fail('XDR_TOO_LONG', `array of ${n} exceeds its maximum ${max}`);
    this.uint32(n);
  }

  private zeroPad(n: number): void {
    for (let i = pad(n); i > 0; i--) this.buf[this.pos++] = 0;
  }
}

function pad(n: number): number {
  return (4 - (n & 3)) & 3;
}

function toBigInt(v: bigint | number, w: XdrWriter): bigint {
  if (typeof v === 'bigint') return v;
  if (!Number.isSafeInteger(v)) w.fail('XDR_OUT_OF_RANGE', `${v} is not a safe integer`);
  return BigInt(v);
}
