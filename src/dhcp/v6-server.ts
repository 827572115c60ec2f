import type { RemoteInfo } from 'node:dgram';
import { describeError, errorCode, VmpodError } from '../errors.js';
import { forFile, type Logger } from '../log/logger.js';
import { adoptUdpSocket, closeSocket } from './adopt-socket.js';
import { loadLibc } from '../native/libc.js';
import { formatMac, parseMac } from './ipv4.js';
import { formatIpv6 } from './v6-address.js';
import { decodeV6Request, encodeV6Message, V6_TYPE_NAMES, type V6Request } from './v6-message.js';
import { buildV6Reply, prepareV6Lease } from './v6-reply-builder.js';

// The DHCPv6 server of the masquerade binding (KUBEVIRT.md §8.4): UDP [::]:547 bound to the
// bridge with SO_BINDTODEVICE before bind (so it hears, and answers through, the bridge alone),
// joined to All_DHCP_Relay_Agents_and_Servers (ff02::1:2) and All_DHCP_Servers (ff05::1:3) there,
// as KubeVirt joins them. Replies go back to the sender's address and port. The pure builder
// decides; this file only moves bytes and logs. Listening when `startDhcpv6Server` resolves.

export interface Dhcpv6ServerOptions {
  readonly interfaceName: string;
  /** The bridge's MAC (`02:00:00:00:00:00` in masquerade): the server's DUID-LL. */
  readonly serverMac: string;
  readonly lease: { readonly address: string; readonly dns: readonly string[] };
  readonly log: Logger;
  /** 547 unless a test says otherwise. */
  readonly port?: number;
}

export interface Dhcpv6Server {
  readonly stats: { received: number; replied: number; ignored: number; malformed: number };
  close(): Promise<void>;
}

const AF_INET6 = 10;
const SOCK_DGRAM = 2;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SO_REUSEADDR = 2;
const SO_BINDTODEVICE = 25;
const IPPROTO_IPV6 = 41;
const IPV6_V6ONLY = 26;
const IFNAMSIZ = 16;
const GROUPS = ['ff02::1:2', 'ff05::1:3'];
const MALFORMED_LOG_INTERVAL_MS = 1000;

export async function startDhcpv6Server(opts: Dhcpv6ServerOptions): Promise<Dhcpv6Server> {
  const log = forFile(opts.log, 'v6-server.ts');
  const name = opts.interfaceName;
  const prepared = prepareV6Lease({ ...opts.lease, serverMac: parseMac(opts.serverMac) });
  const stats = { received: 0, replied: 0, ignored: 0, malformed: 0 };
  let lastMalformedLog = 0;
  let unlogged = 0;

  const sock = await adoptUdpSocket(boundSocket(name, opts.port ?? 547), 'udp6', name);
  try {
    for (const group of GROUPS) sock.addMembership(group, `::%${name}`);
  } catch (err) {
    await closeSocket(sock);
    throw new VmpodError('DHCP_SOCKET', `cannot join the DHCPv6 multicast groups on ${name}`, {
      cause: err,
      facts: { interface: name },
    });
  }

  sock.on('message', (msg: Buffer, rinfo: RemoteInfo) => {
    stats.received++;
    let request: V6Request;
    try {
      request = decodeV6Request(msg);
    } catch (err) {
      stats.malformed++;
      unlogged++;
      const now = Date.now();
      if (now - lastMalformedLog >= MALFORMED_LOG_INTERVAL_MS) {
        log.warn(
          { reason: describeError(err), code: errorCode(err), from: rinfo.address, dropped: unlogged },
          'malformed DHCPv6 packet dropped',
        );
        lastMalformedLog = now;
        unlogged = 0;
      }
      return;
    }
    const requestType = V6_TYPE_NAMES[request.message.type] ?? String(request.message.type);
    const xid = request.message.transactionId;
    const decision = buildV6Reply(request, prepared);
    if (decision.kind === 'ignore') {
      stats.ignored++;
      log.info(
        { from: rinfo.address, xid, request: requestType, reason: decision.reason },
        'DHCPv6 request ignored',
      );
      return;
    }
    // Link-local senders need the zone; Node names it already, but never rely on it.
    const to =
      rinfo.address.includes('%') || !rinfo.address.startsWith('fe80')
        ? rinfo.address
        : `${rinfo.address}%${name}`;
    stats.replied++;
    log.info(
      {
        from: rinfo.address,
        duid: request.clientId ? formatMac(request.clientId, request.clientId.length) : undefined,
        xid,
        request: requestType,
        reply: decision.type,
        address: formatIpv6(prepared.address),
        iaid: request.iaNa?.iaid,
        to: `[${to}]:${rinfo.port}`,
      },
      'DHCPv6 exchange',
    );
    sock.send(encodeV6Message(decision.message), rinfo.port, to, (err) => {
      if (err) log.error({ reason: describeError(err), to }, 'DHCPv6 reply not sent');
    });
  });
  log.info(
    { interface: name, address: opts.lease.address, dns: opts.lease.dns, serverMac: opts.serverMac },
    'DHCPv6 server listening',
  );
  return { stats, close: () => closeSocket(sock) };
}

function boundSocket(name: string, port: number): number {
  if (name.length === 0 || Buffer.byteLength(name) >= IFNAMSIZ) {
    throw new VmpodError('DHCP_BAD_INTERFACE', `interface name "${name}" is not 1–15 bytes`, {
      facts: { interface: name },
    });
  }
  const c = loadLibc();
  const fd = c.socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw sysError('socket', c.errno(), name);
  const one = Buffer.alloc(4);
  one.writeInt32LE(1);
  const ifname = Buffer.alloc(IFNAMSIZ);
  ifname.write(name, 'utf8');
  const any = Buffer.alloc(28); // struct sockaddr_in6 for [::]:port
  any.writeUInt16LE(AF_INET6, 0);
  any.writeUInt16BE(port, 2);
  const steps: [string, () => number][] = [
    ['setsockopt(SO_REUSEADDR)', () => c.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, one, 4)],
    ['setsockopt(IPV6_V6ONLY)', () => c.setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, one, 4)],
    ['setsockopt(SO_BINDTODEVICE)', () => c.setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, IFNAMSIZ)],
    ['bind', () => c.bind(fd, any, 28)],
  ];
  for (const [op, call] of steps) {
    if (call() !== 0) {
      const errno = c.errno();
      c.close(fd);
      throw new VmpodError('DHCP_SOCKET', `${op} for the DHCPv6 socket on ${name} failed: errno ${errno}`, {
        facts: { operation: op, errno, interface: name },
      });
    }
  }
  return fd;
}

function sysError(op: string, errno: number, name: string): VmpodError {
  return new VmpodError('DHCP_SOCKET', `${op} for the DHCPv6 socket on ${name} failed: errno ${errno}`, {
    facts: { operation: op, errno, interface: name },
  });
}
