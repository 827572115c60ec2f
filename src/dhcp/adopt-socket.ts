import { type Socket, createSocket } from 'node:dgram';
import { VmpodError } from '../errors.js';
import { loadLibc } from '../native/libc.js';

// A UDP socket made with libc (bound to one interface before bind, which Node's dgram cannot do)
// handed over to Node's dgram, and closed politely. Shared by the DHCPv4 and DHCPv6 servers.

export async function adoptUdpSocket(
  fd: number,
  type: 'udp4' | 'udp6',
  interfaceName: string,
): Promise<Socket> {
  const sock = createSocket({ type });
  try {
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind({ fd }, () => {
        sock.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    loadLibc().close(fd);
    throw new VmpodError('DHCP_SOCKET', `cannot adopt the ${type} DHCP socket on ${interfaceName}`, {
      cause: err,
      facts: { interface: interfaceName },
    });
  }
  // A send error (e.g. the bridge went down) is reported per send; nothing else is fatal.
  sock.on('error', () => {});
  return sock;
}

export function closeSocket(sock: Socket): Promise<void> {
  return new Promise<void>((resolve) => {
    try {
      sock.close(() => resolve());
    } catch {
      resolve(); // already closed
    }
  });
}
