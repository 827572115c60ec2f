// Guest panic details from the QEMU log (KUBEVIRT.md §5.2, event callback step 1). libvirt appends
// a line such as `2024-09-30 16:30:49.506+0000: panic hyper-v: arg1='0x5a', arg2='0x1', …` to the
// domain's log when qemu reports GUEST_PANICKED with details. Pure.
import type { GuestPanicInfoJson } from '../../domain/domain-json/model.js';

export interface GuestPanic {
  /** e.g. `hyper-v`, `s390`; empty when the log holds no panic line. */
  type: string;
  /** arg1..arg5 as unsigned 64-bit values (0 when absent). */
  args: [bigint, bigint, bigint, bigint, bigint];
}

const PANIC_LINE = /panic\s+(\S+):\s*(.*)/;
const ARG = /arg(\d+)=['"]?(0x[0-9a-fA-F]+)['"]?/g;
const U64_MAX = (1n << 64n) - 1n;

/** The panic on one log line, or undefined when the line holds none. */
export function parsePanicLine(line: string): GuestPanic | undefined {
  const m = PANIC_LINE.exec(line);
  if (!m) return undefined;
  const panic: GuestPanic = { type: m[1] ?? '', args: [0n, 0n, 0n, 0n, 0n] };
  for (const a of (m[2] ?? '').matchAll(ARG)) {
    const n = Number(a[1]);
    if (n < 1 || n > 5) continue;
    const v = BigInt(a[2] ?? '0');
    // Go's ParseUint fails (→ 0) on values beyond 64 bits.
    panic.args[n - 1] = v > U64_MAX ? 0n : v;
  }
  return panic;
}

/** The last panic line of a log text (lines are scanned from the end), or undefined. */
export function lastPanicInLog(text: string): GuestPanic | undefined {
  const lines = text.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const p = parsePanicLine(lines[i] ?? '');
    if (p) return p;
  }
  return undefined;
}

/** The GuestPanicked event message (KubeVirt's FormatGuestPanicInfo, or "details unavailable"). */
export function guestPanicMessage(panic: GuestPanic | undefined): string {
  if (!panic || panic.type === '') return 'GuestPanicked (details unavailable)';
  if (panic.type === 'hyper-v') {
    return `GuestPanicked: ${panic.args.map((a) => `'0x${a.toString(16)}'`).join(', ')}`;
  }
  return `GuestPanicked: type=${panic.type}`;
}

/**
 * Status.GuestPanicInfo. Type `unknown` when no details were found. The arguments are JSON numbers,
 * exact up to 2^53 (hyper-v bugcheck parameters above that lose their low bits).
 */
export function guestPanicInfoJson(panic: GuestPanic | undefined): GuestPanicInfoJson {
  if (!panic || panic.type === '') return { Type: 'unknown', Arg1: 0, Arg2: 0, Arg3: 0, Arg4: 0, Arg5: 0 };
  const [a1, a2, a3, a4, a5] = panic.args.map(Number) as [number, number, number, number, number];
  return { Type: panic.type, Arg1: a1, Arg2: a2, Arg3: a3, Arg4: a4, Arg5: a5 };
}
