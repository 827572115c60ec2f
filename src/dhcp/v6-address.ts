import { VmpodError } from '../errors.js';

// IPv6 text ⇄ 16 bytes (RFC 4291 §2.2, RFC 5952 for output), for DHCPv6 and router advertisements.

/** `fd10:0:2::2`, `::`, `::ffff:1.2.3.4` → 16 bytes; a zone (`%eth0`) is ignored. */
export function parseIpv6(text: string): Uint8Array {
  const bad = () =>
    new VmpodError('DHCP_BAD_ADDRESS', `not an IPv6 address: "${text}"`, { facts: { value: text } });
  let s = text.split('%')[0] ?? '';
  const out = new Uint8Array(16);
  let tail: number[] = [];
  const v4 = /^(.*:)(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (v4) {
    tail = v4.slice(2, 6).map(Number);
    if (tail.some((b) => b > 255)) throw bad();
    s = `${v4[1]}0:0`;
  }
  const halves = s.split('::');
  if (halves.length > 2) throw bad();
  const groups = (h: string) => (h === '' ? [] : h.split(':'));
  const head = groups(halves[0] ?? '');
  const rest = halves.length === 2 ? groups(halves[1] ?? '') : [];
  const total = head.length + rest.length;
  if (halves.length === 1 ? total !== 8 : total > 7) throw bad();
  const all = [...head, ...new Array<string>(8 - total).fill('0'), ...rest];
  all.forEach((g, i) => {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) throw bad();
    const v = Number.parseInt(g, 16);
    out[2 * i] = v >> 8;
    out[2 * i + 1] = v & 0xff;
  });
  if (v4) out.set(tail, 12);
  return out;
}

/** RFC 5952 text: lower case, no leading zeros, the longest run (≥ 2) of zero groups as `::`. */
export function formatIpv6(b: Uint8Array): string {
  const g = Array.from({ length: 8 }, (_, i) => ((b[2 * i] ?? 0) << 8) | (b[2 * i + 1] ?? 0));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j === i ? i + 1 : j;
  }
  const hex = g.map((x) => x.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/** `fd10:0:2::/120` → network bytes (host bits cleared) and prefix length. */
export function parseIpv6Cidr(cidr: string): { prefix: Uint8Array; prefixLength: number } {
  const [addr, len, extra] = cidr.split('/');
  const n = Number(len);
  if (extra !== undefined || !/^\d{1,3}$/.test(len ?? '') || n > 128) {
    throw new VmpodError('DHCP_BAD_ADDRESS', `not an IPv6 CIDR: "${cidr}"`, { facts: { value: cidr } });
  }
  const prefix = parseIpv6(addr ?? '');
  for (let i = 0; i < 16; i++) {
    const bits = Math.max(0, Math.min(8, n - i * 8));
    prefix[i] = (prefix[i] ?? 0) & ((0xff << (8 - bits)) & 0xff);
  }
  return { prefix, prefixLength: n };
}
