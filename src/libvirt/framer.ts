// Splits a byte stream into whole libvirt messages, whatever the chunking. Pure. A length word
// outside libvirt's limits poisons the framer: the stream cannot be resynchronised after it.
import { VmpodError } from '../errors.js';
import { HEADER_SIZE, LENGTH_SIZE, MESSAGE_MAX } from './packet-header.js';

export const FRAME_MIN = LENGTH_SIZE + HEADER_SIZE;
export const FRAME_MAX = LENGTH_SIZE + MESSAGE_MAX;

export class Framer {
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  private failure: VmpodError | undefined;
  private readonly owned = new WeakSet<Uint8Array>();

  /** Feeds bytes; returns every frame completed by them (length word included). */
  push(chunk: Uint8Array): Uint8Array[] {
    if (this.failure) throw this.failure;
    if (chunk.length === 0) return [];
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: Uint8Array[] = [];
    while (this.buffered >= LENGTH_SIZE) {
      const len = this.peekLength();
      if (len < FRAME_MIN || len > FRAME_MAX) {
        this.failure = new VmpodError(
          len < FRAME_MIN ? 'LIBVIRT_FRAME_TOO_SHORT' : 'LIBVIRT_FRAME_TOO_LONG',
          `message length ${len} is outside ${FRAME_MIN}..${FRAME_MAX}`,
          { facts: { length: len, min: FRAME_MIN, max: FRAME_MAX } },
        );
        throw this.failure;
      }
      if (this.buffered < len) break;
      frames.push(this.take(len));
    }
    return frames;
  }

  /**
   * Copies the bytes of a not-yet-complete message into memory of the framer's own, for callers
   * that reuse their read buffer. Frames already returned stay views: decode them before reading on.
   */
  retain(): void {
    for (let i = 0; i < this.chunks.length; i++) {
      const c = this.chunks[i] as Uint8Array;
      if (this.owned.has(c)) continue;
      // Each received byte is copied at most once, however many reads a large message takes.
      const own = new Uint8Array(c); // a copy (Buffer#slice would only be a view)
      this.owned.add(own);
      this.chunks[i] = own;
    }
  }

  /** Bytes received that do not yet form a whole message. */
  get pending(): number {
    return this.buffered;
  }

  private peekLength(): number {
    const first = this.chunks[0] as Uint8Array;
    return readUint32(first.length >= LENGTH_SIZE ? first : this.copyOut(LENGTH_SIZE, false));
  }

  private take(n: number): Uint8Array {
    const first = this.chunks[0] as Uint8Array;
    if (first.length >= n) {
      // The common case: the whole message sits in one chunk, so hand out a view, not a copy.
      const frame = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      this.buffered -= n;
      return frame;
    }
    return this.copyOut(n, true);
  }

  private copyOut(n: number, consume: boolean): Uint8Array {
    const out = new Uint8Array(n);
    let filled = 0;
    let i = 0;
    while (filled < n) {
      const c = this.chunks[i] as Uint8Array;
      const want = Math.min(n - filled, c.length);
      out.set(c.subarray(0, want), filled);
      filled += want;
      if (consume) {
        if (want === c.length) this.chunks.shift();
        else this.chunks[0] = c.subarray(want);
      } else {
        i++;
      }
    }
    if (consume) this.buffered -= n;
    return out;
  }
}

function readUint32(b: Uint8Array): number {
  return (
    (b[0] as number) * 0x100_0000 + ((b[1] as number) << 16) + ((b[2] as number) << 8) + (b[3] as number)
  );
}
