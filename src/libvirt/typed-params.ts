// libvirt's typed parameters (remote_typed_param): a field name and a value whose XDR arm is chosen
// by VIR_TYPED_PARAM_* (int 1, uint 2, llong 3, ullong 4, double 5, boolean 6, string 7). Pure.
import { REMOTE_STRING_MAX } from './remote-types.js';
import { type XdrType, array, double, hyper, int, string, struct, uhyper, uint, union } from './xdr-types.js';

export const TypedParamType = {
  INT: 1,
  UINT: 2,
  LLONG: 3,
  ULLONG: 4,
  DOUBLE: 5,
  BOOLEAN: 6,
  STRING: 7,
} as const;

export type TypedParamValue =
  | { type: 1; value: number }
  | { type: 2; value: number }
  | { type: 3; value: bigint }
  | { type: 4; value: bigint }
  | { type: 5; value: number }
  | { type: 6; value: number }
  | { type: 7; value: string };

export interface TypedParam {
  field: string;
  value: TypedParamValue;
}

export const typedParamValue: XdrType<TypedParamValue> = union<TypedParamValue>({
  1: int,
  2: uint,
  3: hyper,
  4: uhyper,
  5: double,
  // libvirt declares the boolean arm as a plain int: any non-zero value is true.
  6: int,
  7: string(REMOTE_STRING_MAX),
});

export const typedParam: XdrType<TypedParam> = struct({
  field: string(REMOTE_STRING_MAX),
  value: typedParamValue,
});

export function typedParams(max: number): XdrType<TypedParam[]> {
  return array(typedParam, max);
}

export type TypedParamScalar = number | bigint | boolean | string;

/** The plain value of a parameter: booleans become `boolean`, 64-bit integers stay `bigint`. */
export function typedParamScalar(v: TypedParamValue): TypedParamScalar {
  return v.type === TypedParamType.BOOLEAN ? v.value !== 0 : v.value;
}

/** Parameters as a record keyed by field name; a repeated field keeps its last value. */
export function typedParamsToRecord(params: readonly TypedParam[]): Record<string, TypedParamScalar> {
  const out: Record<string, TypedParamScalar> = {};
  for (const p of params) out[p.field] = typedParamScalar(p.value);
  return out;
}

/** Builders for outgoing parameters. */
export const param = {
  int: (field: string, value: number): TypedParam => ({ field, value: { type: 1, value } }),
  uint: (field: string, value: number): TypedParam => ({ field, value: { type: 2, value } }),
  llong: (field: string, value: bigint): TypedParam => ({ field, value: { type: 3, value } }),
  ullong: (field: string, value: bigint): TypedParam => ({ field, value: { type: 4, value } }),
  double: (field: string, value: number): TypedParam => ({ field, value: { type: 5, value } }),
  boolean: (field: string, value: boolean): TypedParam => ({
    field,
    value: { type: 6, value: value ? 1 : 0 },
  }),
  string: (field: string, value: string): TypedParam => ({ field, value: { type: 7, value } }),
};
