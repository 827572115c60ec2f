import { VmpodError, errorCode } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { BridgeBindingPlan, PlanStep } from './bridge-binding-plan.js';
import type { NetworkDrivers } from './drivers.js';

// Applies a bridge-binding plan step by step. Every step first reads what is there and changes
// only what differs, so a step cut short by a crash can simply run again; finished steps are
// recorded in the progress file, which also keeps the plan itself: after a restart the namespace
// is half-changed and can no longer be discovered afresh, so the recorded plan is the truth.

export interface Progress {
  readonly version: 1;
  readonly plan: BridgeBindingPlan;
  /** Indices of finished steps. */
  readonly done: readonly number[];
  /** The link type that stands in for the dummy, once chosen. */
  readonly placeholderKind?: 'dummy' | 'veth';
  readonly finished: boolean;
}

export async function readProgress(
  drivers: NetworkDrivers,
  progressFile: string,
): Promise<Progress | undefined> {
  const text = await drivers.files.read(progressFile);
  if (text === undefined) return undefined;
  try {
    const parsed = JSON.parse(text) as Progress;
    if (parsed.version !== 1 || !parsed.plan || !Array.isArray(parsed.done))
      throw new Error('unknown layout');
    return parsed;
  } catch (cause) {
    throw new VmpodError(
      'NETWORK_PROGRESS_MALFORMED',
      `network progress file ${progressFile} is unreadable`,
      {
        cause,
        facts: { path: progressFile },
      },
    );
  }
}

export interface ApplyResult {
  /** The plan that was applied: the recorded one when resuming. */
  readonly plan: BridgeBindingPlan;
  readonly resumed: boolean;
  readonly stepsRun: number;
  readonly placeholderKind: 'dummy' | 'veth' | undefined;
}

/**
 * Brings the namespace to the plan's desired state. When the progress file already holds a plan,
 * that plan is resumed (and `plan` only fills in when there is none).
 */
export async function applyPlan(
  plan: BridgeBindingPlan,
  drivers: NetworkDrivers,
  progressFile: string,
  log?: Logger,
): Promise<ApplyResult> {
  const recorded = await readProgress(drivers, progressFile);
  let progress: Progress = recorded ?? { version: 1, plan, done: [], finished: false };
  const resumed = recorded !== undefined;
  if (resumed) log?.info({ progress }, 'resuming the recorded pod network plan');
  if (progress.finished || progress.plan.kind === 'already-built') {
    return { plan: progress.plan, resumed, stepsRun: 0, placeholderKind: progress.placeholderKind };
  }
  const steps = progress.plan.steps;
  log?.info({ desired: progress.plan }, 'desired pod network');
  await save(drivers, progressFile, progress);
  let stepsRun = 0;
  for (const [i, step] of steps.entries()) {
    if (progress.done.includes(i)) continue;
    const placeholderKind = await applyStep(step, drivers, progress.placeholderKind, log);
    progress = { ...progress, done: [...progress.done, i], placeholderKind };
    await save(drivers, progressFile, progress);
    stepsRun++;
  }
  progress = { ...progress, finished: true };
  await save(drivers, progressFile, progress);
  return { plan: progress.plan, resumed, stepsRun, placeholderKind: progress.placeholderKind };
}

function save(drivers: NetworkDrivers, path: string, progress: Progress): Promise<void> {
  return drivers.files.write(path, JSON.stringify(progress, null, 2), { mode: 0o600 });
}

async function applyStep(
  step: PlanStep,
  d: NetworkDrivers,
  placeholderKind: 'dummy' | 'veth' | undefined,
  log: Logger | undefined,
): Promise<'dummy' | 'veth' | undefined> {
  log?.debug({ step: { ...step, ...(step.op === 'write-file' ? { content: undefined } : {}) } }, 'applying');
  switch (step.op) {
    case 'write-file':
      await d.files.write(step.path, step.content, { mode: step.mode, uid: step.uid, gid: step.gid });
      return placeholderKind;
    case 'bridge':
      await ensureBridge(step, d);
      return placeholderKind;
    case 'enslave-pod-nic':
      await ensurePodNicEnslaved(step, d);
      return placeholderKind;
    case 'tap':
      await ensureTap(step, d);
      return placeholderKind;
    case 'placeholder':
      return ensurePlaceholder(step, d, placeholderKind, log);
    case 'sysctl':
      if ((await d.sysctls.get(step.key)) !== step.value) await d.sysctls.set(step.key, step.value);
      return placeholderKind;
  }
}

function conflict(name: string, detail: string): VmpodError {
  return new VmpodError('NETWORK_LINK_CONFLICT', `link ${name}: ${detail}`, { facts: { link: name } });
}

async function mustGet(d: NetworkDrivers, name: string) {
  const link = await d.links.getLink(name);
  if (!link) throw new VmpodError('NETLINK_ENODEV', `link ${name} does not exist`, { facts: { link: name } });
  return link;
}

async function ensureAddresses(d: NetworkDrivers, name: string, wanted: readonly string[]): Promise<void> {
  const present = new Set((await d.links.listAddresses(name)).map((a) => `${a.address}/${a.prefixLength}`));
  for (const cidr of wanted) if (!present.has(cidr)) await d.links.addAddress(name, cidr);
}

async function ensureBridge(step: Extract<PlanStep, { op: 'bridge' }>, d: NetworkDrivers): Promise<void> {
  let link = await d.links.getLink(step.name);
  if (!link) {
    await d.links.createLink(step.name, 'bridge');
    link = await mustGet(d, step.name);
    // Pin the bridge's MAC: otherwise it follows the lowest port MAC and stops matching the NIC's.
    await d.links.setMac(step.name, link.mac);
  } else if (link.kind !== 'bridge') {
    throw conflict(step.name, `exists as ${link.kind ?? 'a device'}, not a bridge`);
  }
  await ensureAddresses(d, step.name, step.addresses);
  if (!link.up) await d.links.setUp(step.name, true);
}

async function ensurePodNicEnslaved(
  step: Extract<PlanStep, { op: 'enslave-pod-nic' }>,
  d: NetworkDrivers,
): Promise<void> {
  const bridge = await mustGet(d, step.bridge);
  let nic = await d.links.getLinkByIndex(step.index);
  if (!nic) {
    throw new VmpodError('NETWORK_POD_LINK_MISSING', `pod link with index ${step.index} is missing`, {
      facts: { index: step.index },
    });
  }
  const needsChange = nic.name !== step.name || nic.mac !== bridge.mac || nic.master !== step.bridge;
  if (needsChange && nic.up) await d.links.setUp(nic.name, false);
  if (nic.name !== step.name) await d.links.rename(step.index, step.name);
  if (nic.mac !== bridge.mac) await d.links.setMac(step.name, bridge.mac);
  if (nic.master !== step.bridge) await d.links.setMaster(step.name, step.bridge);
  // Once up again the kernel adds an IPv6 link-local address of its own, as after KubeVirt's
  // setup; a resumed run leaves that one alone.
  const wasUp = (await mustGet(d, step.name)).up;
  for (const a of await d.links.listAddresses(step.name)) {
    if (wasUp && a.scope === 'link') continue;
    await removeAddress(d, step.name, `${a.address}/${a.prefixLength}`);
  }
  nic = await mustGet(d, step.name);
  if (!nic.up) await d.links.setUp(step.name, true);
  if (nic.learning !== false) await d.links.setLearning(step.name, false);
}

async function removeAddress(d: NetworkDrivers, name: string, cidr: string): Promise<void> {
  try {
    await d.links.removeAddress(name, cidr);
  } catch (err) {
    // The kernel drops IPv6 addresses of its own accord (e.g. with the link going down).
    if (errorCode(err) !== 'NETLINK_EADDRNOTAVAIL') throw err;
  }
}

async function ensureTap(step: Extract<PlanStep, { op: 'tap' }>, d: NetworkDrivers): Promise<void> {
  let tap = await d.links.getLink(step.name);
  if (!tap) {
    await d.taps.createTap(step.name, { uid: step.uid, gid: step.gid, queues: step.queues });
    tap = await mustGet(d, step.name);
  } else if (tap.kind !== 'tun') {
    throw conflict(step.name, `exists as ${tap.kind ?? 'a device'}, not a tap`);
  }
  if (tap.mtu !== step.mtu) await d.links.setMtu(step.name, step.mtu);
  if (tap.master !== step.bridge) await d.links.setMaster(step.name, step.bridge);
  if (!tap.up) await d.links.setUp(step.name, true);
}

async function ensurePlaceholder(
  step: Extract<PlanStep, { op: 'placeholder' }>,
  d: NetworkDrivers,
  chosen: 'dummy' | 'veth' | undefined,
  log: Logger | undefined,
): Promise<'dummy' | 'veth'> {
  let link = await d.links.getLink(step.name);
  let kind = chosen;
  if (link?.index === step.podNicIndex) throw conflict(step.name, 'is still the pod NIC');
  if (!link) {
    kind = await createPlaceholder(step.name, d, log);
    link = await mustGet(d, step.name);
  } else if (link.kind !== 'dummy' && link.kind !== 'veth') {
    throw conflict(step.name, `exists as ${link.kind ?? 'a device'}, not a dummy`);
  }
  if (link.up) await d.links.setUp(step.name, false);
  if (link.mac !== step.mac) await d.links.setMac(step.name, step.mac);
  if (link.mtu !== step.mtu) await d.links.setMtu(step.name, step.mtu);
  await ensureAddresses(d, step.name, step.addresses);
  return kind ?? (link.kind === 'veth' ? 'veth' : 'dummy');
}

async function createPlaceholder(
  name: string,
  d: NetworkDrivers,
  log: Logger | undefined,
): Promise<'dummy' | 'veth'> {
  try {
    await d.links.createLink(name, 'dummy');
    return 'dummy';
  } catch (err) {
    if (errorCode(err) !== 'NETWORK_LINK_KIND_UNSUPPORTED') throw err;
    // Kernels without CONFIG_DUMMY: a veth pair also holds addresses while down.
    log?.warn(
      { link: name, reason: String(err) },
      'dummy interfaces are not supported by this kernel; using a veth pair as the placeholder',
    );
    await d.links.createLink(name, 'veth');
    return 'veth';
  }
}
