import type { Lease } from '../dhcp/lease.js';
import { parseMac } from '../dhcp/ipv4.js';
import { INFINITE_LEASE_SECONDS } from '../dhcp/lease.js';
import { type ResolvConf, dnsSettings } from '../network/resolv-conf.js';
import type { VifCache } from '../network/vif-cache.js';

// The bridge binding's DHCPv4 lease (KUBEVIRT.md §8.1–8.2): the pod's own address from the DHCP
// cache, DNS from the pod's resolv.conf, the pod hostname, answered only to the guest's MAC. Pure.

export interface DhcpOptionsSpec {
  readonly ntpServers?: readonly string[];
  readonly tftpServerName?: string;
  readonly bootFileName?: string;
  readonly privateOptions?: readonly { readonly option: number; readonly value: string }[];
}

export interface BridgeLeaseInputs {
  readonly cache: VifCache;
  readonly resolv: ResolvConf;
  readonly subdomain?: string | undefined;
  readonly hostname: string;
  /** spec > status > pod MAC (phase 2). */
  readonly guestMac: string;
  /** The bridge's fake address, 169.254.75.1<i>: option 54 and the replies' source. */
  readonly serverId: string;
  readonly dhcpOptions?: DhcpOptionsSpec | undefined;
}

/** Undefined when the interface has no IPv4 address to hand out (IPAM disabled: pure L2). */
export function bridgeLease(inputs: BridgeLeaseInputs): Lease | undefined {
  const { cache } = inputs;
  if (cache.ipamDisabled || !cache.ip) return undefined;
  const dns = dnsSettings(inputs.resolv, inputs.subdomain);
  const opts = inputs.dhcpOptions;
  return {
    clientMac: parseMac(inputs.guestMac),
    address: cache.ip.address,
    prefixLength: cache.ip.prefixLength,
    serverId: inputs.serverId,
    gateway: cache.gateway,
    dns: inputs.resolv.nameserversV4,
    searchDomains: dns.searchDomains,
    domainName: dns.domainName,
    hostname: inputs.hostname,
    mtu: cache.mtu,
    routes: cache.routes.map((r) => ({
      destination: r.destination === 'default' ? '0.0.0.0/0' : r.destination,
      gateway: r.gateway,
    })),
    ntpServers: opts?.ntpServers,
    tftpServerName: opts?.tftpServerName,
    bootFileName: opts?.bootFileName,
    privateOptions: opts?.privateOptions?.map((p) => ({ code: p.option, value: p.value })),
    leaseSeconds: INFINITE_LEASE_SECONDS,
  };
}
