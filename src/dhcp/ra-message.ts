import { VmpodError } from '../errors.js';
import { parseIpv6Cidr } from './v6-address.js';

// Neighbor Discovery's router messages (RFC 4861 §4.1, §4.2, §4.6): a builder for the Router
// Advertisement vmpod sends on the masquerade bridge, and a total decoder for the Router
// Solicitations guests send (a value, or NDP_MALFORMED naming the field and offset). ICMPv6
// bodies only: the kernel adds the IPv6 header and fills in the checksum of a raw ICMPv6 socket.

export const ICMPV6_ROUTER_SOLICITATION = 133;
export const ICMPV6_ROUTER_ADVERTISEMENT = 134;

export const NdOption = { SourceLinkLayer: 1, PrefixInformation: 3, Mtu: 5 } as const;

/** RFC 4861 §6.2.1: AdvDefaultLifetime = 3 × MaxRtrAdvInterval; vmpod's Max is 600 s. */
export const ROUTER_LIFETIME_SECONDS = 1800;
/** AdvValidLifetime and AdvPreferredLifetime defaults (§6.2.1): 30 and 7 days. */
export const PREFIX_VALID_SECONDS = 2_592_000;
export const PREFIX_PREFERRED_SECONDS = 604_800;

export interface RouterAdvertisement {
  /** The bridge's MAC, sent as Source Link-Layer Address. */
  readonly routerMac: Uint8Array;
  /** On-link prefix, e.g. `fd10:0:2::/120`. */
  readonly prefix: string;
  readonly mtu?: number | undefined;
  readonly curHopLimit?: number | undefined;
  readonly routerLifetime?: number | undefined;
}

/**
 * Type 134 with M (addresses from DHCPv6) and O (other configuration from DHCPv6) set, the
 * router's link-layer address, the MTU when given, and the prefix with L=1 (on-link) and A=0 (no
 * SLAAC: the address comes from DHCPv6, and a /120 cannot autoconfigure anyway).
 */
export function buildRouterAdvertisement(ra: RouterAdvertisement): Uint8Array {
  const { prefix, prefixLength } = parseIpv6Cidr(ra.prefix);
  const length = 16 + 8 + (ra.mtu === undefined ? 0 : 8) + 32;
  const out = new Uint8Array(length);
  const view = new DataView(out.buffer);
  out[0] = ICMPV6_ROUTER_ADVERTISEMENT;
  out[1] = 0; // code; checksum (2–3) by the kernel
  out[4] = ra.curHopLimit ?? 64;
  out[5] = 0x80 | 0x40; // M | O
  view.setUint16(6, ra.routerLifetime ?? ROUTER_LIFETIME_SECONDS);
  // reachable time (8–11) and retrans timer (12–15): 0, unspecified
  let at = 16;
  out[at] = NdOption.SourceLinkLayer;
  out[at + 1] = 1;
  out.set(ra.routerMac.subarray(0, 6), at + 2);
  at += 8;
  if (ra.mtu !== undefined) {
    out[at] = NdOption.Mtu;
    out[at + 1] = 1;
    view.setUint32(at + 4, ra.mtu);
    at += 8;
  }
  out[at] = NdOption.PrefixInformation;
  out[at + 1] = 4;
  out[at + 2] = prefixLength;
  out[at + 3] = 0x80; // L=1, A=0
  view.setUint32(at + 4, PREFIX_VALID_SECONDS);
  view.setUint32(at + 8, PREFIX_PREFERRED_SECONDS);
  out.set(prefix, at + 16);
  return out;
}

export interface NdOptionValue {
  readonly type: number;
  /** The option's bytes after type and length. */
  readonly data: Uint8Array;
}

export interface RouterSolicitation {
  readonly options: readonly NdOptionValue[];
  /** From the Source Link-Layer Address option, when present. */
  readonly sourceLinkLayer?: Uint8Array | undefined;
}

export function decodeRouterSolicitation(buf: Uint8Array): RouterSolicitation {
  if (buf.length < 8) throw ndMalformed('header', buf.length, `needs 8 bytes, has ${buf.length}`);
  if (buf[0] !== ICMPV6_ROUTER_SOLICITATION) {
    throw ndMalformed('type', 0, `ICMPv6 type ${buf[0]} is not 133 (Router Solicitation)`);
  }
  if (buf[1] !== 0) throw ndMalformed('code', 1, `code ${buf[1]} is not 0`);
  const options: NdOptionValue[] = [];
  let sourceLinkLayer: Uint8Array | undefined;
  let at = 8;
  while (at < buf.length) {
    if (buf.length - at < 2) throw ndMalformed('option header', at, `needs 2 bytes, ${buf.length - at} left`);
    const type = buf[at] ?? 0;
    const units = buf[at + 1] ?? 0;
    // §4.6: a length of 0 is invalid (and would loop forever).
    if (units === 0) throw ndMalformed(`option ${type} length`, at + 1, 'length 0');
    if (at + units * 8 > buf.length) {
      throw ndMalformed(`option ${type} data`, at + 2, `needs ${units * 8} bytes, ${buf.length - at} left`);
    }
    const data = buf.slice(at + 2, at + units * 8);
    options.push({ type, data });
    if (type === NdOption.SourceLinkLayer) sourceLinkLayer ??= data.slice(0, 6);
    at += units * 8;
  }
  return { options, sourceLinkLayer };
}

function ndMalformed(field: string, offset: number, why: string): VmpodError {
  return new VmpodError('NDP_MALFORMED', `malformed ND packet: ${field} at offset ${offset}: ${why}`, {
    facts: { field, offset },
  });
}
