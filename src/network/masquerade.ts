import { VmpodError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { KUBEVIRT_PRIVATE_DIR } from './bridge-binding-plan.js';
import { discoverPodInterface } from './discover.js';
import type { NetworkDrivers, NftDriver } from './drivers.js';
import {
  type MasqueradeBindingPlan,
  type MasqueradeInterface,
  type MasqueradeNetwork,
  type MasqueradePlanOptions,
  type MasqueradeStep,
  planMasqueradeBinding,
} from './masquerade-plan.js';
import { PREINBOUND_CHAIN } from './nft-ruleset.js';

// Phase 1 of the masquerade binding (KUBEVIRT.md §7.3) against the kernel: discover → plan →
// apply, with the progress of every step recorded on disk like the bridge binding's, so that a
// restart resumes the recorded plan and a finished or handler-built layout is left alone.

export interface MasqueradeProgress {
  readonly version: 1;
  readonly plan: MasqueradeBindingPlan;
  /** Indices of finished steps. */
  readonly done: readonly number[];
  readonly finished: boolean;
}

export interface MasqueradeSetUpOptions extends MasqueradePlanOptions {
  readonly privateDir?: string;
}

/** Phase 2's data, and how phase 1 went. */
export interface MasqueradeSetUp extends MasqueradeNetwork {
  readonly plan: MasqueradeBindingPlan;
  readonly resumed: boolean;
  readonly stepsRun: number;
  /** Found built (by virt-handler or an earlier run without its progress file): nothing applied. */
  readonly alreadyBuilt: boolean;
}

/** Where the progress of the masquerade phase 1 of one pod interface is recorded. */
export function masqueradeProgressFilePath(
  podIfaceName: string,
  privateDir: string = KUBEVIRT_PRIVATE_DIR,
): string {
  return `${privateDir}/vmpod-masquerade-${podIfaceName}.json`;
}

export async function readMasqueradeProgress(
  drivers: NetworkDrivers,
  progressFile: string,
): Promise<MasqueradeProgress | undefined> {
  const text = await drivers.files.read(progressFile);
  if (text === undefined) return undefined;
  try {
    const parsed = JSON.parse(text) as MasqueradeProgress;
    if (parsed.version !== 1 || parsed.plan?.binding !== 'masquerade' || !Array.isArray(parsed.done)) {
      throw new Error('unknown layout');
    }
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

function nftOf(drivers: NetworkDrivers): NftDriver {
  if (!drivers.nft) {
    throw new VmpodError('NETWORK_NFT_UNAVAILABLE', 'the masquerade binding needs an nft driver');
  }
  return drivers.nft;
}

/**
 * Phase 1 of one masquerade-bound interface, done only when not done already: resume a recorded
 * plan, recognise a built layout (bridge with its addresses, tap on it, NAT tables), or
 * discover → plan → apply. Returns the data phase 2 needs.
 */
export async function setUpMasqueradeBinding(args: {
  readonly iface: MasqueradeInterface;
  readonly index: number;
  readonly podIfaceName: string;
  readonly drivers: NetworkDrivers;
  readonly options?: MasqueradeSetUpOptions;
  readonly log?: Logger;
}): Promise<MasqueradeSetUp> {
  const { drivers, log } = args;
  const nft = nftOf(drivers);
  const progressFile = masqueradeProgressFilePath(args.podIfaceName, args.options?.privateDir);
  const recorded = await readMasqueradeProgress(drivers, progressFile);
  if (recorded) return applyMasqueradePlan(recorded.plan, drivers, progressFile, log);

  const discovered = await discoverPodInterface(args.podIfaceName, drivers.links, {
    isPodNetwork: args.options?.isPodNetwork ?? args.podIfaceName === 'eth0',
  });
  log?.info({ current: discovered }, 'current pod network');
  const plan = planMasqueradeBinding(args.iface, discovered, args.index, args.options);
  if (await isBuilt(plan, drivers, nft)) {
    log?.info({ podInterface: args.podIfaceName }, 'masquerade pod network already built');
    return { ...plan.network, plan, resumed: false, stepsRun: 0, alreadyBuilt: true };
  }
  return applyMasqueradePlan(plan, drivers, progressFile, log);
}

/** Whether the namespace already holds what the plan builds (the NAT chains by name only). */
async function isBuilt(plan: MasqueradeBindingPlan, d: NetworkDrivers, nft: NftDriver): Promise<boolean> {
  for (const step of plan.steps) {
    switch (step.op) {
      case 'masquerade-bridge': {
        const bridge = await d.links.getLink(step.name);
        if (bridge?.kind !== 'bridge') return false;
        const present = new Set(
          (await d.links.listAddresses(step.name)).map((a) => `${a.address}/${a.prefixLength}`),
        );
        if (!step.addresses.every((a) => present.has(a))) return false;
        break;
      }
      case 'tap': {
        const tap = await d.links.getLink(step.name);
        if (tap?.master !== step.bridge) return false;
        break;
      }
      case 'nft': {
        const table = await nft.listTable(step.family, step.table);
        if (!table?.includes(PREINBOUND_CHAIN)) return false;
        break;
      }
      case 'sysctl':
        break;
    }
  }
  return true;
}

/** Brings the namespace to the plan, resuming the progress file's plan when there is one. */
export async function applyMasqueradePlan(
  plan: MasqueradeBindingPlan,
  drivers: NetworkDrivers,
  progressFile: string,
  log?: Logger,
): Promise<MasqueradeSetUp> {
  const nft = nftOf(drivers);
  const recorded = await readMasqueradeProgress(drivers, progressFile);
  let progress: MasqueradeProgress = recorded ?? { version: 1, plan, done: [], finished: false };
  const resumed = recorded !== undefined;
  const result = (stepsRun: number): MasqueradeSetUp => ({
    ...progress.plan.network,
    plan: progress.plan,
    resumed,
    stepsRun,
    alreadyBuilt: false,
  });
  if (resumed) log?.info({ progress }, 'resuming the recorded pod network plan');
  if (progress.finished) return result(0);
  log?.info({ desired: progress.plan }, 'desired pod network');
  await save(drivers, progressFile, progress);
  let stepsRun = 0;
  for (const [i, step] of progress.plan.steps.entries()) {
    if (progress.done.includes(i)) continue;
    log?.debug({ step: { ...step, ...(step.op === 'nft' ? { script: undefined } : {}) } }, 'applying');
    await applyStep(step, drivers, nft);
    progress = { ...progress, done: [...progress.done, i] };
    await save(drivers, progressFile, progress);
    stepsRun++;
  }
  progress = { ...progress, finished: true };
  await save(drivers, progressFile, progress);
  return result(stepsRun);
}

function save(drivers: NetworkDrivers, path: string, progress: MasqueradeProgress): Promise<void> {
  return drivers.files.write(path, JSON.stringify(progress, null, 2), { mode: 0o600 });
}

function conflict(name: string, detail: string): VmpodError {
  return new VmpodError('NETWORK_LINK_CONFLICT', `link ${name}: ${detail}`, { facts: { link: name } });
}

async function mustGet(d: NetworkDrivers, name: string) {
  const link = await d.links.getLink(name);
  if (!link) throw new VmpodError('NETLINK_ENODEV', `link ${name} does not exist`, { facts: { link: name } });
  return link;
}

async function applyStep(step: MasqueradeStep, d: NetworkDrivers, nft: NftDriver): Promise<void> {
  switch (step.op) {
    case 'masquerade-bridge': {
      let bridge = await d.links.getLink(step.name);
      if (!bridge) {
        await d.links.createLink(step.name, 'bridge');
        bridge = await mustGet(d, step.name);
      } else if (bridge.kind !== 'bridge') {
        throw conflict(step.name, `exists as ${bridge.kind ?? 'a device'}, not a bridge`);
      }
      if (bridge.mac !== step.mac) await d.links.setMac(step.name, step.mac);
      if (bridge.mtu !== step.mtu) await d.links.setMtu(step.name, step.mtu);
      const present = new Set(
        (await d.links.listAddresses(step.name)).map((a) => `${a.address}/${a.prefixLength}`),
      );
      for (const cidr of step.addresses) if (!present.has(cidr)) await d.links.addAddress(step.name, cidr);
      if (!bridge.up) await d.links.setUp(step.name, true);
      return;
    }
    case 'sysctl':
      if ((await d.sysctls.get(step.key)) !== step.value) await d.sysctls.set(step.key, step.value);
      return;
    case 'tap': {
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
      return;
    }
    case 'nft':
      // The script declares and flushes the chains it fills: running it again is harmless.
      await nft.apply(step.script);
      return;
  }
}
