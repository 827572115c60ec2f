import { describe, expect, it } from 'vitest';
import { errorCode } from '../../../src/errors.js';
import {
  type RtRequest,
  addressRequest,
  classify,
  codeForErrno,
  createLinkRequest,
  encodeAttrs,
  encodeMessage,
  getLinkRequest,
  parseAddress,
  parseAttrs,
  parseCidrBytes,
  parseLink,
  parseRoute,
  setLearningRequest,
  setLinkRequest,
  splitMessages,
} from '../../../src/network/rtnetlink.js';
import { BR0_ADDRESSES, BR0_LINK, BR0_ROUTES, PORT0_LINK, TAP0_LINK } from './rtnetlink-fixtures.js';

// Golden bytes for every request the link driver sends (checked against linux/rtnetlink.h and
// what iproute2 sends for the same command), and the kernel's own replies read back.

const hex = (b: Buffer) => b.toString('hex');
const wire = (req: RtRequest, seq = 7) => hex(encodeMessage(req.type, req.flags, seq, req.body));
const thrown = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('did not throw');
};

describe('rtnetlink requests', () => {
  it('creates a link of a kind: NEWLINK with CREATE|EXCL|ACK, IFLA_IFNAME, nested IFLA_LINKINFO', () => {
    expect(wire(createLinkRequest('k6t-eth0', 'bridge'))).toBe(
      [
        '40000000 1000 0506 07000000 00000000', // len 64, RTM_NEWLINK, REQUEST|ACK|EXCL|CREATE, seq 7
        '00 00 0000 00000000 00000000 00000000', // ifinfomsg
        '0d00 0300 6b36742d6574683000 000000', // IFLA_IFNAME "k6t-eth0\0", padded
        '1000 1280 0b00 0100 62726964676500 00', // IFLA_LINKINFO (nested) { IFLA_INFO_KIND "bridge\0" }
      ]
        .join('')
        .replaceAll(' ', ''),
    );
  });

  it('reads one link by name without an ACK (the reply is the link itself)', () => {
    expect(wire(getLinkRequest({ name: 'eth0' }), 1)).toBe(
      // len 44 (the last attribute's padding counts, as iproute2 sends it), RTM_GETLINK, REQUEST
      [
        '2c000000 1200 0100 01000000 00000000',
        '00000000 00000000 00000000 00000000',
        '0900 0300 6574683000 000000',
      ]
        .join('')
        .replaceAll(' ', ''),
    );
    expect(wire(getLinkRequest({ index: 4 }), 1)).toBe(
      ['20000000 1200 0100 01000000 00000000', '00000000 04000000 00000000 00000000']
        .join('')
        .replaceAll(' ', ''),
    );
  });

  it('changes one property per SETLINK: up/down through flags and change, the rest as attributes', () => {
    const body = (req: RtRequest) => {
      expect(req.type).toBe(19); // RTM_SETLINK
      expect(req.flags).toBe(0x5); // REQUEST|ACK
      return hex(req.body);
    };
    expect(body(setLinkRequest(4, { up: true }))).toBe('0000000004000000' + '01000000' + '01000000');
    expect(body(setLinkRequest(4, { up: false }))).toBe('0000000004000000' + '00000000' + '01000000');
    expect(body(setLinkRequest(4, { mtu: 1400 }))).toBe(
      `${'0000000004000000'}${'0'.repeat(16)}0800040078050000`,
    );
    expect(body(setLinkRequest(4, { mac: '02:00:00:AB:cd:01' }))).toBe(
      `${'0000000004000000'}${'0'.repeat(16)}0a000100020000abcd010000`,
    );
    expect(body(setLinkRequest(4, { masterIndex: 2 }))).toBe(
      `${'0000000004000000'}${'0'.repeat(16)}08000a0002000000`,
    );
    expect(body(setLinkRequest(4, { name: 'eth0-nic' }))).toBe(
      `${'0000000004000000'}${'0'.repeat(16)}0d000300657468302d6e696300000000`,
    );
  });

  it('turns bridge-port learning off as `bridge link set … learning off` does: AF_BRIDGE, IFLA_PROTINFO', () => {
    const { type, flags, body } = setLearningRequest(5, false);
    expect([type, flags]).toEqual([19, 0x5]);
    expect(hex(body)).toBe(
      ['07000000 05000000 00000000 00000000', '0c00 0c80 0500 0800 00 000000'].join('').replaceAll(' ', ''),
    );
  });

  it('adds and removes addresses with IFA_LOCAL and IFA_ADDRESS, IPv4 and IPv6', () => {
    const { type, flags, body } = addressRequest('add', 3, '10.0.0.1/24');
    expect([type, flags]).toEqual([20, 0x605]);
    expect(hex(body)).toBe('0218000003000000' + '080002000a000001' + '080001000a000001');
    const { type: delType, flags: delFlags, body: v6 } = addressRequest('del', 3, 'fd10:0:2::1/120');
    expect([delType, delFlags]).toEqual([21, 0x5]);
    expect(hex(v6)).toBe(
      `0a78000003000000` +
        `14000200fd100000000200000000000000000001` +
        `14000100fd100000000200000000000000000001`,
    );
  });

  it('refuses what it cannot encode with a typed error', () => {
    for (const bad of ['10.0.0.1', '10.0.0.256/24', '10.0.0.1/33', 'fd10::1::2/64', 'fd10::1/129', 'x/1']) {
      expect(errorCode(thrown(() => parseCidrBytes(bad))), bad).toBe('NETLINK_INVALID_ARGUMENT');
    }
    expect(errorCode(thrown(() => setLinkRequest(1, { mac: '02:00:00:00:00' })))).toBe(
      'NETLINK_INVALID_ARGUMENT',
    );
  });
});

describe('rtnetlink replies from the kernel', () => {
  it('reads a bridge port: kind, MAC, MTU, up, master and learning off', () => {
    expect(parseLink(Buffer.from(PORT0_LINK, 'hex'))).toEqual({
      index: 4,
      name: 'port0',
      mac: '02:00:00:00:00:02',
      mtu: 1500,
      up: true,
      operState: 'LOWERLAYERDOWN', // its peer is down
      kind: 'veth',
      masterIndex: 2,
      learning: false,
      tapOwner: undefined,
    });
  });

  it('reads a tap: kind tun, owner and group, no master', () => {
    expect(parseLink(Buffer.from(TAP0_LINK, 'hex'))).toMatchObject({
      index: 5,
      name: 'tap0',
      mac: '02:00:00:00:00:03',
      mtu: 1400,
      up: false,
      operState: 'DOWN',
      kind: 'tun',
      masterIndex: undefined,
      learning: undefined,
      tapOwner: { uid: 107, gid: 107 },
    });
  });

  it('reads a bridge', () => {
    expect(parseLink(Buffer.from(BR0_LINK, 'hex'))).toMatchObject({
      index: 2,
      name: 'br0',
      mac: '02:00:00:00:00:01',
      up: true,
      kind: 'bridge',
      learning: undefined,
    });
  });

  it('reads addresses as `ip addr` prints them', () => {
    expect(BR0_ADDRESSES.map((a) => parseAddress(Buffer.from(a, 'hex')))).toEqual([
      { family: 4, index: 2, address: '10.0.0.1', prefixLength: 24, scope: 'global' },
      { family: 6, index: 2, address: 'fd10::1', prefixLength: 64, scope: 'global' },
    ]);
  });

  it('reads routes as `ip route` prints them: prefix, gateway, table, outgoing link', () => {
    expect(BR0_ROUTES.map((r) => parseRoute(Buffer.from(r, 'hex')))).toEqual([
      { family: 4, table: 254, outIndex: 2, destination: '10.0.0.0/24', gateway: undefined },
      { family: 4, table: 254, outIndex: 2, destination: '10.9.0.0/16', gateway: '10.0.0.254' },
      { family: 6, table: 254, outIndex: 2, destination: 'fd10::/64', gateway: undefined },
    ]);
  });

  it('classifies acknowledgements, dump ends and errors with the kernel’s extended-ack text', () => {
    const msg = (type: number, flags: number, payload: Buffer) =>
      splitMessages(encodeMessage(type, flags, 9, payload))[0]!;
    const code = (n: number) => {
      const b = Buffer.alloc(4);
      b.writeInt32LE(n);
      return b;
    };
    const echoedHeader = encodeMessage(16, 0x605, 9, Buffer.alloc(0));
    expect(classify(msg(2, 0x100, Buffer.concat([code(0), echoedHeader])))).toEqual({ kind: 'ack' });
    expect(classify(msg(3, 0x2, code(0)))).toEqual({ kind: 'done' });
    const text = encodeAttrs([{ type: 1, str: 'Unknown device type' }]);
    expect(classify(msg(2, 0x300, Buffer.concat([code(-95), echoedHeader, text])))).toEqual({
      kind: 'error',
      errno: 95,
      detail: 'Unknown device type',
    });
    expect(classify(msg(2, 0, Buffer.concat([code(-17), echoedHeader])))).toEqual({
      kind: 'error',
      errno: 17,
      detail: undefined,
    });
    expect([17, 19, 99, 16, 1, 95, 22].map(codeForErrno)).toEqual([
      'NETLINK_EEXIST',
      'NETLINK_ENODEV',
      'NETLINK_EADDRNOTAVAIL',
      'NETLINK_EBUSY',
      'NETLINK_EPERM',
      'NETLINK_EOPNOTSUPP',
      'NETLINK_FAILED',
    ]);
  });

  it('walks attributes with the NESTED bit masked and stops at a truncated one', () => {
    const attrs = encodeAttrs([
      { type: 3, str: 'a' },
      { type: 18, nested: [{ type: 1, str: 'tun' }] },
    ]);
    const parsed = parseAttrs(Buffer.concat([attrs, Buffer.from('ff00', 'hex')]));
    expect([...parsed.keys()]).toEqual([3, 18]);
    expect(parsed.get(18)?.toString('hex')).toBe('080001007475 6e00'.replaceAll(' ', ''));
  });

  it('says a message that overruns its datagram is malformed, and short bodies too', () => {
    const m = encodeMessage(16, 0, 1, Buffer.alloc(16));
    expect(errorCode(thrown(() => splitMessages(m.subarray(0, 20))))).toBe('NETLINK_MALFORMED');
    expect(errorCode(thrown(() => parseLink(Buffer.alloc(8))))).toBe('NETLINK_MALFORMED');
    expect(errorCode(thrown(() => parseAddress(Buffer.alloc(4))))).toBe('NETLINK_MALFORMED');
    expect(errorCode(thrown(() => parseRoute(Buffer.alloc(4))))).toBe('NETLINK_MALFORMED');
    expect(splitMessages(m.subarray(0, 10))).toEqual([]);
  });
});
