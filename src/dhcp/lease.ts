import type { StaticRoute } from './classless-routes.js';

// Everything the server hands one guest (KUBEVIRT.md §8.2): built by the launcher from the DHCP
// cache, or by `vmpod dhcp serve` from flags.

/** 999 days, KubeVirt's effectively infinite lease (§8.2, option 51). */
export const INFINITE_LEASE_SECONDS = 86_313_600;

export interface PrivateOption {
  /** 224–254 (RFC 2132 §1 "site-specific"); other codes are ignored with a warning. */
  readonly code: number;
  /** Sent as the string's raw bytes, as KubeVirt does. */
  readonly value: string;
}

export interface Lease {
  /** The only client answered (bridge binding); absent answers any client (masquerade). */
  readonly clientMac?: Uint8Array | undefined;
  readonly address: string;
  readonly prefixLength: number;
  /** Option 54 and the source of replies: the bridge's address. */
  readonly serverId: string;
  readonly gateway?: string | undefined;
  readonly dns: readonly string[];
  readonly searchDomains: readonly string[];
  /** Option 15; KubeVirt uses the longest search domain. */
  readonly domainName?: string | undefined;
  readonly hostname?: string | undefined;
  readonly mtu?: number | undefined;
  readonly ntpServers?: readonly string[] | undefined;
  /** Option 121; absent or empty sends no option 121. */
  readonly routes?: readonly StaticRoute[] | undefined;
  readonly tftpServerName?: string | undefined;
  readonly bootFileName?: string | undefined;
  readonly privateOptions?: readonly PrivateOption[] | undefined;
  readonly leaseSeconds?: number | undefined;
}

/** KubeVirt's option 15: the longest search domain (first of equals), if any (§8.1). */
export function longestDomain(domains: readonly string[]): string | undefined {
  let best: string | undefined;
  for (const d of domains) if (best === undefined || d.length > best.length) best = d;
  return best;
}
