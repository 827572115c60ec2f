import {
  classify,
  encodeAttrs,
  encodeMessage,
  parseAddress,
  parseLink,
  parseRoute,
  splitMessages,
} from '../../src/network/rtnetlink.js';
import {
  BR0_ADDRESSES,
  BR0_LINK,
  BR0_ROUTES,
  PORT0_LINK,
  TAP0_LINK,
} from '../unit/network/rtnetlink-fixtures.js';
import { fuzzSuite } from './suite.js';

// rtnetlink replies come from the kernel, but a kernel newer than this code sends attributes it
// does not know, and a bug of ours in the walk would take the launcher down while it builds the
// network: every datagram must decode or throw a VmpodError (NETLINK_MALFORMED).

const message = (type: number, flags: number, payloadHex: string) =>
  encodeMessage(type, flags, 1, Buffer.from(payloadHex, 'hex'));
const errorReply = (() => {
  const code = Buffer.alloc(4);
  code.writeInt32LE(-95);
  return Buffer.concat([
    code,
    encodeMessage(16, 0x605, 1, Buffer.alloc(0)),
    encodeAttrs([{ type: 1, str: 'Unknown device type' }]),
  ]);
})();

const seeds = [
  message(16, 0, BR0_LINK),
  message(16, 0, PORT0_LINK),
  message(16, 0, TAP0_LINK),
  Buffer.concat([...BR0_ADDRESSES.map((a) => message(20, 2, a)), encodeMessage(3, 2, 1, Buffer.alloc(4))]),
  Buffer.concat(BR0_ROUTES.map((r) => message(24, 2, r))),
  encodeMessage(2, 0x300, 1, errorReply),
].map((b) => new Uint8Array(b));

fuzzSuite(() => ({
  name: 'rtnetlink',
  seeds,
  dictionary: [
    [0x08, 0x00, 0x0d, 0x00],
    [0x12, 0x80],
    [0xff, 0xff],
    [0x00, 0x00, 0x00, 0x00],
    [0x10, 0x00],
    [0x04, 0x00],
  ].map((b) => Uint8Array.from(b)),
  run(input) {
    for (const m of splitMessages(Buffer.from(input))) {
      const reply = classify(m);
      if (reply.kind !== 'data') continue;
      parseLink(m.payload);
      parseAddress(m.payload);
      parseRoute(m.payload);
    }
  },
}));
