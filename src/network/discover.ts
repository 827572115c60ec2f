import { hostname } from 'node:os';
import { VmpodError } from '../errors.js';
import type { FileDriver, LinkDriver } from './drivers.js';
import { bridgedNicName, bridgeName, hashedPodInterfaceName, tapName } from './names.js';
import { parseResolvConf, type ResolvConf } from './resolv-conf.js';
import type { DiscoveredPodInterface, LinkState } from './types.js';

// Reads the pod's network as it is: the pod interface with its MAC, MTU, addresses and routes,
// the links of a bridge layout that may already exist, resolv.conf and the host name.

function plain(link: LinkState | undefined): LinkState | undefined {
  if (!link) return undefined;
  const { index, name, mac, mtu, up, kind, master } = link;
  return { index, name, mac, mtu, up, kind, master };
}

export async function discoverPodInterface(
  name: string,
  links: LinkDriver,
  opts: { isPodNetwork?: boolean } = {},
): Promise<DiscoveredPodInterface> {
  const link = plain(await links.getLink(name));
  const addresses = link ? await links.listAddresses(name) : [];
  const routes = link ? await links.listRoutes(name) : [];
  return {
    name,
    link,
    addresses,
    routes,
    bridge: plain(await links.getLink(bridgeName(name))),
    nic: plain(await links.getLink(bridgedNicName(name))),
    tap: plain(await links.getLink(tapName(name, opts.isPodNetwork ?? name === 'eth0'))),
  };
}

/**
 * The pod interface of a Multus network (§7.1): the hashed name if such a link exists, else the
 * ordinal `net<N>`. (The primary network is `eth0` or the status' podInterfaceName.)
 */
export async function findSecondaryPodInterface(
  networkName: string,
  ordinal: number,
  links: LinkDriver,
): Promise<string> {
  const hashed = hashedPodInterfaceName(networkName);
  if (await links.getLink(hashed)) return hashed;
  const ordinalName = `net${ordinal}`;
  if (await links.getLink(ordinalName)) return ordinalName;
  throw new VmpodError('NETWORK_POD_LINK_MISSING', `no pod link ${hashed} or ${ordinalName}`, {
    facts: { network: networkName },
  });
}

export const RESOLV_CONF = '/etc/resolv.conf';

/** The pod's DNS settings; an absent file gives KubeVirt's defaults (8.8.8.8, cluster.local). */
export async function readResolvConf(files: FileDriver, path: string = RESOLV_CONF): Promise<ResolvConf> {
  let text: string | undefined;
  try {
    text = await files.read(path);
  } catch (cause) {
    throw new VmpodError('NETWORK_RESOLV_CONF_UNREADABLE', `cannot read ${path}`, { cause, facts: { path } });
  }
  return parseResolvConf(text ?? '');
}

/** The pod host name, as DHCP option 12 hands it to the guest. */
export function podHostname(): string {
  return hostname();
}
