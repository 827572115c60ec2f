import { closeSync, openSync } from 'node:fs';
import { VmpodError } from '../errors.js';
import { loadLibc } from '../native/libc.js';
import {
  type RawMessage,
  type RtRequest,
  classify,
  codeForErrno,
  encodeMessage,
  errnoName,
  isMulti,
  splitMessages,
} from './rtnetlink.js';

// An rtnetlink socket over libc (Node has no AF_NETLINK): requests go to the kernel, which
// answers before sendto returns, so every call here is synchronous and takes microseconds where
// an `ip` process took 10–25 ms. A socket made while the thread is in another network namespace
// stays bound to that namespace, which is how a named netns is reached from outside.

const AF_NETLINK = 16;
const SOCK_RAW = 3;
const SOCK_CLOEXEC = 0o2000000;
const NETLINK_ROUTE = 0;
const SOL_SOCKET = 1;
const SO_RCVTIMEO = 20;
const SOL_NETLINK = 270;
const NETLINK_CAP_ACK = 10;
const NETLINK_EXT_ACK = 11;
const MSG_TRUNC = 0x20;
const CLONE_NEWNET = 0x40000000;
const EINTR = 4;

/** How long a reply may take before the request fails (the kernel answers at once). */
const RECEIVE_TIMEOUT_MS = 5000;
const RECEIVE_BUFFER = 64 * 1024;
// One receive buffer for every socket: a request is sent and its reply read within one
// synchronous call, so no two requests ever use it at the same time.
let receiveBuffer: Buffer | undefined;

function fail(call: string, netns: string | undefined): VmpodError {
  const errno = loadLibc().errno();
  return new VmpodError(codeForErrno(errno), `netlink ${call}: ${errnoName(errno)}`, {
    facts: { call, errno: errnoName(errno), netns },
  });
}

/** The path of a named netns (`ip netns add NAME`), or `netns` itself when it is a path. */
const netnsPath = (netns: string): string => (netns.startsWith('/') ? netns : `/run/netns/${netns}`);

/**
 * Runs `fn` (synchronous) with this thread in the network namespace `netns`, then moves back.
 * Needs CAP_SYS_ADMIN; only tools and tests use it, the launcher already lives in the pod's netns.
 */
export function inNetns<T>(netns: string | undefined, fn: () => T): T {
  if (netns === undefined) return fn();
  const c = loadLibc();
  const home = openSync('/proc/thread-self/ns/net', 'r');
  let target: number | undefined;
  try {
    target = openSync(netnsPath(netns), 'r');
    if (c.setns(target, CLONE_NEWNET) !== 0) throw fail('setns', netns);
    try {
      return fn();
    } finally {
      // Staying in the wrong namespace would misdirect every later socket: nothing to go on with.
      if (c.setns(home, CLONE_NEWNET) !== 0) {
        process.stderr.write(`vmpod: cannot return from network namespace ${netns}; exiting\n`);
        process.exit(70);
      }
    }
  } finally {
    if (target !== undefined) closeSync(target);
    closeSync(home);
  }
}

export class NetlinkSocket {
  readonly netns: string | undefined;
  #fd: number;
  #seq = Math.floor(Math.random() * 0x7fffffff);

  private constructor(fd: number, netns: string | undefined) {
    this.#fd = fd;
    this.netns = netns;
  }

  /** A socket in the current network namespace, or in `netns` (a name under /run/netns, or a path). */
  static open(netns?: string): NetlinkSocket {
    const c = loadLibc();
    const fd = inNetns(netns, () => c.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
    if (fd < 0) throw fail('socket', netns);
    const one = Buffer.alloc(4);
    one.writeInt32LE(1);
    const timeout = Buffer.alloc(16);
    timeout.writeBigInt64LE(BigInt(Math.floor(RECEIVE_TIMEOUT_MS / 1000)), 0);
    timeout.writeBigInt64LE(BigInt((RECEIVE_TIMEOUT_MS % 1000) * 1000), 8);
    const address = Buffer.alloc(12);
    address.writeUInt16LE(AF_NETLINK, 0);
    try {
      if (c.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, timeout, timeout.length) !== 0)
        throw fail('SO_RCVTIMEO', netns);
      // The kernel's own words on a refusal ("Unknown device type"), without the request echoed.
      c.setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, one, 4);
      c.setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, one, 4);
      if (c.bind(fd, address, address.length) !== 0) throw fail('bind', netns);
    } catch (err) {
      c.close(fd);
      throw err;
    }
    return new NetlinkSocket(fd, netns);
  }

  /** Opens a socket for `fn` and closes it after. */
  static use<T>(netns: string | undefined, fn: (s: NetlinkSocket) => T): T {
    const s = NetlinkSocket.open(netns);
    try {
      return fn(s);
    } finally {
      s.close();
    }
  }

  close(): void {
    if (this.#fd >= 0) loadLibc().close(this.#fd);
    this.#fd = -1;
  }

  /**
   * Sends one request and returns the data messages of its reply (none for an acknowledged
   * change, all parts for a dump). A refusal throws with the errno's code and the kernel's text.
   */
  request(req: RtRequest, what: string): RawMessage[] {
    if (this.#fd < 0) throw new VmpodError('NETLINK_CLOSED', `netlink socket closed (${what})`);
    const c = loadLibc();
    this.#seq = (this.#seq + 1) >>> 0;
    const seq = this.#seq;
    const msg = encodeMessage(req.type, req.flags, seq, req.body);
    const kernel = Buffer.alloc(12);
    kernel.writeUInt16LE(AF_NETLINK, 0);
    if (c.sendto(this.#fd, msg, msg.length, 0, kernel, kernel.length) !== msg.length) {
      throw this.#wrap(fail('sendto', this.netns), what);
    }
    receiveBuffer ??= Buffer.alloc(RECEIVE_BUFFER);
    const buf = receiveBuffer;
    const data: RawMessage[] = [];
    for (;;) {
      const n = c.recv(this.#fd, buf, buf.length, MSG_TRUNC);
      if (n < 0) {
        const errno = c.errno();
        if (errno === EINTR) continue;
        const timedOut = errnoName(errno) === 'EAGAIN';
        throw new VmpodError(
          timedOut ? 'NETLINK_TIMEOUT' : codeForErrno(errno),
          `netlink ${what}: ${timedOut ? `no reply in ${RECEIVE_TIMEOUT_MS} ms` : errnoName(errno)}`,
          { facts: { request: what, netns: this.netns } },
        );
      }
      if (n > buf.length) {
        throw new VmpodError('NETLINK_MALFORMED', `netlink ${what}: a reply of ${n} bytes was cut`, {
          facts: { request: what, netns: this.netns },
        });
      }
      let more = false;
      for (const m of splitMessages(buf.subarray(0, n))) {
        if (m.seq !== seq) continue; // left over from an earlier request that timed out
        const reply = classify(m);
        if (reply.kind === 'error') {
          const name = errnoName(reply.errno);
          throw new VmpodError(
            codeForErrno(reply.errno),
            `netlink ${what}: ${name}${reply.detail ? ` (${reply.detail})` : ''}`,
            { facts: { request: what, errno: name, detail: reply.detail, netns: this.netns } },
          );
        }
        if (reply.kind === 'ack' || reply.kind === 'done') return data;
        // Copied: the receive buffer is reused by the next recv.
        data.push({ ...reply.message, payload: Buffer.from(reply.message.payload) });
        more = isMulti(m);
      }
      // A plain answer (a GETLINK without ACK) is one message; a dump goes on until DONE.
      if (!more && data.length > 0) return data;
    }
  }

  #wrap(err: VmpodError, what: string): VmpodError {
    return new VmpodError(err.code, `${err.message} (${what})`, { cause: err, facts: err.facts });
  }
}
