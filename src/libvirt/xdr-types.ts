// XDR type combinators: a protocol struct is declared once as data and gives both its encoder and
// its decoder, with the TypeScript type inferred from the declaration. Pure.
import { XdrReader } from './xdr-reader.js';
import { XdrWriter } from './xdr-writer.js';

export interface XdrType<T> {
  /** Smallest encoded size in bytes, used to bound array counts before allocating. */
  readonly minSize: number;
  read(r: XdrReader): T;
  write(w: XdrWriter, value: T): void;
}

export type Infer<X> = X extends XdrType<infer T> ? T : never;

export const int: XdrType<number> = { minSize: 4, read: (r) => r.int32(), write: (w, v) => w.int32(v) };
export const uint: XdrType<number> = { minSize: 4, read: (r) => r.uint32(), write: (w, v) => w.uint32(v) };
export const hyper: XdrType<bigint> = { minSize: 8, read: (r) => r.int64(), write: (w, v) => w.int64(v) };
export const uhyper: XdrType<bigint> = { minSize: 8, read: (r) => r.uint64(), write: (w, v) => w.uint64(v) };
export const double: XdrType<number> = {
  minSize: 8,
  read: (r) => r.float64(),
  write: (w, v) => w.float64(v),
};
export const bool: XdrType<boolean> = { minSize: 4, read: (r) => r.bool(), write: (w, v) => w.bool(v) };
export const xvoid: XdrType<undefined> = { minSize: 0, read: () => undefined, write: () => {} };

/** An enum given as its declared numeric values. */
export function enumOf<const V extends number>(values: readonly V[]): XdrType<V> {
  const allowed = new Set<number>(values);
  return {
    minSize: 4,
    read: (r) => r.enumValue(allowed) as V,
    write: (w, v) => {
      if (!allowed.has(v)) w.fail('XDR_BAD_ENUM', `enum value ${v} is not declared`);
      w.int32(v);
    },
  };
}

export function fixedOpaque(n: number): XdrType<Uint8Array> {
  return {
    minSize: n + ((4 - (n & 3)) & 3),
    read: (r) => r.fixedOpaque(n),
    write: (w, v) => w.fixedOpaque(v, n),
  };
}

export function opaque(max: number): XdrType<Uint8Array> {
  return { minSize: 4, read: (r) => r.varOpaque(max), write: (w, v) => w.varOpaque(v, max) };
}

export function string(max: number): XdrType<string> {
  return { minSize: 4, read: (r) => r.string(max), write: (w, v) => w.string(v, max) };
}

export function array<T>(of: XdrType<T>, max: number): XdrType<T[]> {
  return {
    minSize: 4,
    read: (r) => {
      const n = r.count(max, of.minSize);
      const out = new Array<T>(n);
      for (let i = 0; i < n; i++) {
        r.push(i);
        out[i] = of.read(r);
        r.pop();
      }
      return out;
    },
    write: (w, v) => {
      w.count(v.length, max);
      for (let i = 0; i < v.length; i++) {
        w.push(i);
        of.write(w, v[i] as T);
        w.pop();
      }
    },
  };
}

/** XDR optional data (`T *name`): a bool, then the value when present. Absent is `null`. */
export function optional<T>(of: XdrType<T>): XdrType<T | null> {
  return {
    minSize: 4,
    read: (r) => {
      const at = r.offset;
      const flag = r.int32();
      if (flag === 0) return null;
      if (flag !== 1) r.fail('XDR_BAD_OPTIONAL', `optional flag must be 0 or 1, got ${flag}`, at);
      return of.read(r);
    },
    write: (w, v) => {
      if (v === null) return w.int32(0);
      w.int32(1);
      of.write(w, v);
    },
  };
}

type Fields = Record<string, XdrType<unknown>>;
export type StructOf<F extends Fields> = { [K in keyof F]: Infer<F[K]> };

/** A struct: fields in declaration order (the order of the object's keys). */
export function struct<F extends Fields>(fields: F): XdrType<StructOf<F>> {
  const entries = Object.entries(fields);
  const minSize = entries.reduce((sum, [, t]) => sum + t.minSize, 0);
  return {
    minSize,
    read: (r) => {
      const out: Record<string, unknown> = {};
      for (const [name, t] of entries) {
        r.push(name);
        out[name] = t.read(r);
        r.pop();
      }
      return out as StructOf<F>;
    },
    write: (w, v) => {
      for (const [name, t] of entries) {
        w.push(name);
        t.write(w, (v as Record<string, unknown>)[name]);
        w.pop();
      }
    },
  };
}

/** A discriminated union over an int discriminant; an undeclared arm is a typed error. */
export function union<U extends { type: number }>(
  arms: {
    [D in U['type']]: XdrType<Extract<U, { type: D }> extends { value: infer V } ? V : never>;
  },
): XdrType<U> {
  const table = new Map<number, XdrType<unknown>>(
    Object.entries(arms).map(([k, t]) => [Number(k), t as XdrType<unknown>]),
  );
  return {
    minSize: 4,
    read: (r) => {
      const at = r.offset;
      const type = r.int32();
      const arm = table.get(type);
      if (arm === undefined) return r.fail('XDR_BAD_UNION', `union arm ${type} is not declared`, at);
      r.push('value');
      const value = arm.read(r);
      r.pop();
      return { type, value } as unknown as U;
    },
    write: (w, v) => {
      const arm = table.get(v.type);
      if (arm === undefined) return w.fail('XDR_BAD_UNION', `union arm ${v.type} is not declared`);
      w.int32(v.type);
      w.push('value');
      arm.write(w, (v as unknown as { value: unknown }).value);
      w.pop();
    },
  };
}

/** Decodes a whole buffer as one value; leftover bytes are an error. */
export function decode<T>(type: XdrType<T>, bytes: Uint8Array, root = '', start = 0, end = bytes.length): T {
  const r = new XdrReader(bytes, start, end, root === '' ? undefined : root);
  const v = type.read(r);
  r.expectEnd();
  return v;
}

export function encode<T>(type: XdrType<T>, value: T, root = ''): Buffer {
  const w = new XdrWriter();
  if (root !== '') w.push(root);
  type.write(w, value);
  return w.finish();
}
