import { describeError, errorCode } from '../errors.js';
import { type Logger, forFile } from '../log/logger.js';
import { Ring } from '../log/ring.js';
import { formatMac } from './ipv4.js';
import type { Lease } from './lease.js';
import { decodeMessage, encodeMessage, optionData } from './message.js';
import { Option } from './options.js';
import { buildReply, prepareLease, replyDestination } from './reply-builder.js';
import { type DhcpTransport, type Datagram, openTransport } from './transport.js';

// The DHCPv4 server for one guest interface: the transport hears the bridge, the pure builder
// decides, and every exchange is logged as one JSON line. Listening when `startDhcpServer`
// resolves, so the caller starts the domain only after it.

export interface DhcpServerOptions {
  readonly interfaceName: string;
  readonly lease: Lease;
  readonly log: Logger;
  readonly port?: number;
  /** The guest's tap: broadcast replies leave only through it (see TransportOptions.tap). */
  readonly tapName?: string | undefined;
}

/** One request heard, for troubleshooting (`vmpod net`). */
export interface DhcpExchange {
  /** Epoch ms. */
  readonly at: number;
  readonly client: string;
  readonly xid: number;
  readonly request: string;
  /** The reply type sent, or undefined when ignored. */
  readonly reply: string | undefined;
  readonly ignoredReason?: string;
}

export interface DhcpServer {
  readonly stats: { received: number; replied: number; ignored: number; malformed: number };
  /** Read-only views for troubleshooting: where it listens, what it hands out, what it heard. */
  readonly interfaceName: string;
  readonly lease: Lease;
  recentExchanges(): DhcpExchange[];
  close(): Promise<void>;
}

/** Exchanges kept for `vmpod net`. */
const RECENT_EXCHANGES = 32;

const TYPE_NAMES = ['', 'DISCOVER', 'OFFER', 'REQUEST', 'DECLINE', 'ACK', 'NAK', 'RELEASE', 'INFORM'];
/** Malformed packets are logged at most this often, so a flood cannot flood the log too. */
const MALFORMED_LOG_INTERVAL_MS = 1000;

export async function startDhcpServer(opts: DhcpServerOptions): Promise<DhcpServer> {
  const log = forFile(opts.log, 'dhcp-server.ts');
  const prepared = prepareLease(opts.lease);
  for (const warning of prepared.options.warnings) log.warn({ reason: warning }, 'DHCP option dropped');
  const stats = { received: 0, replied: 0, ignored: 0, malformed: 0 };
  const recent = new Ring<DhcpExchange>(RECENT_EXCHANGES);
  let lastMalformedLog = 0;
  let unlogged = 0;
  let transport: DhcpTransport | undefined;

  const onDatagram = (d: Datagram) => {
    stats.received++;
    let request: ReturnType<typeof decodeMessage>;
    try {
      request = decodeMessage(d.data);
    } catch (err) {
      stats.malformed++;
      unlogged++;
      const now = Date.now();
      if (now - lastMalformedLog >= MALFORMED_LOG_INTERVAL_MS) {
        log.warn(
          { reason: describeError(err), code: errorCode(err), from: d.source.address, dropped: unlogged },
          'malformed DHCP packet dropped',
        );
        lastMalformedLog = now;
        unlogged = 0;
      }
      return;
    }
    const client = formatMac(request.chaddr, Math.min(request.hlen, 16));
    const requestType = TYPE_NAMES[optionData(request.options, Option.MessageType)?.[0] ?? 0] ?? 'UNKNOWN';
    const decision = buildReply(request, prepared);
    if (decision.kind === 'ignore') {
      stats.ignored++;
      recent.push({
        at: Date.now(),
        client,
        xid: request.xid,
        request: requestType,
        reply: undefined,
        ignoredReason: decision.reason,
      });
      log.info(
        { client, xid: request.xid, request: requestType, reason: decision.reason },
        'DHCP request ignored',
      );
      return;
    }
    const to = replyDestination(request, d.source);
    const bytes = encodeMessage(decision.message);
    stats.replied++;
    recent.push({ at: Date.now(), client, xid: request.xid, request: requestType, reply: decision.type });
    log.info(
      {
        client,
        xid: request.xid,
        request: requestType,
        reply: decision.type,
        yiaddr: opts.lease.address,
        to: `${to.address}:${to.port}`,
      },
      'DHCP exchange',
    );
    transport?.send(bytes, to).catch((err: unknown) => {
      log.error({ reason: describeError(err), client, to: to.address }, 'DHCP reply not sent');
    });
  };

  const tap = opts.tapName ? { name: opts.tapName, sourceAddress: opts.lease.serverId } : undefined;
  transport = await openTransport({ interfaceName: opts.interfaceName, port: opts.port, tap }, onDatagram);
  log.info(
    {
      interface: opts.interfaceName,
      tap: opts.tapName,
      address: `${opts.lease.address}/${opts.lease.prefixLength}`,
      serverId: opts.lease.serverId,
    },
    'DHCP server listening',
  );
  const t = transport;
  return {
    stats,
    interfaceName: opts.interfaceName,
    lease: opts.lease,
    recentExchanges: () => recent.toArray(),
    close: () => t.close(),
  };
}
