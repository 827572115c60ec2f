import { ByteReader, malformed } from './byte-reader.js';

// The DHCPv6 message (RFC 8415 §8, relay messages §9) and the options vmpod reads (§21): a total
// decoder (a value, or DHCP_MALFORMED naming the field and offset) and a deterministic encoder.

export const V6MessageType = {
  Solicit: 1,
  Advertise: 2,
  Request: 3,
  Confirm: 4,
  Renew: 5,
  Rebind: 6,
  Reply: 7,
  Release: 8,
  Decline: 9,
  Reconfigure: 10,
  InformationRequest: 11,
  RelayForw: 12,
  RelayRepl: 13,
} as const;

export const V6_TYPE_NAMES: Readonly<Record<number, string>> = {
  1: 'SOLICIT',
  2: 'ADVERTISE',
  3: 'REQUEST',
  4: 'CONFIRM',
  5: 'RENEW',
  6: 'REBIND',
  7: 'REPLY',
  8: 'RELEASE',
  9: 'DECLINE',
  10: 'RECONFIGURE',
  11: 'INFORMATION-REQUEST',
  12: 'RELAY-FORW',
  13: 'RELAY-REPL',
};

export const V6Option = {
  ClientId: 1,
  ServerId: 2,
  IaNa: 3,
  IaAddr: 5,
  Oro: 6,
  ElapsedTime: 8,
  RelayMsg: 9,
  StatusCode: 13,
  RapidCommit: 14,
  DnsServers: 23,
  DomainList: 24,
} as const;

export interface V6Option {
  readonly code: number;
  readonly data: Uint8Array;
}

/** A client/server message (§8); relay messages (§9) carry their header in `relay`. */
export interface V6Message {
  readonly type: number;
  /** 24 bits; 0 for relay messages. */
  readonly transactionId: number;
  readonly relay?: {
    readonly hopCount: number;
    readonly linkAddress: Uint8Array;
    readonly peerAddress: Uint8Array;
  };
  readonly options: readonly V6Option[];
}

export interface IaNa {
  readonly iaid: number;
  readonly t1: number;
  readonly t2: number;
  readonly options: readonly V6Option[];
}

export interface IaAddress {
  readonly address: Uint8Array;
  readonly preferredLifetime: number;
  readonly validLifetime: number;
  readonly options: readonly V6Option[];
}

/** What the server acts on, validated: every option it reads has the length RFC 8415 gives it. */
export interface V6Request {
  readonly message: V6Message;
  readonly clientId?: Uint8Array | undefined;
  /** The first IA_NA (KubeVirt answers one), if any. */
  readonly iaNa?: IaNa | undefined;
  readonly rapidCommit: boolean;
  readonly requestedOptions: readonly number[];
}

const RELAY_HEADER = 34;

export function decodeV6Message(buf: Uint8Array): V6Message {
  const r = new ByteReader(buf);
  const type = r.u8('msg-type');
  if (type === V6MessageType.RelayForw || type === V6MessageType.RelayRepl) {
    const hopCount = r.u8('hop-count');
    const linkAddress = r.bytes('link-address', 16).slice();
    const peerAddress = r.bytes('peer-address', 16).slice();
    if (r.error) throw r.error;
    return {
      type,
      transactionId: 0,
      relay: { hopCount, linkAddress, peerAddress },
      options: decodeV6Options(buf.subarray(RELAY_HEADER), RELAY_HEADER, 'options'),
    };
  }
  const b = r.bytes('transaction-id', 3);
  if (r.error) throw r.error;
  const transactionId = ((b[0] ?? 0) << 16) | ((b[1] ?? 0) << 8) | (b[2] ?? 0);
  return { type, transactionId, options: decodeV6Options(buf.subarray(4), 4, 'options') };
}

/** A sequence of TLV options (§21.1); `base` is where `buf` starts in the whole packet. */
export function decodeV6Options(buf: Uint8Array, base: number, where: string): V6Option[] {
  const r = new ByteReader(buf, base);
  const out: V6Option[] = [];
  while (r.remaining > 0) {
    const code = r.u16(`${where} option-code`);
    const len = r.u16(`option ${code} option-len`);
    const data = r.bytes(`option ${code} data`, len);
    if (r.error) throw r.error;
    out.push({ code, data: data.slice() });
  }
  return out;
}

export function encodeV6Message(msg: V6Message): Uint8Array {
  const body = encodeV6Options(msg.options);
  if (msg.relay) {
    const out = new Uint8Array(RELAY_HEADER + body.length);
    out[0] = msg.type;
    out[1] = msg.relay.hopCount;
    out.set(msg.relay.linkAddress.subarray(0, 16), 2);
    out.set(msg.relay.peerAddress.subarray(0, 16), 18);
    out.set(body, RELAY_HEADER);
    return out;
  }
  const out = new Uint8Array(4 + body.length);
  out[0] = msg.type;
  out[1] = (msg.transactionId >>> 16) & 0xff;
  out[2] = (msg.transactionId >>> 8) & 0xff;
  out[3] = msg.transactionId & 0xff;
  out.set(body, 4);
  return out;
}

export function encodeV6Options(options: readonly V6Option[]): Uint8Array {
  const out = new Uint8Array(options.reduce((n, o) => n + 4 + o.data.length, 0));
  const view = new DataView(out.buffer);
  let at = 0;
  for (const o of options) {
    view.setUint16(at, o.code);
    view.setUint16(at + 2, o.data.length);
    out.set(o.data, at + 4);
    at += 4 + o.data.length;
  }
  return out;
}

/** Where each option's data starts in the packet, for errors that name an offset. */
function dataOffsets(options: readonly V6Option[], base: number): number[] {
  const at: number[] = [];
  let pos = base;
  for (const o of options) {
    at.push(pos + 4);
    pos += 4 + o.data.length;
  }
  return at;
}

/** Decodes the message and validates the options the server reads (§21.2, §21.4, §21.7, §21.14). */
export function decodeV6Request(buf: Uint8Array): V6Request {
  const message = decodeV6Message(buf);
  const offsets = dataOffsets(message.options, message.relay ? RELAY_HEADER : 4);
  let clientId: Uint8Array | undefined;
  let iaNa: IaNa | undefined;
  let rapidCommit = false;
  const requestedOptions: number[] = [];
  message.options.forEach((o, i) => {
    const at = offsets[i] ?? 0;
    switch (o.code) {
      case V6Option.ClientId:
        // A DUID: a 2-byte type and at most 128 bytes of identifier (§11.1).
        if (o.data.length < 2 || o.data.length > 130) {
          throw malformed('option 1 (Client Identifier)', at, `DUID of ${o.data.length} bytes is not 2–130`);
        }
        clientId ??= o.data;
        break;
      case V6Option.IaNa: {
        const ia = decodeIaNa(o.data, at);
        iaNa ??= ia;
        break;
      }
      case V6Option.RapidCommit:
        if (o.data.length !== 0) {
          throw malformed('option 14 (Rapid Commit)', at, `length ${o.data.length} is not 0`);
        }
        rapidCommit = true;
        break;
      case V6Option.Oro:
        if (o.data.length % 2 !== 0) {
          throw malformed('option 6 (Option Request)', at, `length ${o.data.length} is odd`);
        }
        for (let j = 0; j < o.data.length; j += 2) {
          requestedOptions.push(((o.data[j] ?? 0) << 8) | (o.data[j + 1] ?? 0));
        }
        break;
      case V6Option.ElapsedTime:
        if (o.data.length !== 2) {
          throw malformed('option 8 (Elapsed Time)', at, `length ${o.data.length} is not 2`);
        }
        break;
      default:
        break;
    }
  });
  return { message, clientId, iaNa, rapidCommit, requestedOptions };
}

/** IA_NA (§21.4): IAID, T1, T2, then options (IA Address, Status Code, …); `at` = data offset. */
export function decodeIaNa(data: Uint8Array, at: number): IaNa {
  const r = new ByteReader(data, at);
  const iaid = r.u32('IA_NA IAID');
  const t1 = r.u32('IA_NA T1');
  const t2 = r.u32('IA_NA T2');
  if (r.error) throw r.error;
  const options = decodeV6Options(data.subarray(12), at + 12, 'IA_NA options');
  for (const [i, o] of options.entries()) {
    if (o.code === V6Option.IaAddr) decodeIaAddress(o.data, dataOffsets(options, at + 12)[i] ?? at);
  }
  return { iaid, t1, t2, options };
}

/** IA Address (§21.6): address, preferred and valid lifetimes, then options. */
export function decodeIaAddress(data: Uint8Array, at: number): IaAddress {
  const r = new ByteReader(data, at);
  const address = r.bytes('IA Address IPv6-address', 16).slice();
  const preferredLifetime = r.u32('IA Address preferred-lifetime');
  const validLifetime = r.u32('IA Address valid-lifetime');
  if (r.error) throw r.error;
  const options = decodeV6Options(data.subarray(24), at + 24, 'IA Address options');
  return { address, preferredLifetime, validLifetime, options };
}

export function encodeIaNa(ia: IaNa): Uint8Array {
  const opts = encodeV6Options(ia.options);
  const out = new Uint8Array(12 + opts.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, ia.iaid >>> 0);
  view.setUint32(4, ia.t1 >>> 0);
  view.setUint32(8, ia.t2 >>> 0);
  out.set(opts, 12);
  return out;
}

export function encodeIaAddress(a: IaAddress): Uint8Array {
  const opts = encodeV6Options(a.options);
  const out = new Uint8Array(24 + opts.length);
  const view = new DataView(out.buffer);
  out.set(a.address.subarray(0, 16), 0);
  view.setUint32(16, a.preferredLifetime >>> 0);
  view.setUint32(20, a.validLifetime >>> 0);
  out.set(opts, 24);
  return out;
}
