import { networkInterfaces } from 'node:os';
import { describeError, errorCode, VmpodError } from '../errors.js';
import { forFile, type Logger } from '../log/logger.js';
import { loadLibc } from '../native/libc.js';
import { parseMac } from './ipv4.js';
import {
  buildRouterAdvertisement,
  decodeRouterSolicitation,
  ICMPV6_ROUTER_SOLICITATION,
} from './ra-message.js';
import { formatIpv6, parseIpv6 } from './v6-address.js';

// Router advertisements on the masquerade bridge (RFC 4861 §6.2): KubeVirt sends none (§7.3.7),
// so a guest gets its IPv6 default route from vmpod instead of from cloud-init. A raw ICMPv6
// socket bound to the bridge (needs CAP_NET_RAW), hop limit 255 as §6.1.2 demands of receivers,
// a kernel filter passing Router Solicitations only. Node cannot watch a raw socket's fd, so the
// socket is non-blocking and drained every `pollMs` (a handful of syscalls a second when idle).
//
// Timing: MAX_INITIAL_RTR_ADVERTISEMENTS (3) fast ones, `initialIntervalMs` apart (RFC's bound is
// 16 s), then one every 200–300 s (MinRtrAdvInterval..MaxRtrAdvInterval). A solicitation is
// answered with a multicast RA after a random 0–500 ms (MAX_RA_DELAY_TIME), and never sooner than
// 3 s (MIN_DELAY_BETWEEN_RAS) after the previous multicast RA: a flood of RS costs one RA per 3 s.

export interface RouterAdvertiserOptions {
  readonly interfaceName: string;
  /** The bridge's MAC (`02:00:00:00:00:00` in masquerade). */
  readonly routerMac: string;
  /** The VM network, e.g. `fd10:0:2::/120` (an address with host bits is fine: they are cleared). */
  readonly prefix: string;
  readonly mtu?: number | undefined;
  readonly log: Logger;
  readonly initialIntervalMs?: number;
  readonly pollMs?: number;
}

export interface RouterAdvertiser {
  readonly stats: { sent: number; solicitations: number; malformed: number };
  close(): Promise<void>;
}

const AF_INET6 = 10;
const SOCK_RAW = 3;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const IPPROTO_ICMPV6 = 58;
const SOL_SOCKET = 1;
const SO_BINDTODEVICE = 25;
const IPPROTO_IPV6 = 41;
const IPV6_UNICAST_HOPS = 16;
const IPV6_MULTICAST_IF = 17;
const IPV6_MULTICAST_HOPS = 18;
const IPV6_MULTICAST_LOOP = 19;
const IPV6_JOIN_GROUP = 20;
const ICMP6_FILTER = 1;
const EAGAIN = 11;
const IFNAMSIZ = 16;

const MAX_INITIAL_RTR_ADVERTISEMENTS = 3;
const MIN_RTR_ADV_INTERVAL_MS = 200_000;
const MAX_RTR_ADV_INTERVAL_MS = 300_000;
const MAX_RA_DELAY_TIME_MS = 500;
const MIN_DELAY_BETWEEN_RAS_MS = 3_000;
const MALFORMED_LOG_INTERVAL_MS = 1000;
const ALL_NODES = 'ff02::1';
const ALL_ROUTERS = 'ff02::2';

export async function startRouterAdvertiser(opts: RouterAdvertiserOptions): Promise<RouterAdvertiser> {
  const log = forFile(opts.log, 'ra-advertiser.ts');
  const name = opts.interfaceName;
  const ra = buildRouterAdvertisement({
    routerMac: parseMac(opts.routerMac),
    prefix: opts.prefix,
    mtu: opts.mtu,
  });
  const c = loadLibc();
  let fd: number;
  let ifindex: number;
  try {
    ({ fd, ifindex } = rawSocket(name));
  } catch (err) {
    log.error(
      { reason: describeError(err), code: errorCode(err), interface: name },
      'router advertisements disabled: cannot open the raw ICMPv6 socket (needs CAP_NET_RAW)',
    );
    throw err;
  }
  const allNodes = sockaddrIn6(ALL_NODES, ifindex);
  const stats = { sent: 0, solicitations: 0, malformed: 0 };
  let closed = false;
  let lastSent = Number.NEGATIVE_INFINITY;
  let initialSent = 0;
  let periodic: NodeJS.Timeout | undefined;
  let answer: NodeJS.Timeout | undefined;
  let lastMalformedLog = 0;
  let unlogged = 0;
  let lastSendErrorLog = 0;

  const send = (why: string): boolean => {
    if (closed) return false;
    // RAs come from a link-local address (§4.2); before the bridge has one, the kernel would pick
    // another source and guests would drop the RA.
    if (!hasLinkLocal(name)) {
      log.debug({ interface: name, why }, 'router advertisement deferred: no link-local address yet');
      return false;
    }
    const n = c.sendto(fd, ra, ra.length, 0, allNodes, allNodes.length);
    if (n < 0) {
      const errno = c.errno();
      if (Date.now() - lastSendErrorLog >= MALFORMED_LOG_INTERVAL_MS) {
        log.warn({ interface: name, errno, why }, 'router advertisement not sent');
        lastSendErrorLog = Date.now();
      }
      return false;
    }
    stats.sent++;
    lastSent = Date.now();
    log.debug({ interface: name, why, to: ALL_NODES }, 'router advertisement sent');
    return true;
  };

  const schedulePeriodic = (ms: number) => {
    periodic = setTimeout(tick, ms);
  };
  const tick = () => {
    if (closed) return;
    if (initialSent < MAX_INITIAL_RTR_ADVERTISEMENTS) {
      if (send('initial')) initialSent++;
      if (initialSent < MAX_INITIAL_RTR_ADVERTISEMENTS)
        return schedulePeriodic(opts.initialIntervalMs ?? 4_000);
    } else {
      send('periodic');
    }
    schedulePeriodic(
      MIN_RTR_ADV_INTERVAL_MS + Math.random() * (MAX_RTR_ADV_INTERVAL_MS - MIN_RTR_ADV_INTERVAL_MS),
    );
  };

  const solicited = (from: string) => {
    stats.solicitations++;
    if (answer) return; // one answer serves every solicitation that arrives before it leaves
    const now = Date.now();
    const delay = Math.max(Math.random() * MAX_RA_DELAY_TIME_MS, lastSent + MIN_DELAY_BETWEEN_RAS_MS - now);
    log.info({ interface: name, from, inMs: Math.round(delay) }, 'router solicitation answered');
    answer = setTimeout(() => {
      answer = undefined;
      send('solicited');
    }, delay);
  };

  const buf = Buffer.alloc(1500);
  const from = Buffer.alloc(28);
  const fromLen = [28];
  // Drains what is queued; polls again soon while packets keep coming, every `pollMs` when idle.
  const drain = (): number => {
    let i = 0;
    for (; i < 1024 && !closed; i++) {
      fromLen[0] = 28;
      const n = c.recvfrom(fd, buf, buf.length, 0, from, fromLen);
      if (n < 0) {
        const errno = c.errno();
        if (errno !== EAGAIN) log.warn({ interface: name, errno }, 'router solicitation receive failed');
        break;
      }
      const source = formatIpv6(from.subarray(8, 24));
      try {
        decodeRouterSolicitation(buf.subarray(0, n));
      } catch (err) {
        stats.malformed++;
        unlogged++;
        if (Date.now() - lastMalformedLog >= MALFORMED_LOG_INTERVAL_MS) {
          log.warn(
            { reason: describeError(err), code: errorCode(err), from: source, dropped: unlogged },
            'malformed router solicitation dropped',
          );
          lastMalformedLog = Date.now();
          unlogged = 0;
        }
        continue;
      }
      solicited(source);
    }
    return i;
  };
  let poll: NodeJS.Timeout | undefined;
  const schedulePoll = (ms: number) => {
    poll = setTimeout(() => {
      if (!closed) schedulePoll(drain() > 0 ? 10 : (opts.pollMs ?? 200));
    }, ms);
  };
  schedulePoll(0);

  tick();
  log.info(
    { interface: name, prefix: opts.prefix, mtu: opts.mtu, routerMac: opts.routerMac },
    'router advertiser started',
  );
  return {
    stats,
    close: async () => {
      if (closed) return;
      closed = true;
      clearTimeout(poll);
      clearTimeout(periodic);
      clearTimeout(answer);
      c.close(fd);
    },
  };
}

function hasLinkLocal(name: string): boolean {
  return (networkInterfaces()[name] ?? []).some((a) => a.family === 'IPv6' && a.address.startsWith('fe80'));
}

function rawSocket(name: string): { fd: number; ifindex: number } {
  if (name.length === 0 || Buffer.byteLength(name) >= IFNAMSIZ) {
    throw new VmpodError('RA_BAD_INTERFACE', `interface name "${name}" is not 1–15 bytes`, {
      facts: { interface: name },
    });
  }
  const c = loadLibc();
  const ifindex = c.if_nametoindex(name);
  if (ifindex === 0) throw sysError('if_nametoindex', c.errno(), name);
  const fd = c.socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMPV6);
  if (fd < 0) throw sysError('socket(SOCK_RAW, IPPROTO_ICMPV6)', c.errno(), name);
  const int = (v: number) => {
    const b = Buffer.alloc(4);
    b.writeInt32LE(v);
    return b;
  };
  const ifname = Buffer.alloc(IFNAMSIZ);
  ifname.write(name, 'utf8');
  // struct icmp6_filter: a set bit blocks that type; pass Router Solicitations only.
  const filter = Buffer.alloc(32, 0xff);
  filter.writeUInt32LE(
    (0xffffffff & ~(1 << (ICMPV6_ROUTER_SOLICITATION & 31))) >>> 0,
    4 * (ICMPV6_ROUTER_SOLICITATION >> 5),
  );
  const mreq = Buffer.alloc(20); // struct ipv6_mreq
  Buffer.from(parseIpv6(ALL_ROUTERS)).copy(mreq, 0);
  mreq.writeUInt32LE(ifindex, 16);
  const steps: [string, () => number][] = [
    ['setsockopt(SO_BINDTODEVICE)', () => c.setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, IFNAMSIZ)],
    ['setsockopt(ICMP6_FILTER)', () => c.setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, filter, 32)],
    [
      'setsockopt(IPV6_MULTICAST_HOPS)',
      () => c.setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, int(255), 4),
    ],
    ['setsockopt(IPV6_UNICAST_HOPS)', () => c.setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, int(255), 4)],
    ['setsockopt(IPV6_MULTICAST_LOOP)', () => c.setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, int(0), 4)],
    [
      'setsockopt(IPV6_MULTICAST_IF)',
      () => c.setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, int(ifindex), 4),
    ],
    ['setsockopt(IPV6_JOIN_GROUP ff02::2)', () => c.setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, mreq, 20)],
  ];
  for (const [op, call] of steps) {
    if (call() !== 0) {
      const errno = c.errno();
      c.close(fd);
      throw sysError(op, errno, name);
    }
  }
  return { fd, ifindex };
}

/** struct sockaddr_in6: family (host order), port 0, flowinfo 0, address, scope id (host order). */
function sockaddrIn6(address: string, scopeId: number): Buffer {
  const b = Buffer.alloc(28);
  b.writeUInt16LE(AF_INET6, 0);
  Buffer.from(parseIpv6(address)).copy(b, 8);
  b.writeUInt32LE(scopeId, 24);
  return b;
}

const ERRNO_NAMES: Record<number, string> = { 1: 'EPERM', 13: 'EACCES', 19: 'ENODEV' };

function sysError(op: string, errno: number, name: string): VmpodError {
  const code = ERRNO_NAMES[errno] ?? `errno ${errno}`;
  const hint = errno === 1 || errno === 13 ? ' (a raw ICMPv6 socket needs CAP_NET_RAW)' : '';
  return new VmpodError('RA_SOCKET', `${op} for router advertisements on ${name} failed: ${code}${hint}`, {
    facts: { operation: op, errno, interface: name },
  });
}
