import { VmpodError } from '../errors.js';

// The masquerade binding's private VM network (KUBEVIRT.md §7.3): from a CIDR such as
// `10.0.2.0/24` or `fd10:0:2::/120`, the gateway (first host, on the bridge) and the guest
// (gateway + 1). Addresses as bigints, IPv6 printed in RFC 5952 form like Go and `ip` print it.

export const DEFAULT_VM_NETWORK_CIDR = '10.0.2.0/24';
export const DEFAULT_VM_IPV6_NETWORK_CIDR = 'fd10:0:2::/120';

export interface VmNetworkAddresses {
  /** The bridge's address, the guest's default gateway and DHCP server. */
  readonly gateway: string;
  readonly guest: string;
  readonly prefixLength: number;
}

function parseIPv4Big(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  return parts.reduce((acc, p) => (acc << 8n) | BigInt(Number(p)), 0n);
}

function parseGroups(text: string): number[] | undefined {
  if (text === '') return [];
  const groups = text.split(':');
  if (groups.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  return groups.map((g) => Number.parseInt(g, 16));
}

/** An IPv6 address (no zone, no embedded IPv4) as a 128-bit number, or undefined. */
export function parseIPv6(text: string): bigint | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  let groups: number[];
  if (halves.length === 2) {
    const head = parseGroups(halves[0] ?? '');
    const tail = parseGroups(halves[1] ?? '');
    if (!head || !tail || head.length + tail.length > 7) return undefined;
    groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  } else {
    const all = parseGroups(text);
    if (all?.length !== 8) return undefined;
    groups = all;
  }
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
}

/** RFC 5952: lower case, leading zeros dropped, the longest run (≥ 2) of zero groups as `::`. */
export function formatIPv6(value: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - i * 16)) & 0xffffn));
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (gs: number[]) => gs.map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLen))}`;
}

function formatIPv4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 0xffn)).join('.');
}

function invalid(cidr: string, family: 4 | 6, detail: string): VmpodError {
  return new VmpodError('NETWORK_VM_CIDR_INVALID', `VM network CIDR ${cidr}: ${detail}`, {
    facts: { cidr, family },
  });
}

/**
 * Gateway and guest address of a VM network CIDR; the host part of the CIDR is ignored (as Go's
 * net.ParseCIDR does). Throws NETWORK_VM_CIDR_INVALID unless it leaves at least 2 host addresses.
 */
export function vmNetworkAddresses(cidr: string, family: 4 | 6): VmNetworkAddresses {
  const slash = cidr.lastIndexOf('/');
  const bits = family === 4 ? 32 : 128;
  const prefixText = slash > 0 ? cidr.slice(slash + 1) : '';
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > bits) {
    throw invalid(cidr, family, 'not an address with a prefix length');
  }
  const prefixLength = Number(prefixText);
  const address = family === 4 ? parseIPv4Big(cidr.slice(0, slash)) : parseIPv6(cidr.slice(0, slash));
  if (address === undefined) throw invalid(cidr, family, `not an IPv${family} CIDR`);
  if (bits - prefixLength < 2) {
    throw invalid(cidr, family, 'the VM network needs at least 2 host addresses');
  }
  const hostBits = BigInt(bits - prefixLength);
  const network = (address >> hostBits) << hostBits;
  const format = family === 4 ? formatIPv4 : formatIPv6;
  return { gateway: format(network + 1n), guest: format(network + 2n), prefixLength };
}
