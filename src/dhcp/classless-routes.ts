import { parseCidr, parseIpv4 } from './ipv4.js';

// RFC 3442 classless static routes (option 121): per route, the prefix width, only the
// significant octets of the destination (ceil(width / 8)), then the 4-byte router (0.0.0.0 for
// an on-link destination). Clients that take option 121 ignore option 3, so the default route
// travels here too; it goes last, as KubeVirt sorts it (§8.2).

export interface StaticRoute {
  /** CIDR, e.g. "10.0.0.0/8" or "0.0.0.0/0". */
  readonly destination: string;
  /** Next hop; absent for an on-link destination. */
  readonly gateway?: string | undefined;
}

export function encodeClasslessRoutes(routes: readonly StaticRoute[]): Uint8Array {
  const parsed = routes.map((r) => ({
    cidr: parseCidr(r.destination),
    gw: parseIpv4(r.gateway ?? '0.0.0.0'),
  }));
  // Stable sort: the default route (width 0) last, the others in the order given.
  const ordered = [
    ...parsed.filter((r) => r.cidr.prefixLength > 0),
    ...parsed.filter((r) => r.cidr.prefixLength === 0),
  ];
  const out: number[] = [];
  for (const { cidr, gw } of ordered) {
    const width = cidr.prefixLength;
    const dest = parseIpv4(cidr.address);
    const significant = Math.ceil(width / 8);
    out.push(width);
    for (let i = 0; i < significant; i++) {
      // Host bits beyond the width must be zero on the wire.
      const keep = Math.min(8, width - 8 * i);
      out.push((dest[i] ?? 0) & ((0xff << (8 - keep)) & 0xff));
    }
    out.push(...gw);
  }
  return Uint8Array.from(out);
}
