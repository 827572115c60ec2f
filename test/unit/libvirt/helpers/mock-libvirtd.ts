// An in-process libvirtd stand-in on a unix socket in a temp dir. It speaks the real wire format
// (same framer and packets as the client), answers the connection set-up calls by default, and lets
// a test script any procedure: reply later, out of order, with a libvirt error, or never.
import { mkdtempSync, rmSync } from 'node:fs';
import { type Server, type Socket, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  authList,
  connectClose,
  connectDomainEventCallbackDeregisterAny,
  connectDomainEventCallbackRegisterAny,
  connectOpen,
  connectSupportsFeature,
} from '../../../../src/libvirt/connect-procedures.js';
import { Framer } from '../../../../src/libvirt/framer.js';
import {
  KEEPALIVE_PROC_PING,
  KEEPALIVE_PROC_PONG,
  KEEPALIVE_PROGRAM,
  MessageStatus,
  MessageType,
  type PacketHeader,
  REMOTE_PROGRAM,
  decodePacket,
  encodePacket,
} from '../../../../src/libvirt/packet-header.js';
import type { Procedure } from '../../../../src/libvirt/procedure.js';
import { type RemoteError, remoteError } from '../../../../src/libvirt/remote-types.js';
import { decode } from '../../../../src/libvirt/xdr-types.js';
import type { XdrWriter } from '../../../../src/libvirt/xdr-writer.js';

/** Thrown (or returned) by a handler to make the mock send a libvirt error reply. */
export class MockLibvirtError {
  constructor(
    readonly code: number,
    readonly message: string,
    readonly domain = 10,
  ) {}
}

/** Returned by a handler to send no reply at all. */
export const NO_REPLY = Symbol('no reply');

export interface CallContext {
  header: PacketHeader;
  socket: Socket;
}

type Handler<A, R> = (args: A, ctx: CallContext) => R | typeof NO_REPLY | Promise<R | typeof NO_REPLY>;

interface Registered {
  proc: Procedure<unknown, unknown>;
  handler: Handler<unknown, unknown>;
}

export interface RecordedCall {
  program: number;
  procedure: number;
  serial: number;
  args: unknown;
}

export class MockLibvirtd {
  readonly calls: RecordedCall[] = [];
  readonly sockets = new Set<Socket>();
  pongsReceived = 0;
  pingsReceived = 0;
  /** Set to false to play a hung libvirtd that ignores keepalive PINGs. */
  answerPings = true;
  private readonly handlers = new Map<string, Registered>();
  private nextCallbackId = 1;
  /** Callback registrations currently active, by callbackID. */
  readonly callbacks = new Map<number, number>();

  private constructor(
    private readonly server: Server,
    readonly socketPath: string,
    private readonly dir: string,
  ) {
    this.on(authList, () => ({ types: [0 as const] }));
    this.on(connectOpen, () => undefined);
    this.on(connectSupportsFeature, () => ({ supported: 1 }));
    this.on(connectClose, () => undefined);
    this.on(connectDomainEventCallbackRegisterAny, ({ eventID }) => {
      const callbackID = this.nextCallbackId++;
      this.callbacks.set(callbackID, eventID);
      return { callbackID };
    });
    this.on(connectDomainEventCallbackDeregisterAny, ({ callbackID }) => {
      this.callbacks.delete(callbackID);
      return undefined;
    });
  }

  static async start(): Promise<MockLibvirtd> {
    const dir = mkdtempSync(join(tmpdir(), 'vmpod-mock-libvirtd-'));
    const socketPath = join(dir, 'libvirt-sock');
    const server = createServer();
    const mock = new MockLibvirtd(server, socketPath, dir);
    server.on('connection', (socket) => mock.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, resolve);
    });
    return mock;
  }

  on<A, R>(proc: Procedure<A, R>, handler: Handler<A, R>): void {
    this.handlers.set(`${proc.program}:${proc.procedure}`, {
      proc: proc as Procedure<unknown, unknown>,
      handler: handler as Handler<unknown, unknown>,
    });
  }

  callsTo(proc: Procedure<unknown, unknown>): RecordedCall[] {
    return this.calls.filter((c) => c.program === proc.program && c.procedure === proc.procedure);
  }

  /** Sends an event MESSAGE to every connected client. */
  sendEvent(procedure: number, writeBody: (w: XdrWriter) => void): void {
    const packet = encodePacket(
      {
        program: REMOTE_PROGRAM,
        version: 1,
        procedure,
        type: MessageType.MESSAGE,
        serial: 0,
        status: MessageStatus.OK,
      },
      writeBody,
    );
    for (const s of this.sockets) s.write(packet);
  }

  /** Sends a keepalive PING to every connected client. */
  ping(): void {
    const packet = encodePacket({
      program: KEEPALIVE_PROGRAM,
      version: 1,
      procedure: KEEPALIVE_PROC_PING,
      type: MessageType.MESSAGE,
      serial: 0,
      status: MessageStatus.OK,
    });
    for (const s of this.sockets) s.write(packet);
  }

  /** Writes raw bytes to every client (for corrupt-stream tests). */
  writeRaw(bytes: Uint8Array): void {
    for (const s of this.sockets) s.write(bytes);
  }

  /** Drops every client connection, as a crashing libvirtd would. */
  dropConnections(): void {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  /** Stops listening (new connections are refused) but keeps the socket path for a restart. */
  async stopListening(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  async listenAgain(): Promise<void> {
    rmSync(this.socketPath, { force: true });
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.socketPath, resolve);
    });
  }

  async close(): Promise<void> {
    this.dropConnections();
    if (this.server.listening) await this.stopListening();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    const framer = new Framer();
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.on('data', (chunk) => {
      for (const frame of framer.push(chunk)) this.onFrame(socket, frame);
    });
  }

  private onFrame(socket: Socket, frame: Uint8Array): void {
    const { header, body } = decodePacket(frame);
    if (header.program === KEEPALIVE_PROGRAM) {
      if (header.procedure === KEEPALIVE_PROC_PONG) this.pongsReceived++;
      if (header.procedure === KEEPALIVE_PROC_PING) {
        this.pingsReceived++;
        if (this.answerPings) socket.write(encodePacket({ ...header, procedure: KEEPALIVE_PROC_PONG }));
      }
      return;
    }
    if (header.type !== MessageType.CALL) return;
    const registered = this.handlers.get(`${header.program}:${header.procedure}`);
    if (!registered) {
      this.sendError(socket, header, new MockLibvirtError(3, `mock has no handler for ${header.procedure}`));
      return;
    }
    const args = decode(registered.proc.args, body, registered.proc.name);
    this.calls.push({ program: header.program, procedure: header.procedure, serial: header.serial, args });
    Promise.resolve()
      .then(() => registered.handler(args, { header, socket }))
      .then(
        (ret) => {
          if (ret === NO_REPLY || socket.destroyed) return;
          socket.write(
            encodePacket({ ...header, type: MessageType.REPLY, status: MessageStatus.OK }, (w) =>
              registered.proc.ret.write(w, ret),
            ),
          );
        },
        (err: unknown) => {
          if (socket.destroyed) return;
          this.sendError(
            socket,
            header,
            err instanceof MockLibvirtError ? err : new MockLibvirtError(1, String(err)),
          );
        },
      );
  }

  private sendError(socket: Socket, header: PacketHeader, err: MockLibvirtError): void {
    const remote: RemoteError = {
      code: err.code,
      domain: err.domain,
      message: err.message,
      level: 2,
      dom: null,
      str1: null,
      str2: null,
      str3: null,
      int1: -1,
      int2: -1,
      net: null,
    };
    socket.write(
      encodePacket({ ...header, type: MessageType.REPLY, status: MessageStatus.ERROR }, (w) =>
        remoteError.write(w, remote),
      ),
    );
  }
}
