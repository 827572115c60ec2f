import { closeSync, openSync } from 'node:fs';
import { type DhcpServer, startDhcpServer } from '../dhcp/server.js';
import { VmpodError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import {
  KUBEVIRT_PRIVATE_DIR,
  bridgeFakeAddress,
  bridgeName,
  bridgedNicName,
  createNetworkDrivers,
  guestInterfaceFromPod,
  type GuestInterfaceSpec,
  type MasqueradeInterface,
  type MasqueradePlanOptions,
  type NetworkDrivers,
  podHostname,
  setUpMasqueradeBinding,
  readResolvConf,
  readVifCache,
  setUpBridgeBinding,
  tapName,
} from '../network/index.js';
import { type DhcpOptionsSpec, bridgeLease } from './bridge-lease.js';
import { startIpv6Servers } from './ipv6-servers.js';
import { masqueradeLease } from './masquerade-lease.js';

// The pod network for one bridge-bound interface, in the launcher: phase 1 when nobody built it
// (standalone, or an older virt-handler), phase 2's interface data for the domain, and the DHCP
// server listening on the bridge before the domain starts (KUBEVIRT.md §7.4).

export interface PodNetworkInputs {
  readonly iface: MasqueradeInterface & { readonly dhcpOptions?: DhcpOptionsSpec };
  /** The masquerade binding's VM network and its NAT (from the VMI's pod network and annotations). */
  readonly masquerade?: MasqueradePlanOptions;
  /** Position among the VMI's interfaces: picks the bridge's 169.254.75.1<i>. */
  readonly index: number;
  readonly podIfaceName: string;
  readonly statusMac?: string | undefined;
  readonly subdomain?: string | undefined;
  readonly log: Logger;
  readonly drivers?: NetworkDrivers;
  readonly privateDir?: string;
}

export interface PodNetwork {
  readonly guest: GuestInterfaceSpec;
  readonly dhcp: DhcpServer | undefined;
  /** Other servers on the bridge (DHCPv6, router advertisements), closed with the launcher. */
  readonly extraServers?: readonly { close(): Promise<void> }[];
}

export async function setUpPodNetwork(inputs: PodNetworkInputs): Promise<PodNetwork> {
  const { iface, podIfaceName, log } = inputs;
  if (iface.masquerade !== undefined) return setUpMasqueradeNetwork(inputs);
  if (iface.bridge === undefined) {
    throw new VmpodError(
      'NOT_SUPPORTED',
      `interface ${iface.name}: only the bridge and masquerade bindings are supported by this build of vmpod`,
      { facts: { interface: iface.name } },
    );
  }
  const drivers = inputs.drivers ?? createNetworkDrivers();
  const privateDir = inputs.privateDir ?? KUBEVIRT_PRIVATE_DIR;
  const isPodNetwork = podIfaceName === 'eth0';
  await setUpBridgeBinding({
    iface,
    index: inputs.index,
    podIfaceName,
    drivers,
    options: { privateDir, isPodNetwork },
    log,
  });
  const guest = await guestInterfaceFromPod({
    iface,
    podIfaceName,
    links: drivers.links,
    statusMac: inputs.statusMac,
    isPodNetwork,
  });
  log.info({ interface: iface.name, guest }, 'phase 2: guest interface');

  const cache = await readVifCache(drivers.files, podIfaceName, privateDir);
  if (!cache) {
    throw new VmpodError('NETWORK_VIF_CACHE_MISSING', `no DHCP cache for pod interface ${podIfaceName}`, {
      facts: { podInterface: podIfaceName, privateDir },
    });
  }
  // The handler leaves Mtu to the launcher (§7.5): option 26 carries the MTU of <x>-nic (§8.2).
  const nic = await drivers.links.getLink(bridgedNicName(podIfaceName));
  const lease = bridgeLease({
    cache: { ...cache, mtu: nic?.mtu ?? guest.mtu },
    resolv: await readResolvConf(drivers.files),
    subdomain: inputs.subdomain,
    hostname: podHostname(),
    guestMac: guest.mac,
    serverId: cache.advertisingIPAddr || bridgeFakeAddress(inputs.index),
    dhcpOptions: iface.dhcpOptions,
  });
  if (!lease) {
    log.info({ interface: iface.name }, 'no IPv4 address on the pod interface: no DHCP server (pure L2)');
    return { guest, dhcp: undefined };
  }
  const dhcp = await startDhcpServer({
    interfaceName: bridgeName(podIfaceName),
    tapName: tapName(podIfaceName, isPodNetwork),
    lease,
    log,
  });
  // KubeVirt's marker that this pod already has a DHCP server for the interface (§2.5).
  closeSync(openSync(`${privateDir}/dhcp_started-${podIfaceName}`, 'a', 0o644));
  return { guest, dhcp };
}

/**
 * Masquerade (KUBEVIRT.md §7.3–7.4, §8): phase 1 when nobody built it (bridge with the VM
 * network's gateway addresses, tap, NAT), the guest interface from the untouched pod NIC, and the
 * DHCP servers on the bridge: DHCPv4 for 10.0.2.2, and for an IPv6 pod DHCPv6 for fd10:0:2::2.
 */
async function setUpMasqueradeNetwork(inputs: PodNetworkInputs): Promise<PodNetwork> {
  const { iface, podIfaceName, log } = inputs;
  const drivers = inputs.drivers ?? createNetworkDrivers();
  const privateDir = inputs.privateDir ?? KUBEVIRT_PRIVATE_DIR;
  const isPodNetwork = podIfaceName === 'eth0';
  const net = await setUpMasqueradeBinding({
    iface,
    index: inputs.index,
    podIfaceName,
    drivers,
    options: { ...inputs.masquerade, isPodNetwork, privateDir },
    log,
  });
  const guest = await guestInterfaceFromPod({
    iface,
    podIfaceName,
    links: drivers.links,
    statusMac: inputs.statusMac,
    isPodNetwork,
  });
  log.info(
    { interface: iface.name, guest, vmNetwork: { v4: net.v4, v6: net.v6 } },
    'phase 2: guest interface',
  );
  const resolv = await readResolvConf(drivers.files);
  let dhcp: DhcpServer | undefined;
  if (net.v4) {
    dhcp = await startDhcpServer({
      interfaceName: net.bridge,
      tapName: net.tap,
      lease: masqueradeLease({
        guest: net.v4.guest,
        gateway: net.v4.gateway,
        prefixLength: net.v4.prefixLength,
        mtu: net.mtu,
        resolv,
        subdomain: inputs.subdomain,
        hostname: podHostname(),
        dhcpOptions: iface.dhcpOptions,
      }),
      log,
    });
  }
  const extraServers: { close(): Promise<void> }[] = [];
  if (net.v6) extraServers.push(...(await startIpv6Servers(net, resolv.nameserversV6, log)));
  closeSync(openSync(`${privateDir}/dhcp_started-${podIfaceName}`, 'a', 0o644));
  return { guest, dhcp, extraServers };
}
