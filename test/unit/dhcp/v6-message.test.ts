import { describe, expect, it } from 'vitest';
import { VmpodError } from '../../../src/errors.js';
import { formatIpv6, parseIpv6, parseIpv6Cidr } from '../../../src/dhcp/v6-address.js';
import {
  decodeV6Message,
  decodeV6Request,
  encodeV6Message,
  type V6Message,
} from '../../../src/dhcp/v6-message.js';
import { hex } from './helpers/golden.js';
import { SOLICIT } from './helpers/v6-fixtures.js';

function decodeError(bytes: Uint8Array): VmpodError {
  try {
    decodeV6Request(bytes);
  } catch (err) {
    if (err instanceof VmpodError) return err;
    throw err;
  }
  throw new Error('decoded without error');
}

describe('IPv6 text', () => {
  it('parses and prints RFC 5952 text', () => {
    for (const [text, canon] of [
      ['fd10:0:2::2', 'fd10:0:2::2'],
      ['::', '::'],
      ['::1', '::1'],
      ['FE80:0000:0000:0000:0000:0000:0000:0001%eth0', 'fe80::1'],
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
      ['1:0:1:0:1:0:1:0', '1:0:1:0:1:0:1:0'],
      ['::ffff:10.0.2.1', '::ffff:a00:201'],
    ]) {
      expect(formatIpv6(parseIpv6(text as string))).toBe(canon);
    }
    for (const bad of [
      '',
      '1::2::3',
      '1:2:3:4:5:6:7',
      '12345::',
      'g::',
      '1:2:3:4:5:6:7:8:9',
      '::1.2.3.256',
    ]) {
      expect(() => parseIpv6(bad)).toThrow(VmpodError);
    }
    expect(hex(parseIpv6Cidr('fd10:0:2::1/120').prefix)).toBe('fd100000000200000000000000000000');
    expect(() => parseIpv6Cidr('fd10::/129')).toThrow(VmpodError);
  });
});

describe('DHCPv6 message codec (RFC 8415)', () => {
  it('decodes a SOLICIT: type, transaction id, Client ID, ORO, IA_NA', () => {
    const r = decodeV6Request(SOLICIT);
    expect(r.message.type).toBe(1);
    expect(r.message.transactionId).toBe(0xabcdef);
    expect(hex(r.clientId ?? new Uint8Array())).toBe('000100012a2b2c2d0200000000aa');
    expect(r.requestedOptions).toEqual([23, 24]);
    expect(r.rapidCommit).toBe(false);
    expect(r.iaNa).toEqual({ iaid: 42, t1: 3600, t2: 5400, options: [] });
  });

  it('round-trips a message byte for byte', () => {
    expect(hex(encodeV6Message(decodeV6Message(SOLICIT)))).toBe(hex(SOLICIT));
    const relay: V6Message = {
      type: 12,
      transactionId: 0,
      relay: { hopCount: 1, linkAddress: parseIpv6('fd10::1'), peerAddress: parseIpv6('fe80::2') },
      options: [{ code: 9, data: SOLICIT }],
    };
    const bytes = encodeV6Message(relay);
    expect(bytes.length).toBe(34 + 4 + SOLICIT.length);
    expect(decodeV6Message(bytes)).toEqual(relay);
  });

  it('sees Rapid Commit', () => {
    const r = decodeV6Request(Uint8Array.from([...SOLICIT, 0, 14, 0, 0]));
    expect(r.rapidCommit).toBe(true);
  });

  it('names the field and offset of what does not fit', () => {
    expect(decodeError(new Uint8Array()).facts).toEqual({ field: 'msg-type', offset: 0 });
    expect(decodeError(Uint8Array.of(1, 2, 3)).facts).toEqual({ field: 'transaction-id', offset: 1 });
    expect(decodeError(Uint8Array.of(12, 0, 1)).facts).toEqual({ field: 'link-address', offset: 2 });
    expect(decodeError(SOLICIT.subarray(0, 5)).facts).toEqual({ field: 'options option-code', offset: 4 });
    expect(decodeError(SOLICIT.subarray(0, 6)).facts).toEqual({ field: 'option 1 option-len', offset: 6 });
    expect(decodeError(SOLICIT.subarray(0, 10)).facts).toEqual({ field: 'option 1 data', offset: 8 });
    expect(decodeError(Uint8Array.of(1, 0, 0, 0, 0, 14, 0, 1, 0)).facts).toEqual({
      field: 'option 14 (Rapid Commit)',
      offset: 8,
    });
    expect(decodeError(Uint8Array.of(1, 0, 0, 0, 0, 6, 0, 1, 0)).facts).toEqual({
      field: 'option 6 (Option Request)',
      offset: 8,
    });
    expect(decodeError(Uint8Array.of(1, 0, 0, 0, 0, 1, 0, 1, 0)).facts).toEqual({
      field: 'option 1 (Client Identifier)',
      offset: 8,
    });
    expect(decodeError(Uint8Array.of(1, 0, 0, 0, 0, 8, 0, 0)).facts).toEqual({
      field: 'option 8 (Elapsed Time)',
      offset: 8,
    });
    // IA_NA of 11 bytes: T2 cut short.
    const shortIa = Uint8Array.of(1, 0, 0, 0, 0, 3, 0, 11, ...new Array<number>(11).fill(0));
    expect(decodeError(shortIa).facts).toEqual({ field: 'IA_NA T2', offset: 16 });
    // IA_NA holding an IA Address of 4 bytes.
    const shortAddr = Uint8Array.of(
      1,
      0,
      0,
      0,
      0,
      3,
      0,
      20,
      ...new Array<number>(12).fill(0),
      0,
      5,
      0,
      4,
      1,
      2,
      3,
      4,
    );
    expect(decodeError(shortAddr).facts).toEqual({ field: 'IA Address IPv6-address', offset: 24 });
    const badNested = Uint8Array.of(1, 0, 0, 0, 0, 3, 0, 14, ...new Array<number>(12).fill(0), 0, 5);
    expect(decodeError(badNested).facts).toEqual({ field: 'option 5 option-len', offset: 22 });
  });
});

describe('DHCPv6 fuzz', () => {
  it('10,000 random and mutated packets decode or fail with DHCP_MALFORMED, never otherwise', () => {
    let seed = 0x5eed;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x80000000;
    };
    let ok = 0;
    for (let i = 0; i < 10_000; i++) {
      let bytes: Uint8Array;
      if (i % 2 === 0) {
        bytes = Uint8Array.from({ length: Math.floor(rand() * 80) }, () => Math.floor(rand() * 256));
      } else {
        bytes = SOLICIT.slice(0, Math.floor(rand() * (SOLICIT.length + 8)) + 1);
        if (bytes.length < SOLICIT.length) bytes = Uint8Array.from([...bytes]);
        for (let k = 0; k < 1 + rand() * 4; k++)
          bytes[Math.floor(rand() * bytes.length)] = Math.floor(rand() * 256);
      }
      try {
        const r = decodeV6Request(bytes);
        expect(hex(encodeV6Message(r.message))).toBe(hex(bytes));
        ok++;
      } catch (err) {
        expect(err).toBeInstanceOf(VmpodError);
        expect((err as VmpodError).code).toBe('DHCP_MALFORMED');
        expect(typeof (err as VmpodError).facts['offset']).toBe('number');
      }
    }
    expect(ok).toBeGreaterThan(100);
  });
});
