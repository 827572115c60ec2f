import { decodeRouterSolicitation } from '../../src/dhcp/ra-message.js';
import { formatIpv6 } from '../../src/dhcp/v6-address.js';
import { fuzzSuite } from './suite.js';

// What the router advertiser does with each ICMPv6 packet the kernel's filter lets through
// (src/dhcp/ra-advertiser.ts): decode it as a Router Solicitation and name its source address.
// Only NDP_MALFORMED may escape.

const SLLA = [1, 1, 2, 0, 0, 0, 0, 0xaa];
const rs = (...options: number[]) => Uint8Array.from([133, 0, 0, 0, 0, 0, 0, 0, ...options]);

fuzzSuite(() => ({
  name: 'router-solicitation',
  seeds: [rs(), rs(...SLLA), rs(...SLLA, 14, 1, 0, 0, 0, 0, 0, 0), rs(5, 1, 0, 0, 0, 0, 5, 0xdc)],
  dictionary: [Uint8Array.of(133, 0), Uint8Array.of(1, 1), Uint8Array.of(1, 0), Uint8Array.of(3, 4)],
  maxLength: 1500,
  run(input) {
    decodeRouterSolicitation(input);
    // The source comes from recvfrom's sockaddr_in6: 16 bytes, whatever they hold.
    if (input.length >= 16) formatIpv6(input.subarray(0, 16));
  },
}));
