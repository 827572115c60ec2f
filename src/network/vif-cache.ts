import { VmpodError } from '../errors.js';
import { formatMac, maskBytes, parseMac } from './ip-address.js';

// `vif-cache-<podIface>.json`: the DHCP data virt-handler hands the launcher (KUBEVIRT.md §7.5).
// It is Go's encoding of a struct without json tags, so byte slices are base64 (MAC, masks), net.IP
// is text ("" when unset), nil pointers and slices are null. Indented as Go's MarshalIndent does.

export interface VifCacheRoute {
  /** `default`, or `a.b.c.d/n`. */
  readonly destination: string;
  readonly gateway: string | undefined;
}

export interface VifCache {
  readonly name: string;
  readonly ipamDisabled: boolean;
  /** The pod IPv4 address with its prefix; absent when IPAM is disabled. */
  readonly ip: { readonly address: string; readonly prefixLength: number } | undefined;
  /** Colon notation. */
  readonly mac: string | undefined;
  readonly gateway: string | undefined;
  readonly routes: readonly VifCacheRoute[];
  readonly mtu: number;
  readonly subdomain: string;
  readonly advertisingIPAddr: string | undefined;
}

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

/** A netlink.Addr without an IPNet: the embedded pointer is nil, so IP and Mask are absent. */
function goAddr(ip: VifCache['ip']): Record<string, unknown> {
  const rest = {
    Label: '',
    Flags: 0,
    Scope: 0,
    Peer: null,
    Broadcast: '',
    PreferedLft: 0,
    ValidLft: 0,
    LinkIndex: 0,
  };
  if (!ip) return rest;
  return { IP: ip.address, Mask: b64(maskBytes(ip.prefixLength, 4)), ...rest };
}

/** A netlink.Route with only Dst and Gw set; Go's readers ignore keys they do not know. */
function goRoute(route: VifCacheRoute): Record<string, unknown> {
  let dst: Record<string, string> | null = null;
  if (route.destination !== 'default') {
    const [address, prefix] = route.destination.split('/');
    dst = { IP: address ?? '', Mask: b64(maskBytes(Number(prefix ?? 32), 4)) };
  }
  return {
    LinkIndex: 0,
    ILinkIndex: 0,
    Scope: 0,
    Dst: dst,
    Src: '',
    Gw: route.gateway ?? '',
    MultiPath: null,
    Protocol: 0,
    Priority: 0,
    Family: 0,
    Table: 0,
    Type: 0,
    Tos: 0,
    Flags: 0,
    MPLSDst: null,
    NewDst: null,
    Encap: null,
    Via: null,
    Realm: 0,
    MTU: 0,
    Window: 0,
    Rtt: 0,
    RttVar: 0,
    Ssthresh: 0,
    Cwnd: 0,
    AdvMSS: 0,
    Reordering: 0,
    Hoplimit: 0,
    InitCwnd: 0,
    Features: 0,
    RtoMin: 0,
    InitRwnd: 0,
    QuickACK: 0,
    Congctl: '',
    FastOpenNoCookie: 0,
  };
}

export function encodeVifCache(cache: VifCache): string {
  const mac = cache.mac === undefined ? undefined : parseMac(cache.mac);
  const doc = {
    Name: cache.name,
    IP: goAddr(cache.ip),
    IPv6: goAddr(undefined),
    MAC: mac ? b64(mac) : null,
    AdvertisingIPAddr: cache.advertisingIPAddr ?? '',
    AdvertisingIPv6Addr: '',
    Routes: cache.routes.length > 0 ? cache.routes.map(goRoute) : null,
    Mtu: cache.mtu,
    IPAMDisabled: cache.ipamDisabled,
    Gateway: cache.gateway ?? '',
    Subdomain: cache.subdomain,
  };
  return JSON.stringify(doc, null, 2);
}

function malformed(field: string, detail: string): VmpodError {
  return new VmpodError('NETWORK_VIF_CACHE_MALFORMED', `vif cache: ${field}: ${detail}`, {
    facts: { field },
  });
}

function prefixFromMask(mask: unknown, field: string): number {
  if (typeof mask !== 'string') throw malformed(field, 'mask is not a base64 string');
  const bytes = Buffer.from(mask, 'base64');
  if (bytes.length !== 4 && bytes.length !== 16) throw malformed(field, `mask has ${bytes.length} bytes`);
  let bits = 0;
  for (const b of bytes) bits += b.toString(2).replace(/0/g, '').length;
  return bits;
}

function record(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw malformed(field, 'not an object');
  }
  return value as Record<string, unknown>;
}

function optionalText(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw malformed(field, 'not a string');
  return value;
}

/** Decodes the file written by virt-handler (or by vmpod); throws NETWORK_VIF_CACHE_MALFORMED. */
export function decodeVifCache(text: string): VifCache {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new VmpodError('NETWORK_VIF_CACHE_MALFORMED', 'vif cache: not JSON', { cause });
  }
  const doc = record(parsed, '(root)');
  const ipamDisabled = doc['IPAMDisabled'] === true;
  let ip: VifCache['ip'];
  if (doc['IP'] !== undefined && doc['IP'] !== null) {
    const addr = record(doc['IP'], 'IP');
    const address = optionalText(addr['IP'], 'IP.IP');
    if (address !== undefined) ip = { address, prefixLength: prefixFromMask(addr['Mask'], 'IP.Mask') };
  }
  let mac: string | undefined;
  if (doc['MAC'] !== undefined && doc['MAC'] !== null) {
    if (typeof doc['MAC'] !== 'string') throw malformed('MAC', 'not a base64 string');
    const bytes = Buffer.from(doc['MAC'], 'base64');
    if (bytes.length !== 6) throw malformed('MAC', `${bytes.length} bytes, want 6`);
    mac = formatMac(bytes);
  }
  const routes: VifCacheRoute[] = [];
  if (doc['Routes'] !== undefined && doc['Routes'] !== null) {
    if (!Array.isArray(doc['Routes'])) throw malformed('Routes', 'not an array');
    doc['Routes'].forEach((r: unknown, i) => {
      const route = record(r, `Routes[${i}]`);
      let destination = 'default';
      if (route['Dst'] !== null && route['Dst'] !== undefined) {
        const dst = record(route['Dst'], `Routes[${i}].Dst`);
        const address = optionalText(dst['IP'], `Routes[${i}].Dst.IP`) ?? '0.0.0.0';
        destination = `${address}/${prefixFromMask(dst['Mask'], `Routes[${i}].Dst.Mask`)}`;
      }
      routes.push({ destination, gateway: optionalText(route['Gw'], `Routes[${i}].Gw`) });
    });
  }
  const mtu = doc['Mtu'] ?? 0;
  if (typeof mtu !== 'number') throw malformed('Mtu', 'not a number');
  return {
    name: optionalText(doc['Name'], 'Name') ?? '',
    ipamDisabled,
    ip,
    mac,
    gateway: optionalText(doc['Gateway'], 'Gateway'),
    routes,
    mtu,
    subdomain: optionalText(doc['Subdomain'], 'Subdomain') ?? '',
    advertisingIPAddr: optionalText(doc['AdvertisingIPAddr'], 'AdvertisingIPAddr'),
  };
}
