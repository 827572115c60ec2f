import type { Lease } from '../dhcp/lease.js';
import { INFINITE_LEASE_SECONDS } from '../dhcp/lease.js';
import { type ResolvConf, dnsSettings } from '../network/resolv-conf.js';
import type { DhcpOptionsSpec } from './bridge-lease.js';

// The masquerade binding's DHCPv4 lease (KUBEVIRT.md §8.1–8.3): the guest's address on the VM
// network (10.0.2.2/24 unless the VMI says otherwise) behind the bridge's gateway address, which
// is also the server identifier; the pod's DNS and hostname; the pod interface's MTU; no static
// routes; and no client filter — any client on the bridge is answered, as in KubeVirt. Pure.

export interface MasqueradeLeaseInputs {
  readonly guest: string;
  readonly gateway: string;
  readonly prefixLength: number;
  readonly mtu: number;
  readonly resolv: ResolvConf;
  readonly subdomain?: string | undefined;
  readonly hostname: string;
  readonly dhcpOptions?: DhcpOptionsSpec | undefined;
}

export function masqueradeLease(inputs: MasqueradeLeaseInputs): Lease {
  const dns = dnsSettings(inputs.resolv, inputs.subdomain);
  const opts = inputs.dhcpOptions;
  return {
    address: inputs.guest,
    prefixLength: inputs.prefixLength,
    serverId: inputs.gateway,
    gateway: inputs.gateway,
    dns: inputs.resolv.nameserversV4,
    searchDomains: dns.searchDomains,
    domainName: dns.domainName,
    hostname: inputs.hostname,
    mtu: inputs.mtu,
    ntpServers: opts?.ntpServers,
    tftpServerName: opts?.tftpServerName,
    bootFileName: opts?.bootFileName,
    privateOptions: opts?.privateOptions?.map((p) => ({ code: p.option, value: p.value })),
    leaseSeconds: INFINITE_LEASE_SECONDS,
  };
}
