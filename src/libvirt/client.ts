// The libvirt client: opens a connection the way libvirt's own remote driver does (auth list,
// CONNECT_OPEN, keepalive advertised), gives every call a deadline, routes domain events to their
// subscribers, and reconnects with backoff, registering the event callbacks again.
import { EventEmitter } from 'node:events';
import type { VmpodError } from '../errors.js';
import {
  AuthType,
  DrvFeature,
  authList,
  authPolkit,
  connectClose,
  connectGetAllDomainStats,
  connectGetCapabilities,
  connectGetDomainCapabilities,
  connectGetHostname,
  connectGetLibVersion,
  connectGetVersion,
  connectListAllDomains,
  connectOpen,
  connectSupportsFeature,
} from './connect-procedures.js';
import { Domain } from './domain.js';
import { domainDefineXmlFlags, domainLookupByUuid } from './domain-procedures.js';
import { clientError } from './errors.js';
import { type EventHandler, EventSubscriptions, type Subscription } from './event-subscriptions.js';
import { CONNECTION_CLOSED_PROC, type DomainEventKind } from './events.js';
import type { KeepaliveOptions } from './keepalive.js';
import { type PacketHeader, REMOTE_PROGRAM } from './packet-header.js';
import type { CallOptions, Procedure, RpcCaller } from './procedure.js';
import { type DomainRef, uuidFromString } from './remote-types.js';
import { RpcConnection } from './rpc-connection.js';
import type { TypedParam } from './typed-params.js';

export interface ReconnectOptions {
  /** Reconnect by itself when the connection drops (default true). */
  auto: boolean;
  /** Give up after this long (default 30 s). */
  deadlineMs: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

export interface LibvirtClientOptions {
  /** e.g. /var/run/libvirt/libvirt-sock (libvirtd) or /var/run/libvirt/virtqemud-sock */
  socketPath: string;
  /** The connect-open name: `qemu:///system`, or the session URI in non-root mode. */
  uri?: string;
  callTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** Our own PINGs; `false` neither pings nor asks the server to ping. */
  keepalive?: KeepaliveOptions | false;
  reconnect?: Partial<ReconnectOptions>;
}

export interface LibvirtClientEvents {
  disconnected: [error: VmpodError];
  reconnecting: [attempt: number, delayMs: number];
  reconnected: [];
  reconnectFailed: [error: VmpodError];
  /** A message that could not be decoded or routed; the connection goes on. */
  protocolError: [error: Error];
}

export type { EventHandler, Subscription } from './event-subscriptions.js';

type State = 'open' | 'reconnecting' | 'closed';

const DEFAULTS = {
  uri: 'qemu:///system',
  callTimeoutMs: 30_000,
  connectTimeoutMs: 10_000,
  keepalive: { intervalMs: 5_000, count: 5 },
  reconnect: { auto: true, deadlineMs: 30_000, initialDelayMs: 100, maxDelayMs: 2_000 },
} as const;

export class LibvirtClient extends EventEmitter<LibvirtClientEvents> implements RpcCaller {
  private conn: RpcConnection | undefined;
  private state: State = 'closed';
  private readonly subscriptions = new EventSubscriptions(this);
  private readonly reconnectOptions: ReconnectOptions;
  private reconnecting: Promise<void> | undefined;
  private lastError: VmpodError | undefined;
  private closedByUser = false;

  private constructor(private readonly options: LibvirtClientOptions) {
    super();
    this.reconnectOptions = { ...DEFAULTS.reconnect, ...options.reconnect };
  }

  /** Connects and opens the libvirt connection; fails with LIBVIRT_CONNECT_FAILED or a libvirt error. */
  static async connect(options: LibvirtClientOptions): Promise<LibvirtClient> {
    const client = new LibvirtClient(options);
    client.conn = await client.openConnection();
    client.state = 'open';
    return client;
  }

  get connected(): boolean {
    return this.state === 'open' && this.conn !== undefined && !this.conn.closed;
  }

  call<A, R>(proc: Procedure<A, R>, args: A, options?: CallOptions): Promise<R> {
    const conn = this.conn;
    if (this.state !== 'open' || conn === undefined) {
      return Promise.reject(
        clientError(
          'LIBVIRT_DISCONNECTED',
          `${proc.name}: not connected to libvirt (${this.state})`,
          {
            procedure: proc.name,
            state: this.state,
            reason: this.lastError?.code,
          },
          this.lastError,
        ),
      );
    }
    return conn.call(proc, args, options?.timeoutMs ?? this.options.callTimeoutMs ?? DEFAULTS.callTimeoutMs);
  }

  /** A handle on the domain with this name; it is looked up on first use. */
  domain(name: string): Domain {
    return new Domain(this, name);
  }

  async lookupDomain(name: string, options?: CallOptions): Promise<Domain> {
    const d = new Domain(this, name);
    await d.lookup(options);
    return d;
  }

  async lookupDomainByUuid(uuid: string | Uint8Array, options?: CallOptions): Promise<Domain> {
    const bytes = typeof uuid === 'string' ? uuidFromString(uuid) : uuid;
    if (bytes === undefined)
      throw clientError('LIBVIRT_PROTOCOL_ERROR', `not a UUID: ${String(uuid)}`, { uuid: String(uuid) });
    const { dom } = await this.call(domainLookupByUuid, { uuid: bytes }, options);
    return new Domain(this, dom.name, dom);
  }

  /** Defines (or redefines) a persistent domain; flags are VIR_DOMAIN_DEFINE_* (VALIDATE 1). */
  async defineXML(xml: string, flags = 0, options?: CallOptions): Promise<Domain> {
    const { dom } = await this.call(domainDefineXmlFlags, { xml, flags }, options);
    return new Domain(this, dom.name, dom);
  }

  /** flags are VIR_CONNECT_LIST_DOMAINS_* (ACTIVE 1, INACTIVE 2, …; 0 = all). */
  async listAllDomains(flags = 0, options?: CallOptions): Promise<Domain[]> {
    const r = await this.call(connectListAllDomains, { need_results: 1, flags }, options);
    return r.domains.map((d) => new Domain(this, d.name, d));
  }

  /** virConnectGetAllDomainStats (stats: VIR_DOMAIN_STATS_* bits, 0 = all; flags filter domains). */
  async getAllDomainStats(
    stats = 0,
    flags = 0,
    options?: CallOptions,
  ): Promise<{ domain: DomainRef; params: TypedParam[] }[]> {
    const r = await this.call(connectGetAllDomainStats, { doms: [], stats, flags }, options);
    return r.retStats.map((s) => ({ domain: s.dom, params: s.params }));
  }

  async getVersion(options?: CallOptions): Promise<bigint> {
    return (await this.call(connectGetVersion, undefined, options)).hv_ver;
  }

  async getLibVersion(options?: CallOptions): Promise<bigint> {
    return (await this.call(connectGetLibVersion, undefined, options)).lib_ver;
  }

  async getHostname(options?: CallOptions): Promise<string> {
    return (await this.call(connectGetHostname, undefined, options)).hostname;
  }

  async getCapabilities(options?: CallOptions): Promise<string> {
    return (await this.call(connectGetCapabilities, undefined, options)).capabilities;
  }

  async getDomainCapabilities(
    query: { emulatorbin?: string; arch?: string; machine?: string; virttype?: string; flags?: number } = {},
    options?: CallOptions,
  ): Promise<string> {
    const args = {
      emulatorbin: query.emulatorbin ?? null,
      arch: query.arch ?? null,
      machine: query.machine ?? null,
      virttype: query.virttype ?? null,
      flags: query.flags ?? 0,
    };
    return (await this.call(connectGetDomainCapabilities, args, options)).capabilities;
  }

  /**
   * Registers a connection-wide (or one domain's) event callback. The registration is repeated on
   * every new connection after a reconnect, so the subscriber keeps receiving events.
   */
  async subscribe<K extends DomainEventKind>(
    kind: K,
    handler: EventHandler<K>,
    options: { domain?: DomainRef } & CallOptions = {},
  ): Promise<Subscription> {
    return this.subscriptions.add(kind, handler, options.domain ?? null, options);
  }

  /**
   * Drops the current connection (if any) and connects again, with backoff until the deadline.
   * Event callbacks are registered again before 'reconnected' is emitted.
   */
  reconnect(): Promise<void> {
    if (this.state === 'closed' && this.closedByUser) {
      return Promise.reject(clientError('LIBVIRT_DISCONNECTED', 'client was closed', { state: 'closed' }));
    }
    if (this.reconnecting) return this.reconnecting;
    this.conn?.destroy(clientError('LIBVIRT_DISCONNECTED', 'reconnect requested', { reason: 'reconnect' }));
    this.state = 'reconnecting';
    this.reconnecting = this.reconnectLoop().finally(() => {
      this.reconnecting = undefined;
    });
    return this.reconnecting;
  }

  /** Closes the libvirt connection politely (CONNECT_CLOSE, bounded) and stops reconnecting. */
  async close(options?: CallOptions): Promise<void> {
    if (this.closedByUser) return;
    this.closedByUser = true;
    const conn = this.conn;
    const wasOpen = this.state === 'open';
    this.state = 'closed';
    if (conn && wasOpen && !conn.closed) {
      await conn
        .call(
          connectClose,
          undefined,
          options?.timeoutMs ?? Math.min(5_000, this.options.callTimeoutMs ?? 5_000),
        )
        .catch(() => undefined);
    }
    conn?.destroy(clientError('LIBVIRT_DISCONNECTED', 'client closed', { reason: 'closed' }));
    this.conn = undefined;
  }

  private async openConnection(): Promise<RpcConnection> {
    let opened: RpcConnection | undefined;
    const conn = await RpcConnection.open(
      {
        socketPath: this.options.socketPath,
        connectTimeoutMs: this.options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs,
      },
      {
        onMessage: (header, body) => this.onMessage(header, body),
        onClose: (error) => this.onConnectionClosed(opened, error),
      },
    );
    opened = conn;
    const timeoutMs = this.options.callTimeoutMs ?? DEFAULTS.callTimeoutMs;
    try {
      const { types } = await conn.call(authList, undefined, timeoutMs);
      if (types.length > 0 && !types.includes(AuthType.NONE)) {
        if (!types.includes(AuthType.POLKIT)) {
          throw clientError('LIBVIRT_AUTH_UNSUPPORTED', `libvirt wants authentication ${types.join(',')}`, {
            authTypes: types.join(','),
          });
        }
        await conn.call(authPolkit, undefined, timeoutMs);
      }
      await conn.call(connectOpen, { name: this.options.uri ?? DEFAULTS.uri, flags: 0 }, timeoutMs);
      const keepalive = this.options.keepalive ?? DEFAULTS.keepalive;
      if (keepalive !== false) {
        // Advertising the keepalive program is what makes the server ping us, as it does libvirt's clients.
        const { supported } = await conn.call(
          connectSupportsFeature,
          { feature: DrvFeature.PROGRAM_KEEPALIVE },
          timeoutMs,
        );
        if (supported === 1) conn.startKeepalive(keepalive);
      }
      return conn;
    } catch (err) {
      conn.destroy(clientError('LIBVIRT_CONNECT_FAILED', 'connection setup failed', {}, err));
      throw err;
    }
  }

  private onConnectionClosed(conn: RpcConnection | undefined, error: VmpodError): void {
    // Only the current connection's end matters; a superseded or half-open one closing is expected.
    if (conn === undefined || conn !== this.conn) return;
    if (this.state !== 'open') return;
    this.lastError = error;
    this.subscriptions.forgetCallbackIds();
    this.emit('disconnected', error);
    if (this.reconnectOptions.auto) {
      this.reconnect().catch(() => undefined);
    } else {
      this.state = 'closed';
    }
  }

  private async reconnectLoop(): Promise<void> {
    const { deadlineMs, initialDelayMs, maxDelayMs } = this.reconnectOptions;
    const deadline = Date.now() + deadlineMs;
    let delay = initialDelayMs;
    let lastError: unknown;
    for (let attempt = 1; ; attempt++) {
      if (this.closedByUser)
        throw clientError('LIBVIRT_DISCONNECTED', 'client closed while reconnecting', {});
      const wait = Math.max(0, Math.min(delay, deadline - Date.now()));
      this.emit('reconnecting', attempt, wait);
      await sleep(wait);
      let conn: RpcConnection | undefined;
      try {
        conn = await this.openConnection();
        if (this.closedByUser) {
          conn.destroy(clientError('LIBVIRT_DISCONNECTED', 'client closed while reconnecting', {}));
          throw clientError('LIBVIRT_DISCONNECTED', 'client closed while reconnecting', {});
        }
        this.conn = conn;
        this.state = 'open';
        await this.subscriptions.registerAll({});
        this.lastError = undefined;
        this.emit('reconnected');
        return;
      } catch (err) {
        conn?.destroy(clientError('LIBVIRT_DISCONNECTED', 're-registration failed', {}, err));
        if (this.closedByUser) throw err;
        lastError = err;
        this.state = 'reconnecting';
      }
      if (Date.now() >= deadline) {
        const error = clientError(
          'LIBVIRT_CONNECT_FAILED',
          `could not reconnect to libvirt within ${deadlineMs} ms`,
          {
            socketPath: this.options.socketPath,
            attempts: attempt,
            deadlineMs,
          },
          lastError,
        );
        this.state = 'closed';
        this.lastError = error;
        this.emit('reconnectFailed', error);
        throw error;
      }
      delay = Math.min(delay * 2, maxDelayMs);
    }
  }

  private onMessage(header: PacketHeader, body: Uint8Array): void {
    if (header.program !== REMOTE_PROGRAM) return;
    if (header.procedure === CONNECTION_CLOSED_PROC) {
      this.conn?.destroy(
        clientError('LIBVIRT_DISCONNECTED', 'libvirt announced it is closing the connection', {}),
      );
      return;
    }
    const error = this.subscriptions.dispatch(header.procedure, body);
    if (error) this.emit('protocolError', error);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
