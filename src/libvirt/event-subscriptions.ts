// Domain event subscriptions: what each subscriber asked for (kept across connections) and which
// server callbackID it has on the current connection, so an event message reaches its subscriber.
import {
  connectDomainEventCallbackDeregisterAny,
  connectDomainEventCallbackRegisterAny,
} from './connect-procedures.js';
import { type DomainEvent, type DomainEventKind, EVENT_DECODERS, EVENT_ID_OF } from './events.js';
import type { CallOptions, RpcCaller } from './procedure.js';
import { type DomainRef, uuidToString } from './remote-types.js';

export type EventHandler<K extends DomainEventKind> = (event: Extract<DomainEvent, { kind: K }>) => void;

export interface Subscription {
  readonly kind: DomainEventKind;
  close(options?: CallOptions): Promise<void>;
}

interface SubscriptionRecord {
  handler: (event: DomainEvent) => void;
  closed: boolean;
}

/**
 * All subscribers of one event on one domain (or connection-wide) share one server registration:
 * libvirt refuses a second one for the same event from the same client ("event callback already
 * tracked"), so the client multiplexes.
 */
interface Group {
  readonly key: string;
  readonly kind: DomainEventKind;
  readonly domain: DomainRef | null;
  readonly records: Set<SubscriptionRecord>;
  callbackID: number | undefined;
  registering: Promise<void> | undefined;
}

export class EventSubscriptions {
  private readonly groups = new Map<string, Group>();
  private readonly byCallbackId = new Map<number, Group>();

  constructor(private readonly rpc: RpcCaller & { readonly connected: boolean }) {}

  async add<K extends DomainEventKind>(
    kind: K,
    handler: EventHandler<K>,
    domain: DomainRef | null,
    options: CallOptions,
  ): Promise<Subscription> {
    const key = `${kind}:${domain ? uuidToString(domain.uuid) : '*'}`;
    let group = this.groups.get(key);
    if (!group) {
      group = { key, kind, domain, records: new Set(), callbackID: undefined, registering: undefined };
      this.groups.set(key, group);
    }
    const record: SubscriptionRecord = { handler: handler as (event: DomainEvent) => void, closed: false };
    group.records.add(record);
    try {
      if (group.callbackID === undefined) await this.register(group, options);
    } catch (err) {
      group.records.delete(record);
      if (group.records.size === 0 && group.callbackID === undefined) this.groups.delete(key);
      throw err;
    }
    const g = group;
    return { kind, close: (closeOptions) => this.remove(g, record, closeOptions ?? options) };
  }

  /** The connection is gone: its callback ids mean nothing any more. */
  forgetCallbackIds(): void {
    this.byCallbackId.clear();
    for (const g of this.groups.values()) {
      g.callbackID = undefined;
      g.registering = undefined;
    }
  }

  /** Registers every live subscription on the (new) current connection. */
  async registerAll(options: CallOptions): Promise<void> {
    this.forgetCallbackIds();
    for (const group of this.groups.values()) {
      if (group.records.size > 0) await this.register(group, options);
    }
  }

  /**
   * Decodes an event message and hands it to its subscribers. Returns an error to report when the
   * message cannot be decoded or a subscriber throws; unknown procedures and ids are ignored.
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
    const group = this.byCallbackId.get(event.callbackID);
    if (!group) return undefined;
    let failure: Error | undefined;
    for (const record of [...group.records]) {
      if (record.closed) continue;
      try {
        record.handler(event);
      } catch (err) {
        // A throwing subscriber must not take the connection, or the other subscribers, down.
        failure ??= err as Error;
      }
    }
    return failure;
  }

  private register(group: Group, options: CallOptions): Promise<void> {
    group.registering ??= (async () => {
      try {
        const { callbackID } = await this.rpc.call(
          connectDomainEventCallbackRegisterAny,
          { eventID: EVENT_ID_OF[group.kind], dom: group.domain },
          options,
        );
        group.callbackID = callbackID;
        this.byCallbackId.set(callbackID, group);
      } finally {
        group.registering = undefined;
      }
    })();
    return group.registering;
  }

  private async remove(group: Group, record: SubscriptionRecord, options: CallOptions): Promise<void> {
    if (record.closed) return;
    record.closed = true;
    group.records.delete(record);
    if (group.records.size > 0) return;
    this.groups.delete(group.key);
    const id = group.callbackID;
    group.callbackID = undefined;
    if (id === undefined) return;
    this.byCallbackId.delete(id);
    if (this.rpc.connected)
      await this.rpc.call(connectDomainEventCallbackDeregisterAny, { callbackID: id }, options);
  }
}
