import type { RemoteInfo, Socket } from 'node:dgram';
import { VmpodError } from '../errors.js';
import { adoptUdpSocket, closeSocket } from './adopt-socket.js';
import { loadLibc } from '../native/libc.js';
import { parseIpv4 } from './ipv4.js';

// UDP port 67 on one interface only. KubeVirt filters by IP_PKTINFO's ingress ifindex; Node's
// dgram exposes neither that nor SO_BINDTODEVICE, so the socket is made through libc
// (src/native/libc.ts) with SO_BINDTODEVICE set *before* bind: from its first packet it hears only
// the bridge, and its replies — broadcast ones included — can leave only through the bridge.
// Then dgram adopts the bound fd. Needs no capability beyond CAP_NET_BIND_SERVICE (Linux ≥ 5.7
// lets unprivileged sockets bind to a device).

const AF_INET = 2;
const SOCK_DGRAM = 2;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SO_REUSEADDR = 2;
const SO_BROADCAST = 6;
const SO_BINDTODEVICE = 25;
const IFNAMSIZ = 16;

export interface Datagram {
  readonly data: Uint8Array;
  readonly source: { readonly address: string; readonly port: number };
}

export interface TransportOptions {
  readonly interfaceName: string;
  /** 67 unless a test says otherwise. */
  readonly port?: number;
  /**
   * The guest's tap, a port of the bridge. When given, broadcast replies leave through it alone:
   * sent on the bridge they would flood to every port, the pod's uplink (`eth0-nic`) included.
   * Unicast replies still go through the bridge, which forwards them to the port where it learned
   * the guest's MAC.
   */
  readonly tap?: { readonly name: string; readonly sourceAddress: string } | undefined;
}

export interface DhcpTransport {
  readonly interfaceName: string;
  send(data: Uint8Array, to: { address: string; port: number }): Promise<void>;
  close(): Promise<void>;
}

export async function openTransport(
  opts: TransportOptions,
  onDatagram: (d: Datagram) => void,
): Promise<DhcpTransport> {
  const name = opts.interfaceName;
  const port = opts.port ?? 67;
  const sock = await adoptUdpSocket(boundSocket(name, port, '0.0.0.0'), 'udp4', name);
  sock.on('message', (msg: Buffer, rinfo: RemoteInfo) =>
    onDatagram({ data: msg, source: { address: rinfo.address, port: rinfo.port } }),
  );
  let tapSock: Socket | undefined;
  if (opts.tap) {
    try {
      // Bound to the server's address, so replies carry it as their source although the tap has none.
      tapSock = await adoptUdpSocket(
        boundSocket(opts.tap.name, port, opts.tap.sourceAddress),
        'udp4',
        opts.tap.name,
      );
    } catch (err) {
      await closeSocket(sock);
      throw err;
    }
    // Nothing arrives here (the bridge takes its ports' frames), but drain it all the same.
    tapSock.on('message', () => {});
  }
  const broadcastVia = tapSock ?? sock;
  return {
    interfaceName: name,
    send: (data, to) => sendOn(to.address === '255.255.255.255' ? broadcastVia : sock, data, to),
    close: async () => {
      await closeSocket(sock);
      if (tapSock) await closeSocket(tapSock);
    },
  };
}

function sendOn(sock: Socket, data: Uint8Array, to: { address: string; port: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    sock.send(data, to.port, to.address, (err) => (err ? reject(err) : resolve()));
  });
}

function boundSocket(name: string, port: number, address: string): number {
  if (name.length === 0 || Buffer.byteLength(name) >= IFNAMSIZ) {
    throw new VmpodError('DHCP_BAD_INTERFACE', `interface name "${name}" is not 1–15 bytes`, {
      facts: { interface: name },
    });
  }
  const c = loadLibc();
  const fd = c.socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw sysError('socket', c.errno(), name);
  const one = Buffer.alloc(4);
  one.writeInt32LE(1);
  const ifname = Buffer.alloc(IFNAMSIZ);
  ifname.write(name, 'utf8');
  const steps: [string, () => number][] = [
    ['setsockopt(SO_REUSEADDR)', () => c.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, one, 4)],
    ['setsockopt(SO_BROADCAST)', () => c.setsockopt(fd, SOL_SOCKET, SO_BROADCAST, one, 4)],
    ['setsockopt(SO_BINDTODEVICE)', () => c.setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, IFNAMSIZ)],
    ['bind', () => c.bind(fd, sockaddrIn(address, port), 16)],
  ];
  for (const [op, call] of steps) {
    if (call() !== 0) {
      const errno = c.errno();
      c.close(fd);
      throw sysError(op, errno, name);
    }
  }
  return fd;
}

/** struct sockaddr_in: family in host order (little-endian), port and address big-endian. */
function sockaddrIn(address: string, port: number): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt16LE(AF_INET, 0);
  b.writeUInt16BE(port, 2);
  Buffer.from(parseIpv4(address)).copy(b, 4);
  return b;
}

const ERRNO_NAMES: Record<number, string> = {
  1: 'EPERM',
  13: 'EACCES',
  19: 'ENODEV',
  98: 'EADDRINUSE',
  99: 'EADDRNOTAVAIL',
};

function sysError(op: string, errno: number, name: string): VmpodError {
  const code = ERRNO_NAMES[errno] ?? `errno ${errno}`;
  return new VmpodError('DHCP_SOCKET', `${op} for the DHCP socket on ${name} failed: ${code}`, {
    facts: { operation: op, errno, interface: name },
  });
}
