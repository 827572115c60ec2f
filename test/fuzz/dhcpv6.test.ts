import { formatMac } from '../../src/dhcp/ipv4.js';
import {
  encodeIaAddress,
  encodeIaNa,
  encodeV6Message,
  decodeV6Request,
  V6_TYPE_NAMES,
} from '../../src/dhcp/v6-message.js';
import { buildV6Reply, prepareV6Lease } from '../../src/dhcp/v6-reply-builder.js';
import { SOLICIT } from '../unit/dhcp/helpers/v6-fixtures.js';
import { fuzzSuite } from './suite.js';

// What the DHCPv6 server does with each datagram (src/dhcp/v6-server.ts): decode and validate the
// request, decide, log the client's DUID and encode the reply. Only DHCP_MALFORMED may escape.

const lease = prepareV6Lease({
  address: 'fd10:0:2::2',
  dns: ['fd00::10', '2001:db8::53'],
  serverMac: Uint8Array.of(2, 0, 0, 0, 0, 0),
});

const u16 = (n: number) => [n >> 8, n & 0xff];
const opt = (code: number, data: Uint8Array | number[]) => [...u16(code), ...u16(data.length), ...data];
const DUID = [0, 3, 0, 1, 2, 0, 0, 0, 0, 0xaa];
const iaAddr = encodeIaAddress({
  address: new Uint8Array(16).fill(0xfd, 0, 1),
  preferredLifetime: 3600,
  validLifetime: 7200,
  options: [{ code: 13, data: Uint8Array.of(0, 0, 0x6f, 0x6b) }],
});
const iaNa = encodeIaNa({ iaid: 42, t1: 0, t2: 0, options: [{ code: 5, data: iaAddr }] });

/** A client message: type, transaction id 0x123456, options. */
const message = (type: number, ...options: number[][]) =>
  Uint8Array.from([type, 0x12, 0x34, 0x56, ...options.flat()]);

const seeds = [
  SOLICIT,
  message(1, opt(1, DUID), opt(14, []), opt(3, iaNa), opt(6, [0, 23, 0, 24]), opt(8, [0, 0])),
  message(3, opt(1, DUID), opt(2, DUID), opt(3, iaNa)),
  message(5, opt(1, DUID), opt(3, iaNa)),
  message(11, opt(6, [0, 23]), opt(8, [0, 5])),
  // RELAY-FORW: hop count, link and peer address, a Relay Message option wrapping a SOLICIT.
  Uint8Array.from([12, 0, ...new Uint8Array(32), ...opt(9, SOLICIT)]),
];

fuzzSuite(() => ({
  name: 'dhcpv6',
  seeds,
  dictionary: [
    Uint8Array.of(0, 1, 0, 10),
    Uint8Array.of(0, 3, 0, 12),
    Uint8Array.of(0, 5, 0, 24),
    Uint8Array.of(0, 14, 0, 0),
  ],
  maxLength: 2048,
  run(input) {
    const request = decodeV6Request(input);
    void (V6_TYPE_NAMES[request.message.type] ?? String(request.message.type));
    if (request.clientId) formatMac(request.clientId, request.clientId.length);
    const decision = buildV6Reply(request, lease);
    if (decision.kind === 'reply') encodeV6Message(decision.message);
  },
}));
