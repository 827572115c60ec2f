// Reads the QEMU log backwards, 4 KiB at a time, for its last guest-panic line (§5.2 step 1).
import { open } from 'node:fs/promises';
import { type GuestPanic, lastPanicInLog, parsePanicLine } from './guest-panic.js';

const CHUNK = 4096;
/** Never read more than this much of a log: panics are logged last. */
const MAX_SCAN = 8 * 1024 * 1024;

/** The last panic in the log, or undefined when there is none; throws when the file cannot be read. */
export async function readLastPanic(path: string): Promise<GuestPanic | undefined> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    let offset = size;
    let remainder = '';
    const floor = Math.max(0, size - MAX_SCAN);
    while (offset > floor) {
      const len = Math.min(CHUNK, offset - floor);
      offset -= len;
      const buf = Buffer.alloc(len);
      await fh.read(buf, 0, len, offset);
      const lines = (buf.toString('latin1') + remainder).split('\n');
      remainder = lines[0] ?? '';
      const found = lastPanicInLog(lines.slice(1).join('\n'));
      if (found) return found;
    }
    return parsePanicLine(remainder);
  } finally {
    await fh.close();
  }
}
