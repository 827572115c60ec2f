import { VmpodError } from '../errors.js';
import { ipv4InSubnet, isGlobalUnicastIPv4, splitCidr } from './ip-address.js';
import { bridgedNicName, bridgeName, tapName, vifCacheFileName } from './names.js';
import type { DiscoveredPodInterface, LinkAddress, VmiInterface, VmiInterfaceStatus } from './types.js';
import { encodeVifCache, type VifCache, type VifCacheRoute } from './vif-cache.js';

// The pure planner of the bridge binding (KUBEVIRT.md §7.2): discovered pod interface + VMI
// interface → the desired state as an ordered list of steps, each of which a driver can apply
// idempotently. No I/O here.

export const KUBEVIRT_PRIVATE_DIR = '/var/run/kubevirt-private';
export const QEMU_UID = 107;
const BRIDGE_FAKE_IP_BASE = '169.254.75.1';

/** The bridge's link-local address, also the DHCP server identifier: `169.254.75.1<index>`. */
export function bridgeFakeAddress(index: number): string {
  return `${BRIDGE_FAKE_IP_BASE}${index}`;
}

export type PlanStep =
  | {
      readonly op: 'write-file';
      readonly path: string;
      readonly content: string;
      readonly mode: number;
      readonly uid: number;
      readonly gid: number;
    }
  | { readonly op: 'bridge'; readonly name: string; readonly addresses: readonly string[] }
  | {
      readonly op: 'enslave-pod-nic';
      /** The pod NIC is addressed by ifindex: its name changes in this step. */
      readonly index: number;
      readonly name: string;
      readonly bridge: string;
    }
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
      /** KubeVirt's dummy: holds the pod's MAC and addresses, down. */
      readonly op: 'placeholder';
      readonly name: string;
      readonly mac: string;
      readonly mtu: number;
      readonly addresses: readonly string[];
      /** The pod NIC's ifindex: a link by this name with this index is not the placeholder. */
      readonly podNicIndex: number;
    }
  | { readonly op: 'sysctl'; readonly key: string; readonly value: string };

export type BridgeBindingPlan =
  | {
      readonly kind: 'build';
      readonly podIfaceName: string;
      readonly steps: readonly PlanStep[];
      readonly vifCache: VifCache;
    }
  | {
      /** virt-handler (or an earlier run) built the layout: only the DHCP cache is to be read. */
      readonly kind: 'already-built';
      readonly podIfaceName: string;
      readonly vifCachePath: string;
    };

export interface PlanOptions {
  /** `vmi.status.interfaces[]` entry of this interface, for its recorded MAC. */
  readonly status?: VmiInterfaceStatus;
  /** Whether this interface is on the pod network (tap0) or a Multus secondary. */
  readonly isPodNetwork?: boolean;
  /** qemu's uid/gid for the tap and the cache file: 107 for non-root VMIs, 0 for root ones. */
  readonly ownerId?: number;
  /** The tap's and the cache's group, where qemu's group differs from its uid (default ownerId). */
  readonly ownerGid?: number;
  /** Queue capacity for a virtio NIC (0 or 1: single queue). */
  readonly queues?: number;
  readonly privateDir?: string;
  readonly subdomain?: string;
}

const cidr = (a: LinkAddress): string => `${a.address}/${a.prefixLength}`;

function isGlobal(a: LinkAddress): boolean {
  return a.family === 4 ? isGlobalUnicastIPv4(a.address) : a.scope === 'global';
}

/** MAC for the guest: spec `macAddress`, else the MAC in the VMI status, else the pod's (§7.2). */
export function guestMac(
  iface: VmiInterface,
  status: VmiInterfaceStatus | undefined,
  podMac: string,
): string {
  return (iface.macAddress || status?.mac || podMac).toLowerCase();
}

export function planVifCache(
  iface: VmiInterface,
  discovered: DiscoveredPodInterface,
  podMac: string,
  opts: PlanOptions,
): VifCache {
  const base = {
    name: discovered.name,
    mtu: 0, // filled by the launcher, not by the handler (§7.5)
    subdomain: '',
    advertisingIPAddr: undefined,
  };
  const ipv4 = discovered.addresses.find((a) => a.family === 4 && isGlobal(a));
  if (!ipv4) {
    return { ...base, ipamDisabled: true, ip: undefined, mac: undefined, gateway: undefined, routes: [] };
  }
  const linkRoutes = discovered.routes.filter((r) => r.family === 4);
  const first = linkRoutes[0];
  if (!first) {
    throw new VmpodError('NETWORK_NO_GATEWAY', `no gateway address found in routes for ${discovered.name}`, {
      facts: { podInterface: discovered.name },
    });
  }
  // Routes to the pod's own subnet are dropped; the default route is kept.
  const routes: VifCacheRoute[] = linkRoutes
    .filter((r) => {
      if (r.destination === 'default') return true;
      const dst = splitCidr(r.destination) ?? { address: r.destination, prefixLength: 32 };
      return !ipv4InSubnet(ipv4.address, dst.address, dst.prefixLength);
    })
    .map((r) => ({ destination: r.destination, gateway: r.gateway }));
  return {
    ...base,
    ipamDisabled: false,
    ip: { address: ipv4.address, prefixLength: ipv4.prefixLength },
    mac: guestMac(iface, opts.status, podMac),
    gateway: first.gateway,
    routes,
  };
}

/** The desired state of one bridge-bound VMI interface at position `index` of the spec. */
export function planBridgeBinding(
  iface: VmiInterface,
  discovered: DiscoveredPodInterface,
  index: number,
  opts: PlanOptions = {},
): BridgeBindingPlan {
  const podIfaceName = discovered.name;
  const privateDir = opts.privateDir ?? KUBEVIRT_PRIVATE_DIR;
  const vifCachePath = `${privateDir}/${vifCacheFileName(podIfaceName)}`;
  const bridge = bridgeName(podIfaceName);
  const nic = bridgedNicName(podIfaceName);

  if (discovered.bridge && discovered.nic?.master === bridge) {
    return { kind: 'already-built', podIfaceName, vifCachePath };
  }
  const link = discovered.link;
  if (!link) {
    throw new VmpodError('NETWORK_POD_LINK_MISSING', `pod link (${podIfaceName}) is missing`, {
      facts: { podInterface: podIfaceName },
    });
  }
  const owner = opts.ownerId ?? QEMU_UID;
  const group = opts.ownerGid ?? owner;
  const vifCache = planVifCache(iface, discovered, link.mac, opts);
  const hasIPv4 = !vifCache.ipamDisabled;
  const placeholderAddresses = discovered.addresses.filter(isGlobal).map(cidr);

  const steps: PlanStep[] = [
    {
      op: 'write-file',
      path: vifCachePath,
      content: encodeVifCache(vifCache),
      mode: 0o604,
      uid: owner,
      gid: group,
    },
    { op: 'bridge', name: bridge, addresses: hasIPv4 ? [`${bridgeFakeAddress(index)}/32`] : [] },
    { op: 'enslave-pod-nic', index: link.index, name: nic, bridge },
    {
      op: 'tap',
      name: tapName(podIfaceName, opts.isPodNetwork ?? podIfaceName === 'eth0'),
      uid: owner,
      gid: group,
      queues: iface.model === undefined || iface.model === 'virtio' ? (opts.queues ?? 0) : 0,
      mtu: link.mtu,
      bridge,
    },
    {
      op: 'placeholder',
      name: podIfaceName,
      mac: link.mac,
      mtu: link.mtu,
      addresses: placeholderAddresses,
      podNicIndex: link.index,
    },
  ];
  if (hasIPv4) steps.push({ op: 'sysctl', key: 'net.ipv4.conf.all.arp_ignore', value: '1' });
  return { kind: 'build', podIfaceName, steps, vifCache };
}
