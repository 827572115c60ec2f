import { VmpodError } from '../errors.js';
import { encodeClasslessRoutes } from './classless-routes.js';
import { parseIpv4, prefixMask } from './ipv4.js';
import { INFINITE_LEASE_SECONDS, type Lease } from './lease.js';
import type { DhcpOption } from './message.js';
import { domainLabels, encodeSearchList } from './search-list.js';

// Option numbers (RFC 2132 unless noted) and the encoders that turn a lease into option values,
// each as its RFC defines it. Computed once per lease: a bad value fails at start, not per reply.

export const Option = {
  SubnetMask: 1,
  Router: 3,
  DomainNameServers: 6,
  HostName: 12,
  DomainName: 15,
  InterfaceMtu: 26,
  NtpServers: 42,
  RequestedAddress: 50,
  LeaseTime: 51,
  MessageType: 53,
  ServerIdentifier: 54,
  ParameterRequestList: 55,
  TftpServerName: 66,
  BootFileName: 67,
  DomainSearch: 119, // RFC 3397
  ClasslessRoutes: 121, // RFC 3442
} as const;

export const MessageType = {
  Discover: 1,
  Offer: 2,
  Request: 3,
  Decline: 4,
  Ack: 5,
  Nak: 6,
  Release: 7,
  Inform: 8,
} as const;

const MAX_OPTION = 255;

export interface LeaseOptions {
  /** Every option the lease sends besides 53, ascending by code. */
  readonly options: readonly DhcpOption[];
  /** What was dropped and why; the caller logs these. */
  readonly warnings: readonly string[];
}

export function leaseOptions(lease: Lease): LeaseOptions {
  const warnings: string[] = [];
  const opts = new Map<number, Uint8Array>();
  const put = (code: number, data: Uint8Array) => opts.set(code, data);
  const text = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));

  put(Option.SubnetMask, prefixMask(lease.prefixLength));
  if (lease.gateway) put(Option.Router, parseIpv4(lease.gateway));
  // RFC 2132 §3.8 wants at least one server; an empty list sends no option rather than a 0-length one.
  if (lease.dns.length > 0) put(Option.DomainNameServers, addressList(lease.dns, 'dns'));
  if (lease.hostname) put(Option.HostName, text(lease.hostname));
  if (lease.domainName) put(Option.DomainName, text(lease.domainName));
  if (lease.mtu !== undefined) {
    if (!Number.isInteger(lease.mtu) || lease.mtu < 68 || lease.mtu > 65535) {
      throw new VmpodError('DHCP_BAD_LEASE', `MTU ${lease.mtu} is outside 68–65535 (RFC 2132 §5.1)`, {
        facts: { field: 'mtu', value: lease.mtu },
      });
    }
    put(Option.InterfaceMtu, Uint8Array.of(lease.mtu >> 8, lease.mtu & 0xff));
  }
  if (lease.ntpServers && lease.ntpServers.length > 0) {
    put(Option.NtpServers, addressList(lease.ntpServers, 'ntpServers'));
  }
  const seconds = lease.leaseSeconds ?? INFINITE_LEASE_SECONDS;
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > 0xffffffff) {
    throw new VmpodError('DHCP_BAD_LEASE', `lease time ${seconds} is not a 32-bit count of seconds`, {
      facts: { field: 'leaseSeconds', value: seconds },
    });
  }
  put(
    Option.LeaseTime,
    Uint8Array.of(seconds >>> 24, (seconds >>> 16) & 0xff, (seconds >>> 8) & 0xff, seconds & 0xff),
  );
  put(Option.ServerIdentifier, parseIpv4(lease.serverId));
  if (lease.tftpServerName) put(Option.TftpServerName, text(lease.tftpServerName));
  if (lease.bootFileName) put(Option.BootFileName, text(lease.bootFileName));
  const search = searchOption(lease.searchDomains, warnings);
  if (search) put(Option.DomainSearch, search);
  if (lease.routes && lease.routes.length > 0)
    put(Option.ClasslessRoutes, encodeClasslessRoutes(lease.routes));
  for (const p of lease.privateOptions ?? []) {
    if (!Number.isInteger(p.code) || p.code < 224 || p.code > 254) {
      warnings.push(`private option ${p.code} ignored: only 224–254 are site-specific`);
      continue;
    }
    put(p.code, text(p.value));
  }
  for (const [code, data] of opts) {
    if (data.length > MAX_OPTION) {
      warnings.push(`option ${code} dropped: ${data.length} bytes, more than ${MAX_OPTION}`);
      opts.delete(code);
    }
  }
  const options = [...opts.entries()].sort(([a], [b]) => a - b).map(([code, data]) => ({ code, data }));
  return { options, warnings };
}

function addressList(addrs: readonly string[], field: string): Uint8Array {
  const out = new Uint8Array(addrs.length * 4);
  addrs.forEach((a, i) => {
    try {
      out.set(parseIpv4(a), 4 * i);
    } catch (err) {
      throw new VmpodError('DHCP_BAD_LEASE', `${field}: "${a}" is not an IPv4 address`, {
        cause: err,
        facts: { field, value: a },
      });
    }
  });
  return out;
}

// KubeVirt refuses to start on a bad domain or a list over 255 bytes (issues #4541, #12615);
// vmpod drops what it cannot send and says so.
function searchOption(domains: readonly string[], warnings: string[]): Uint8Array | undefined {
  const kept: string[][] = [];
  let encoded: Uint8Array | undefined;
  for (const d of domains) {
    const parsed = domainLabels(d);
    if ('invalid' in parsed) {
      warnings.push(`search domain "${d}" dropped: ${parsed.invalid}`);
      continue;
    }
    if (kept.some((k) => k.join('.') === parsed.labels.join('.'))) continue;
    const next = encodeSearchList([...kept, parsed.labels]);
    if (next.length > MAX_OPTION) {
      warnings.push(`search domain "${d}" dropped: the search list would exceed ${MAX_OPTION} bytes`);
      continue;
    }
    kept.push(parsed.labels);
    encoded = next;
  }
  return encoded;
}
