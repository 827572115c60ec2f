// Small IP facts the planner needs, without a socket library: IPv4 parsing, masks, containment,
// and Go's notion of a global unicast address (net.IP.IsGlobalUnicast), which KubeVirt tests.

/** The four bytes of a dotted-quad IPv4 address, or undefined if it is not one. */
export function parseIPv4(text: string): [number, number, number, number] | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const bytes = parts.map((p) => (/^\d{1,3}$/.test(p) ? Number(p) : Number.NaN));
  if (bytes.some((b) => !(b >= 0 && b <= 255))) return undefined;
  return bytes as [number, number, number, number];
}

/** Mask bytes for a prefix length: /24 of IPv4 → ff ff ff 00. */
export function maskBytes(prefixLength: number, family: 4 | 6): Uint8Array {
  const out = new Uint8Array(family === 4 ? 4 : 16);
  for (let i = 0; i < out.length; i++) {
    const bits = Math.max(0, Math.min(8, prefixLength - i * 8));
    out[i] = (0xff << (8 - bits)) & 0xff;
  }
  return out;
}

function toUint32(bytes: readonly number[]): number {
  return ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
}

/** Whether an IPv4 address lies in `net/prefix`. */
export function ipv4InSubnet(address: string, network: string, prefixLength: number): boolean {
  const a = parseIPv4(address);
  const n = parseIPv4(network);
  if (!a || !n) return false;
  if (prefixLength === 0) return true;
  const mask = (0xffffffff << (32 - prefixLength)) >>> 0;
  return (toUint32(a) & mask) >>> 0 === (toUint32(n) & mask) >>> 0;
}

/** Go's IsGlobalUnicast for IPv4: not unspecified, loopback, multicast, link-local or broadcast. */
export function isGlobalUnicastIPv4(address: string): boolean {
  const b = parseIPv4(address);
  if (!b) return false;
  const [a0, a1] = b;
  if (toUint32(b) === 0 || toUint32(b) === 0xffffffff) return false;
  if (a0 === 127) return false;
  if (a0 >= 224 && a0 <= 239) return false;
  if (a0 === 169 && a1 === 254) return false;
  return true;
}

/** Splits `a.b.c.d/n` (or an IPv6 CIDR) into address and prefix length. */
export function splitCidr(cidr: string): { address: string; prefixLength: number } | undefined {
  const slash = cidr.lastIndexOf('/');
  if (slash <= 0) return undefined;
  const prefix = cidr.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefix)) return undefined;
  return { address: cidr.slice(0, slash), prefixLength: Number(prefix) };
}

/** Colon MAC (any case) → 6 bytes, or undefined. */
export function parseMac(mac: string): Uint8Array | undefined {
  const parts = mac.split(/[:-]/);
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{2}$/.test(p))) return undefined;
  return Uint8Array.from(parts.map((p) => Number.parseInt(p, 16)));
}

export function formatMac(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(':');
}
