import { VmpodError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { MasqueradeNetwork } from '../network/index.js';

// IPv6 on the masquerade bridge: DHCPv6 for the guest's address (KUBEVIRT.md §8.4) and router
// advertisements for its default route.

export async function startIpv6Servers(
  net: MasqueradeNetwork,
  _dns: readonly string[],
  _log: Logger,
): Promise<{ close(): Promise<void> }[]> {
  throw new VmpodError(
    'NOT_SUPPORTED',
    `IPv6 on the masquerade bridge ${net.bridge} is not supported by this build of vmpod yet`,
    { facts: { bridge: net.bridge } },
  );
}
