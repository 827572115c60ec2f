import { ByteReader, malformed } from './byte-reader.js';
import { formatIpv4, parseIpv4 } from './ipv4.js';

// The BOOTP/DHCP message (RFC 2131 §2, RFC 951) and its options field (RFC 2132 §2): a total
// decoder (a value, or DHCP_MALFORMED naming the field and offset) and a deterministic encoder.

export const BOOTREQUEST = 1;
export const BOOTREPLY = 2;
export const MAGIC_COOKIE = 0x63825363;
/** op … file (236 bytes) plus the magic cookie: the shortest packet worth reading (§8.3). */
export const MIN_PACKET = 240;
/** KubeVirt pads replies to at least this many bytes (§8.3). */
export const MIN_REPLY = 272;
export const BROADCAST_FLAG = 0x8000;

const PAD = 0;
const END = 255;
const OPTION_OVERLOAD = 52;

export interface DhcpOption {
  readonly code: number;
  readonly data: Uint8Array;
}

export interface DhcpMessage {
  readonly op: number;
  readonly htype: number;
  readonly hlen: number;
  readonly hops: number;
  readonly xid: number;
  readonly secs: number;
  readonly flags: number;
  readonly ciaddr: string;
  readonly yiaddr: string;
  readonly siaddr: string;
  readonly giaddr: string;
  /** 16 bytes; the first `hlen` are the client's hardware address. */
  readonly chaddr: Uint8Array;
  readonly sname: Uint8Array;
  readonly file: Uint8Array;
  /** In wire order; a code may repeat (RFC 3396), see `optionData`. */
  readonly options: readonly DhcpOption[];
}

export function decodeMessage(buf: Uint8Array): DhcpMessage {
  if (buf.length < MIN_PACKET) {
    throw malformed('header', buf.length, `packet has ${buf.length} bytes, needs at least ${MIN_PACKET}`);
  }
  const r = new ByteReader(buf);
  const op = r.u8('op');
  const htype = r.u8('htype');
  const hlen = r.u8('hlen');
  if (hlen > 16) r.fail('hlen', `hardware address length ${hlen} exceeds 16`);
  const hops = r.u8('hops');
  const xid = r.u32('xid');
  const secs = r.u16('secs');
  const flags = r.u16('flags');
  const ciaddr = formatIpv4(r.bytes('ciaddr', 4));
  const yiaddr = formatIpv4(r.bytes('yiaddr', 4));
  const siaddr = formatIpv4(r.bytes('siaddr', 4));
  const giaddr = formatIpv4(r.bytes('giaddr', 4));
  const chaddr = r.bytes('chaddr', 16).slice();
  const snameAt = r.offset;
  const sname = r.bytes('sname', 64).slice();
  const fileAt = r.offset;
  const file = r.bytes('file', 128).slice();
  const cookie = r.u32('magic cookie');
  if (r.error) throw r.error;
  if (cookie !== MAGIC_COOKIE) {
    throw malformed('magic cookie', 236, `0x${cookie.toString(16).padStart(8, '0')} is not 0x63825363`);
  }
  const options = decodeOptions(buf.subarray(MIN_PACKET), MIN_PACKET, 'options');
  // Option 52 (RFC 2132 §9.3) moves more options into file (1), sname (2) or both (3).
  const overload = optionData(options, OPTION_OVERLOAD)?.[0] ?? 0;
  if (overload & 1) options.push(...decodeOptions(file, fileAt, 'file options'));
  if (overload & 2) options.push(...decodeOptions(sname, snameAt, 'sname options'));
  return {
    op,
    htype,
    hlen,
    hops,
    xid,
    secs,
    flags,
    ciaddr,
    yiaddr,
    siaddr,
    giaddr,
    chaddr,
    sname,
    file,
    options,
  };
}

function decodeOptions(buf: Uint8Array, base: number, where: string): DhcpOption[] {
  const r = new ByteReader(buf, base);
  const out: DhcpOption[] = [];
  while (r.remaining > 0) {
    const code = r.u8(`${where} code`);
    if (code === PAD) continue;
    if (code === END) break;
    const len = r.u8(`option ${code} length`);
    const data = r.bytes(`option ${code} data`, len);
    if (r.error) throw r.error;
    out.push({ code, data: data.slice() });
  }
  return out;
}

/** All instances of `code` concatenated (RFC 3396), or undefined when absent. */
export function optionData(options: readonly DhcpOption[], code: number): Uint8Array | undefined {
  const parts = options.filter((o) => o.code === code);
  if (parts.length === 0) return undefined;
  if (parts.length === 1) return parts[0]?.data;
  return Uint8Array.from(parts.flatMap((p) => Array.from(p.data)));
}

export function encodeMessage(msg: DhcpMessage): Uint8Array {
  const optionBytes = msg.options.reduce(
    (n, o) => n + 2 * Math.ceil(Math.max(o.data.length, 1) / 255) + o.data.length,
    0,
  );
  const length = Math.max(MIN_REPLY, MIN_PACKET + optionBytes + 1);
  const out = new Uint8Array(length);
  const view = new DataView(out.buffer);
  out[0] = msg.op;
  out[1] = msg.htype;
  out[2] = msg.hlen;
  out[3] = msg.hops;
  view.setUint32(4, msg.xid >>> 0);
  view.setUint16(8, msg.secs);
  view.setUint16(10, msg.flags);
  out.set(parseIpv4(msg.ciaddr), 12);
  out.set(parseIpv4(msg.yiaddr), 16);
  out.set(parseIpv4(msg.siaddr), 20);
  out.set(parseIpv4(msg.giaddr), 24);
  out.set(msg.chaddr.subarray(0, 16), 28);
  out.set(msg.sname.subarray(0, 64), 44);
  out.set(msg.file.subarray(0, 128), 108);
  view.setUint32(236, MAGIC_COOKIE);
  let at = MIN_PACKET;
  for (const o of msg.options) {
    // A value longer than 255 bytes travels as consecutive instances of the option (RFC 3396).
    let from = 0;
    do {
      const chunk = o.data.subarray(from, from + 255);
      out[at++] = o.code;
      out[at++] = chunk.length;
      out.set(chunk, at);
      at += chunk.length;
      from += 255;
    } while (from < o.data.length);
  }
  out[at] = END; // the rest stays zero: PAD
  return out;
}
