// Which notification a pipeline input becomes (KUBEVIRT.md §5.3), and whether it is the "domain
// gone" notification that carries ObjectMeta.deletionTimestamp. Pure.
import { LifecycleEvent } from '../../libvirt/index.js';
import type { NotificationType } from './ports.js';

/** Details of lifecycle events that §5.3 distinguishes. */
export const LifecycleDetail = {
  DEFINED_ADDED: 0,
  STARTED_MIGRATED: 1,
  SUSPENDED_PAUSED: 0,
  RESUMED_MIGRATED: 1,
  STOPPED_MIGRATED: 3,
  CRASHED_PANICKED: 0,
  CRASHED_CRASHLOADED: 1,
} as const;

/** VIR_DOMAIN_JOB_OPERATION_* */
export const JobOperation = { MIGRATION_OUT: 5, BACKUP: 9 } as const;

/** What started a run of the event callback. */
export type PipelineTrigger =
  | { kind: 'lifecycle'; event: number; detail: number }
  | { kind: 'jobCompleted'; operation: number | undefined; success: boolean | undefined }
  /** Device added/removed, memory device size change, agent lifecycle: a plain refresh. */
  | { kind: 'refresh' }
  | { kind: 'agent' }
  | { kind: 'reconnect' }
  | { kind: 'metadata' };

export interface NotificationDecision {
  type: NotificationType;
  /** Set ObjectMeta.deletionTimestamp = now. */
  gone: boolean;
}

/** §5.3: `reason` is the Status.Reason the lookup produced (NonExistent when libvirt lost the domain). */
export function decideNotification(trigger: PipelineTrigger, reason: string): NotificationDecision {
  const nonExistent = reason === 'NonExistent';
  if (trigger.kind === 'jobCompleted') {
    return { type: trigger.operation === JobOperation.BACKUP ? 'ADDED' : 'MODIFIED', gone: false };
  }
  if (trigger.kind !== 'lifecycle') return { type: 'MODIFIED', gone: false };
  const { event, detail } = trigger;
  if (
    event === LifecycleEvent.UNDEFINED ||
    (event === LifecycleEvent.STOPPED && detail !== LifecycleDetail.STOPPED_MIGRATED)
  ) {
    return { type: 'MODIFIED', gone: nonExistent };
  }
  if (event === LifecycleEvent.DEFINED && detail === LifecycleDetail.DEFINED_ADDED) {
    return { type: 'ADDED', gone: false };
  }
  if (event === LifecycleEvent.STARTED && detail === LifecycleDetail.STARTED_MIGRATED) {
    return { type: 'ADDED', gone: false };
  }
  return { type: 'MODIFIED', gone: false };
}

/** Kubernetes' metav1.Time rendering: RFC 3339 with whole seconds, UTC. */
export function rfc3339Seconds(epochMs: number): string {
  return `${new Date(epochMs).toISOString().slice(0, 19)}Z`;
}
