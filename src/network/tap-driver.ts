import { closeSync, openSync } from 'node:fs';
import { VmpodError } from '../errors.js';
import { loadLibc } from '../native/libc.js';
import type { TapDriver } from './drivers.js';
import { inNetns } from './netlink-socket.js';
import { codeForErrno, errnoName } from './rtnetlink.js';

// Taps as `ip tuntap add dev NAME mode tap user U group G [multi_queue]` makes them (linux/if_tun.h):
// TUNSETIFF on /dev/net/tun with IFF_TAP | IFF_NO_PI (| IFF_MULTI_QUEUE), exclusive, then the
// owner and group, then persistence so the tap outlives the descriptor until qemu opens it.
// rtnetlink cannot create tun devices, so this is an ioctl; the namespace is the opener's.

const IFF_TAP = 0x0002;
const IFF_MULTI_QUEUE = 0x0100;
const IFF_NO_PI = 0x1000;
const IFF_TUN_EXCL = 0x8000;
const TUNSETIFF = 0x400454ca;
const TUNSETPERSIST = 0x400454cb;
const TUNSETOWNER = 0x400454cc;
const TUNSETGROUP = 0x400454ce;
const IFNAMSIZ = 16;
const IFREQ_SIZE = 40;

/** The `struct ifreq` TUNSETIFF reads: the name, then the flags. */
export function tapIfreq(name: string, queues: number): Buffer {
  const bytes = Buffer.from(name, 'utf8');
  if (bytes.length === 0 || bytes.length >= IFNAMSIZ || bytes.includes(0) || name.includes('/')) {
    throw new VmpodError('NETWORK_BAD_NAME', `not a usable interface name: ${JSON.stringify(name)}`);
  }
  const ifr = Buffer.alloc(IFREQ_SIZE);
  bytes.copy(ifr);
  ifr.writeUInt16LE(IFF_TAP | IFF_NO_PI | IFF_TUN_EXCL | (queues > 1 ? IFF_MULTI_QUEUE : 0), IFNAMSIZ);
  return ifr;
}

export function createTunTapDriver(netns?: string): TapDriver {
  return {
    async createTap(name, opts) {
      const ifr = tapIfreq(name, opts.queues);
      const c = loadLibc();
      const step = (what: string, rc: number) => {
        if (rc === 0) return;
        const errno = c.errno();
        throw new VmpodError(codeForErrno(errno), `create tap ${name}: ${what}: ${errnoName(errno)}`, {
          facts: { tap: name, step: what, errno: errnoName(errno), netns },
        });
      };
      inNetns(netns, () => {
        const fd = openSync('/dev/net/tun', 'r+');
        try {
          step('TUNSETIFF', c.ioctl(fd, TUNSETIFF, 'void *', ifr));
          step('TUNSETOWNER', c.ioctl(fd, TUNSETOWNER, 'unsigned long', opts.uid));
          step('TUNSETGROUP', c.ioctl(fd, TUNSETGROUP, 'unsigned long', opts.gid));
          step('TUNSETPERSIST', c.ioctl(fd, TUNSETPERSIST, 'unsigned long', 1));
        } finally {
          closeSync(fd);
        }
      });
    },
  };
}
