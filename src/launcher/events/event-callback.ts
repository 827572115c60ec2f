// The event callback (KUBEVIRT.md §5.2): for one pipeline input, build the Domain JSON the handler
// should see, sending the Kubernetes events that go with it (GuestPanicked, IOerror). It never
// throws: a failure is logged and the input produces no notification, as in KubeVirt.
import type { DomainJson, DomainSpecJson, GuestPanicInfoJson } from '../../domain/domain-json/model.js';
import { describeError, errorCode } from '../../errors.js';
import { LifecycleEvent } from '../../libvirt/index.js';
import type { Logger } from '../../log/logger.js';
import { LifecycleDetail, type PipelineTrigger, decideNotification, rfc3339Seconds } from './event-type.js';
import { type GuestPanic, guestPanicInfoJson, guestPanicMessage } from './guest-panic.js';
import type {
  AgentStatusFields,
  DomainHandle,
  DomainJsonBuilders,
  EventSource,
  InvolvedObject,
  MetadataSource,
  Notifier,
  NotificationType,
} from './ports.js';

/** What the pipeline keeps of the last domain it notified (KubeVirt's domainCache). */
export interface CachedDomain {
  name: string;
  panicInfo: GuestPanicInfoJson | null;
  panicCount: number;
  /** Set on the "gone" notification; kept while the domain stays NonExistent. */
  deletionTimestamp?: string;
}

export interface CallbackContext<D extends DomainHandle> {
  source: EventSource<D>;
  notifier: Notifier;
  metadata: MetadataSource;
  builders: DomainJsonBuilders;
  uid: string;
  log: Logger;
  involvedObject(libvirtName: string): InvolvedObject;
  /** The last panic in the domain's QEMU log; undefined when unknown. */
  readPanic(libvirtName: string): Promise<GuestPanic | undefined>;
  /** Once a PANICKED crash was reported, further crashes are not (one per launcher). */
  panicHandled: { value: boolean };
  now?: () => number;
}

export interface Notification {
  type: NotificationType;
  domain: DomainJson;
}

/** Errors of the live XML fetch KubeVirt tolerates (e.g. during migration). */
const TOLERATED_SPEC_ERRORS = new Set(['LIBVIRT_NO_DOMAIN', 'LIBVIRT_OPERATION_INVALID']);

const DISK_ERROR_NONE = 0;
const DISK_ERROR_UNSPEC = 1;
const DISK_ERROR_NO_SPACE = 2;

export async function runEventCallback<D extends DomainHandle>(
  ctx: CallbackContext<D>,
  cached: CachedDomain,
  trigger: PipelineTrigger,
  agent: Partial<AgentStatusFields> | undefined,
): Promise<Notification | undefined> {
  const { log, builders } = ctx;
  const name = cached.name;
  if (trigger.kind === 'lifecycle' && trigger.event === LifecycleEvent.CRASHED) {
    await handleGuestPanic(ctx, cached, trigger.detail);
  }

  const handle = ctx.source.domain(name);
  let state: { status: string; reason: string };
  try {
    state = await handle.kubevirtState();
  } catch (err) {
    log.error({ domain: name, reason: describeError(err) }, 'Could not fetch the Domain state.');
    return undefined;
  }
  const nonExistent = state.reason === 'NonExistent';
  let spec: DomainSpecJson | undefined;
  let uid = ctx.uid;
  let withMetadata = false;
  if (!nonExistent) {
    try {
      spec = builders.domainSpecFromXml(await handle.xml(0));
      uid = ctx.metadata.uid || ctx.uid;
      withMetadata = true;
    } catch (err) {
      if (!TOLERATED_SPEC_ERRORS.has(errorCode(err) ?? '')) {
        log.error({ domain: name, reason: describeError(err) }, 'Could not fetch the Domain specification.');
        return undefined;
      }
      log.info(
        { domain: name, reason: describeError(err) },
        'domain specification unavailable; sending state only',
      );
    }
  }
  const specJson = spec ?? builders.emptyDomainSpec(ctx.uid);

  if (state.reason === 'IOError') await reportDiskErrors(ctx, handle, specJson);

  const decision = decideNotification(trigger, state.reason);
  let deletionTimestamp: string | undefined;
  if (decision.gone) deletionTimestamp = rfc3339Seconds((ctx.now ?? Date.now)());
  else if (nonExistent && isPassive(trigger)) deletionTimestamp = cached.deletionTimestamp;
  cached.deletionTimestamp = deletionTimestamp;

  const extra: Parameters<DomainJsonBuilders['domainStatusJson']>[1] = {
    GuestPanicInfo: cached.panicInfo,
    PanicCount: cached.panicCount,
  };
  if (agent?.Interfaces != null) extra.Interfaces = agent.Interfaces;
  if (agent?.OSInfo != null) extra.OSInfo = agent.OSInfo;
  if (agent?.FSFreezeStatus != null) extra.FSFreezeStatus = agent.FSFreezeStatus;
  const status = builders.domainStatusJson({ Status: state.status, Reason: state.reason }, extra);
  const domain = builders.buildDomainJson({
    libvirtName: name,
    uid,
    spec: specJson,
    ...(withMetadata ? { metadata: ctx.metadata.get() } : {}),
    status,
    ...(deletionTimestamp !== undefined ? { deletionTimestamp } : {}),
  });
  return { type: decision.type, domain };
}

/**
 * Reconnect and agent-data inputs re-send the cached domain object in KubeVirt, so a domain that
 * is still gone keeps its deletionTimestamp; every other input builds the object afresh.
 */
function isPassive(trigger: PipelineTrigger): boolean {
  return trigger.kind === 'reconnect' || trigger.kind === 'agent';
}

async function handleGuestPanic<D extends DomainHandle>(
  ctx: CallbackContext<D>,
  cached: CachedDomain,
  detail: number,
): Promise<void> {
  if (ctx.panicHandled.value) {
    ctx.log.debug({ domain: cached.name }, 'guest panic already handled, skipping');
    return;
  }
  let panic: GuestPanic | undefined;
  try {
    panic = await ctx.readPanic(cached.name);
  } catch (err) {
    ctx.log.warn({ domain: cached.name, reason: describeError(err) }, 'Failed to read panic info from log');
  }
  const message = guestPanicMessage(panic);
  ctx.log.info({ domain: cached.name, detail }, `Guest panic detected: ${message}`);
  // CRASHLOADED is a kdump recovery: the guest goes on, and a later panic is reported again.
  if (detail === LifecycleDetail.CRASHED_PANICKED) ctx.panicHandled.value = true;
  await sendK8s(ctx, cached.name, 'GuestPanicked', message);
  cached.panicInfo = guestPanicInfoJson(panic);
  cached.panicCount++;
}

async function reportDiskErrors<D extends DomainHandle>(
  ctx: CallbackContext<D>,
  handle: D,
  spec: DomainSpecJson,
): Promise<void> {
  let errors: { disk: string; error: number }[];
  try {
    errors = await handle.diskErrors();
  } catch (err) {
    ctx.log.error({ domain: handle.name, reason: describeError(err) }, 'Could not get disks with errors');
    return;
  }
  for (const e of errors) {
    if (e.error === DISK_ERROR_NONE) continue;
    const volume = volumeNameByTarget(spec, e.disk);
    let message = '';
    if (e.error === DISK_ERROR_UNSPEC) message = `VM Paused due to IO error at the volume: ${volume}`;
    else if (e.error === DISK_ERROR_NO_SPACE)
      message = `VM Paused due to not enough space on volume: ${volume}`;
    await sendK8s(ctx, handle.name, 'IOerror', message);
  }
}

async function sendK8s<D extends DomainHandle>(
  ctx: CallbackContext<D>,
  libvirtName: string,
  reason: string,
  message: string,
): Promise<void> {
  const ok = await ctx.notifier
    .sendK8sEvent({ type: 'Warning', reason, message, involvedObject: ctx.involvedObject(libvirtName) })
    .catch((err: unknown) => {
      ctx.log.warn({ reason: describeError(err) }, 'notifier threw');
      return false;
    });
  if (!ok) ctx.log.warn({ eventReason: reason }, 'Could not send k8s event');
}

/** The alias name of the disk with this target device (KubeVirt's GetVolumeNameByTarget). */
export function volumeNameByTarget(spec: DomainSpecJson, target: string): string {
  const devices = spec.Devices as { Disks?: unknown } | null | undefined;
  const disks = Array.isArray(devices?.Disks) ? (devices.Disks as unknown[]) : [];
  for (const d of disks) {
    const disk = d as { Target?: { Device?: unknown }; Alias?: { Name?: unknown } | null } | null;
    if (disk?.Target?.Device === target) {
      return typeof disk.Alias?.Name === 'string' ? disk.Alias.Name : '';
    }
  }
  return '';
}
