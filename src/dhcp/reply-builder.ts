import { formatMac } from './ipv4.js';
import type { Lease } from './lease.js';
import {
  BOOTREPLY,
  BOOTREQUEST,
  BROADCAST_FLAG,
  type DhcpMessage,
  type DhcpOption,
  optionData,
} from './message.js';
import { type LeaseOptions, leaseOptions, MessageType, Option } from './options.js';

// The server's whole decision as a pure function (KUBEVIRT.md §8.3): request + lease → the reply,
// or the reason for silence. Same request and lease, same bytes: options go 53, 54, 51 (as
// KubeVirt sends them), then in the client's parameter request list order, then by code.

export interface PreparedLease {
  readonly lease: Lease;
  readonly options: LeaseOptions;
}

export function prepareLease(lease: Lease): PreparedLease {
  return { lease, options: leaseOptions(lease) };
}

export type ReplyDecision =
  | { readonly kind: 'reply'; readonly type: 'OFFER' | 'ACK'; readonly message: DhcpMessage }
  | { readonly kind: 'ignore'; readonly reason: string };

const FIRST = [Option.MessageType, Option.ServerIdentifier, Option.LeaseTime];

export function buildReply(request: DhcpMessage, prepared: PreparedLease): ReplyDecision {
  const { lease } = prepared;
  if (request.op !== BOOTREQUEST) return ignore(`op ${request.op} is not BOOTREQUEST`);
  const typeData = optionData(request.options, Option.MessageType);
  if (typeData?.length !== 1) return ignore('no valid message type (option 53)');
  const requestType = typeData[0];
  const mac = lease.clientMac;
  if (mac && (request.hlen !== mac.length || mac.some((b, i) => request.chaddr[i] !== b))) {
    const client = formatMac(request.chaddr, Math.min(request.hlen, 16));
    return ignore(`client ${client} is not the guest ${formatMac(mac)}`);
  }
  let type: 'OFFER' | 'ACK';
  if (requestType === MessageType.Discover) type = 'OFFER';
  else if (requestType === MessageType.Request) type = 'ACK';
  else return ignore(`message type ${requestType} gets no reply`);

  const byCode = new Map(prepared.options.options.map((o) => [o.code, o.data]));
  byCode.set(Option.MessageType, Uint8Array.of(type === 'OFFER' ? MessageType.Offer : MessageType.Ack));
  const order: number[] = [...FIRST];
  for (const code of optionData(request.options, Option.ParameterRequestList) ?? []) order.push(code);
  for (const code of [...byCode.keys()].sort((a, b) => a - b)) order.push(code);
  const options: DhcpOption[] = [];
  const seen = new Set<number>();
  for (const code of order) {
    const data = byCode.get(code);
    if (data === undefined || seen.has(code)) continue;
    seen.add(code);
    options.push({ code, data });
  }
  return {
    kind: 'reply',
    type,
    message: {
      op: BOOTREPLY,
      htype: 1,
      hlen: request.hlen,
      hops: 0,
      xid: request.xid,
      secs: 0,
      flags: request.flags,
      ciaddr: '0.0.0.0',
      yiaddr: lease.address,
      siaddr: '0.0.0.0',
      giaddr: request.giaddr,
      chaddr: request.chaddr,
      sname: new Uint8Array(64),
      file: new Uint8Array(128),
      options,
    },
  };
}

function ignore(reason: string): ReplyDecision {
  return { kind: 'ignore', reason };
}

export interface Destination {
  readonly address: string;
  readonly port: number;
}

/** §8.3: broadcast when the client has no address yet or asks for it, else back to its address. */
export function replyDestination(request: DhcpMessage, source: Destination): Destination {
  if (source.address === '0.0.0.0' || (request.flags & BROADCAST_FLAG) !== 0) {
    return { address: '255.255.255.255', port: source.port };
  }
  return source;
}
