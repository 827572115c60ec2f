import { INFINITE_LEASE_SECONDS } from './lease.js';
import { parseIpv6 } from './v6-address.js';
import {
  encodeIaAddress,
  encodeIaNa,
  V6_TYPE_NAMES,
  type V6Message,
  V6MessageType,
  type V6Option,
  V6Option as Opt,
  type V6Request,
} from './v6-message.js';

// The DHCPv6 server's whole decision as a pure function (KUBEVIRT.md §8.4): request + lease →
// the reply, or the reason for silence. Options in KubeVirt's order (its library's): Client ID,
// Rapid Commit, IA_NA, Server ID, then DNS servers (23). No domain search list (24): KubeVirt
// sends none.

export interface V6Lease {
  /** The guest's address (`fd10:0:2::2` in masquerade). */
  readonly address: string;
  /** IPv6 name servers from the pod's resolv.conf; option 23 only when there are any. */
  readonly dns: readonly string[];
  /** The bridge's MAC, the link-layer address of the server's DUID-LL. */
  readonly serverMac: Uint8Array;
  /** Preferred and valid lifetime; KubeVirt's 999 days unless a test says otherwise. */
  readonly lifetimeSeconds?: number | undefined;
}

export interface PreparedV6Lease {
  readonly address: Uint8Array;
  readonly lifetime: number;
  readonly serverId: Uint8Array;
  readonly dns?: Uint8Array | undefined;
}

/** DUID-LL (RFC 8415 §11.4): type 3, hardware type 1 (Ethernet), the link-layer address. */
export function duidLl(mac: Uint8Array): Uint8Array {
  return Uint8Array.from([0, 3, 0, 1, ...mac]);
}

export function prepareV6Lease(lease: V6Lease): PreparedV6Lease {
  const dns = lease.dns.map(parseIpv6);
  return {
    address: parseIpv6(lease.address),
    lifetime: lease.lifetimeSeconds ?? INFINITE_LEASE_SECONDS,
    serverId: duidLl(lease.serverMac),
    dns: dns.length > 0 ? Uint8Array.from(dns.flatMap((a) => Array.from(a))) : undefined,
  };
}

export type V6ReplyDecision =
  | { readonly kind: 'reply'; readonly type: 'ADVERTISE' | 'REPLY'; readonly message: V6Message }
  | { readonly kind: 'ignore'; readonly reason: string };

/** Messages only servers and relays send: answering them would talk to another server. */
const NOT_FROM_CLIENTS: ReadonlySet<number> = new Set([
  V6MessageType.Advertise,
  V6MessageType.Reply,
  V6MessageType.Reconfigure,
  V6MessageType.RelayForw,
  V6MessageType.RelayRepl,
]);

export function buildV6Reply(request: V6Request, lease: PreparedV6Lease): V6ReplyDecision {
  const { message } = request;
  if (NOT_FROM_CLIENTS.has(message.type) || message.type === 0 || message.type > 13) {
    return ignore(`message type ${V6_TYPE_NAMES[message.type] ?? message.type} is not a client's`);
  }
  // §16: every client message but INFORMATION-REQUEST carries a Client Identifier.
  if (!request.clientId && message.type !== V6MessageType.InformationRequest) {
    return ignore('no Client Identifier (option 1)');
  }
  const advertise = message.type === V6MessageType.Solicit && !request.rapidCommit;
  const rapid = message.type === V6MessageType.Solicit && request.rapidCommit;
  const options: V6Option[] = [];
  if (request.clientId) options.push({ code: Opt.ClientId, data: request.clientId });
  if (rapid) options.push({ code: Opt.RapidCommit, data: new Uint8Array() });
  // KubeVirt copies the client's IAID; a message without IA_NA (INFORMATION-REQUEST) gets none.
  if (request.iaNa) {
    const addr = encodeIaAddress({
      address: lease.address,
      preferredLifetime: lease.lifetime,
      validLifetime: lease.lifetime,
      options: [],
    });
    // T1 = T2 = 0, as KubeVirt: the client picks its renewal times (§21.4).
    const ia = encodeIaNa({
      iaid: request.iaNa.iaid,
      t1: 0,
      t2: 0,
      options: [{ code: Opt.IaAddr, data: addr }],
    });
    options.push({ code: Opt.IaNa, data: ia });
  }
  options.push({ code: Opt.ServerId, data: lease.serverId });
  if (lease.dns) options.push({ code: Opt.DnsServers, data: lease.dns });
  return {
    kind: 'reply',
    type: advertise ? 'ADVERTISE' : 'REPLY',
    message: {
      type: advertise ? V6MessageType.Advertise : V6MessageType.Reply,
      transactionId: message.transactionId,
      options,
    },
  };
}

function ignore(reason: string): V6ReplyDecision {
  return { kind: 'ignore', reason };
}
