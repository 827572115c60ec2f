import { parseIpv4 } from '../dhcp/ipv4.js';
import { parseIpv6 } from '../dhcp/v6-address.js';

// The pod's /etc/resolv.conf as KubeVirt's DHCP servers read it (KUBEVIRT.md §8.1). Parsing is
// total: lines it does not understand are skipped, and missing data falls back to KubeVirt's
// defaults, so no input can crash the launcher.

export const DEFAULT_NAMESERVER = '8.8.8.8';
export const DEFAULT_SEARCH_DOMAIN = 'cluster.local';

export interface ResolvConf {
  readonly nameserversV4: readonly string[];
  readonly nameserversV6: readonly string[];
  /** Lower-cased, in file order; never empty (defaults to `cluster.local`). */
  readonly searchDomains: readonly string[];
}

const IPV6 = /^[0-9a-fA-F:]+(\.\d{1,3}){0,4}$/;

function isIPv6(text: string): boolean {
  return text.includes(':') && IPV6.test(text) && text.split('::').length <= 2;
}

/** A server is kept only if the DHCP servers' strict parsers take it, or their lease would throw. */
function parses(parse: (text: string) => Uint8Array, text: string): boolean {
  try {
    parse(text);
    return true;
  } catch {
    return false;
  }
}

export function parseResolvConf(text: string): ResolvConf {
  const v4: string[] = [];
  const v6: string[] = [];
  const search: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const fields = raw
      .trim()
      .split(/\s+/)
      .filter((f) => f !== '');
    const [keyword, ...rest] = fields;
    if (keyword === 'nameserver' && fields.length === 2) {
      const ip = rest[0]!;
      if (parses(parseIpv4, ip)) v4.push(ip);
      else if (isIPv6(ip) && parses(parseIpv6, ip)) v6.push(ip.toLowerCase());
    } else if (keyword === 'search') {
      // A loop, not push(...rest): a line of 100k+ domains would overflow the call stack.
      for (const domain of rest) search.push(domain.toLowerCase());
    }
  }
  // KubeVirt falls back to 8.8.8.8 only when neither family yielded a server.
  if (v4.length === 0 && v6.length === 0) v4.push(DEFAULT_NAMESERVER);
  if (search.length === 0) search.push(DEFAULT_SEARCH_DOMAIN);
  return { nameserversV4: v4, nameserversV6: v6, searchDomains: search };
}

export interface DnsSettings {
  readonly searchDomains: readonly string[];
  /** DHCP option 15: the longest entry of the final search list. */
  readonly domainName: string;
}

/** Applies `spec.subdomain` to the search list and picks the domain name (§8.1). */
export function dnsSettings(conf: ResolvConf, subdomain: string | undefined): DnsSettings {
  let domains = [...conf.searchDomains];
  if (subdomain) {
    const svc = longest(domains.filter((d) => d.includes('.svc.')));
    if (svc !== undefined && !svc.startsWith(`${subdomain}.`)) domains = [`${subdomain}.${svc}`, ...domains];
  }
  return { searchDomains: domains, domainName: longest(domains) ?? DEFAULT_SEARCH_DOMAIN };
}

function longest(items: readonly string[]): string | undefined {
  let best: string | undefined;
  for (const item of items) if (best === undefined || item.length > best.length) best = item;
  return best;
}
