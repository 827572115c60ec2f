import { createHash } from 'node:crypto';

// Names KubeVirt derives from the pod interface name (KUBEVIRT.md §7.1, pkg/network/link/names.go).

export const PRIMARY_POD_INTERFACE = 'eth0';

function withoutPodPrefix(podIfaceName: string): string {
  return podIfaceName.startsWith('pod') ? podIfaceName.slice(3) : podIfaceName;
}

/** `k6t-eth0`, `k6t-<11 hex>` for a hashed secondary. */
export function bridgeName(podIfaceName: string): string {
  return `k6t-${withoutPodPrefix(podIfaceName)}`;
}

/** The pod NIC after it is renamed and enslaved: `eth0-nic`. */
export function bridgedNicName(podIfaceName: string): string {
  return `${withoutPodPrefix(podIfaceName)}-nic`;
}

/** `tap0` for the primary network; secondaries: `tap` + the pod name minus its first 3 characters. */
export function tapName(podIfaceName: string, isPodNetwork: boolean): string {
  return isPodNetwork ? 'tap0' : `tap${podIfaceName.slice(3)}`;
}

/** Multus hashed scheme: `pod` + the first 11 hex digits of sha256(network name). */
export function hashedPodInterfaceName(networkName: string): string {
  return `pod${createHash('sha256').update(networkName).digest('hex').slice(0, 11)}`;
}

/** Multus ordinal scheme: `net1`, `net2`, … */
export function ordinalPodInterfaceName(ordinal: number): string {
  return `net${ordinal}`;
}

/** Whether a namespace uses the ordinal scheme: any existing link matches ^net\d+$. */
export function usesOrdinalScheme(linkNames: readonly string[]): boolean {
  return linkNames.some((n) => /^net\d+$/.test(n));
}

/** The file that carries the DHCP data of one pod interface (§7.5). */
export function vifCacheFileName(podIfaceName: string): string {
  return `vif-cache-${podIfaceName}.json`;
}
