import type { DiscoveredPodInterface, LinkState } from '../../../src/network/types.js';

// A pod interface as CNI leaves it: eth0 with 10.244.0.10/24 behind gateway 10.244.0.1.
export const POD_LINK: LinkState = {
  index: 2,
  name: 'eth0',
  mac: '0a:58:0a:f4:00:0a',
  mtu: 1450,
  up: true,
  kind: 'veth',
  master: undefined,
};

export function discovered(over: Partial<DiscoveredPodInterface> = {}): DiscoveredPodInterface {
  return {
    name: 'eth0',
    link: POD_LINK,
    addresses: [
      { family: 4, address: '10.244.0.10', prefixLength: 24, scope: 'global' },
      { family: 6, address: 'fe80::858:aff:fef4:a', prefixLength: 64, scope: 'link' },
    ],
    routes: [
      { family: 4, destination: 'default', gateway: '10.244.0.1' },
      { family: 4, destination: '10.244.0.0/24', gateway: undefined },
    ],
    bridge: undefined,
    nic: undefined,
    tap: undefined,
    ...over,
  };
}
