import { describe, expect, it } from 'vitest';
import { parseMac } from '../../../src/dhcp/ipv4.js';
import { decodeV6Request, encodeV6Message } from '../../../src/dhcp/v6-message.js';
import { buildV6Reply, prepareV6Lease, type V6ReplyDecision } from '../../../src/dhcp/v6-reply-builder.js';
import { golden, hex } from './helpers/golden.js';
import { SOLICIT } from './helpers/v6-fixtures.js';

const LEASE = prepareV6Lease({
  address: 'fd10:0:2::2',
  dns: ['fd00:10:96::a'],
  serverMac: parseMac('02:00:00:00:00:00'),
});

const ADVERTISE = golden(`
  02                                          // msg-type ADVERTISE
  ab cd ef                                    // transaction-id copied
  00 01 00 0e                                 // Client Identifier echoed
  00 01 00 01 2a 2b 2c 2d 02 00 00 00 00 aa
  00 03 00 28                                 // IA_NA, 40 bytes
  00 00 00 2a 00 00 00 00 00 00 00 00         //   IAID 42 (the client's), T1 0, T2 0
  00 05 00 18                                 //   IA Address, 24 bytes
  fd 10 00 00 00 02 00 00 00 00 00 00 00 00 00 02   // fd10:0:2::2
  05 25 0a 80                                 //   preferred lifetime 999 days
  05 25 0a 80                                 //   valid lifetime 999 days
  00 02 00 0a                                 // Server Identifier
  00 03 00 01 02 00 00 00 00 00               //   DUID-LL, Ethernet, 02:00:00:00:00:00
  00 17 00 10                                 // DNS Recursive Name Server
  fd 00 00 10 00 96 00 00 00 00 00 00 00 00 00 0a   // fd00:10:96::a
`);

const bytesOf = (d: V6ReplyDecision) => (d.kind === 'reply' ? encodeV6Message(d.message) : new Uint8Array());
const withType = (type: number, extra: number[] = []) =>
  Uint8Array.from([type, ...SOLICIT.subarray(1), ...extra]);

describe('DHCPv6 replies (KUBEVIRT.md §8.4)', () => {
  it('answers SOLICIT with ADVERTISE, golden bytes', () => {
    const d = buildV6Reply(decodeV6Request(SOLICIT), LEASE);
    expect(d.kind === 'reply' && d.type).toBe('ADVERTISE');
    expect(hex(bytesOf(d))).toBe(hex(ADVERTISE));
  });

  it('answers SOLICIT with Rapid Commit with REPLY carrying Rapid Commit', () => {
    const d = buildV6Reply(decodeV6Request(withType(1, [0, 14, 0, 0])), LEASE);
    expect(d.kind === 'reply' && d.type).toBe('REPLY');
    const expected = Uint8Array.from([
      7,
      ...ADVERTISE.subarray(1, 22),
      0,
      14,
      0,
      0,
      ...ADVERTISE.subarray(22),
    ]);
    expect(hex(bytesOf(d))).toBe(hex(expected));
  });

  it('answers every other client message with REPLY', () => {
    for (const type of [3, 4, 5, 6, 8, 9, 11]) {
      const d = buildV6Reply(decodeV6Request(withType(type)), LEASE);
      expect(d.kind === 'reply' && d.type).toBe('REPLY');
      expect(hex(bytesOf(d))).toBe(hex(Uint8Array.from([7, ...ADVERTISE.subarray(1)])));
    }
  });

  it('leaves option 23 out without IPv6 name servers, and IA_NA out when the client sent none', () => {
    const noDns = prepareV6Lease({
      address: 'fd10:0:2::2',
      dns: [],
      serverMac: parseMac('02:00:00:00:00:00'),
    });
    const d = buildV6Reply(decodeV6Request(SOLICIT), noDns);
    expect(hex(bytesOf(d))).toBe(hex(ADVERTISE.subarray(0, ADVERTISE.length - 20)));
    const infoRequest = Uint8Array.of(11, 1, 2, 3, 0, 6, 0, 2, 0, 23);
    const r = buildV6Reply(decodeV6Request(infoRequest), LEASE);
    expect(hex(bytesOf(r))).toBe(
      hex(Uint8Array.from([7, 1, 2, 3, ...ADVERTISE.subarray(ADVERTISE.length - 34)])),
    );
  });

  it('ignores server messages and client messages without a Client Identifier', () => {
    for (const type of [2, 7, 10, 0, 200]) {
      expect(buildV6Reply(decodeV6Request(withType(type)), LEASE).kind).toBe('ignore');
    }
    const relay = Uint8Array.from([
      12,
      0,
      ...new Array<number>(32).fill(0),
      0,
      9,
      0,
      SOLICIT.length,
      ...SOLICIT,
    ]);
    expect(buildV6Reply(decodeV6Request(relay), LEASE).kind).toBe('ignore');
    expect(buildV6Reply(decodeV6Request(Uint8Array.of(1, 0, 0, 1)), LEASE)).toEqual({
      kind: 'ignore',
      reason: 'no Client Identifier (option 1)',
    });
  });
});
