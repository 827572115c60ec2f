// Small fakes for the event pipeline's ports: a libvirt client whose events the test fires by hand
// and whose domains are a map, a notifier that records (and can hold) what it is given, an agent
// poller whose data the test changes.
import { EventEmitter } from 'node:events';
import { pino } from 'pino';
import { VmpodError } from '../../../../../src/errors.js';
import type {
  DiskError,
  DomainEvent,
  DomainEventKind,
  DomainEventMap,
  EventHandler,
  KubevirtState,
} from '../../../../../src/libvirt/index.js';
import type {
  AgentPollerLike,
  DomainHandle,
  EventSource,
  K8sEvent,
  Notifier,
  NotificationType,
  Unsubscribe,
} from '../../../../../src/launcher/events/ports.js';
import type { DomainJson } from '../../../../../src/domain/domain-json/model.js';

export const silentLog = pino({ level: 'silent' });

export interface FakeDomainState {
  state: KubevirtState;
  xml: string;
  diskErrors?: DiskError[];
  /** Thrown by kubevirtState(). */
  stateError?: Error;
  /** Thrown by xml(). */
  xmlError?: Error;
}

export function domainXml(name: string, extraDevices = ''): string {
  return `<domain type='qemu' id='1'>
  <name>${name}</name>
  <uuid>6a1b1c8e-0000-4000-8000-000000000001</uuid>
  <memory unit='KiB'>65536</memory>
  <vcpu placement='static'>1</vcpu>
  <os><type arch='x86_64' machine='pc-i440fx-7.2'>hvm</type></os>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    ${extraDevices}
  </devices>
</domain>`;
}

export class FakeDomain implements DomainHandle {
  constructor(
    private readonly client: FakeClient,
    readonly name: string,
  ) {}

  private get d(): FakeDomainState | undefined {
    return this.client.domains.get(this.name);
  }

  async kubevirtState(): Promise<KubevirtState> {
    const d = this.d;
    if (!d) return { status: 'NoState', reason: 'NonExistent' };
    if (d.stateError) throw d.stateError;
    return d.state;
  }

  async xml(): Promise<string> {
    const d = this.d;
    if (!d) throw new VmpodError('LIBVIRT_NO_DOMAIN', 'no domain');
    if (d.xmlError) throw d.xmlError;
    return d.xml;
  }

  async diskErrors(): Promise<DiskError[]> {
    return this.d?.diskErrors ?? [];
  }
}

export class FakeClient extends EventEmitter implements EventSource<FakeDomain> {
  readonly domains = new Map<string, FakeDomainState>();
  readonly handlers = new Map<DomainEventKind, (e: DomainEvent) => void>();
  private nextId = 1;

  async subscribe<K extends DomainEventKind>(kind: K, handler: EventHandler<K>): Promise<Unsubscribe> {
    this.handlers.set(kind, handler as (e: DomainEvent) => void);
    return {
      close: async () => {
        this.handlers.delete(kind);
      },
    };
  }

  domain(name: string): FakeDomain {
    return new FakeDomain(this, name);
  }

  fire<K extends DomainEventKind>(kind: K, name: string, body: Omit<DomainEventMap[K], 'domain'>): void {
    const handler = this.handlers.get(kind);
    if (!handler) throw new Error(`nobody subscribed to ${kind}`);
    const event = {
      kind,
      callbackID: this.nextId++,
      domain: { name, uuid: new Uint8Array(16), id: 1 },
      ...body,
    } as unknown as DomainEvent;
    handler(event);
  }

  lifecycle(name: string, event: number, detail: number): void {
    this.fire('lifecycle', name, { event, detail });
  }
}

export interface Sent {
  type: NotificationType;
  domain: DomainJson;
}

export class RecordingNotifier implements Notifier {
  readonly sent: Sent[] = [];
  readonly k8s: K8sEvent[] = [];
  /** While set, sendDomainEvent waits for it. */
  gate: Promise<void> | undefined;
  result = true;
  throwOnSend = false;
  private waiters: { n: number; resolve: () => void }[] = [];

  async sendDomainEvent(domainJson: string, eventType: NotificationType): Promise<boolean> {
    if (this.gate) await this.gate;
    if (this.throwOnSend) throw new Error('notifier exploded');
    this.sent.push({ type: eventType, domain: JSON.parse(domainJson) as DomainJson });
    this.waiters = this.waiters.filter((w) => {
      if (this.sent.length >= w.n) w.resolve();
      return this.sent.length < w.n;
    });
    return this.result;
  }

  async sendK8sEvent(event: K8sEvent): Promise<boolean> {
    this.k8s.push(event);
    return true;
  }

  /** Resolves once `n` domain notifications were recorded (fails the test after 2 s). */
  count(n: number): Promise<void> {
    if (this.sent.length >= n) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const t = setTimeout(
        () => reject(new Error(`expected ${n} notifications, got ${this.sent.length}`)),
        2000,
      );
      this.waiters.push({
        n,
        resolve: () => {
          clearTimeout(t);
          resolve();
        },
      });
    });
  }

  summary(): string[] {
    return this.sent.map(
      (s) =>
        `${s.type} ${s.domain.Status.Status}/${s.domain.Status.Reason}${s.domain.ObjectMeta.deletionTimestamp ? ' gone' : ''}`,
    );
  }
}

export interface FakeSnapshot {
  os: string;
}

export class FakePoller implements AgentPollerLike<FakeSnapshot> {
  running = false;
  starts = 0;
  stops = 0;
  data: FakeSnapshot = { os: '' };
  private readonly listeners = new Set<() => void>();

  start(): void {
    this.running = true;
    this.starts++;
  }

  stop(): void {
    this.running = false;
    this.stops++;
  }

  snapshot(): FakeSnapshot {
    return { ...this.data };
  }

  onChange(cb: () => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  change(os: string): void {
    this.data = { os };
    for (const l of this.listeners) l();
  }

  get listenerCount(): number {
    return this.listeners.size;
  }
}

/** Lets queued microtasks and immediate timers run. */
export function settle(ms = 5): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
