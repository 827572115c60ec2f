import type { Lease } from '../../src/dhcp/lease.js';
import { formatMac } from '../../src/dhcp/ipv4.js';
import { decodeMessage, encodeMessage, optionData } from '../../src/dhcp/message.js';
import { Option } from '../../src/dhcp/options.js';
import { buildReply, prepareLease, replyDestination } from '../../src/dhcp/reply-builder.js';
import { ACK, DISCOVER, LEASE, OFFER, REQUEST } from '../unit/dhcp/helpers/fixtures.js';
import { fuzzSuite } from './suite.js';

// What the DHCPv4 server does with each datagram (src/dhcp/server.ts): decode, name the client,
// decide the reply for the bridge lease (one guest MAC) and the masquerade lease (any MAC), pick
// the destination and encode. Only decoding may fail, and only with DHCP_MALFORMED.

const ANY_CLIENT: Lease = { ...LEASE, clientMac: undefined };
const leases = [prepareLease(LEASE), prepareLease(ANY_CLIENT)];
const sources = [
  { address: '0.0.0.0', port: 68 },
  { address: '10.244.1.7', port: 68 },
];

/** A request with every option code the builder reads, and the overload option pointing at file/sname. */
function overloaded(): Uint8Array {
  const options = [53, 1, 3, 52, 1, 3, 55, 4, 1, 3, 6, 121, 61, 7, 1, 2, 0, 0, 0, 0, 0xaa, 255];
  const out = new Uint8Array(240 + options.length);
  out.set(DISCOVER.subarray(0, 240));
  out.set(options, 240);
  out.set([12, 3, 0x61, 0x62, 0x63, 255], 108); // file: option 12 "abc"
  out.set([50, 4, 10, 244, 1, 7, 255], 44); // sname: option 50 10.244.1.7
  return out;
}

fuzzSuite(() => ({
  name: 'dhcpv4',
  seeds: [DISCOVER, REQUEST, OFFER, ACK, overloaded()],
  dictionary: [
    Uint8Array.of(0x63, 0x82, 0x53, 0x63),
    Uint8Array.of(53, 1, 1),
    Uint8Array.of(53, 1, 3),
    Uint8Array.of(52, 1, 3),
    Uint8Array.of(55, 0),
    Uint8Array.of(255),
    Uint8Array.of(0),
  ],
  maxLength: 2048,
  run(input) {
    const request = decodeMessage(input);
    formatMac(request.chaddr, Math.min(request.hlen, 16));
    void optionData(request.options, Option.MessageType)?.[0];
    for (const prepared of leases) {
      const decision = buildReply(request, prepared);
      if (decision.kind === 'ignore') continue;
      for (const source of sources) replyDestination(request, source);
      encodeMessage(decision.message);
    }
  },
}));
