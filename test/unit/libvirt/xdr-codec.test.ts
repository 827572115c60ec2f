import { describe, expect, it } from 'vitest';
import { VmpodError } from '../../../src/errors.js';
import {
  type XdrType,
  array,
  bool,
  decode,
  double,
  encode,
  enumOf,
  fixedOpaque,
  hyper,
  int,
  opaque,
  optional,
  string,
  struct,
  uhyper,
  uint,
  union,
} from '../../../src/libvirt/xdr-types.js';
import { hex } from './helpers/hex.js';

function golden<T>(type: XdrType<T>, value: T, bytes: Buffer): void {
  expect(encode(type, value).toString('hex')).toBe(bytes.toString('hex'));
  expect(decode(type, bytes)).toEqual(value);
}

function decodeError(type: XdrType<unknown>, bytes: Buffer, root = 'v'): VmpodError {
  try {
    decode(type, bytes, root);
  } catch (err) {
    expect(err).toBeInstanceOf(VmpodError);
    return err as VmpodError;
  }
  throw new Error('decode did not fail');
}

describe('XDR golden vectors', () => {
  it('int is 4 bytes big-endian two’s complement', () => {
    golden(int, -2, hex`ff ff ff fe // int: -2`);
    golden(int, 0x7fffffff, hex`7f ff ff ff // int: 2147483647`);
  });

  it('unsigned int is 4 bytes big-endian', () => {
    golden(uint, 0xdeadbeef, hex`de ad be ef // uint: 3735928559`);
  });

  it('hyper and unsigned hyper are 8 bytes, decoded as bigint', () => {
    golden(hyper, -1n, hex`ff ff ff ff ff ff ff ff // hyper: -1`);
    golden(uhyper, 0xffff_ffff_ffff_fffen, hex`ff ff ff ff ff ff ff fe // uhyper: 18446744073709551614`);
  });

  it('double is IEEE 754 big-endian', () => {
    golden(double, 1.5, hex`3f f8 00 00 00 00 00 00 // double: 1.5`);
  });

  it('bool is an int 0 or 1', () => {
    golden(bool, true, hex`00 00 00 01 // bool: true`);
    golden(bool, false, hex`00 00 00 00 // bool: false`);
  });

  it('enum is an int restricted to declared values', () => {
    golden(enumOf([0, 1, 2]), 2, hex`00 00 00 02 // enum: 2`);
  });

  it('fixed opaque is padded to a multiple of 4', () => {
    golden(
      fixedOpaque(5),
      Uint8Array.from([1, 2, 3, 4, 5]),
      hex`
      01 02 03 04 05  // opaque[5]: 01..05
      00 00 00        // padding
    `,
    );
  });

  it('variable opaque is a length then padded bytes', () => {
    golden(
      opaque(8),
      Uint8Array.from([0xaa, 0xbb]),
      hex`
      00 00 00 02 // length: 2
      aa bb       // bytes
      00 00       // padding
    `,
    );
  });

  it('string is a length then UTF-8 bytes padded to 4', () => {
    golden(
      string(64),
      'vmpod',
      hex`
      00 00 00 05     // length: 5
      76 6d 70 6f 64  // "vmpod"
      00 00 00        // padding
    `,
    );
    golden(
      string(64),
      'ü',
      hex`
      00 00 00 02 // length: 2 bytes (one code point)
      c3 bc       // "ü"
      00 00       // padding
    `,
    );
  });

  it('variable array is a count then the elements', () => {
    golden(
      array(uint, 4),
      [7, 9],
      hex`
      00 00 00 02 // count: 2
      00 00 00 07 // [0]: 7
      00 00 00 09 // [1]: 9
    `,
    );
  });

  it('optional data is a presence flag then the value', () => {
    golden(optional(string(8)), null, hex`00 00 00 00 // absent`);
    golden(
      optional(string(8)),
      'x',
      hex`
      00 00 00 01 // present
      00 00 00 01 // length: 1
      78 00 00 00 // "x" + padding
    `,
    );
  });

  it('struct is its fields in declaration order', () => {
    golden(
      struct({ state: int, reason: int }),
      { state: 1, reason: 2 },
      hex`
      00 00 00 01 // state: 1 (running)
      00 00 00 02 // reason: 2
    `,
    );
  });

  it('union is the discriminant then the chosen arm', () => {
    type U = { type: 1; value: number } | { type: 2; value: string };
    const u = union<U>({ 1: int, 2: string(8) });
    golden(
      u,
      { type: 2, value: 'ab' },
      hex`
      00 00 00 02 // discriminant: 2 (string arm)
      00 00 00 02 // length: 2
      61 62 00 00 // "ab" + padding
    `,
    );
  });
});

describe('XDR decode errors name the field and the offset', () => {
  const dom = struct({ name: string(16), id: int });

  it('truncated input', () => {
    const err = decodeError(dom, hex`00 00 00 01 61 00 00 00 00 00`);
    expect(err.code).toBe('XDR_TRUNCATED');
    expect(err.facts).toEqual({ path: 'v.id', offset: 8 });
  });

  it('a string longer than its maximum, before allocating it', () => {
    const err = decodeError(dom, hex`7f ff ff ff`);
    expect(err.code).toBe('XDR_TOO_LONG');
    expect(err.facts).toEqual({ path: 'v.name', offset: 0 });
  });

  it('an array count over its maximum', () => {
    const err = decodeError(array(int, 3), hex`00 00 00 04`);
    expect(err.code).toBe('XDR_TOO_LONG');
  });

  it('an array count the remaining bytes cannot hold (no huge allocation)', () => {
    const err = decodeError(array(uhyper, 1 << 30), hex`3f ff ff ff 00 00 00 00`);
    expect(err.code).toBe('XDR_TRUNCATED');
    expect(err.facts).toEqual({ path: 'v', offset: 0 });
  });

  it('an element deep inside arrays and structs', () => {
    const t = struct({ list: array(struct({ flag: bool }), 4) });
    const err = decodeError(t, hex`00 00 00 02 00 00 00 01 00 00 00 07`);
    expect(err.code).toBe('XDR_BAD_BOOL');
    expect(err.facts).toEqual({ path: 'v.list[1].flag', offset: 8 });
  });

  it('an undeclared enum value', () => {
    expect(decodeError(enumOf([0, 1]), hex`00 00 00 05`).code).toBe('XDR_BAD_ENUM');
  });

  it('an undeclared union arm', () => {
    expect(
      decodeError(union<{ type: 1; value: number }>({ 1: int }), hex`00 00 00 09 00 00 00 00`).code,
    ).toBe('XDR_BAD_UNION');
  });

  it('an optional flag that is neither 0 nor 1', () => {
    expect(decodeError(optional(int), hex`00 00 00 02`).code).toBe('XDR_BAD_OPTIONAL');
  });

  it('bytes left over after the value', () => {
    const err = decodeError(int, hex`00 00 00 01 00 00 00 00`);
    expect(err.code).toBe('XDR_TRAILING_BYTES');
    expect(err.facts).toEqual({ path: 'v', offset: 4 });
  });

  it('the message says where', () => {
    expect(decodeError(dom, hex`00 00 00 01`).message).toBe('need 4 bytes, 0 left at v.name (byte 4)');
  });
});

describe('XDR encode errors', () => {
  it('rejects values outside the type', () => {
    expect(() => encode(int, 2 ** 31)).toThrow(expect.objectContaining({ code: 'XDR_OUT_OF_RANGE' }));
    expect(() => encode(uint, -1)).toThrow(expect.objectContaining({ code: 'XDR_OUT_OF_RANGE' }));
    expect(() => encode(uhyper, -1n)).toThrow(expect.objectContaining({ code: 'XDR_OUT_OF_RANGE' }));
    expect(() => encode(hyper, 1n << 63n)).toThrow(expect.objectContaining({ code: 'XDR_OUT_OF_RANGE' }));
    expect(() => encode(enumOf([1]), 2 as 1)).toThrow(expect.objectContaining({ code: 'XDR_BAD_ENUM' }));
  });

  it('rejects strings and arrays over their maximum, naming the field', () => {
    const t = struct({ xml: string(3) });
    expect(() => encode(t, { xml: 'four' }, 'args')).toThrow(
      expect.objectContaining({ code: 'XDR_TOO_LONG', facts: { path: 'args.xml', offset: 0 } }),
    );
    expect(() => encode(array(int, 1), [1, 2])).toThrow(expect.objectContaining({ code: 'XDR_TOO_LONG' }));
  });
});

describe('XDR round trips', () => {
  it('a nested struct survives encode then decode', () => {
    const t = struct({
      name: string(64),
      uuid: fixedOpaque(16),
      ids: array(hyper, 8),
      note: optional(string(64)),
      ratio: double,
    });
    const v = {
      name: 'default_vmi-cirros',
      uuid: Uint8Array.from({ length: 16 }, (_, i) => i * 17),
      ids: [-(1n << 62n), 0n, 123n],
      note: null,
      ratio: -0.25,
    };
    expect(decode(t, encode(t, v))).toEqual(v);
  });
});
