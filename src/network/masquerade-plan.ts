import { VmpodError } from '../errors.js';
import { QEMU_UID } from './bridge-binding-plan.js';
import { isGlobalUnicastIPv4 } from './ip-address.js';
import { bridgeName, tapName } from './names.js';
import {
  type MasqueradePort,
  type MasqueradePortRange,
  masqueradeRuleset,
  nftFamily,
} from './nft-ruleset.js';
import type { DiscoveredPodInterface, LinkAddress, VmiInterface } from './types.js';
import {
  DEFAULT_VM_IPV6_NETWORK_CIDR,
  DEFAULT_VM_NETWORK_CIDR,
  type VmNetworkAddresses,
  vmNetworkAddresses,
} from './vm-network-cidr.js';

// The pure planner of the masquerade binding (KUBEVIRT.md §7.3): the pod interface stays as it
// is; a bridge with a fixed MAC holds the gateway address of a private VM network per IP family
// the pod has, the guest's tap joins it, and nftables NATs between the pod interface and the
// guest. No I/O here.

/** The MAC KubeVirt pins on a masquerade bridge. */
export const MASQUERADE_BRIDGE_MAC = '02:00:00:00:00:00';

export type MasqueradeStep =
  | {
      readonly op: 'masquerade-bridge';
      readonly name: string;
      readonly mac: string;
      readonly mtu: number;
      /** `10.0.2.1/24`, `fd10:0:2::1/120`. */
      readonly addresses: readonly string[];
    }
  | { readonly op: 'sysctl'; readonly key: string; readonly value: string }
  | {
      readonly op: 'tap';
      readonly name: string;
      readonly uid: number;
      readonly gid: number;
      readonly queues: number;
      readonly mtu: number;
      readonly bridge: string;
    }
  | {
      /** One `nft -f -` transaction that (re)fills the NAT chains of one family. */
      readonly op: 'nft';
      readonly family: 'ip' | 'ip6';
      readonly table: string;
      readonly script: string;
    };

/** What phase 2 needs of a masquerade-bound interface: the DHCP servers' addresses, tap, MTU. */
export interface MasqueradeNetwork {
  readonly bridge: string;
  readonly tap: string;
  readonly mtu: number;
  readonly v4?: VmNetworkAddresses;
  readonly v6?: VmNetworkAddresses;
}

export interface MasqueradeBindingPlan {
  readonly kind: 'build';
  readonly binding: 'masquerade';
  readonly podIfaceName: string;
  readonly steps: readonly MasqueradeStep[];
  readonly network: MasqueradeNetwork;
}

/** The parts of a masquerade VMI interface the planner reads. */
export interface MasqueradeInterface extends VmiInterface {
  readonly ports?: readonly MasqueradePort[];
  readonly portRanges?: readonly MasqueradePortRange[];
}

export interface MasqueradePlanOptions {
  /** `spec.domain.devices.interfaces[].masquerade` network: `pod.vmNetworkCIDR` (default 10.0.2.0/24). */
  readonly vmNetworkCIDR?: string;
  /** `pod.vmIPv6NetworkCIDR` (default fd10:0:2::/120). */
  readonly vmIPv6NetworkCIDR?: string;
  readonly istio?: boolean;
  /** `vmi.status.migrationTransport` is Unix (default true). */
  readonly migrationTransportUnix?: boolean;
  /** qemu's uid for the tap: 107 for non-root VMIs, 0 for root ones. */
  readonly ownerId?: number;
  readonly ownerGid?: number;
  /** Queue capacity for a virtio NIC (0 or 1: single queue). */
  readonly queues?: number;
  /** Whether this interface is on the pod network (tap0) or a Multus secondary. */
  readonly isPodNetwork?: boolean;
}

function globalAddress(addresses: readonly LinkAddress[], family: 4 | 6): LinkAddress | undefined {
  return addresses.find((a) =>
    family === 4 ? a.family === 4 && isGlobalUnicastIPv4(a.address) : a.family === 6 && a.scope === 'global',
  );
}

/** The desired state of one masquerade-bound VMI interface. `index` is kept for symmetry with the bridge. */
export function planMasqueradeBinding(
  iface: MasqueradeInterface,
  discovered: Pick<DiscoveredPodInterface, 'name' | 'link' | 'addresses'>,
  _index: number,
  opts: MasqueradePlanOptions = {},
): MasqueradeBindingPlan {
  const podIfaceName = discovered.name;
  const link = discovered.link;
  if (!link) {
    throw new VmpodError('NETWORK_POD_LINK_MISSING', `pod link (${podIfaceName}) is missing`, {
      facts: { podInterface: podIfaceName },
    });
  }
  const bridge = bridgeName(podIfaceName);
  const tap = tapName(podIfaceName, opts.isPodNetwork ?? podIfaceName === 'eth0');
  const podIPv4 = globalAddress(discovered.addresses, 4);
  const podIPv6 = globalAddress(discovered.addresses, 6);
  const v4 = podIPv4 ? vmNetworkAddresses(opts.vmNetworkCIDR || DEFAULT_VM_NETWORK_CIDR, 4) : undefined;
  const v6 = podIPv6
    ? vmNetworkAddresses(opts.vmIPv6NetworkCIDR || DEFAULT_VM_IPV6_NETWORK_CIDR, 6)
    : undefined;
  const owner = opts.ownerId ?? QEMU_UID;

  const steps: MasqueradeStep[] = [
    {
      op: 'masquerade-bridge',
      name: bridge,
      mac: MASQUERADE_BRIDGE_MAC,
      mtu: link.mtu,
      addresses: [v4, v6].flatMap((n) => (n ? [`${n.gateway}/${n.prefixLength}`] : [])),
    },
  ];
  if (v4) {
    steps.push(
      { op: 'sysctl', key: `net.ipv4.conf.${bridge}.route_localnet`, value: '1' },
      { op: 'sysctl', key: 'net.ipv4.ip_forward', value: '1' },
    );
  }
  if (v6) steps.push({ op: 'sysctl', key: 'net.ipv6.conf.all.forwarding', value: '1' });
  steps.push({
    op: 'tap',
    name: tap,
    uid: owner,
    gid: opts.ownerGid ?? owner,
    queues: iface.model === undefined || iface.model === 'virtio' ? (opts.queues ?? 0) : 0,
    mtu: link.mtu,
    bridge,
  });
  for (const [family, net] of [
    ['ipv4', v4],
    ['ipv6', v6],
  ] as const) {
    if (!net) continue;
    steps.push({
      op: 'nft',
      family: nftFamily(family),
      table: 'nat',
      script: masqueradeRuleset({
        family,
        podIfaceName,
        bridge,
        guestAddress: net.guest,
        gatewayAddress: net.gateway,
        ports: iface.ports,
        portRanges: iface.portRanges,
        istio: opts.istio,
        podIPv4: podIPv4?.address,
        migrationTransportUnix: opts.migrationTransportUnix,
      }),
    });
  }
  return {
    kind: 'build',
    binding: 'masquerade',
    podIfaceName,
    steps,
    network: { bridge, tap, mtu: link.mtu, ...(v4 ? { v4 } : {}), ...(v6 ? { v6 } : {}) },
  };
}
