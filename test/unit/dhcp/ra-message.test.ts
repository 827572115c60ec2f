import { describe, expect, it } from 'vitest';
import { VmpodError } from '../../../src/errors.js';
import { parseMac } from '../../../src/dhcp/ipv4.js';
import { buildRouterAdvertisement, decodeRouterSolicitation } from '../../../src/dhcp/ra-message.js';
import { golden, hex } from './helpers/golden.js';

const RA = golden(`
  86 00 00 00          // type 134, code 0, checksum (the kernel's)
  40 c0 07 08          // cur hop limit 64, M and O set, router lifetime 1800 s
  00 00 00 00          // reachable time unspecified
  00 00 00 00          // retrans timer unspecified
  01 01 02 00 00 00 00 00              // Source Link-Layer Address 02:00:00:00:00:00
  05 01 00 00 00 00 05 dc              // MTU 1500
  03 04 78 80                          // Prefix Information, /120, L=1 A=0
  00 27 8d 00 00 09 3a 80              //   valid 30 days, preferred 7 days
  00 00 00 00                          //   reserved
  fd 10 00 00 00 02 00 00 00 00 00 00 00 00 00 00   // fd10:0:2::
`);

const RS = golden(`
  85 00 00 00 00 00 00 00     // type 133, code 0, checksum, reserved
  01 01 02 00 00 00 00 aa     // Source Link-Layer Address
`);

function decodeError(bytes: Uint8Array): VmpodError {
  try {
    decodeRouterSolicitation(bytes);
  } catch (err) {
    if (err instanceof VmpodError) return err;
    throw err;
  }
  throw new Error('decoded without error');
}

describe('router advertisement (RFC 4861 §4.2)', () => {
  it('builds the golden bytes, host bits of the prefix cleared', () => {
    const ra = buildRouterAdvertisement({
      routerMac: parseMac('02:00:00:00:00:00'),
      prefix: 'fd10:0:2::1/120',
      mtu: 1500,
    });
    expect(hex(ra)).toBe(hex(RA));
  });

  it('leaves the MTU option out when no MTU is given', () => {
    const ra = buildRouterAdvertisement({
      routerMac: parseMac('02:00:00:00:00:00'),
      prefix: 'fd10:0:2::/120',
    });
    expect(hex(ra)).toBe(hex(Uint8Array.from([...RA.subarray(0, 24), ...RA.subarray(32)])));
  });
});

describe('router solicitation decoder (RFC 4861 §4.1)', () => {
  it('decodes the source link-layer address', () => {
    const rs = decodeRouterSolicitation(RS);
    expect(hex(rs.sourceLinkLayer ?? new Uint8Array())).toBe('0200000000aa');
    expect(decodeRouterSolicitation(RS.subarray(0, 8)).options).toEqual([]);
  });

  it('names the field and offset of what is wrong', () => {
    expect(decodeError(RS.subarray(0, 7)).facts).toEqual({ field: 'header', offset: 7 });
    expect(decodeError(Uint8Array.from([134, ...RS.subarray(1)])).facts).toEqual({
      field: 'type',
      offset: 0,
    });
    expect(decodeError(Uint8Array.from([133, 1, ...RS.subarray(2)])).facts).toEqual({
      field: 'code',
      offset: 1,
    });
    expect(decodeError(RS.subarray(0, 9)).facts).toEqual({ field: 'option header', offset: 8 });
    expect(decodeError(Uint8Array.from([...RS.subarray(0, 9), 0])).facts).toEqual({
      field: 'option 1 length',
      offset: 9,
    });
    expect(decodeError(RS.subarray(0, 12)).facts).toEqual({ field: 'option 1 data', offset: 10 });
    expect(decodeError(RS.subarray(0, 12)).code).toBe('NDP_MALFORMED');
  });

  it('10,000 random and mutated packets decode or fail with NDP_MALFORMED', () => {
    let seed = 0x1234;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x80000000;
    };
    for (let i = 0; i < 10_000; i++) {
      const bytes =
        i % 2 === 0
          ? Uint8Array.from({ length: Math.floor(rand() * 40) }, () => Math.floor(rand() * 256))
          : RS.slice(0, 1 + Math.floor(rand() * RS.length));
      if (i % 2 === 1) bytes[Math.floor(rand() * bytes.length)] = Math.floor(rand() * 256);
      if (i % 3 === 0 && bytes.length > 0) bytes[0] = 133;
      try {
        decodeRouterSolicitation(bytes);
      } catch (err) {
        expect(err).toBeInstanceOf(VmpodError);
        expect((err as VmpodError).code).toBe('NDP_MALFORMED');
      }
    }
  });
});
