import { constants as osConstants } from 'node:os';
import { formatIpv6, parseIpv6 } from '../dhcp/v6-address.js';
import { VmpodError } from '../errors.js';
import { formatMac, parseIPv4, parseMac, splitCidr } from './ip-address.js';

// rtnetlink messages, built and read as bytes (RFC 3549; linux/rtnetlink.h, if_link.h,
// if_addr.h). Pure: no socket here (netlink-socket.ts sends them). Only the messages the pod
// network needs: links (read, create, change, bridge-port learning), addresses, routes.

const NLMSG_HDRLEN = 16;
const NLMSG_ERROR = 2;
const NLMSG_DONE = 3;

const NLM_F_REQUEST = 0x1;
const NLM_F_MULTI = 0x2;
const NLM_F_ACK = 0x4;
const NLM_F_DUMP = 0x300;
const NLM_F_EXCL = 0x200;
const NLM_F_CREATE = 0x400;
/** In an error message: TLVs (the extended ack) follow the echoed header. */
const NLM_F_ACK_TLVS = 0x200;
/** In an error message: the request's payload was not echoed, only its header. */
const NLM_F_CAPPED = 0x100;

const RTM_NEWLINK = 16;
const RTM_GETLINK = 18;
const RTM_SETLINK = 19;
const RTM_NEWADDR = 20;
const RTM_DELADDR = 21;
const RTM_GETADDR = 22;
const RTM_GETROUTE = 26;

export const AF_UNSPEC = 0;
export const AF_INET = 2;
export const AF_BRIDGE = 7;
export const AF_INET6 = 10;

const IFF_UP = 0x1;

const IFLA_ADDRESS = 1;
const IFLA_IFNAME = 3;
const IFLA_MTU = 4;
const IFLA_MASTER = 10;
const IFLA_OPERSTATE = 16;
const IFLA_PROTINFO = 12;
const IFLA_LINKINFO = 18;
const IFLA_INFO_KIND = 1;
const IFLA_INFO_DATA = 2;
const IFLA_INFO_SLAVE_KIND = 4;
const IFLA_INFO_SLAVE_DATA = 5;
const IFLA_TUN_OWNER = 1;
const IFLA_TUN_GROUP = 2;
const IFLA_BRPORT_LEARNING = 8;

const IFA_ADDRESS = 1;
const IFA_LOCAL = 2;

const RTA_DST = 1;
const RTA_OIF = 4;
const RTA_GATEWAY = 5;
const RTA_TABLE = 15;
export const RT_TABLE_MAIN = 254;

const NLA_F_NESTED = 0x8000;
const NLA_TYPE_MASK = 0x3fff;
const NLMSGERR_ATTR_MSG = 1;

// ---------------------------------------------------------------------------------------------
// Attributes

/** One attribute to encode: bytes, a string (NUL-terminated), a number (u32) or nested ones. */
export type Attr =
  | { readonly type: number; readonly bytes: Uint8Array }
  | { readonly type: number; readonly str: string }
  | { readonly type: number; readonly u32: number }
  | { readonly type: number; readonly u8: number }
  | { readonly type: number; readonly nested: readonly Attr[] };

const align4 = (n: number): number => (n + 3) & ~3;

function attrPayload(a: Attr): Buffer {
  if ('bytes' in a) return Buffer.from(a.bytes);
  if ('str' in a) return Buffer.from(`${a.str}\0`, 'utf8');
  if ('u32' in a) {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(a.u32 >>> 0);
    return b;
  }
  if ('u8' in a) return Buffer.from([a.u8 & 0xff]);
  return encodeAttrs(a.nested);
}

export function encodeAttrs(attrs: readonly Attr[]): Buffer {
  const parts: Buffer[] = [];
  for (const a of attrs) {
    const payload = attrPayload(a);
    const head = Buffer.alloc(4);
    head.writeUInt16LE(4 + payload.length, 0);
    head.writeUInt16LE('nested' in a ? a.type | NLA_F_NESTED : a.type, 2);
    parts.push(head, payload, Buffer.alloc(align4(payload.length) - payload.length));
  }
  return Buffer.concat(parts);
}

/** The attributes in `buf`, by type (the last wins); a truncated tail is ignored. */
export function parseAttrs(buf: Buffer): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  let off = 0;
  while (off + 4 <= buf.length) {
    const len = buf.readUInt16LE(off);
    if (len < 4 || off + len > buf.length) break;
    out.set(buf.readUInt16LE(off + 2) & NLA_TYPE_MASK, buf.subarray(off + 4, off + len));
    off += align4(len);
  }
  return out;
}

const cString = (b: Buffer | undefined): string | undefined => {
  if (b === undefined) return undefined;
  const nul = b.indexOf(0);
  return b.toString('utf8', 0, nul < 0 ? b.length : nul);
};

// ---------------------------------------------------------------------------------------------
// Messages

export function encodeMessage(type: number, flags: number, seq: number, body: Buffer): Buffer {
  const head = Buffer.alloc(NLMSG_HDRLEN);
  head.writeUInt32LE(NLMSG_HDRLEN + body.length, 0);
  head.writeUInt16LE(type, 4);
  head.writeUInt16LE(flags, 6);
  head.writeUInt32LE(seq >>> 0, 8);
  head.writeUInt32LE(0, 12);
  return Buffer.concat([head, body]);
}

interface IfInfo {
  readonly family?: number;
  readonly index?: number;
  readonly flags?: number;
  readonly change?: number;
}

function ifinfomsg(i: IfInfo, attrs: readonly Attr[] = []): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt8(i.family ?? AF_UNSPEC, 0);
  b.writeInt32LE(i.index ?? 0, 4);
  b.writeUInt32LE(i.flags ?? 0, 8);
  b.writeUInt32LE(i.change ?? 0, 12);
  return Buffer.concat([b, encodeAttrs(attrs)]);
}

function ifaddrmsg(
  a: { family: number; prefixLength: number; index: number },
  attrs: readonly Attr[] = [],
): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt8(a.family, 0);
  b.writeUInt8(a.prefixLength, 1);
  b.writeUInt8(0, 2);
  b.writeUInt8(0, 3); // scope: the kernel's choice
  b.writeUInt32LE(a.index, 4);
  return Buffer.concat([b, encodeAttrs(attrs)]);
}

function rtmsg(family: number): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt8(family, 0);
  return b;
}

/** A message as read: its header fields and payload. */
export interface RawMessage {
  readonly type: number;
  readonly flags: number;
  readonly seq: number;
  readonly payload: Buffer;
}

/** Splits a datagram into messages; a header that does not fit ends the walk. */
export function splitMessages(buf: Buffer): RawMessage[] {
  const out: RawMessage[] = [];
  let off = 0;
  while (off + NLMSG_HDRLEN <= buf.length) {
    const len = buf.readUInt32LE(off);
    if (len < NLMSG_HDRLEN || off + len > buf.length) {
      throw new VmpodError(
        'NETLINK_MALFORMED',
        `netlink message of length ${len} at ${off} overruns ${buf.length}`,
      );
    }
    out.push({
      type: buf.readUInt16LE(off + 4),
      flags: buf.readUInt16LE(off + 6),
      seq: buf.readUInt32LE(off + 8),
      payload: buf.subarray(off + NLMSG_HDRLEN, off + len),
    });
    off += align4(len);
  }
  return out;
}

/** The kernel's answer to one request, as far as the transport cares. */
export type Reply =
  | { readonly kind: 'data'; readonly message: RawMessage }
  | { readonly kind: 'ack' }
  | { readonly kind: 'done' }
  | { readonly kind: 'error'; readonly errno: number; readonly detail: string | undefined };

export function classify(m: RawMessage): Reply {
  if (m.type === NLMSG_ERROR || m.type === NLMSG_DONE) {
    if (m.payload.length < 4) {
      if (m.type === NLMSG_DONE) return { kind: 'done' };
      throw new VmpodError('NETLINK_MALFORMED', 'netlink error message without its code');
    }
    const error = m.payload.readInt32LE(0);
    if (error === 0) return m.type === NLMSG_DONE ? { kind: 'done' } : { kind: 'ack' };
    let detail: string | undefined;
    if (m.type === NLMSG_ERROR && m.flags & NLM_F_ACK_TLVS && m.payload.length >= 4 + NLMSG_HDRLEN) {
      // The echoed request: its header only when capped, else header and payload.
      const echoed = m.payload.readUInt32LE(4);
      const skip = 4 + (m.flags & NLM_F_CAPPED ? NLMSG_HDRLEN : align4(echoed));
      detail = cString(parseAttrs(m.payload.subarray(skip)).get(NLMSGERR_ATTR_MSG));
    }
    return { kind: 'error', errno: -error, detail };
  }
  return { kind: 'data', message: m };
}

/** Whether more messages of this reply follow (a multi-part dump). */
export const isMulti = (m: RawMessage): boolean => (m.flags & NLM_F_MULTI) !== 0;

// ---------------------------------------------------------------------------------------------
// Errors

const ERRNO_NAMES = new Map<number, string>(
  Object.entries(osConstants.errno).map(([name, n]) => [n, name] as [number, string]),
);

export function errnoName(errno: number): string {
  return ERRNO_NAMES.get(errno) ?? `errno ${errno}`;
}

/** vmpod's code for a kernel errno, in the words the rest of the network code uses. */
export function codeForErrno(errno: number): string {
  switch (errnoName(errno)) {
    case 'EEXIST':
      return 'NETLINK_EEXIST';
    case 'ENODEV':
      return 'NETLINK_ENODEV';
    case 'EADDRNOTAVAIL':
      return 'NETLINK_EADDRNOTAVAIL';
    case 'EBUSY':
      return 'NETLINK_EBUSY';
    case 'EPERM':
    case 'EACCES':
      return 'NETLINK_EPERM';
    case 'EOPNOTSUPP':
    case 'ENOTSUP':
      return 'NETLINK_EOPNOTSUPP';
    default:
      return 'NETLINK_FAILED';
  }
}

// ---------------------------------------------------------------------------------------------
// Reading links, addresses, routes

export interface ParsedLink {
  readonly index: number;
  readonly name: string;
  readonly mac: string;
  readonly mtu: number;
  readonly up: boolean;
  /** RFC 2863's operational state, as `ip` prints it (`UP`, `DOWN`, `LOWERLAYERDOWN`, …). */
  readonly operState: string | undefined;
  readonly kind: string | undefined;
  readonly masterIndex: number | undefined;
  /** Bridge-port MAC learning, when the link is a bridge port. */
  readonly learning: boolean | undefined;
  readonly tapOwner: { readonly uid: number; readonly gid: number } | undefined;
}

const OPER_STATES = ['UNKNOWN', 'NOTPRESENT', 'DOWN', 'LOWERLAYERDOWN', 'TESTING', 'DORMANT', 'UP'];

export function parseLink(payload: Buffer): ParsedLink {
  if (payload.length < 16) throw new VmpodError('NETLINK_MALFORMED', 'link message shorter than ifinfomsg');
  const attrs = parseAttrs(payload.subarray(16));
  const info = attrs.get(IFLA_LINKINFO);
  const infoAttrs = info ? parseAttrs(info) : new Map<number, Buffer>();
  const kind = cString(infoAttrs.get(IFLA_INFO_KIND));
  const data = infoAttrs.get(IFLA_INFO_DATA);
  let tapOwner: ParsedLink['tapOwner'];
  if (kind === 'tun' && data) {
    const tun = parseAttrs(data);
    const id = (b: Buffer | undefined) => (b && b.length >= 4 ? b.readInt32LE(0) : -1);
    tapOwner = { uid: id(tun.get(IFLA_TUN_OWNER)), gid: id(tun.get(IFLA_TUN_GROUP)) };
  }
  let learning: boolean | undefined;
  const slaveData = infoAttrs.get(IFLA_INFO_SLAVE_DATA);
  if (cString(infoAttrs.get(IFLA_INFO_SLAVE_KIND)) === 'bridge' && slaveData) {
    const flag = parseAttrs(slaveData).get(IFLA_BRPORT_LEARNING);
    if (flag && flag.length >= 1) learning = flag[0] !== 0;
  }
  const mtu = attrs.get(IFLA_MTU);
  const master = attrs.get(IFLA_MASTER);
  const oper = attrs.get(IFLA_OPERSTATE);
  return {
    index: payload.readInt32LE(4),
    name: cString(attrs.get(IFLA_IFNAME)) ?? '',
    mac: formatMac(attrs.get(IFLA_ADDRESS) ?? new Uint8Array()),
    mtu: mtu && mtu.length >= 4 ? mtu.readUInt32LE(0) : 0,
    up: (payload.readUInt32LE(8) & IFF_UP) !== 0,
    operState: oper && oper.length >= 1 ? (OPER_STATES[oper[0] ?? 0] ?? String(oper[0])) : undefined,
    kind,
    masterIndex: master && master.length >= 4 ? master.readUInt32LE(0) : undefined,
    learning,
    tapOwner,
  };
}

export interface ParsedAddress {
  readonly family: 4 | 6;
  readonly index: number;
  readonly address: string;
  readonly prefixLength: number;
  readonly scope: string;
}

const SCOPES = new Map([
  [0, 'global'],
  [200, 'site'],
  [253, 'link'],
  [254, 'host'],
  [255, 'nowhere'],
]);

function ipText(b: Buffer): string {
  if (b.length === 4) return [...b].join('.');
  if (b.length === 16) return formatIpv6(b);
  throw new VmpodError('NETLINK_MALFORMED', `address of ${b.length} bytes`);
}

/** An address message; undefined for families other than IPv4 and IPv6. */
export function parseAddress(payload: Buffer): ParsedAddress | undefined {
  if (payload.length < 8) throw new VmpodError('NETLINK_MALFORMED', 'address message shorter than ifaddrmsg');
  const family = payload.readUInt8(0);
  if (family !== AF_INET && family !== AF_INET6) return undefined;
  const attrs = parseAttrs(payload.subarray(8));
  // IFA_LOCAL is the interface's own address; IFA_ADDRESS the peer's on point-to-point links.
  const raw = attrs.get(IFA_LOCAL) ?? attrs.get(IFA_ADDRESS);
  if (!raw) return undefined;
  const scope = payload.readUInt8(3);
  return {
    family: family === AF_INET ? 4 : 6,
    index: payload.readUInt32LE(4),
    address: ipText(raw),
    prefixLength: payload.readUInt8(1),
    scope: SCOPES.get(scope) ?? String(scope),
  };
}

export interface ParsedRoute {
  readonly family: 4 | 6;
  readonly table: number;
  readonly outIndex: number | undefined;
  /** `default`, `a.b.c.d/n`, or a host address without a prefix, as `ip route` prints it. */
  readonly destination: string;
  readonly gateway: string | undefined;
}

export function parseRoute(payload: Buffer): ParsedRoute | undefined {
  if (payload.length < 12) throw new VmpodError('NETLINK_MALFORMED', 'route message shorter than rtmsg');
  const family = payload.readUInt8(0);
  if (family !== AF_INET && family !== AF_INET6) return undefined;
  const dstLen = payload.readUInt8(1);
  const attrs = parseAttrs(payload.subarray(12));
  const tableAttr = attrs.get(RTA_TABLE);
  const table = tableAttr && tableAttr.length >= 4 ? tableAttr.readUInt32LE(0) : payload.readUInt8(4);
  const oif = attrs.get(RTA_OIF);
  const dst = attrs.get(RTA_DST);
  const gw = attrs.get(RTA_GATEWAY);
  const full = family === AF_INET ? 32 : 128;
  let destination = 'default';
  if (dstLen > 0 && dst) destination = dstLen === full ? ipText(dst) : `${ipText(dst)}/${dstLen}`;
  return {
    family: family === AF_INET ? 4 : 6,
    table,
    outIndex: oif && oif.length >= 4 ? oif.readUInt32LE(0) : undefined,
    destination,
    gateway: gw ? ipText(gw) : undefined,
  };
}

// ---------------------------------------------------------------------------------------------
// Requests the link driver sends

/** One request: the message type, its NLM_F_* flags and its body (the header is the socket's). */
export interface RtRequest {
  readonly type: number;
  readonly flags: number;
  readonly body: Buffer;
}

const CHANGE = NLM_F_REQUEST | NLM_F_ACK;
const CREATE = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;

/** RTM_GETLINK for one link, by name or index (answered with the link, no ACK needed). */
export const getLinkRequest = (by: { name: string } | { index: number }): RtRequest => ({
  type: RTM_GETLINK,
  flags: NLM_F_REQUEST,
  body: 'name' in by ? ifinfomsg({}, [{ type: IFLA_IFNAME, str: by.name }]) : ifinfomsg({ index: by.index }),
});

/** RTM_NEWLINK creating `name` of `kind` (a veth's peer is named by the kernel). */
export const createLinkRequest = (name: string, kind: string): RtRequest => ({
  type: RTM_NEWLINK,
  flags: CREATE,
  body: ifinfomsg({}, [
    { type: IFLA_IFNAME, str: name },
    { type: IFLA_LINKINFO, nested: [{ type: IFLA_INFO_KIND, str: kind }] },
  ]),
});

export type LinkChange =
  | { readonly name: string }
  | { readonly mac: string }
  | { readonly mtu: number }
  | { readonly up: boolean }
  | { readonly masterIndex: number };

function macBytes(mac: string): Uint8Array {
  const bytes = parseMac(mac);
  if (!bytes) throw new VmpodError('NETLINK_INVALID_ARGUMENT', `not a MAC address: ${JSON.stringify(mac)}`);
  return bytes;
}

/** RTM_SETLINK changing one property of the link at `index`. */
export function setLinkRequest(index: number, change: LinkChange): RtRequest {
  if ('up' in change) {
    return {
      type: RTM_SETLINK,
      flags: CHANGE,
      body: ifinfomsg({ index, flags: change.up ? IFF_UP : 0, change: IFF_UP }),
    };
  }
  let attr: Attr;
  if ('name' in change) attr = { type: IFLA_IFNAME, str: change.name };
  else if ('mac' in change) attr = { type: IFLA_ADDRESS, bytes: macBytes(change.mac) };
  else if ('mtu' in change) attr = { type: IFLA_MTU, u32: change.mtu };
  else attr = { type: IFLA_MASTER, u32: change.masterIndex };
  return { type: RTM_SETLINK, flags: CHANGE, body: ifinfomsg({ index }, [attr]) };
}

/** RTM_SETLINK on the bridge (AF_BRIDGE) turning a port's MAC learning on or off, as `bridge link` does. */
export const setLearningRequest = (index: number, learning: boolean): RtRequest => ({
  type: RTM_SETLINK,
  flags: CHANGE,
  body: ifinfomsg({ family: AF_BRIDGE, index }, [
    { type: IFLA_PROTINFO, nested: [{ type: IFLA_BRPORT_LEARNING, u8: learning ? 1 : 0 }] },
  ]),
});

/** `a.b.c.d/n` or an IPv6 CIDR → its family, bytes and prefix length. */
export function parseCidrBytes(cidr: string): { family: number; bytes: Uint8Array; prefixLength: number } {
  const bad = () =>
    new VmpodError('NETLINK_INVALID_ARGUMENT', `not an address with a prefix: ${JSON.stringify(cidr)}`);
  const split = splitCidr(cidr);
  if (!split) throw bad();
  const v6 = split.address.includes(':');
  if (split.prefixLength > (v6 ? 128 : 32)) throw bad();
  let bytes: Uint8Array | undefined;
  if (v6) {
    try {
      bytes = parseIpv6(split.address);
    } catch {
      throw bad();
    }
  } else {
    const v4 = parseIPv4(split.address);
    bytes = v4 ? Uint8Array.from(v4) : undefined;
  }
  if (!bytes) throw bad();
  return { family: v6 ? AF_INET6 : AF_INET, bytes, prefixLength: split.prefixLength };
}

/** RTM_NEWADDR or RTM_DELADDR for `cidr` on the link at `index`. */
export function addressRequest(op: 'add' | 'del', index: number, cidr: string): RtRequest {
  const { family, bytes, prefixLength } = parseCidrBytes(cidr);
  const body = ifaddrmsg({ family, prefixLength, index }, [
    { type: IFA_LOCAL, bytes },
    { type: IFA_ADDRESS, bytes },
  ]);
  return op === 'add'
    ? { type: RTM_NEWADDR, flags: CREATE, body }
    : { type: RTM_DELADDR, flags: CHANGE, body };
}

/** Dump requests: every link, every address of a family, every route of a family. */
const DUMP = NLM_F_REQUEST | NLM_F_DUMP;
export const dumpLinksRequest = (): RtRequest => ({ type: RTM_GETLINK, flags: DUMP, body: ifinfomsg({}) });
export const dumpAddressesRequest = (family: number): RtRequest => ({
  type: RTM_GETADDR,
  flags: DUMP,
  body: ifaddrmsg({ family, prefixLength: 0, index: 0 }),
});
export const dumpRoutesRequest = (family: number): RtRequest => ({
  type: RTM_GETROUTE,
  flags: DUMP,
  body: rtmsg(family),
});
