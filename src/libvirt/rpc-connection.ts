// One socket's life: framing in, serial matching of replies to calls, keepalive PING/PONG, event
// messages handed up. When the socket ends, for whatever reason, every waiter is released with a
// typed error; nothing is retried here (that is the client's job).
import { createConnection, type Socket } from 'node:net';
import type { VmpodError } from '../errors.js';
import { LibvirtError, clientError } from './errors.js';
import { Framer } from './framer.js';
import { Keepalive, type KeepaliveOptions } from './keepalive.js';
import {
  KEEPALIVE_PROC_PING,
  KEEPALIVE_PROC_PONG,
  KEEPALIVE_PROGRAM,
  MessageStatus,
  MessageType,
  PROTOCOL_VERSION,
  type PacketHeader,
  decodePacket,
  encodePacket,
} from './packet-header.js';
import type { Procedure } from './procedure.js';
import { remoteError } from './remote-types.js';
import { decode } from './xdr-types.js';

export interface ConnectionOptions {
  socketPath: string;
  connectTimeoutMs: number;
}

export interface ConnectionHandlers {
  /** An asynchronous MESSAGE from a non-keepalive program (domain events). */
  onMessage(header: PacketHeader, body: Uint8Array): void;
  /** Called once, when the socket is gone; `error` says why. */
  onClose(error: VmpodError): void;
}

interface Pending {
  proc: Procedure<unknown, unknown>;
  resolve(value: unknown): void;
  reject(error: Error): void;
  /** Date.now() after which the call fails with LIBVIRT_TIMEOUT. */
  deadline: number;
  timeoutMs: number;
}

const SERIAL_MAX = 0xffff_ffff;
const READ_BUFFER_SIZE = 64 * 1024;

export class RpcConnection {
  private readonly framer = new Framer();
  private readonly pending = new Map<number, Pending>();
  private serial = 0;
  private keepalive: Keepalive | undefined;
  private closedWith: VmpodError | undefined;
  // One timer for all deadlines, armed for the earliest: no timer work per call on the hot path.
  private deadlineTimer: NodeJS.Timeout | undefined;
  private deadlineAt = Number.POSITIVE_INFINITY;

  private constructor(
    private readonly socket: Socket,
    private readonly handlers: ConnectionHandlers,
    readonly socketPath: string,
  ) {
    socket.on('error', (err) =>
      this.fail(
        clientError('LIBVIRT_DISCONNECTED', `libvirt socket error: ${err.message}`, { socketPath }, err),
      ),
    );
    socket.on('close', () =>
      this.fail(clientError('LIBVIRT_DISCONNECTED', 'libvirt closed the connection', { socketPath })),
    );
  }

  static open(options: ConnectionOptions, handlers: ConnectionHandlers): Promise<RpcConnection> {
    const { socketPath, connectTimeoutMs } = options;
    return new Promise((resolve, reject) => {
      let conn: RpcConnection | undefined;
      // One reused read buffer (Node's `onread`): no allocation per read, and frames are decoded
      // before the next read overwrites it; the framer copies out only a partial message's bytes.
      const socket = createConnection({
        path: socketPath,
        onread: {
          buffer: Buffer.allocUnsafe(READ_BUFFER_SIZE),
          callback: (n, buf) => {
            conn?.onData(buf.subarray(0, n));
            return true; // keep reading
          },
        },
      });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(
          clientError(
            'LIBVIRT_CONNECT_FAILED',
            `no connection to ${socketPath} within ${connectTimeoutMs} ms`,
            {
              socketPath,
              timeoutMs: connectTimeoutMs,
            },
          ),
        );
      }, connectTimeoutMs);
      const onError = (err: NodeJS.ErrnoException): void => {
        clearTimeout(timer);
        reject(
          clientError(
            'LIBVIRT_CONNECT_FAILED',
            `cannot connect to ${socketPath}: ${err.message}`,
            {
              socketPath,
              errno: err.code,
            },
            err,
          ),
        );
      };
      socket.once('error', onError);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.off('error', onError);
        conn = new RpcConnection(socket, handlers, socketPath);
        resolve(conn);
      });
    });
  }

  get closed(): boolean {
    return this.closedWith !== undefined;
  }

  get inFlight(): number {
    return this.pending.size;
  }

  call<A, R>(proc: Procedure<A, R>, args: A, timeoutMs: number): Promise<R> {
    if (this.closedWith) {
      return Promise.reject(
        clientError(
          'LIBVIRT_DISCONNECTED',
          `${proc.name}: connection is closed`,
          { procedure: proc.name, reason: this.closedWith.code },
          this.closedWith,
        ),
      );
    }
    const serial = this.nextSerial();
    let packet: Buffer;
    try {
      packet = encodePacket(
        {
          program: proc.program,
          version: PROTOCOL_VERSION,
          procedure: proc.procedure,
          type: MessageType.CALL,
          serial,
          status: MessageStatus.OK,
        },
        (w) => proc.args.write(w, args),
      );
    } catch (err) {
      return Promise.reject(err);
    }
    const deadline = Date.now() + timeoutMs;
    return new Promise<R>((resolve, reject) => {
      this.pending.set(serial, {
        proc: proc as Procedure<unknown, unknown>,
        resolve: resolve as (v: unknown) => void,
        reject,
        deadline,
        timeoutMs,
      });
      if (deadline < this.deadlineAt) this.armDeadline(deadline);
      this.socket.write(packet);
    });
  }

  startKeepalive(options: KeepaliveOptions): void {
    if (this.closedWith || this.keepalive) return;
    this.keepalive = new Keepalive(
      options,
      () => this.sendKeepalive(KEEPALIVE_PROC_PING),
      (silentForMs) =>
        this.fail(
          clientError(
            'LIBVIRT_KEEPALIVE_TIMEOUT',
            `libvirt silent for ${silentForMs} ms despite keepalive pings`,
            {
              socketPath: this.socketPath,
              silentForMs,
            },
          ),
        ),
    );
    this.keepalive.start();
  }

  /** Closes the socket now; every waiter fails with `error`. */
  destroy(error: VmpodError): void {
    this.fail(error);
  }

  private armDeadline(at: number): void {
    clearTimeout(this.deadlineTimer);
    this.deadlineAt = at;
    this.deadlineTimer = setTimeout(() => this.expireCalls(), Math.max(0, at - Date.now()));
    // The socket keeps the process alive while calls are pending; the deadline timer need not.
    this.deadlineTimer.unref();
  }

  private expireCalls(): void {
    this.deadlineTimer = undefined;
    this.deadlineAt = Number.POSITIVE_INFINITY;
    const now = Date.now();
    let next = Number.POSITIVE_INFINITY;
    for (const [serial, call] of this.pending) {
      if (call.deadline > now) {
        next = Math.min(next, call.deadline);
        continue;
      }
      this.pending.delete(serial);
      call.reject(
        clientError('LIBVIRT_TIMEOUT', `${call.proc.name} got no reply within ${call.timeoutMs} ms`, {
          procedure: call.proc.name,
          serial,
          timeoutMs: call.timeoutMs,
        }),
      );
    }
    if (next !== Number.POSITIVE_INFINITY && !this.closedWith) this.armDeadline(next);
  }

  private nextSerial(): number {
    do {
      this.serial = this.serial >= SERIAL_MAX ? 1 : this.serial + 1;
    } while (this.pending.has(this.serial));
    return this.serial;
  }

  private onData(chunk: Uint8Array): void {
    this.keepalive?.received();
    let frames: Uint8Array[];
    try {
      frames = this.framer.push(chunk);
    } catch (err) {
      this.fail(
        clientError(
          'LIBVIRT_DISCONNECTED',
          'libvirt stream is corrupt',
          { socketPath: this.socketPath },
          err,
        ),
      );
      return;
    }
    for (const frame of frames) {
      if (this.closedWith) return;
      this.onFrame(frame);
    }
    this.framer.retain();
  }

  private onFrame(frame: Uint8Array): void {
    let header: PacketHeader;
    let body: Uint8Array;
    try {
      ({ header, body } = decodePacket(frame));
    } catch (err) {
      this.fail(
        clientError(
          'LIBVIRT_DISCONNECTED',
          'undecodable libvirt packet header',
          { socketPath: this.socketPath },
          err,
        ),
      );
      return;
    }
    if (header.type === MessageType.REPLY) this.onReply(header, body);
    else if (header.type === MessageType.MESSAGE) this.onMessage(header, body);
    // Streams, FD passing and server-side calls are never requested by this client: ignore them.
  }

  private onReply(header: PacketHeader, body: Uint8Array): void {
    const call = this.pending.get(header.serial);
    if (!call) return; // Its caller already timed out.
    this.pending.delete(header.serial);
    const { proc } = call;
    if (header.program !== proc.program || header.procedure !== proc.procedure) {
      call.reject(
        clientError('LIBVIRT_PROTOCOL_ERROR', `reply to ${proc.name} names procedure ${header.procedure}`, {
          procedure: proc.name,
          replyProgram: header.program,
          replyProcedure: header.procedure,
        }),
      );
      return;
    }
    try {
      if (header.status === MessageStatus.ERROR) {
        call.reject(new LibvirtError(decode(remoteError, body, 'remote_error'), proc.name));
      } else {
        call.resolve(decode(proc.ret, body, proc.name));
      }
    } catch (err) {
      call.reject(
        clientError(
          'LIBVIRT_PROTOCOL_ERROR',
          `undecodable reply to ${proc.name}`,
          { procedure: proc.name },
          err,
        ),
      );
    }
  }

  private onMessage(header: PacketHeader, body: Uint8Array): void {
    if (header.program === KEEPALIVE_PROGRAM) {
      if (header.procedure === KEEPALIVE_PROC_PING) this.sendKeepalive(KEEPALIVE_PROC_PONG);
      return;
    }
    this.handlers.onMessage(header, body);
  }

  private sendKeepalive(procedure: number): void {
    if (this.closedWith) return;
    this.socket.write(
      encodePacket({
        program: KEEPALIVE_PROGRAM,
        version: PROTOCOL_VERSION,
        procedure,
        type: MessageType.MESSAGE,
        serial: 0,
        status: MessageStatus.OK,
      }),
    );
  }

  private fail(error: VmpodError): void {
    if (this.closedWith) return;
    this.closedWith = error;
    this.keepalive?.stop();
    this.socket.destroy();
    const waiters = [...this.pending.entries()];
    this.pending.clear();
    clearTimeout(this.deadlineTimer);
    for (const [serial, w] of waiters) {
      // Waiters always see LIBVIRT_DISCONNECTED; the specific reason travels as the cause.
      w.reject(
        clientError(
          'LIBVIRT_DISCONNECTED',
          `${w.proc.name} lost its connection: ${error.message}`,
          {
            procedure: w.proc.name,
            serial,
            reason: error.code,
          },
          error,
        ),
      );
    }
    this.handlers.onClose(error);
  }
}
