import { VmpodError } from '../errors.js';
import { parseIPv4 } from './ip-address.js';
import { parseIPv6 } from './vm-network-cidr.js';

// The masquerade binding's NAT (KUBEVIRT.md §7.3) as one `nft -f -` script per IP family: the
// commands KubeVirt's MasqPod issues one by one (add table, add chain, add rule), in its order,
// made idempotent and atomic: our six chains are declared, flushed, and filled in one
// transaction. Only our chains are flushed, never the table: `ip nat` may also hold the chains of
// iptables-nft users in the pod (istio-init's PREROUTING/OUTPUT/ISTIO_*). Pure: every value that
// reaches the text is validated first, so no input can add a command of its own.

export type NftFamilyName = 'ipv4' | 'ipv6';

export interface MasqueradePort {
  readonly port: number;
  /** `TCP`, `udp`, … (any case); default tcp. */
  readonly protocol?: string;
  readonly name?: string;
}

/** A VMI interface's `portRanges[]` entry (KubeVirt's PortRangesSpec feature): ports start..end. */
export interface MasqueradePortRange {
  readonly start: number;
  readonly end: number;
  /** `TCP` or `UDP` (any case); default tcp. */
  readonly protocol?: string;
}

export interface MasqueradeRulesetInput {
  readonly family: NftFamilyName;
  /** The pod interface (`eth0`): inbound traffic from it is DNAT-ed to the guest. */
  readonly podIfaceName: string;
  /** The bridge (`k6t-eth0`): traffic out of it to the guest gets the POSTINBOUND SNAT. */
  readonly bridge: string;
  readonly guestAddress: string;
  readonly gatewayAddress: string;
  /** The VMI interface's `ports`; none (and no `portRanges`): every port is forwarded. */
  readonly ports?: readonly MasqueradePort[];
  /** The VMI interface's `portRanges`: each forwarded by one rule per chain. */
  readonly portRanges?: readonly MasqueradePortRange[];
  /** Istio sidecar injection (`sidecar.istio.io/inject: "true"`). */
  readonly istio?: boolean;
  /** The pod's IPv4: with Istio, DNAT-ed in `output` like loopback. */
  readonly podIPv4?: string;
  /**
   * `vmi.status.migrationTransport` is Unix (default true, as in current KubeVirt); false adds the
   * legacy rules that keep libvirt's migration ports 49152 and 49153 on loopback from being NAT-ed.
   */
  readonly migrationTransportUnix?: boolean;
}

export const NAT_TABLE = 'nat';
export const PREINBOUND_CHAIN = 'KUBEVIRT_PREINBOUND';
export const POSTINBOUND_CHAIN = 'KUBEVIRT_POSTINBOUND';
/** Istio's ports that must never be NAT-ed to the guest (istio.ReservedPorts). */
export const ISTIO_RESERVED_PORTS = [15000, 15001, 15004, 15006, 15008, 15009, 15020, 15021, 15053, 15090];
/** Ports Istio does not proxy, forwarded to the guest (istio.NonProxiedPorts). */
export const ISTIO_NON_PROXIED_PORTS = [22];
/** The source address of Istio's proxied inbound connections. */
export const ISTIO_LOOPBACK = '127.0.0.6';
export const LEGACY_MIGRATION_PORTS = [49152, 49153];

const BASE_CHAINS = [
  { name: 'prerouting', spec: '{ type nat hook prerouting priority -100; }' },
  { name: 'input', spec: '{ type nat hook input priority 100; }' },
  { name: 'output', spec: '{ type nat hook output priority -100; }' },
  { name: 'postrouting', spec: '{ type nat hook postrouting priority 100; }' },
] as const;

const PROTOCOLS = new Set(['tcp', 'udp', 'sctp']);

/** nft's family keyword: `ip` or `ip6`. */
export function nftFamily(family: NftFamilyName): 'ip' | 'ip6' {
  return family === 'ipv4' ? 'ip' : 'ip6';
}

function bad(field: string, value: string | number, detail: string): VmpodError {
  return new VmpodError('NETWORK_NFT_INPUT_INVALID', `masquerade NAT: ${field} ${value}: ${detail}`, {
    facts: { field, value },
  });
}

function checkIfaceName(field: string, name: string): string {
  if (!/^[A-Za-z0-9_.:@-]{1,15}$/.test(name)) throw bad(field, name, 'not a link name');
  return name;
}

function checkAddress(field: string, address: string, family: NftFamilyName): string {
  const ok = family === 'ipv4' ? parseIPv4(address) !== undefined : parseIPv6(address) !== undefined;
  if (!ok) throw bad(field, address, `not an ${family === 'ipv4' ? 'IPv4' : 'IPv6'} address`);
  return address;
}

/** A forwarded port or range: nft's `dport` operand (`80` or `1000-2000`) and the ports it covers. */
interface Forwarded {
  readonly dport: string | number;
  readonly protocol: string;
  readonly covers: (port: number) => boolean;
}

function checkProtocol(protocol: string | undefined): string {
  const p = (protocol || 'tcp').toLowerCase();
  if (!PROTOCOLS.has(p)) throw bad('protocol', p, 'not tcp, udp or sctp');
  return p;
}

function validPort(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= 65535;
}

function checkPort(p: MasqueradePort): Forwarded {
  if (!validPort(p.port)) throw bad('port', p.port, 'out of range');
  return { dport: p.port, protocol: checkProtocol(p.protocol), covers: (n) => n === p.port };
}

function checkRange(r: MasqueradePortRange): Forwarded {
  if (!validPort(r.start)) throw bad('port range start', r.start, 'out of range');
  if (!validPort(r.end)) throw bad('port range end', r.end, 'out of range');
  if (r.start > r.end) throw bad('port range', `${r.start}-${r.end}`, 'start is after end');
  const dport = r.start === r.end ? r.start : `${r.start}-${r.end}`;
  return { dport, protocol: checkProtocol(r.protocol), covers: (n) => n >= r.start && n <= r.end };
}

const set = (items: readonly (string | number)[]): string => `{ ${items.join(', ')} }`;

/** The `nft -f -` text that brings table `ip nat` / `ip6 nat` to the masquerade binding's rules. */
export function masqueradeRuleset(input: MasqueradeRulesetInput): string {
  const fam = nftFamily(input.family);
  const podIface = checkIfaceName('pod interface', input.podIfaceName);
  const bridge = checkIfaceName('bridge', input.bridge);
  const guest = checkAddress('guest address', input.guestAddress, input.family);
  const gateway = checkAddress('gateway address', input.gatewayAddress, input.family);
  const ports = [...(input.ports ?? []).map(checkPort), ...(input.portRanges ?? []).map(checkRange)];
  const istio = input.istio ?? false;
  const loopback = input.family === 'ipv4' ? '127.0.0.1' : '::1';

  const dnatDestinations = [loopback];
  if (istio && input.family === 'ipv4') {
    if (input.podIPv4 === undefined) throw bad('pod IPv4', '(none)', 'Istio needs the pod IPv4');
    dnatDestinations.push(checkAddress('pod IPv4', input.podIPv4, 'ipv4'));
  }
  const snatSources = istio && input.family === 'ipv4' ? [loopback, ISTIO_LOOPBACK] : [loopback];

  const rules: string[] = [];
  const rule = (chain: string, ...spec: (string | number)[]): void => {
    rules.push(`add rule ${fam} ${NAT_TABLE} ${chain} ${spec.join(' ')}`);
  };
  const skip = (skipped: readonly number[]): void => {
    for (const chain of ['output', POSTINBOUND_CHAIN]) {
      rule(chain, 'tcp dport', set(skipped), fam, 'saddr', loopback, 'counter return');
    }
  };
  const forward = (protocol: string, forwarded: readonly (string | number)[]): void => {
    if (forwarded.length === 0) return;
    rule(PREINBOUND_CHAIN, protocol, 'dport', set(forwarded), 'counter dnat to', guest);
  };

  rule('postrouting', fam, 'saddr', guest, 'counter masquerade');
  rule('prerouting', 'iifname', `"${podIface}"`, 'counter jump', PREINBOUND_CHAIN);
  rule('postrouting', 'oifname', `"${bridge}"`, 'counter jump', POSTINBOUND_CHAIN);
  if (input.migrationTransportUnix === false) skip(LEGACY_MIGRATION_PORTS);

  for (const { dport, protocol, covers } of ports) {
    // Behind Istio only the non-proxied ports (ssh) are DNAT-ed from the pod interface.
    if (istio) forward('tcp', ISTIO_NON_PROXIED_PORTS.filter(covers));
    else forward(protocol, [dport]);
    rule(
      POSTINBOUND_CHAIN,
      protocol,
      'dport',
      dport,
      fam,
      'saddr',
      set(snatSources),
      'counter snat to',
      gateway,
    );
    rule('output', fam, 'daddr', set(dnatDestinations), protocol, 'dport', dport, 'counter dnat to', guest);
  }
  if (ports.length === 0) {
    if (istio) {
      skip(ISTIO_RESERVED_PORTS);
      forward('tcp', ISTIO_NON_PROXIED_PORTS);
    } else {
      rule(PREINBOUND_CHAIN, 'counter dnat to', guest);
    }
    rule(POSTINBOUND_CHAIN, fam, 'saddr', set(snatSources), 'counter snat to', gateway);
    rule('output', fam, 'daddr', set(dnatDestinations), 'counter dnat to', guest);
  }

  const chains = [...BASE_CHAINS.map((c) => c.name), PREINBOUND_CHAIN, POSTINBOUND_CHAIN];
  return [
    `add table ${fam} ${NAT_TABLE}`,
    ...BASE_CHAINS.map((c) => `add chain ${fam} ${NAT_TABLE} ${c.name} ${c.spec}`),
    `add chain ${fam} ${NAT_TABLE} ${PREINBOUND_CHAIN}`,
    `add chain ${fam} ${NAT_TABLE} ${POSTINBOUND_CHAIN}`,
    ...chains.map((c) => `flush chain ${fam} ${NAT_TABLE} ${c}`),
    ...rules,
    '',
  ].join('\n');
}
