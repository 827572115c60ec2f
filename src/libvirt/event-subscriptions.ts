// Domain event subscriptions: what each subscriber asked for (kept across connections) and which
// server callbackID it has on the current connection, so an event message reaches its subscriber.
import {
  connectDomainEventCallbackDeregisterAny,
  connectDomainEventCallbackRegisterAny,
} from './connect-procedures.js';
import { type DomainEvent, type DomainEventKind, EVENT_DECODERS, EVENT_ID_OF } from './events.js';
import type { CallOptions, RpcCaller } from './procedure.js';
import type { DomainRef } from './remote-types.js';

export type EventHandler<K extends DomainEventKind> = (event: Extract<DomainEvent, { kind: K }>) => void;

export interface Subscription {
  readonly kind: DomainEventKind;
  close(options?: CallOptions): Promise<void>;
}

interface SubscriptionRecord {
  kind: DomainEventKind;
  domain: DomainRef | null;
  handler: (event: DomainEvent) => void;
  callbackID: number | undefined;
  closed: boolean;
}

export class EventSubscriptions {
  private readonly records = new Set<SubscriptionRecord>();
  private readonly byCallbackId = new Map<number, SubscriptionRecord>();

  constructor(private readonly rpc: RpcCaller & { readonly connected: boolean }) {}

  async add<K extends DomainEventKind>(
    kind: K,
    handler: EventHandler<K>,
    domain: DomainRef | null,
    options: CallOptions,
  ): Promise<Subscription> {
    const record: SubscriptionRecord = {
      kind,
      domain,
      handler: handler as (event: DomainEvent) => void,
      callbackID: undefined,
      closed: false,
    };
    await this.register(record, options);
    this.records.add(record);
    return { kind, close: (closeOptions) => this.remove(record, closeOptions ?? options) };
  }

  /** The connection is gone: its callback ids mean nothing any more. */
  forgetCallbackIds(): void {
    this.byCallbackId.clear();
    for (const r of this.records) r.callbackID = undefined;
  }

  /** Registers every live subscription on the (new) current connection. */
  async registerAll(options: CallOptions): Promise<void> {
    this.forgetCallbackIds();
    for (const record of this.records) {
      if (!record.closed) await this.register(record, options);
    }
  }

  /**
   * Decodes an event message and hands it to its subscriber. Returns an error to report when the
   * message cannot be decoded or the subscriber throws; unknown procedures and ids are ignored.
   */
  dispatch(procedure: number, body: Uint8Array): Error | undefined {
    const decoder = EVENT_DECODERS.get(procedure);
    if (!decoder) return undefined;
    let event: DomainEvent;
    try {
      event = decoder.decode(body);
    } catch (err) {
      return err as Error;
    }
    const record = this.byCallbackId.get(event.callbackID);
    if (!record || record.closed) return undefined;
    try {
      record.handler(event);
    } catch (err) {
      // A throwing subscriber must not take the connection down with it.
      return err as Error;
    }
    return undefined;
  }

  private async register(record: SubscriptionRecord, options: CallOptions): Promise<void> {
    const { callbackID } = await this.rpc.call(
      connectDomainEventCallbackRegisterAny,
      { eventID: EVENT_ID_OF[record.kind], dom: record.domain },
      options,
    );
    record.callbackID = callbackID;
    this.byCallbackId.set(callbackID, record);
  }

  private async remove(record: SubscriptionRecord, options: CallOptions): Promise<void> {
    if (record.closed) return;
    record.closed = true;
    this.records.delete(record);
    const id = record.callbackID;
    if (id === undefined) return;
    this.byCallbackId.delete(id);
    if (this.rpc.connected)
      await this.rpc.call(connectDomainEventCallbackDeregisterAny, { callbackID: id }, options);
  }
}
