// The domain event pipeline (KUBEVIRT.md §5.1–5.3): libvirt callbacks only note the domain name and
// what happened, into a 10-slot queue; one consumer runs the event callback for each input, strictly
// in order, and sends the notification. Nothing outside waits on it: a slow or absent virt-handler
// delays only later notifications. The loop never throws; every failure is logged. A notification
// the notifier gave up on is not the end of it: the domain's then-current state is sent again, with
// the same trigger, after a growing pause (2 s … 30 s) until one gets through, so a virt-handler
// that was away, hung or restarting learns the present state as soon as it is back.
import { describeError } from '../../errors.js';
import { AgentLifecycleState, type DomainEventKind, LifecycleEvent } from '../../libvirt/index.js';
import type { Logger } from '../../log/logger.js';
import { Ring } from '../../log/ring.js';
import {
  type CachedDomain,
  type CallbackContext,
  type Notification,
  runEventCallback,
} from './event-callback.js';
import type { PipelineTrigger } from './event-type.js';
import type { GuestPanic } from './guest-panic.js';
import { InputQueue, type QueueItem } from './input-queue.js';
import { readLastPanic } from './panic-log.js';
import type {
  AgentFieldsOf,
  AgentPollerLike,
  DomainHandle,
  DomainJsonBuilders,
  EventSource,
  InvolvedObject,
  MetadataSource,
  Notifier,
  NotificationType,
  Unsubscribe,
} from './ports.js';

export interface EventPipeline<S = unknown> {
  /** libvirt name of the first domain notified as ADDED. */
  readonly firstAdded: Promise<string>;
  /** The first MODIFIED notification whose domain had a deletionTimestamp was sent (or dropped by the notifier after its retries). */
  readonly domainGone: Promise<void>;
  /** Resolves at the first notification sent at or after `sinceMs` (Date.now() clock). */
  readonly anyNotification: (sinceMs: number) => Promise<void>;
  /** The running guest-agent poller's data, if an agent ever connected. */
  agentSnapshot(): S | undefined;
  /** The recent libvirt inputs and notifications, oldest first, for troubleshooting. */
  history(): PipelineHistory;
  close(): Promise<void>;
}

/** A libvirt event as the pipeline heard it. */
export interface HeardEvent {
  /** Epoch ms (the pipeline's clock). */
  readonly at: number;
  readonly domain: string;
  readonly trigger: PipelineTrigger;
  readonly agentState?: number;
  /** The 10-slot queue was full: the event was dropped. */
  readonly dropped: boolean;
}

/** A notification sent (or given up on) to virt-handler. */
export interface SentNotification {
  readonly at: number;
  readonly domain: string;
  readonly type: NotificationType;
  readonly status: string;
  readonly reason: string;
  readonly trigger: PipelineTrigger['kind'];
  readonly delivered: boolean;
}

export interface PipelineHistory {
  readonly events: readonly HeardEvent[];
  readonly notifications: readonly SentNotification[];
  readonly totals: { readonly events: number; readonly notifications: number };
}

/** Entries of each history ring. */
const HISTORY_SLOTS = 64;

export interface PipelineOptions<D extends DomainHandle, S> {
  client: EventSource<D>;
  notifier: Notifier;
  metadata: MetadataSource;
  uid: string;
  log: Logger;
  builders: DomainJsonBuilders;
  /** Started on agent CONNECTED, stopped on DISCONNECTED / SUSPENDED, restarted on RESUMED if the agent was connected. */
  agentPollerFactory?: (domain: D) => AgentPollerLike<S>;
  agentFields?: AgentFieldsOf<S>;
  /** Where the domain's QEMU log is, for guest-panic details. */
  qemuLogPath?: (domainName: string) => string;
  readPanic?: (path: string) => Promise<GuestPanic | undefined>;
  /** The VMI, as involvedObject of Kubernetes events; derived from the domain name and uid when absent. */
  vmiRef?: { namespace: string; name: string; uid: string };
  /** 10 in KubeVirt. */
  queueSlots?: number;
  /** How long close() waits for the input being processed (default 1 s). */
  closeWaitMs?: number;
  /** First pause before an undelivered state is sent again (default 2 s); doubles up to resendMaxMs. */
  resendInitialMs?: number;
  /** Longest pause between resends (default 30 s). */
  resendMaxMs?: number;
  now?: () => number;
}

interface LibvirtInput {
  name: string;
  trigger: PipelineTrigger;
  /** Agent lifecycle state, for agent events. */
  agentState?: number;
}

const CLOSE_WAIT_MS = 1_000;
const RESEND_INITIAL_MS = 2_000;
const RESEND_MAX_MS = 30_000;

const SUBSCRIBED: readonly DomainEventKind[] = [
  'lifecycle',
  'deviceAdded',
  'deviceRemoved',
  'memoryDeviceSizeChange',
  'jobCompleted',
  'agentLifecycle',
];

export async function createEventPipeline<D extends DomainHandle, S>(
  opts: PipelineOptions<D, S>,
): Promise<EventPipeline<S>> {
  const { client, notifier, log } = opts;
  const now = opts.now ?? Date.now;
  const queue = new InputQueue<LibvirtInput>(opts.queueSlots);
  const heard = new Ring<HeardEvent>(HISTORY_SLOTS);
  const sent = new Ring<SentNotification>(HISTORY_SLOTS);
  let closed = false;

  // --- signals to the main flow
  let resolveAdded: (name: string) => void = () => undefined;
  const firstAdded = new Promise<string>((r) => {
    resolveAdded = r;
  });
  let resolveGone: () => void = () => undefined;
  const domainGone = new Promise<void>((r) => {
    resolveGone = r;
  });
  let addedSignalled = false;
  let goneSignalled = false;
  let lastSentAt: number | undefined;
  // --- undelivered state: the trigger of the newest notification the notifier gave up on
  let undelivered: PipelineTrigger | undefined;
  let resendTimer: NodeJS.Timeout | undefined;
  let resendDelayMs = opts.resendInitialMs ?? RESEND_INITIAL_MS;
  let undeliveredSince: number | undefined;
  const notificationWaiters = new Set<{ since: number; resolve: () => void }>();

  // --- consumer state
  let cached: CachedDomain | undefined;
  const panicHandled = { value: false };
  let poller: AgentPollerLike<S> | undefined;
  let pollerDomain: string | undefined;
  let pollerUnsubscribe: (() => void) | undefined;
  let pollerRunning = false;
  let agentConnected = false;
  let agentData: S | undefined;
  let haveAgentData = false;

  const ctx: CallbackContext<D> = {
    source: client,
    notifier,
    metadata: opts.metadata,
    builders: opts.builders,
    uid: opts.uid,
    log,
    involvedObject: (name) => involvedObject(name, opts),
    readPanic: async (name) => {
      if (!opts.qemuLogPath) return undefined;
      return (opts.readPanic ?? readLastPanic)(opts.qemuLogPath(name));
    },
    panicHandled,
    now,
  };

  // --- producers: never block, never throw
  const enqueue = (input: LibvirtInput) => {
    const accepted = queue.pushEvent(input);
    heard.push({
      at: now(),
      domain: input.name,
      trigger: input.trigger,
      ...(input.agentState === undefined ? {} : { agentState: input.agentState }),
      dropped: !accepted,
    });
    if (!accepted) {
      if (!closed)
        log.info(
          { domain: input.name, trigger: input.trigger },
          'Libvirt event channel is full, dropping event.',
        );
    }
  };
  const subs: Unsubscribe[] = [];
  const onReconnected = () => {
    log.info('Libvirt reconnected: event callbacks re-registered, reconciling the domain');
    queue.pushSignal('reconnect');
  };
  const stopMetadata = opts.metadata.onChange(() => queue.pushSignal('metadata'));
  client.on('reconnected', onReconnected);
  try {
    for (const kind of SUBSCRIBED) subs.push(await subscribe(kind));
  } catch (err) {
    await teardown();
    throw err;
  }
  log.info({ events: SUBSCRIBED }, 'Registered libvirt event notify callback');

  function subscribe(kind: DomainEventKind): Promise<Unsubscribe> {
    switch (kind) {
      case 'lifecycle':
        return client.subscribe('lifecycle', (e) => {
          log.info(
            { domain: e.domain.name, event: e.event, detail: e.detail },
            `DomainLifecycle event ${e.event} with detail ${e.detail} received`,
          );
          enqueue({ name: e.domain.name, trigger: { kind: 'lifecycle', event: e.event, detail: e.detail } });
        });
      case 'jobCompleted':
        return client.subscribe('jobCompleted', (e) => {
          log.info(
            { domain: e.domain.name, operation: e.operation, success: e.success },
            'Domain Job Completed event received',
          );
          enqueue({
            name: e.domain.name,
            trigger: { kind: 'jobCompleted', operation: e.operation, success: e.success },
          });
        });
      case 'agentLifecycle':
        return client.subscribe('agentLifecycle', (e) => {
          log.info(
            { domain: e.domain.name, state: e.state, reason: e.reason },
            'GuestAgentLifecycle event received',
          );
          enqueue({ name: e.domain.name, trigger: { kind: 'refresh' }, agentState: e.state });
        });
      default:
        return client.subscribe(kind, (e) => {
          log.info({ domain: e.domain.name, kind }, 'Domain device event received');
          enqueue({ name: e.domain.name, trigger: { kind: 'refresh' } });
        });
    }
  }

  // --- the consumer
  const loop = (async () => {
    for (;;) {
      const item = await queue.next();
      if (item === undefined) return;
      try {
        await consume(item);
      } catch (err) {
        log.error({ reason: describeError(err) }, 'domain event pipeline: input failed');
      }
    }
  })();

  async function consume(item: QueueItem<LibvirtInput>): Promise<void> {
    switch (item.kind) {
      case 'libvirt': {
        queue.discardSignal('metadata');
        const input = item.event;
        cached = {
          name: input.name,
          panicInfo: cached?.panicInfo ?? null,
          panicCount: cached?.panicCount ?? 0,
        };
        await notify(cached, input.trigger);
        updateAgentPoller(input);
        return;
      }
      case 'agent': {
        queue.discardSignal('metadata');
        if (poller) {
          agentData = poller.snapshot();
          haveAgentData = true;
        }
        if (cached) await notify(cached, { kind: 'agent' });
        return;
      }
      case 'reconnect':
        if (cached) await notify(cached, { kind: 'reconnect' });
        return;
      case 'resend':
        if (cached && undelivered) await notify(cached, undelivered);
        return;
      case 'metadata':
        if (!cached) {
          log.warn('Dropping metadata cache notification');
          return;
        }
        cached = { name: cached.name, panicInfo: cached.panicInfo, panicCount: cached.panicCount };
        await notify(cached, { kind: 'metadata' });
        return;
    }
  }

  async function notify(domain: CachedDomain, trigger: PipelineTrigger): Promise<void> {
    const agent = haveAgentData ? opts.agentFields?.(agentData) : undefined;
    const n = await runEventCallback(ctx, domain, trigger, agent);
    if (!n || closed) return;
    await send(domain.name, n, trigger);
  }

  async function send(name: string, n: Notification, trigger: PipelineTrigger): Promise<void> {
    const json = JSON.stringify(n.domain);
    const ok = await notifier.sendDomainEvent(json, n.type).catch((err: unknown) => {
      log.error({ reason: describeError(err) }, 'notifier threw');
      return false;
    });
    sent.push({
      at: now(),
      domain: name,
      type: n.type,
      status: n.domain.Status.Status,
      reason: n.domain.Status.Reason,
      trigger: trigger.kind,
      delivered: ok,
    });
    if (!ok) {
      log.error({ domain: name, eventType: n.type }, 'Could not send domain notify event.');
      scheduleResend(trigger);
    } else {
      log.debug(
        { domain: name, eventType: n.type, status: n.domain.Status.Status, reason: n.domain.Status.Reason },
        'domain notification sent',
      );
      delivered(name);
    }
    signal(name, n.type, n.domain.ObjectMeta.deletionTimestamp !== undefined);
  }

  function scheduleResend(trigger: PipelineTrigger): void {
    undelivered = trigger;
    undeliveredSince ??= now();
    if (closed || resendTimer) return;
    const delayMs = resendDelayMs;
    resendDelayMs = Math.min(resendDelayMs * 2, opts.resendMaxMs ?? RESEND_MAX_MS);
    log.warn(
      { trigger: trigger.kind, resendInMs: delayMs },
      'virt-handler did not take the notification: the current state will be sent again',
    );
    resendTimer = setTimeout(() => {
      resendTimer = undefined;
      queue.pushSignal('resend');
    }, delayMs);
    resendTimer.unref();
  }

  function delivered(name: string): void {
    if (undeliveredSince !== undefined) {
      log.info(
        { domain: name, undeliveredForMs: now() - undeliveredSince },
        'virt-handler has the current domain state again',
      );
    }
    undelivered = undefined;
    undeliveredSince = undefined;
    resendDelayMs = opts.resendInitialMs ?? RESEND_INITIAL_MS;
    if (resendTimer) clearTimeout(resendTimer);
    resendTimer = undefined;
    queue.discardSignal('resend');
  }

  function signal(name: string, type: NotificationType, gone: boolean): void {
    const at = now();
    lastSentAt = at;
    for (const w of notificationWaiters) {
      if (at >= w.since) {
        notificationWaiters.delete(w);
        w.resolve();
      }
    }
    if (type === 'ADDED' && !addedSignalled) {
      addedSignalled = true;
      resolveAdded(name);
    } else if (type === 'MODIFIED' && gone && !goneSignalled) {
      goneSignalled = true;
      log.info({ domain: name }, 'domain-gone notification sent');
      resolveGone();
    }
  }

  function updateAgentPoller(input: LibvirtInput): void {
    if (!opts.agentPollerFactory || closed) return;
    const t = input.trigger;
    if (input.agentState === AgentLifecycleState.CONNECTED) {
      agentConnected = true;
      startPoller(input.name);
    } else if (input.agentState === AgentLifecycleState.DISCONNECTED) {
      agentConnected = false;
      stopPoller();
    } else if (t.kind === 'lifecycle' && t.event === LifecycleEvent.SUSPENDED) {
      stopPoller();
    } else if (t.kind === 'lifecycle' && t.event === LifecycleEvent.RESUMED && agentConnected) {
      startPoller(input.name);
    }
  }

  function startPoller(name: string): void {
    const factory = opts.agentPollerFactory;
    if (!factory) return;
    if (poller && pollerDomain !== name) {
      stopPoller();
      pollerUnsubscribe?.();
      poller = undefined;
    }
    if (!poller) {
      try {
        poller = factory(client.domain(name));
      } catch (err) {
        log.error({ domain: name, reason: describeError(err) }, 'could not create the guest-agent poller');
        return;
      }
      pollerDomain = name;
      pollerUnsubscribe = poller.onChange(() => queue.pushSignal('agent'));
    }
    if (pollerRunning) return;
    pollerRunning = true;
    log.info({ domain: name }, 'starting the guest-agent poller');
    poller.start();
  }

  function stopPoller(): void {
    if (!poller || !pollerRunning) return;
    pollerRunning = false;
    log.info({ domain: pollerDomain }, 'stopping the guest-agent poller');
    poller.stop();
  }

  async function teardown(): Promise<void> {
    closed = true;
    if (resendTimer) clearTimeout(resendTimer);
    resendTimer = undefined;
    queue.close();
    client.off('reconnected', onReconnected);
    stopMetadata();
    stopPoller();
    pollerUnsubscribe?.();
    await Promise.all(
      subs.map((s) =>
        s.close().catch((err: unknown) => log.debug({ reason: describeError(err) }, 'unsubscribe failed')),
      ),
    );
  }

  return {
    firstAdded,
    domainGone,
    anyNotification: (sinceMs) => {
      if (lastSentAt !== undefined && lastSentAt >= sinceMs) return Promise.resolve();
      return new Promise<void>((resolve) => notificationWaiters.add({ since: sinceMs, resolve }));
    },
    agentSnapshot: () => (poller ? poller.snapshot() : undefined),
    history: () => ({
      events: heard.toArray(),
      notifications: sent.toArray(),
      totals: { events: heard.total, notifications: sent.total },
    }),
    close: async () => {
      if (closed) return;
      await teardown();
      // The consumer ends after its current input: wait a little for it, but not for a notifier
      // that may go on retrying for 20 s.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        loop,
        new Promise<void>((r) => {
          timer = setTimeout(r, opts.closeWaitMs ?? CLOSE_WAIT_MS);
        }),
      ]);
      clearTimeout(timer);
    },
  };
}

function involvedObject<D extends DomainHandle, S>(
  libvirtName: string,
  opts: PipelineOptions<D, S>,
): InvolvedObject {
  const base = { kind: 'VirtualMachineInstance', apiVersion: 'kubevirt.io/v1' };
  if (opts.vmiRef) return { ...base, ...opts.vmiRef };
  const i = libvirtName.indexOf('_');
  const namespace = i >= 0 ? libvirtName.slice(0, i) : '';
  const name = i >= 0 ? libvirtName.slice(i + 1) : libvirtName;
  return { ...base, namespace, name, uid: opts.uid };
}
