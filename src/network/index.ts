import type { Logger } from '../log/logger.js';
import { type ApplyResult, applyPlan, readProgress } from './apply-plan.js';
import { KUBEVIRT_PRIVATE_DIR, planBridgeBinding, type PlanOptions } from './bridge-binding-plan.js';
import { discoverPodInterface } from './discover.js';
import { VmpodError } from '../errors.js';
import type { FileDriver, LinkDriver, NetworkDrivers } from './drivers.js';
import { type GuestInterfaceSpec, guestInterfaceSpec } from './guest-interface.js';
import { tapName, vifCacheFileName } from './names.js';
import type { VmiInterface } from './types.js';
import { decodeVifCache, type VifCache } from './vif-cache.js';

// The network's public surface for the launcher: discover, plan, apply (phase 1), and the
// data phase 2 needs (the DHCP cache and the guest interface).

export { applyPlan, readProgress } from './apply-plan.js';
export type { ApplyResult, Progress } from './apply-plan.js';
export {
  bridgeFakeAddress,
  planBridgeBinding,
  QEMU_UID,
  KUBEVIRT_PRIVATE_DIR,
} from './bridge-binding-plan.js';
export type { BridgeBindingPlan, PlanOptions, PlanStep } from './bridge-binding-plan.js';
export { discoverPodInterface, findSecondaryPodInterface, podHostname, readResolvConf } from './discover.js';
export type { NetworkDrivers } from './drivers.js';
export { guestInterfaceSpec };
export type { GuestInterfaceInputs, GuestInterfaceSpec } from './guest-interface.js';
export { createNetworkDrivers } from './system-drivers.js';
export { bridgeName, bridgedNicName, tapName, vifCacheFileName } from './names.js';
export { dnsSettings, parseResolvConf } from './resolv-conf.js';
export type { DnsSettings, ResolvConf } from './resolv-conf.js';
export type { DiscoveredPodInterface, VmiInterface, VmiInterfaceStatus } from './types.js';
export { decodeVifCache, encodeVifCache } from './vif-cache.js';
export type { VifCache } from './vif-cache.js';
export type { NftDriver } from './drivers.js';
export { createNftDriver } from './nft-driver.js';
export {
  ISTIO_NON_PROXIED_PORTS,
  ISTIO_RESERVED_PORTS,
  LEGACY_MIGRATION_PORTS,
  masqueradeRuleset,
  nftFamily,
} from './nft-ruleset.js';
export type { MasqueradePort, MasqueradeRulesetInput, NftFamilyName } from './nft-ruleset.js';
export { MASQUERADE_BRIDGE_MAC, planMasqueradeBinding } from './masquerade-plan.js';
export type {
  MasqueradeBindingPlan,
  MasqueradeInterface,
  MasqueradeNetwork,
  MasqueradePlanOptions,
  MasqueradeStep,
} from './masquerade-plan.js';
export {
  applyMasqueradePlan,
  masqueradeProgressFilePath,
  readMasqueradeProgress,
  setUpMasqueradeBinding,
} from './masquerade.js';
export type { MasqueradeProgress, MasqueradeSetUp, MasqueradeSetUpOptions } from './masquerade.js';
export {
  DEFAULT_VM_IPV6_NETWORK_CIDR,
  DEFAULT_VM_NETWORK_CIDR,
  vmNetworkAddresses,
} from './vm-network-cidr.js';
export type { VmNetworkAddresses } from './vm-network-cidr.js';

/** Where the progress of phase 1 for one pod interface is recorded. */
export function progressFilePath(podIfaceName: string, privateDir: string = KUBEVIRT_PRIVATE_DIR): string {
  return `${privateDir}/vmpod-network-${podIfaceName}.json`;
}

/** Reads `vif-cache-<podIface>.json`; undefined when it does not exist. */
export async function readVifCache(
  files: FileDriver,
  podIfaceName: string,
  privateDir: string = KUBEVIRT_PRIVATE_DIR,
): Promise<VifCache | undefined> {
  const text = await files.read(`${privateDir}/${vifCacheFileName(podIfaceName)}`);
  return text === undefined ? undefined : decodeVifCache(text);
}

/**
 * Phase 1 of one bridge-bound interface, done only when not done already: resume a recorded
 * plan, or discover → plan → apply; a layout built by virt-handler is left as it is.
 */
export async function setUpBridgeBinding(args: {
  readonly iface: VmiInterface;
  readonly index: number;
  readonly podIfaceName: string;
  readonly drivers: NetworkDrivers;
  readonly options?: PlanOptions;
  readonly log?: Logger;
}): Promise<ApplyResult> {
  const privateDir = args.options?.privateDir ?? KUBEVIRT_PRIVATE_DIR;
  const progressFile = progressFilePath(args.podIfaceName, privateDir);
  const recorded = await readProgress(args.drivers, progressFile);
  if (recorded) return applyPlan(recorded.plan, args.drivers, progressFile, args.log);
  const discovered = await discoverPodInterface(args.podIfaceName, args.drivers.links, {
    isPodNetwork: args.options?.isPodNetwork ?? args.podIfaceName === 'eth0',
  });
  args.log?.info({ current: discovered }, 'current pod network');
  const plan = planBridgeBinding(args.iface, discovered, args.index, args.options);
  if (plan.kind === 'already-built') {
    args.log?.info({ podInterface: args.podIfaceName }, 'pod network already built; reading its cache only');
    return { plan, resumed: false, stepsRun: 0, placeholderKind: undefined };
  }
  return applyPlan(plan, args.drivers, progressFile, args.log);
}

/** Phase 2 (§7.4) from the live links: the link named like the pod interface, and the tap if present. */
export async function guestInterfaceFromPod(args: {
  readonly iface: VmiInterface;
  readonly podIfaceName: string;
  readonly links: LinkDriver;
  readonly statusMac?: string;
  readonly isPodNetwork?: boolean;
}): Promise<GuestInterfaceSpec> {
  const podLink = await args.links.getLink(args.podIfaceName);
  if (!podLink) {
    throw new VmpodError('NETWORK_POD_LINK_MISSING', `pod link (${args.podIfaceName}) is missing`, {
      facts: { podInterface: args.podIfaceName },
    });
  }
  const tap = await args.links.getLink(
    tapName(args.podIfaceName, args.isPodNetwork ?? args.podIfaceName === 'eth0'),
  );
  return guestInterfaceSpec({
    iface: args.iface,
    statusMac: args.statusMac,
    podIfaceName: args.podIfaceName,
    podLink,
    tap,
  });
}
