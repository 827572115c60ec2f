import { describe, expect, it } from 'vitest';
import {
  type TypedParam,
  param,
  typedParam,
  typedParams,
  typedParamsToRecord,
} from '../../../src/libvirt/typed-params.js';
import { decode, encode } from '../../../src/libvirt/xdr-types.js';
import { hex } from './helpers/hex.js';

function golden(value: TypedParam, bytes: Buffer): void {
  expect(encode(typedParam, value).toString('hex')).toBe(bytes.toString('hex'));
  expect(decode(typedParam, bytes)).toEqual(value);
}

describe('typed parameter golden vectors (remote_typed_param)', () => {
  it('int', () =>
    golden(
      param.int('state.state', 1),
      hex`
      00 00 00 0b                         // field length: 11
      73 74 61 74 65 2e 73 74 61 74 65 00 // "state.state" + padding
      00 00 00 01                         // type: 1 (VIR_TYPED_PARAM_INT)
      00 00 00 01                         // i: 1
    `,
    ));

  it('uint', () =>
    golden(
      param.uint('vcpu.current', 2),
      hex`
      00 00 00 0c                         // field length: 12
      76 63 70 75 2e 63 75 72 72 65 6e 74 // "vcpu.current"
      00 00 00 02                         // type: 2 (UINT)
      00 00 00 02                         // ui: 2
    `,
    ));

  it('llong', () =>
    golden(
      param.llong('x', -5n),
      hex`
      00 00 00 01 78 00 00 00 // field: "x"
      00 00 00 03             // type: 3 (LLONG)
      ff ff ff ff ff ff ff fb // l: -5
    `,
    ));

  it('ullong', () =>
    golden(
      param.ullong('cpu.time', 15030000000n),
      hex`
      00 00 00 08 63 70 75 2e 74 69 6d 65 // field: "cpu.time"
      00 00 00 04                         // type: 4 (ULLONG)
      00 00 00 03 7f db 99 80             // ul: 15030000000 ns
    `,
    ));

  it('double', () =>
    golden(
      param.double('d', 0.5),
      hex`
      00 00 00 01 64 00 00 00 // field: "d"
      00 00 00 05             // type: 5 (DOUBLE)
      3f e0 00 00 00 00 00 00 // d: 0.5
    `,
    ));

  it('boolean', () =>
    golden(
      param.boolean('success', true),
      hex`
      00 00 00 07 73 75 63 63 65 73 73 00 // field: "success"
      00 00 00 06                         // type: 6 (BOOLEAN)
      00 00 00 01                         // b: 1 (true)
    `,
    ));

  it('string', () =>
    golden(
      param.string('block.0.name', 'vda'),
      hex`
      00 00 00 0c 62 6c 6f 63 6b 2e 30 2e 6e 61 6d 65 // field: "block.0.name"
      00 00 00 07                                     // type: 7 (STRING)
      00 00 00 03 76 64 61 00                         // s: "vda"
    `,
    ));
});

describe('typed parameters', () => {
  it('an unknown type is a typed error naming the parameter', () => {
    const bytes = hex`
      00 00 00 01 78 00 00 00 // field: "x"
      00 00 00 08             // type: 8 (undeclared)
    `;
    expect(() => decode(typedParams(4), Buffer.concat([hex`00 00 00 01`, bytes]), 'params')).toThrow(
      expect.objectContaining({ code: 'XDR_BAD_UNION', facts: { path: 'params[0].value', offset: 12 } }),
    );
  });

  it('a list round-trips and reads as a record with booleans and bigints', () => {
    const list = [
      param.int('state.state', 1),
      param.ullong('balloon.current', 65536n),
      param.boolean('success', false),
      param.string('block.0.name', 'vda'),
    ];
    const back = decode(typedParams(16), encode(typedParams(16), list));
    expect(back).toEqual(list);
    expect(typedParamsToRecord(back)).toEqual({
      'state.state': 1,
      'balloon.current': 65536n,
      success: false,
      'block.0.name': 'vda',
    });
  });
});
