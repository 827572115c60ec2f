import type { LauncherConfig } from '../../config/launcher-config.js';
import { deviceAliases, domainSpecFromXml } from '../../domain/domain-json/index.js';
import { VmpodError, describeError, errorCode } from '../../errors.js';
import type { Logger } from '../../log/logger.js';
import { AgentCommandTimeout, type Domain, type LibvirtClient } from '../../libvirt/index.js';
import type { PodNetwork } from '../pod-network.js';
import type { Vmi } from '../../vmi/index.js';
import type { CmdHandlers, VirtualMachineOptions } from '../../rpc/cmd-types.js';
import { chooseDomainType } from '../domain-type.js';
import type { LibvirtLayout } from '../libvirt-paths.js';
import type { MetadataCache } from '../metadata-cache.js';
import type { PhaseClock } from '../phases.js';
import { type AgentSnapshot, agentStatusFields } from './agent-snapshot.js';
import {
  isMissing,
  killAction,
  pauseAction,
  shutdownAction,
  softRebootAction,
  syncAction,
  unpauseAction,
} from './decisions.js';
import { collectDomainStats } from './domain-stats.js';
import { getDomainJson, specParser } from './get-domain.js';
import { type GuestTimeSync, syncGuestTime } from './guest-time.js';
import { cmdHandlers } from './handlers.js';
import {
  DESTROY_GRACEFUL,
  REBOOT_ACPI_POWER_BTN,
  REBOOT_GUEST_AGENT,
  START_PAUSED,
  UNDEFINE_CHECKPOINTS_METADATA,
  UNDEFINE_KEEP_NVRAM,
} from './libvirt-flags.js';
import { OperationLock } from './operation-lock.js';
import { HookPoint, type HookSidecars } from '../hook-sidecars.js';
import { type DomainType, type PhaseRunner, PreStart, convertDomain } from './pre-start.js';
import { RefreshingCache } from './refreshing-cache.js';
import {
  type RequestVmi,
  acpiDisabled,
  agentConnected,
  domainNameFor,
  foreignVmiReason,
  migrationTargetPod,
  vmiMigrating,
} from './request-vmi.js';

// KubeVirt's command semantics against libvirt, independent of gRPC (KUBEVIRT.md §4.2–4.8): one
// launcher, one domain. Every domain-changing operation runs under one lock, in arrival order;
// read-only calls (GetDomain, GetDomainStats, Ping, GetQemuVersion) never wait for it.

/** KubeVirt's default terminationGracePeriodSeconds. */
const DEFAULT_GRACE_PERIOD_SECONDS = 30;
/** KubeVirt's GetDomainStats cache period (§4.5). */
const STATS_PERIOD_MS = 3250;
const FSFREEZE_STATUS = '{"execute":"guest-fsfreeze-status"}';
const PAUSE_AGENT_PROBES = 'kubevirt.io/pause-guest-agent-probes';

export interface DomainManagerDeps {
  readonly client: LibvirtClient;
  readonly cfg: LauncherConfig;
  readonly layout: LibvirtLayout;
  readonly metadata: MetadataCache;
  readonly log: Logger;
  /** When given, Sync's steps are logged start-up phases (standalone mode). */
  readonly clock?: PhaseClock;
  /** Guest-agent data for GetDomain and GetDomainStats. */
  readonly agent?: () => AgentSnapshot | undefined;
  /** How the domain type is chosen; default: a KVM trial, then TCG if emulation is allowed. */
  readonly chooseDomainType?: () => Promise<DomainType>;
  /** The pod's hook sidecars (`--hook-sidecars`), collected at start-up. */
  readonly hooks?: HookSidecars;
}

export class DomainManager {
  private readonly client: LibvirtClient;
  private readonly cfg: LauncherConfig;
  private readonly layout: LibvirtLayout;
  private readonly metadata: MetadataCache;
  private readonly log: Logger;
  private readonly agent: () => AgentSnapshot | undefined;
  private readonly phase: PhaseRunner;
  private readonly lock = new OperationLock();
  private readonly preStart: PreStart;
  private readonly hooks: HookSidecars | undefined;
  private readonly stats: RefreshingCache<string>;
  private readonly parseSpec = specParser();
  private knownName: string | undefined;
  private handle: Domain | undefined;
  /** The domain was paused on request (Pause, or startStrategy Paused): Sync leaves it paused. */
  private pausedByUser = false;
  private guestTime: GuestTimeSync | undefined;
  private unfreezeTimer: NodeJS.Timeout | undefined;
  private aliases: Map<string, string> | undefined;
  private probesPaused = false;

  constructor(deps: DomainManagerDeps) {
    this.client = deps.client;
    this.cfg = deps.cfg;
    this.layout = deps.layout;
    this.metadata = deps.metadata;
    this.log = deps.log;
    this.agent = deps.agent ?? (() => undefined);
    const clock = deps.clock;
    this.phase = clock
      ? (name, fn) => clock.run(name, fn)
      : async (_name, fn) => {
          return await fn();
        };
    const choose =
      deps.chooseDomainType ?? (() => chooseDomainType(this.cfg.allowEmulation, { log: this.log }));
    this.hooks = deps.hooks;
    this.preStart = new PreStart(deps.cfg, deps.log, choose, deps.hooks);
    this.stats = new RefreshingCache(
      () =>
        collectDomainStats({
          client: this.client,
          aliases: () => this.aliases,
          rememberAliases: (a) => {
            this.aliases = a;
          },
          agent: this.agent,
        }),
      STATS_PERIOD_MS,
    );
    if (deps.cfg.name !== '' && deps.cfg.namespace !== '') {
      this.knownName = domainNameFor(deps.cfg.namespace, deps.cfg.name);
    }
  }

  /** `<namespace>_<name>` once known: from --namespace/--name, a Sync, or an existing domain. */
  get domainName(): string | undefined {
    return this.knownName;
  }

  /** The last synced VMI's annotation `kubevirt.io/pause-guest-agent-probes=true` (§4.6 GuestPing). */
  get guestAgentProbesPaused(): boolean {
    return this.probesPaused;
  }

  /** The pod networks Sync built; their DHCP servers run until close(). */
  get networks(): readonly PodNetwork[] {
    return this.preStart.networks;
  }

  handlers(): CmdHandlers {
    return cmdHandlers(this);
  }

  /** Stops timers (automatic thaw, guest-time sync, stats refresh) and the DHCP servers. */
  async close(): Promise<void> {
    this.guestTime?.cancel();
    if (this.unfreezeTimer) clearTimeout(this.unfreezeTimer);
    this.unfreezeTimer = undefined;
    this.stats.close();
    for (const n of this.networks) {
      await n.dhcp?.close();
      for (const server of n.extraServers ?? []) await server.close();
    }
  }

  /** §4.2: idempotent "make it so". */
  sync(vmi: Vmi, options?: VirtualMachineOptions): Promise<Domain> {
    return this.lock.run('sync', () => this.syncLocked(vmi, options));
  }

  private async syncLocked(vmi: Vmi, options: VirtualMachineOptions | undefined): Promise<Domain> {
    const name = domainNameFor(vmi.metadata.namespace, vmi.metadata.name);
    const others = (await this.client.listAllDomains()).map((d) => d.name).filter((n) => n !== name);
    this.assertOurs(
      { name: vmi.metadata.name, namespace: vmi.metadata.namespace, domainName: name },
      others[0],
    );
    const gracePeriod = vmi.spec.terminationGracePeriodSeconds ?? DEFAULT_GRACE_PERIOD_SECONDS;
    let dom = this.domainHandle(name);
    let state = await dom.kubevirtState();
    if (isMissing(state)) {
      const prepared = await this.preStart.run(vmi, this.phase);
      let xml = await this.phase('convert', () =>
        convertDomain(vmi, prepared, this.cfg, this.layout, options),
      );
      const hooks = this.hooks;
      if (hooks?.at(HookPoint.onDefineDomain).length) {
        xml = await this.phase('hooks', () => hooks.onDefineDomain(xml, JSON.stringify(vmi)));
      }
      this.log.debug({ xml }, 'domain XML');
      dom = await this.phase('define', () => this.client.defineXML(xml));
      this.handle = dom;
      this.knownName = dom.name;
      this.metadata.setUid(vmi.metadata.uid);
      this.metadata.updateGracePeriod({ DeletionGracePeriodSeconds: gracePeriod });
      this.log.info({ domain: dom.name, domainType: prepared.domainType }, 'domain defined');
      state = await dom.kubevirtState();
    }
    const action = syncAction(state.status, vmi.status.phase, this.pausedByUser);
    if (action === 'create') {
      const paused = vmi.spec.startStrategy === 'Paused';
      await this.phase('start', () => dom.create(paused ? START_PAUSED : 0));
      // A domain started paused stays paused until an Unpause, like one paused by Pause.
      this.pausedByUser = paused;
      this.log.info({ domain: dom.name, paused }, 'domain started');
    } else if (action === 'resume') {
      await dom.resume();
      this.log.info({ domain: dom.name, from: state }, 'resumed a domain paused behind our back');
    } else {
      this.log.debug({ domain: dom.name, state, vmiPhase: vmi.status.phase }, 'sync: nothing to start');
    }
    this.metadata.updateGracePeriod({ DeletionGracePeriodSeconds: gracePeriod });
    await this.refreshAliases(dom);
    this.probesPaused = vmi.metadata.annotations[PAUSE_AGENT_PROBES] === 'true';
    return dom;
  }

  async pause(req: RequestVmi): Promise<void> {
    await this.locked('pause', req, async (dom) => {
      const action = pauseAction(await dom.kubevirtState());
      if (action === 'not-found') throw domainNotFound(dom.name);
      if (action === 'suspend') {
        await dom.suspend();
        this.pausedByUser = true;
        this.log.info({ domain: dom.name }, 'domain paused');
      }
    });
  }

  async unpause(req: RequestVmi): Promise<void> {
    await this.locked('unpause', req, async (dom) => {
      const action = unpauseAction(await dom.kubevirtState());
      if (action === 'not-found') throw domainNotFound(dom.name);
      if (action !== 'resume') return;
      await dom.resume();
      this.pausedByUser = false;
      this.log.info({ domain: dom.name }, 'domain unpaused');
      // Once per launcher: the guest's clock is behind by the pause.
      this.guestTime ??= syncGuestTime({
        setTime: (seconds, nanoseconds) => dom.setTime(seconds, nanoseconds),
        log: this.log,
      });
    });
  }

  async shutdown(req: RequestVmi): Promise<void> {
    await this.locked('shutdown', req, async (dom) => {
      if (shutdownAction(await dom.kubevirtState()) !== 'shutdown') return;
      await dom.shutdown(0);
      if (!this.metadata.get().GracePeriod?.DeletionTimestamp) {
        this.metadata.updateGracePeriod({ DeletionTimestamp: rfc3339(new Date()) });
      }
      this.log.info({ domain: dom.name }, 'domain shutdown signalled');
    });
  }

  async kill(req: RequestVmi): Promise<void> {
    await this.locked('kill', req, async (dom) => {
      if (killAction(await dom.kubevirtState()) !== 'destroy') return;
      await ignoreMissing(dom.destroy(DESTROY_GRACEFUL));
      this.log.info({ domain: dom.name }, 'domain destroyed');
    });
  }

  async delete(req: RequestVmi): Promise<void> {
    await this.locked('delete', req, async (dom) => {
      await ignoreMissing(dom.undefine(UNDEFINE_KEEP_NVRAM | UNDEFINE_CHECKPOINTS_METADATA));
      this.log.info({ domain: dom.name }, 'domain undefined');
    });
  }

  async reset(req: RequestVmi): Promise<void> {
    await this.locked('reset', req, async (dom) => {
      await dom.reset(0);
      this.log.info({ domain: dom.name }, 'domain reset');
    });
  }

  async softReboot(req: RequestVmi): Promise<void> {
    await this.locked('soft-reboot', req, async (dom) => {
      const action = softRebootAction(agentConnected(req.raw), acpiDisabled(req.raw));
      if (action === 'impossible') {
        throw new VmpodError(
          'SOFT_REBOOT_UNAVAILABLE',
          'VMI neither have the agent connected nor the ACPI feature enabled',
          { facts: { domain: dom.name } },
        );
      }
      try {
        await dom.reboot(action === 'guest-agent' ? REBOOT_GUEST_AGENT : REBOOT_ACPI_POWER_BTN);
      } catch (err) {
        if (errorCode(err) !== 'LIBVIRT_AGENT_UNRESPONSIVE') throw err;
        this.log.warn({ domain: dom.name, reason: describeError(err) }, 'soft reboot: agent unresponsive');
      }
      this.log.info({ domain: dom.name, via: action }, 'domain soft reboot requested');
    });
  }

  async freeze(req: RequestVmi, unfreezeTimeoutSeconds: number): Promise<void> {
    await this.locked('freeze', req, async (dom) => {
      const migration = this.metadata.get().Migration;
      if (vmiMigrating(req.raw) || (migration?.StartTimestamp && !migration.EndTimestamp)) {
        throw new VmpodError('MIGRATION_IN_PROGRESS', 'VMI is currently during migration', {
          facts: { domain: dom.name },
        });
      }
      if ((await fsFreezeStatus(dom)) === 'frozen') return;
      await dom.fsFreeze();
      this.log.info({ domain: dom.name, unfreezeTimeoutSeconds }, 'guest filesystems frozen');
      this.cancelAutoThaw();
      if (unfreezeTimeoutSeconds > 0) this.scheduleAutoThaw(req, unfreezeTimeoutSeconds);
    });
  }

  async unfreeze(req: RequestVmi): Promise<void> {
    this.cancelAutoThaw();
    await this.locked('unfreeze', req, (dom) => this.thaw(dom));
  }

  /** §4.3 SignalTargetPodCleanup: a migration target pod that will not be used may exit early. */
  signalTargetPodCleanup(req: RequestVmi): void {
    const podName = process.env.POD_NAME;
    if (podName && podName === migrationTargetPod(req.raw)) {
      process.env.VIRT_LAUNCHER_TARGET_POD_EXIT_SIGNAL = 'true';
      this.log.info({ pod: podName }, 'target pod cleanup signalled');
    }
  }

  /** §4.8: "QEMU <major>.<minor>.<micro>". */
  async qemuVersion(): Promise<string> {
    const v = await this.client.getVersion();
    return `QEMU ${v / 1_000_000n}.${(v % 1_000_000n) / 1000n}.${v % 1000n}`;
  }

  /** §4.4: the domain JSON, or '' when libvirt has no domain. */
  domainJson(): Promise<string> {
    return getDomainJson({
      client: this.client,
      metadata: () => this.metadata.get(),
      agentStatus: () => agentStatusFields(this.agent()),
      spec: this.parseSpec,
    });
  }

  /** §4.5: the stats JSON, at most 3.25 s old. */
  domainStats(): Promise<string> {
    return this.stats.get();
  }

  /** Decodes nothing: checks the VMI is this launcher's, then runs fn on its domain under the lock. */
  private locked(operation: string, req: RequestVmi, fn: (dom: Domain) => Promise<void>): Promise<void> {
    return this.lock.run(operation, async () => {
      this.assertOurs(req, this.knownName ?? (await this.existingDomainName()));
      await fn(this.domainHandle(req.domainName));
    });
  }

  private assertOurs(vmi: Pick<RequestVmi, 'name' | 'namespace' | 'domainName'>, existing?: string): void {
    const reason = foreignVmiReason(vmi, { name: this.cfg.name, namespace: this.cfg.namespace }, existing);
    if (reason) {
      throw new VmpodError('VMI_FOREIGN', reason, {
        facts: { vmiDomain: vmi.domainName, launcherDomain: existing ?? this.knownName },
      });
    }
  }

  private async existingDomainName(): Promise<string | undefined> {
    const [first] = await this.client.listAllDomains();
    if (first) this.knownName = first.name;
    return first?.name;
  }

  private domainHandle(name: string): Domain {
    if (this.handle?.name !== name) this.handle = this.client.domain(name);
    return this.handle;
  }

  /** §4.2 step 7: the target-dev → alias map stats use; a failure only costs the aliases. */
  private async refreshAliases(dom: Domain): Promise<void> {
    try {
      this.aliases = deviceAliases(domainSpecFromXml(await dom.xml(0)));
    } catch (err) {
      this.aliases = undefined;
      this.log.warn({ domain: dom.name, reason: describeError(err) }, 'cannot read device aliases');
    }
  }

  private async thaw(dom: Domain): Promise<void> {
    if ((await fsFreezeStatus(dom)) === 'thawed') return;
    await dom.fsThaw();
    this.log.info({ domain: dom.name }, 'guest filesystems thawed');
  }

  private scheduleAutoThaw(req: RequestVmi, seconds: number): void {
    this.unfreezeTimer = setTimeout(() => {
      this.unfreezeTimer = undefined;
      this.log.info({ seconds }, 'unfreeze timeout reached: thawing the guest filesystems');
      this.locked('auto-unfreeze', req, (dom) => this.thaw(dom)).catch((err: unknown) =>
        this.log.error({ reason: describeError(err) }, 'automatic thaw failed'),
      );
    }, seconds * 1000);
    this.unfreezeTimer.unref();
  }

  private cancelAutoThaw(): void {
    if (this.unfreezeTimer) clearTimeout(this.unfreezeTimer);
    this.unfreezeTimer = undefined;
  }
}

/** The agent's `guest-fsfreeze-status` answer: "frozen" or "thawed". */
async function fsFreezeStatus(dom: Domain): Promise<string> {
  const reply = await dom.agentCommand(FSFREEZE_STATUS, AgentCommandTimeout.DEFAULT);
  try {
    const parsed = JSON.parse(reply ?? '') as { return?: unknown };
    if (typeof parsed.return === 'string') return parsed.return;
  } catch {
    // Reported below.
  }
  throw new VmpodError('AGENT_REPLY_MALFORMED', `guest-fsfreeze-status: unexpected reply ${String(reply)}`, {
    facts: { domain: dom.name, command: 'guest-fsfreeze-status' },
  });
}

function domainNotFound(name: string): VmpodError {
  return new VmpodError('DOMAIN_NOT_FOUND', 'Domain not found.', { facts: { domain: name } });
}

async function ignoreMissing(p: Promise<void>): Promise<void> {
  try {
    await p;
  } catch (err) {
    if (errorCode(err) !== 'LIBVIRT_NO_DOMAIN') throw err;
  }
}

/** RFC 3339 at second precision, as Go's metav1.Time marshals. */
export function rfc3339(d: Date): string {
  return `${d.toISOString().slice(0, 19)}Z`;
}
