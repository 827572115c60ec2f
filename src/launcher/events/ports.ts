// What the domain event pipeline (KUBEVIRT.md §5) needs from its neighbours, as narrow interfaces:
// the libvirt client, the notify client, the domain JSON builders and the guest-agent poller. The
// real classes satisfy them structurally; unit tests pass small fakes.
import type {
  DomainJson,
  DomainSpecJson,
  DomainStatusJson,
  KubevirtMetadata,
} from '../../domain/domain-json/model.js';
import type { DiskError, DomainEventKind, EventHandler, KubevirtState } from '../../libvirt/index.js';

export type NotificationType = 'ADDED' | 'MODIFIED';

/** The involvedObject of a Kubernetes event (§5.6): the VMI. */
export interface InvolvedObject {
  kind: string;
  apiVersion: string;
  namespace: string;
  name: string;
  uid: string;
  resourceVersion?: string;
}

export interface K8sEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  involvedObject: InvolvedObject;
}

/** rpc/notify-client.ts's NotifyClient: never throws, retries by itself, false = dropped. */
export interface Notifier {
  sendDomainEvent(domainJson: string, eventType: NotificationType, statusJson?: string): Promise<boolean>;
  sendK8sEvent(event: K8sEvent): Promise<boolean>;
}

/** The part of a libvirt Domain handle the event callback uses. */
export interface DomainHandle {
  readonly name: string;
  /** Status/Reason; NoState/NonExistent when libvirt does not know the domain. */
  kubevirtState(): Promise<KubevirtState>;
  xml(flags?: number): Promise<string>;
  diskErrors(): Promise<DiskError[]>;
}

export interface Unsubscribe {
  close(): Promise<void>;
}

/** The part of LibvirtClient the pipeline uses: event subscriptions, reconnects, domain handles. */
export interface EventSource<D extends DomainHandle> {
  subscribe<K extends DomainEventKind>(kind: K, handler: EventHandler<K>): Promise<Unsubscribe>;
  on(event: 'reconnected', listener: () => void): unknown;
  off(event: 'reconnected', listener: () => void): unknown;
  domain(name: string): D;
}

/** launcher/agent's GuestAgentPoller. */
export interface AgentPollerLike<S> {
  start(): void;
  stop(): void;
  snapshot(): S;
  /** Called when OS info, interfaces or fsfreeze status changed; returns an unsubscribe. */
  onChange(cb: () => void): () => void;
}

export type AgentStatusFields = Pick<DomainStatusJson, 'Interfaces' | 'OSInfo' | 'FSFreezeStatus'>;

/** The agent-derived Status fields of a snapshot (launcher/agent's domainStatusAgentFields). */
export type AgentFieldsOf<S> = (snapshot: S | undefined) => Partial<AgentStatusFields>;

/** The metadata cache (launcher/metadata-cache.ts). */
export interface MetadataSource {
  get(): KubevirtMetadata;
  readonly uid: string;
  onChange(listener: () => void): () => void;
}

/** domain/domain-json's builders. */
export interface DomainJsonBuilders {
  /** Throws VmpodError DOMAIN_XML_MALFORMED. */
  domainSpecFromXml(xml: string): DomainSpecJson;
  emptyDomainSpec(uid: string): DomainSpecJson;
  buildDomainJson(input: {
    libvirtName: string;
    uid?: string;
    spec: DomainSpecJson;
    metadata?: KubevirtMetadata;
    status: DomainStatusJson;
    deletionTimestamp?: string;
  }): DomainJson;
  domainStatusJson(
    state: { Status: string; Reason: string },
    extra?: Partial<DomainStatusJson>,
  ): DomainStatusJson;
}
