import { VmpodError } from '../errors.js';

// Dotted-quad IPv4 addresses and CIDR prefixes as values, parsed strictly (no shorthand forms).

export function parseIpv4(text: string): Uint8Array {
  const parts = text.split('.');
  const out = new Uint8Array(4);
  const ok =
    parts.length === 4 &&
    parts.every((p, i) => {
      if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return false;
      const n = Number(p);
      out[i] = n;
      return n <= 255;
    });
  if (!ok)
    throw new VmpodError('DHCP_BAD_ADDRESS', `not an IPv4 address: "${text}"`, { facts: { value: text } });
  return out;
}

export function formatIpv4(b: Uint8Array, at = 0): string {
  return `${b[at] ?? 0}.${b[at + 1] ?? 0}.${b[at + 2] ?? 0}.${b[at + 3] ?? 0}`;
}

export interface Cidr {
  readonly address: string;
  readonly prefixLength: number;
}

export function parseCidr(text: string): Cidr {
  const [addr, len, ...rest] = text.split('/');
  const prefixLength = Number(len);
  if (
    addr === undefined ||
    rest.length > 0 ||
    len === undefined ||
    !/^[0-9]{1,2}$/.test(len) ||
    prefixLength > 32
  ) {
    throw new VmpodError('DHCP_BAD_ADDRESS', `not an IPv4 CIDR: "${text}"`, { facts: { value: text } });
  }
  parseIpv4(addr);
  return { address: addr, prefixLength };
}

export function prefixMask(prefixLength: number): Uint8Array {
  const mask = prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
  return new Uint8Array([mask >>> 24, (mask >>> 16) & 0xff, (mask >>> 8) & 0xff, mask & 0xff]);
}

export function parseMac(text: string): Uint8Array {
  const parts = text.split(':');
  if (parts.length !== 6 || !parts.every((p) => /^[0-9a-fA-F]{2}$/.test(p))) {
    throw new VmpodError('DHCP_BAD_MAC', `not a MAC address: "${text}"`, { facts: { value: text } });
  }
  return new Uint8Array(parts.map((p) => Number.parseInt(p, 16)));
}

export function formatMac(b: Uint8Array, length = 6): string {
  return Array.from(b.subarray(0, length), (x) => x.toString(16).padStart(2, '0')).join(':');
}
