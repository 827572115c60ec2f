import * as grpc from '@grpc/grpc-js';
import { describeError, VmpodError } from '../errors.js';
import { forFile, type Logger } from '../log/logger.js';
import { grpcCodeOf, grpcErrorText, UnaryChannel } from './grpc-unary.js';

// The launcher's client of virt-handler's notify socket (KUBEVIRT.md §5.5, §5.6, §3.6): one cached
// connection, NotifyInfo.Info (version 1) on every (re)connect, each send attempted at once and
// then every second for at most 20 s, 5 s per attempt. Transient failures (UNAVAILABLE,
// DEADLINE_EXCEEDED, ABORTED, anything that is not a gRPC status) drop the connection and retry;
// other statuses and in-band failures end the attempt. Never throws: a dropped notification is
// logged and reported as `false`.

export interface NotifyClientOptions {
  readonly socketPath: string;
  readonly log: Logger;
  /** Total time a notification may take before it is dropped (default 20 s). */
  readonly retryBudgetMs?: number;
  /** Pause between attempts (default 1 s). */
  readonly retryIntervalMs?: number;
  /** Deadline of one attempt and of the Info call (default 5 s). */
  readonly attemptTimeoutMs?: number;
  /** Connect deadline (default 2 s). */
  readonly connectTimeoutMs?: number;
}

export interface K8sEventInput {
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
  readonly involvedObject: {
    readonly kind: string;
    readonly apiVersion: string;
    readonly namespace: string;
    readonly name: string;
    readonly uid: string;
    readonly resourceVersion?: string;
  };
}

interface NotifyResponse {
  success: boolean;
  message: string;
}

const TRANSIENT = new Set<number>([
  grpc.status.UNAVAILABLE,
  grpc.status.DEADLINE_EXCEEDED,
  grpc.status.ABORTED,
]);

export class NotifyClient {
  private readonly opts: NotifyClientOptions;
  private readonly log: Logger;
  private channel: UnaryChannel | undefined;
  private connecting: Promise<UnaryChannel> | undefined;
  private closed = false;

  constructor(opts: NotifyClientOptions) {
    this.opts = opts;
    this.log = forFile(opts.log, 'notify-client.ts');
  }

  sendDomainEvent(
    domainJson: string,
    eventType: 'ADDED' | 'MODIFIED',
    statusJson?: string,
  ): Promise<boolean> {
    const req = {
      domainJSON: Buffer.from(domainJson, 'utf8'),
      statusJSON: Buffer.from(statusJson ?? '', 'utf8'),
      eventType,
    };
    return this.send('HandleDomainEvent', 'kubevirt.notify.v1.DomainEventRequest', req, { eventType });
  }

  sendK8sEvent(event: K8sEventInput): Promise<boolean> {
    const o = event.involvedObject;
    // A core/v1 Event; only involvedObject, type, reason and message are meaningful (§5.6).
    const json = {
      metadata: {},
      involvedObject: {
        kind: o.kind,
        namespace: o.namespace,
        name: o.name,
        uid: o.uid,
        apiVersion: o.apiVersion,
        ...(o.resourceVersion === undefined ? {} : { resourceVersion: o.resourceVersion }),
      },
      reason: event.reason,
      message: event.message,
      source: {},
      type: event.type,
    };
    const req = { eventJSON: Buffer.from(JSON.stringify(json), 'utf8') };
    return this.send('HandleK8sEvent', 'kubevirt.notify.v1.K8sEventRequest', req, {
      eventReason: event.reason,
    });
  }

  close(): void {
    this.closed = true;
    this.drop();
  }

  private async send(
    method: string,
    requestType: string,
    req: object,
    logFacts: Record<string, string>,
  ): Promise<boolean> {
    const budget = this.opts.retryBudgetMs ?? 20_000;
    const interval = this.opts.retryIntervalMs ?? 1_000;
    const attemptMs = this.opts.attemptTimeoutMs ?? 5_000;
    const start = Date.now();
    let lastError = 'not attempted';
    for (let attempt = 1; !this.closed; attempt++) {
      const attemptStart = Date.now();
      try {
        const channel = await this.connect();
        const res = await channel.call<NotifyResponse>(
          `/kubevirt.notify.v1.Notify/${method}`,
          requestType,
          'kubevirt.notify.v1.Response',
          req,
          attemptMs,
        );
        if (!res.success && res.message !== '') {
          this.log.error(
            { method, ...logFacts, reason: res.message },
            'the handler refused the notification',
          );
          return false;
        }
        this.log.debug(
          { method, ...logFacts, attempt, durationMs: Date.now() - start },
          'notification delivered',
        );
        return true;
      } catch (err) {
        const code = grpcCodeOf(err);
        lastError = code === undefined ? describeError(err) : grpcErrorText(err);
        if (code !== undefined && !TRANSIENT.has(code)) {
          this.log.error({ method, ...logFacts, reason: lastError }, 'notification failed; dropped');
          return false;
        }
        this.drop();
        this.log.debug(
          { method, ...logFacts, attempt, reason: lastError },
          'notification attempt failed; retrying',
        );
      }
      // Attempts start on a 1 s beat (Go's wait.PollImmediate); none starts after the budget.
      const next = Math.max(attemptStart + interval, Date.now());
      if (next - start > budget) break;
      await new Promise((r) => setTimeout(r, next - Date.now()));
    }
    this.log.error(
      { method, ...logFacts, reason: this.closed ? 'client closed' : lastError, budgetMs: budget },
      'notification not delivered in time; dropped',
    );
    return false;
  }

  private connect(): Promise<UnaryChannel> {
    if (this.channel) return Promise.resolve(this.channel);
    if (!this.connecting) {
      this.connecting = this.dial().finally(() => {
        this.connecting = undefined;
      });
    }
    return this.connecting;
  }

  private async dial(): Promise<UnaryChannel> {
    const channel = await UnaryChannel.dial(this.opts.socketPath, {
      connectTimeoutMs: this.opts.connectTimeoutMs ?? 2_000,
    });
    try {
      const info = await channel.call<{ supportedNotifyVersions: number[] }>(
        '/kubevirt.notify.info.NotifyInfo/Info',
        'kubevirt.notify.info.NotifyInfoRequest',
        'kubevirt.notify.info.NotifyInfoResponse',
        {},
        this.opts.attemptTimeoutMs ?? 5_000,
      );
      if (!info.supportedNotifyVersions.includes(1)) {
        throw new VmpodError(
          'NOTIFY_NO_COMMON_VERSION',
          `the notify server supports versions [${info.supportedNotifyVersions.join(', ')}], vmpod only 1`,
          { facts: { socketPath: this.opts.socketPath } },
        );
      }
    } catch (err) {
      channel.close();
      // Whatever went wrong while connecting is worth another attempt: not a gRPC status of a send.
      throw new VmpodError('NOTIFY_CONNECT_FAILED', `notify handshake failed: ${grpcErrorText(err)}`, {
        cause: err,
      });
    }
    if (this.closed) {
      channel.close();
      throw new VmpodError('NOTIFY_CLOSED', 'the notify client is closed');
    }
    this.channel = channel;
    return channel;
  }

  private drop(): void {
    this.channel?.close();
    this.channel = undefined;
  }
}
