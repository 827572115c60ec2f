import { describeError } from '../errors.js';
import { startRouterAdvertiser } from '../dhcp/ra-advertiser.js';
import { startDhcpv6Server } from '../dhcp/v6-server.js';
import type { Logger } from '../log/logger.js';
import { MASQUERADE_BRIDGE_MAC, type MasqueradeNetwork } from '../network/index.js';

// IPv6 on the masquerade bridge. DHCPv6 hands the guest its address (KUBEVIRT.md §8.4); a failure
// to start it fails the launcher, as in KubeVirt. Beyond KubeVirt, router advertisements name the
// bridge as the guest's default router (managed flag set, so the address still comes from DHCPv6):
// without them a dual-stack guest has an IPv6 address and no IPv6 route (KubeVirt #7184). They need
// CAP_NET_RAW, which a non-root KubeVirt pod does not grant; then the guest is as it would be
// under KubeVirt, and the log says why.

export async function startIpv6Servers(
  net: MasqueradeNetwork,
  dns: readonly string[],
  log: Logger,
): Promise<{ close(): Promise<void> }[]> {
  const v6 = net.v6;
  if (!v6) return [];
  const servers: { close(): Promise<void> }[] = [];
  servers.push(
    await startDhcpv6Server({
      interfaceName: net.bridge,
      serverMac: MASQUERADE_BRIDGE_MAC,
      lease: { address: v6.guest, dns },
      log,
    }),
  );
  log.info({ bridge: net.bridge, address: v6.guest }, 'DHCPv6 server listening');
  try {
    servers.push(
      await startRouterAdvertiser({
        interfaceName: net.bridge,
        routerMac: MASQUERADE_BRIDGE_MAC,
        prefix: `${v6.gateway}/${v6.prefixLength}`,
        mtu: net.mtu,
        log,
      }),
    );
    log.info({ bridge: net.bridge, router: v6.gateway }, 'sending router advertisements');
  } catch (err) {
    log.warn(
      { bridge: net.bridge, reason: describeError(err) },
      'no router advertisements: the guest gets its IPv6 address but no IPv6 default route',
    );
  }
  return servers;
}
