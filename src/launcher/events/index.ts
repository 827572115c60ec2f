// The launcher's domain event pipeline (KUBEVIRT.md §5.1–5.3) and final notification wait (§1.3.5),
// wired to vmpod's real domain JSON builders and guest-agent field mapping.
import {
  buildDomainJson,
  domainSpecFromXml,
  domainStatusJson,
  emptyDomainSpec,
} from '../../domain/domain-json/index.js';
import type { Logger } from '../../log/logger.js';
import { type AgentSnapshot, domainStatusAgentFields } from '../agent/index.js';
import { type EventPipeline as GenericPipeline, createEventPipeline } from './pipeline.js';
import type { AgentPollerLike, DomainHandle, EventSource, MetadataSource, Notifier } from './ports.js';

export type EventPipeline = GenericPipeline<AgentSnapshot>;

export const DOMAIN_JSON_BUILDERS = { domainSpecFromXml, emptyDomainSpec, buildDomainJson, domainStatusJson };

export function startEventPipeline<D extends DomainHandle>(opts: {
  client: EventSource<D>;
  notifier: Notifier;
  metadata: MetadataSource;
  uid: string;
  log: Logger;
  /** Started on agent CONNECTED, stopped on DISCONNECTED / SUSPENDED, restarted on RESUMED if the agent was connected. */
  agentPollerFactory?: (domain: D) => AgentPollerLike<AgentSnapshot>;
  /** For guest-panic details (§5.2 step 1). */
  qemuLogPath?: (domainName: string) => string;
  /** involvedObject of Kubernetes events. */
  vmiRef?: { namespace: string; name: string; uid: string };
}): Promise<EventPipeline> {
  return createEventPipeline<D, AgentSnapshot>({
    ...opts,
    builders: DOMAIN_JSON_BUILDERS,
    agentFields: domainStatusAgentFields,
  });
}

export { createEventPipeline, type PipelineOptions } from './pipeline.js';
export {
  FINAL_NOTIFICATION_TIMINGS,
  domainKiller,
  waitForFinalNotification,
  type FinalNotificationOutcome,
  type FinalNotificationTimings,
} from './final-notification.js';
export { decideNotification, type NotificationDecision, type PipelineTrigger } from './event-type.js';
export { guestPanicMessage, lastPanicInLog, parsePanicLine, type GuestPanic } from './guest-panic.js';
export type * from './ports.js';
