import protobuf from 'protobufjs';
import { VmpodError } from '../errors.js';
import { protoRoot } from './proto-root.js';

// Bytes ⇄ the plain objects of cmd-types.ts, for any message of the KubeVirt .proto files.
// Decoded objects carry the field names as written, every proto3 default filled in (0, false, '',
// empty bytes, [] and {}), 64-bit integers as numbers, bytes as Uint8Array (Buffer), and
// message-typed fields only when present. Decoding is total: the bytes are first walked against
// the schema (tags, wire types, lengths, nesting, UTF-8 of strings), so any byte sequence becomes
// a value or a VmpodError 'RPC_MALFORMED' naming the message type, the field and the offset.
// Encoding leaves proto3 defaults out, as Go's encoder does.

/** A fully qualified message name, e.g. 'kubevirt.cmd.v1.VMIRequest'. */
export type MessageTypeName = string;

const types = new Map<string, protobuf.Type>();

function typeOf(name: MessageTypeName): protobuf.Type {
  let t = types.get(name);
  if (!t) {
    t = protoRoot().lookupType(name);
    types.set(name, t);
  }
  return t;
}

const TO_OBJECT: protobuf.IConversionOptions = {
  longs: Number,
  enums: String,
  defaults: true,
  arrays: true,
  objects: true,
};

export function decodeMessage<T>(typeName: MessageTypeName, bytes: Uint8Array): T {
  const type = typeOf(typeName);
  checkWire(type, bytes, 0, bytes.length, 0, typeName);
  let decoded: protobuf.Message;
  try {
    decoded = type.decode(bytes);
  } catch (err) {
    throw malformed(typeName, (err as Error).message ?? String(err), undefined, undefined, err);
  }
  return dropNulls(type.toObject(decoded, TO_OBJECT)) as T;
}

export function encodeMessage(typeName: MessageTypeName, value: object): Uint8Array {
  const type = typeOf(typeName);
  const why = type.verify(value);
  if (why) {
    throw new VmpodError('RPC_ENCODE', `cannot encode ${typeName}: ${why}`, {
      facts: { messageType: typeName },
    });
  }
  return type.encode(type.fromObject(pruneDefaults(type, value as Record<string, unknown>))).finish();
}

// --- decoding helpers ---

function malformed(
  typeName: string,
  why: string,
  field?: string,
  offset?: number,
  cause?: unknown,
): VmpodError {
  const where = `${field === undefined ? '' : ` field ${field}`}${offset === undefined ? '' : ` at offset ${offset}`}`;
  return new VmpodError('RPC_MALFORMED', `malformed ${typeName}${where}: ${why}`, {
    cause,
    facts: { messageType: typeName, field, offset },
  });
}

const MAX_DEPTH = 64;
const utf8 = new TextDecoder('utf-8', { fatal: true });

const VARINT_TYPES = new Set(['int32', 'int64', 'uint32', 'uint64', 'sint32', 'sint64', 'bool']);
const FIXED64_TYPES = new Set(['double', 'fixed64', 'sfixed64']);
const FIXED32_TYPES = new Set(['float', 'fixed32', 'sfixed32']);

function scalarWireType(type: string): number | undefined {
  if (VARINT_TYPES.has(type)) return 0;
  if (FIXED64_TYPES.has(type)) return 1;
  if (FIXED32_TYPES.has(type)) return 5;
  if (type === 'string' || type === 'bytes') return 2;
  return undefined; // message or enum
}

interface Cursor {
  pos: number;
}

function readVarint(bytes: Uint8Array, c: Cursor, end: number): bigint | undefined {
  let result = 0n;
  for (let shift = 0n; shift < 70n; shift += 7n) {
    if (c.pos >= end) return undefined;
    const b = bytes[c.pos++] as number;
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return result;
  }
  return undefined;
}

/** Walks one message's wire format between start and end, checking it against the schema. */
function checkWire(
  type: protobuf.Type,
  bytes: Uint8Array,
  start: number,
  end: number,
  depth: number,
  topName: string,
): void {
  if (depth > MAX_DEPTH) throw malformed(topName, 'nesting too deep', undefined, start);
  const c: Cursor = { pos: start };
  while (c.pos < end) {
    const tagAt = c.pos;
    const tag = readVarint(bytes, c, end);
    if (tag === undefined) throw malformed(topName, 'truncated or overlong tag', undefined, tagAt);
    const fieldNo = Number(tag >> 3n);
    const wire = Number(tag & 7n);
    if (fieldNo === 0 || tag >> 3n > 0x1fffffffn) {
      throw malformed(topName, `invalid field number ${tag >> 3n}`, undefined, tagAt);
    }
    const field = type.fieldsById[fieldNo];
    const label = field ? `${type.name}.${field.name}` : `${type.name}#${fieldNo}`;
    // The payload's extent, by wire type.
    let payloadStart = c.pos;
    let payloadEnd: number;
    switch (wire) {
      case 0: {
        if (readVarint(bytes, c, end) === undefined)
          throw malformed(topName, 'truncated varint', label, tagAt);
        payloadEnd = c.pos;
        break;
      }
      case 1:
      case 5: {
        payloadEnd = c.pos + (wire === 1 ? 8 : 4);
        if (payloadEnd > end) throw malformed(topName, 'truncated fixed-width value', label, tagAt);
        c.pos = payloadEnd;
        break;
      }
      case 2: {
        const len = readVarint(bytes, c, end);
        if (len === undefined) throw malformed(topName, 'truncated length', label, tagAt);
        payloadStart = c.pos;
        if (len > BigInt(end - c.pos))
          throw malformed(topName, `length ${len} runs past the end`, label, tagAt);
        payloadEnd = c.pos + Number(len);
        c.pos = payloadEnd;
        break;
      }
      default:
        // Groups (3, 4) do not exist in proto3; 6 and 7 are invalid.
        throw malformed(topName, `unsupported wire type ${wire}`, label, tagAt);
    }
    if (!field) continue; // unknown field: skipped, as every proto3 decoder does
    field.resolve();
    checkField(field, wire, bytes, payloadStart, payloadEnd, depth, topName, label, tagAt);
  }
}

function checkField(
  field: protobuf.Field,
  wire: number,
  bytes: Uint8Array,
  start: number,
  end: number,
  depth: number,
  topName: string,
  label: string,
  tagAt: number,
): void {
  if (field instanceof protobuf.MapField) {
    if (wire !== 2) throw malformed(topName, `wire type ${wire} for a map entry`, label, tagAt);
    checkMapEntry(field, bytes, start, end, depth, topName, label);
    return;
  }
  const expected = field.resolvedType instanceof protobuf.Type ? 2 : (scalarWireType(field.type) ?? 0);
  const packable = field.repeated && expected !== 2;
  if (wire !== expected && !(packable && wire === 2)) {
    throw malformed(topName, `wire type ${wire}, expected ${expected}`, label, tagAt);
  }
  if (packable && wire === 2) {
    checkPacked(expected, bytes, start, end, topName, label, tagAt);
    return;
  }
  if (field.resolvedType instanceof protobuf.Type) {
    checkWire(field.resolvedType, bytes, start, end, depth + 1, topName);
  } else if (field.type === 'string') {
    checkUtf8(bytes, start, end, topName, label, tagAt);
  }
}

function checkPacked(
  wire: number,
  bytes: Uint8Array,
  start: number,
  end: number,
  topName: string,
  label: string,
  tagAt: number,
): void {
  if (wire === 0) {
    const c: Cursor = { pos: start };
    while (c.pos < end) {
      if (readVarint(bytes, c, end) === undefined) {
        throw malformed(topName, 'truncated packed varint', label, tagAt);
      }
    }
  } else if ((end - start) % (wire === 1 ? 8 : 4) !== 0) {
    throw malformed(topName, 'packed fixed-width values of a bad length', label, tagAt);
  }
}

function checkMapEntry(
  field: protobuf.MapField,
  bytes: Uint8Array,
  start: number,
  end: number,
  depth: number,
  topName: string,
  label: string,
): void {
  const c: Cursor = { pos: start };
  while (c.pos < end) {
    const tagAt = c.pos;
    const tag = readVarint(bytes, c, end);
    if (tag === undefined) throw malformed(topName, 'truncated map entry tag', label, tagAt);
    const no = Number(tag >> 3n);
    const wire = Number(tag & 7n);
    let payloadStart = c.pos;
    let payloadEnd: number;
    if (wire === 0) {
      if (readVarint(bytes, c, end) === undefined) throw malformed(topName, 'truncated varint', label, tagAt);
      payloadEnd = c.pos;
    } else if (wire === 1 || wire === 5) {
      payloadEnd = c.pos + (wire === 1 ? 8 : 4);
      if (payloadEnd > end) throw malformed(topName, 'truncated fixed-width value', label, tagAt);
      c.pos = payloadEnd;
    } else if (wire === 2) {
      const len = readVarint(bytes, c, end);
      if (len === undefined || len > BigInt(end - c.pos)) {
        throw malformed(topName, 'bad length in a map entry', label, tagAt);
      }
      payloadStart = c.pos;
      payloadEnd = c.pos + Number(len);
      c.pos = payloadEnd;
    } else {
      throw malformed(topName, `unsupported wire type ${wire} in a map entry`, label, tagAt);
    }
    if (no !== 1 && no !== 2) continue;
    const type = no === 1 ? field.keyType : field.type;
    const resolved = no === 2 ? field.resolvedType : null;
    const expected = resolved instanceof protobuf.Type ? 2 : (scalarWireType(type) ?? 0);
    if (wire !== expected)
      throw malformed(topName, `wire type ${wire} in a map entry, expected ${expected}`, label, tagAt);
    if (resolved instanceof protobuf.Type)
      checkWire(resolved, bytes, payloadStart, payloadEnd, depth + 1, topName);
    else if (type === 'string') checkUtf8(bytes, payloadStart, payloadEnd, topName, label, tagAt);
  }
}

function checkUtf8(
  bytes: Uint8Array,
  start: number,
  end: number,
  topName: string,
  label: string,
  tagAt: number,
) {
  try {
    utf8.decode(bytes.subarray(start, end));
  } catch (err) {
    throw malformed(topName, 'string field holds invalid UTF-8', label, tagAt, err);
  }
}

/** protobufjs's toObject sets absent message fields to null; vmpod's types leave them out. */
function dropNulls(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Uint8Array) return value;
  if (Array.isArray(value)) return value.map(dropNulls);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v !== null && v !== undefined) out[k] = dropNulls(v);
  }
  return out;
}

// --- encoding helpers ---

function isDefaultScalar(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (v === 0 || v === false || v === '') return true;
  if (v instanceof Uint8Array && v.length === 0) return true;
  return false;
}

/** A copy of value without proto3 default scalars, empty lists and empty maps (Go leaves them out). */
function pruneDefaults(type: protobuf.Type, value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of type.fieldsArray) {
    const v = value[field.name];
    if (v === undefined || v === null) continue;
    field.resolve();
    const sub = field.resolvedType instanceof protobuf.Type ? field.resolvedType : undefined;
    if (field instanceof protobuf.MapField) {
      const entries = Object.entries(v as Record<string, unknown>);
      if (entries.length === 0) continue;
      out[field.name] = sub
        ? Object.fromEntries(
            entries.map(([k, e]) => [k, pruneDefaults(sub, (e ?? {}) as Record<string, unknown>)]),
          )
        : v;
    } else if (field.repeated) {
      const list = v as unknown[];
      if (list.length === 0) continue;
      out[field.name] = sub
        ? list.map((e) => pruneDefaults(sub, (e ?? {}) as Record<string, unknown>))
        : list;
    } else if (sub) {
      out[field.name] = pruneDefaults(sub, v as Record<string, unknown>); // presence is explicit
    } else if (!isDefaultScalar(v)) {
      out[field.name] = v;
    }
  }
  return out;
}
