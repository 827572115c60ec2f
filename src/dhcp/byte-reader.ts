import { VmpodError } from '../errors.js';

// A cursor over a packet whose first error sticks: callers read every field, then check `error`
// once, so a truncated packet yields one typed error naming the first field that did not fit.

export class ByteReader {
  private pos = 0;
  private firstError: VmpodError | undefined;

  constructor(
    private readonly buf: Uint8Array,
    /** Added to offsets in errors, so nested readers report offsets in the whole packet. */
    private readonly base = 0,
  ) {}

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  get error(): VmpodError | undefined {
    return this.firstError;
  }

  /** Records a failure at the current offset unless an earlier one is already recorded. */
  fail(field: string, why: string): void {
    this.firstError ??= malformed(field, this.base + this.pos, why);
  }

  u8(field: string): number {
    return this.take(field, 1)[0] ?? 0;
  }

  u16(field: string): number {
    const b = this.take(field, 2);
    return ((b[0] ?? 0) << 8) | (b[1] ?? 0);
  }

  u32(field: string): number {
    const b = this.take(field, 4);
    return (((b[0] ?? 0) << 24) | ((b[1] ?? 0) << 16) | ((b[2] ?? 0) << 8) | (b[3] ?? 0)) >>> 0;
  }

  /** `n` bytes (zeros after the first error, so decoding can carry on to the single check). */
  bytes(field: string, n: number): Uint8Array {
    return this.take(field, n);
  }

  private take(field: string, n: number): Uint8Array {
    if (this.firstError) return new Uint8Array(n);
    if (n > this.remaining) {
      this.fail(field, `needs ${n} bytes, ${this.remaining} left`);
      return new Uint8Array(n);
    }
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}

/** The one error code for any packet vmpod cannot decode; facts name the field and offset. */
export function malformed(field: string, offset: number, why: string): VmpodError {
  return new VmpodError('DHCP_MALFORMED', `malformed DHCP packet: ${field} at offset ${offset}: ${why}`, {
    facts: { field, offset },
  });
}
