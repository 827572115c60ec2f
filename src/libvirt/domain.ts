// A typed handle on one domain, named by its libvirt name. The server identifies domains by UUID,
// so the handle looks the name up once and caches the reference; when the domain was redefined
// since (NO_DOMAIN on a cached reference), it looks the name up again once.
import { VmpodError, errorCode } from '../errors.js';
import { connectGetAllDomainStats } from './connect-procedures.js';
import {
  domainAttachDeviceFlags,
  domainCreateWithFlags,
  domainDestroyFlags,
  domainDetachDeviceFlags,
  domainFsfreeze,
  domainFsthaw,
  domainGetGuestInfo,
  domainGetInfo,
  domainGetState,
  domainGetTime,
  domainGetXmlDesc,
  domainLookupByName,
  domainReboot,
  domainReset,
  domainResume,
  domainSetMemoryFlags,
  domainSetTime,
  domainSetVcpusFlags,
  domainShutdownFlags,
  domainSuspend,
  domainUndefineFlags,
  domainUpdateDeviceFlags,
} from './domain-procedures.js';
import type { CallOptions, RpcCaller } from './procedure.js';
import { AgentCommandTimeout, qemuDomainAgentCommand } from './qemu-procedures.js';
import { type DomainRef, uuidToString } from './remote-types.js';
import { type KubevirtState, NON_EXISTENT, kubevirtState } from './state-mapping.js';
import {
  domainAbortJob,
  domainBlockStats,
  domainGetBlockInfo,
  domainGetDiskErrors,
  domainGetJobInfo,
  domainGetJobStats,
  domainInterfaceStats,
  domainMemoryStats,
} from './stats-procedures.js';
import { type TypedParam, type TypedParamScalar, typedParamsToRecord } from './typed-params.js';

export interface DomainStateInfo {
  state: number;
  reason: number;
}

export interface DomainInfo {
  state: number;
  maxMemKiB: bigint;
  memoryKiB: bigint;
  nrVirtCpu: number;
  cpuTimeNs: bigint;
}

export interface DiskError {
  disk: string;
  /** virDomainDiskErrorCode: 0 none, 1 unspec, 2 no space. */
  error: number;
}

/** VIR_DOMAIN_MEMORY_STAT_NR in libvirt 9: how many memory stats to ask for. */
const MEMORY_STATS_WANTED = 16;
const DISK_ERRORS_WANTED = 256;

export class Domain {
  private cached: DomainRef | undefined;

  constructor(
    private readonly rpc: RpcCaller,
    readonly name: string,
    ref?: DomainRef,
  ) {
    this.cached = ref;
  }

  /** The cached reference, if the domain was looked up already. */
  get ref(): DomainRef | undefined {
    return this.cached;
  }

  get uuid(): string | undefined {
    return this.cached ? uuidToString(this.cached.uuid) : undefined;
  }

  /** Looks the domain up by name (always asks the server) and caches the reference. */
  async lookup(options?: CallOptions): Promise<DomainRef> {
    const { dom } = await this.rpc.call(domainLookupByName, { name: this.name }, options);
    this.cached = dom;
    return dom;
  }

  async create(flags = 0, options?: CallOptions): Promise<DomainRef> {
    return this.with(async (dom) => {
      const ret = await this.rpc.call(domainCreateWithFlags, { dom, flags }, options);
      this.cached = ret.dom;
      return ret.dom;
    });
  }

  state(flags = 0, options?: CallOptions): Promise<DomainStateInfo> {
    return this.with((dom) => this.rpc.call(domainGetState, { dom, flags }, options));
  }

  /** KubeVirt's Status/Reason; a missing domain is NoState/NonExistent rather than an error. */
  async kubevirtState(options?: CallOptions): Promise<KubevirtState> {
    try {
      const { state, reason } = await this.state(0, options);
      return kubevirtState(state, reason);
    } catch (err) {
      if (errorCode(err) === 'LIBVIRT_NO_DOMAIN') return NON_EXISTENT;
      throw err;
    }
  }

  async info(options?: CallOptions): Promise<DomainInfo> {
    const r = await this.with((dom) => this.rpc.call(domainGetInfo, { dom }, options));
    return {
      state: r.state,
      maxMemKiB: r.maxMem,
      memoryKiB: r.memory,
      nrVirtCpu: r.nrVirtCpu,
      cpuTimeNs: r.cpuTime,
    };
  }

  /** The domain XML; flags are VIR_DOMAIN_XML_* (SECURE 1, INACTIVE 2, UPDATE_CPU 4, MIGRATABLE 8). */
  async xml(flags = 0, options?: CallOptions): Promise<string> {
    return (await this.with((dom) => this.rpc.call(domainGetXmlDesc, { dom, flags }, options))).xml;
  }

  shutdown(flags = 0, options?: CallOptions): Promise<void> {
    return this.void(domainShutdownFlags, flags, options);
  }

  destroy(flags = 0, options?: CallOptions): Promise<void> {
    return this.void(domainDestroyFlags, flags, options);
  }

  reboot(flags = 0, options?: CallOptions): Promise<void> {
    return this.void(domainReboot, flags, options);
  }

  reset(flags = 0, options?: CallOptions): Promise<void> {
    return this.void(domainReset, flags, options);
  }

  undefine(flags = 0, options?: CallOptions): Promise<void> {
    return this.void(domainUndefineFlags, flags, options);
  }

  async suspend(options?: CallOptions): Promise<void> {
    await this.with((dom) => this.rpc.call(domainSuspend, { dom }, options));
  }

  async resume(options?: CallOptions): Promise<void> {
    await this.with((dom) => this.rpc.call(domainResume, { dom }, options));
  }

  /** flags are VIR_DOMAIN_AFFECT_* (CURRENT 0, LIVE 1, CONFIG 2). */
  async attachDevice(xml: string, flags = 0, options?: CallOptions): Promise<void> {
    await this.with((dom) => this.rpc.call(domainAttachDeviceFlags, { dom, xml, flags }, options));
  }

  async detachDevice(xml: string, flags = 0, options?: CallOptions): Promise<void> {
    await this.with((dom) => this.rpc.call(domainDetachDeviceFlags, { dom, xml, flags }, options));
  }

  async updateDevice(xml: string, flags = 0, options?: CallOptions): Promise<void> {
    await this.with((dom) => this.rpc.call(domainUpdateDeviceFlags, { dom, xml, flags }, options));
  }

  async setVcpus(nvcpus: number, flags = 0, options?: CallOptions): Promise<void> {
    await this.with((dom) => this.rpc.call(domainSetVcpusFlags, { dom, nvcpus, flags }, options));
  }

  async setMemory(memoryKiB: bigint | number, flags = 0, options?: CallOptions): Promise<void> {
    const memory = toBigInt(memoryKiB, 'memoryKiB');
    await this.with((dom) => this.rpc.call(domainSetMemoryFlags, { dom, memory, flags }, options));
  }

  async getTime(flags = 0, options?: CallOptions): Promise<{ seconds: bigint; nseconds: number }> {
    return this.with((dom) => this.rpc.call(domainGetTime, { dom, flags }, options));
  }

  async setTime(seconds: bigint | number, nseconds: number, flags = 0, options?: CallOptions): Promise<void> {
    const s = toBigInt(seconds, 'seconds');
    await this.with((dom) => this.rpc.call(domainSetTime, { dom, seconds: s, nseconds, flags }, options));
  }

  /** Freezes the given mount points (all when empty); returns how many filesystems were frozen. */
  async fsFreeze(mountpoints: string[] = [], flags = 0, options?: CallOptions): Promise<number> {
    return (await this.with((dom) => this.rpc.call(domainFsfreeze, { dom, mountpoints, flags }, options)))
      .filesystems;
  }

  async fsThaw(mountpoints: string[] = [], flags = 0, options?: CallOptions): Promise<number> {
    return (await this.with((dom) => this.rpc.call(domainFsthaw, { dom, mountpoints, flags }, options)))
      .filesystems;
  }

  /** types are VIR_DOMAIN_GUEST_INFO_* bits (USERS 1, OS 2, TIMEZONE 4, HOSTNAME 8, FILESYSTEM 16, DISKS 32, INTERFACES 64). */
  async guestInfo(
    types: number,
    flags = 0,
    options?: CallOptions,
  ): Promise<Record<string, TypedParamScalar>> {
    const r = await this.with((dom) => this.rpc.call(domainGetGuestInfo, { dom, types, flags }, options));
    return typedParamsToRecord(r.params);
  }

  /** Runs a guest-agent command (JSON text); timeout in seconds or an AgentCommandTimeout special. */
  async agentCommand(
    cmd: string,
    timeout: number = AgentCommandTimeout.DEFAULT,
    flags = 0,
    options?: CallOptions,
  ): Promise<string | null> {
    return (
      await this.with((dom) => this.rpc.call(qemuDomainAgentCommand, { dom, cmd, timeout, flags }, options))
    ).result;
  }

  /** virDomainMemoryStats as tag → value (tags are VIR_DOMAIN_MEMORY_STAT_*). */
  async memoryStats(flags = 0, options?: CallOptions): Promise<Map<number, bigint>> {
    const r = await this.with((dom) =>
      this.rpc.call(domainMemoryStats, { dom, maxStats: MEMORY_STATS_WANTED, flags }, options),
    );
    return new Map(r.stats.map((s) => [s.tag, s.val]));
  }

  blockStats(path: string, options?: CallOptions) {
    return this.with((dom) => this.rpc.call(domainBlockStats, { dom, path }, options));
  }

  interfaceStats(path: string, options?: CallOptions) {
    return this.with((dom) => this.rpc.call(domainInterfaceStats, { dom, path }, options));
  }

  blockInfo(path: string, flags = 0, options?: CallOptions) {
    return this.with((dom) => this.rpc.call(domainGetBlockInfo, { dom, path, flags }, options));
  }

  jobInfo(options?: CallOptions) {
    return this.with((dom) => this.rpc.call(domainGetJobInfo, { dom }, options));
  }

  async jobStats(flags = 0, options?: CallOptions): Promise<{ type: number; params: TypedParam[] }> {
    return this.with((dom) => this.rpc.call(domainGetJobStats, { dom, flags }, options));
  }

  async abortJob(options?: CallOptions): Promise<void> {
    await this.with((dom) => this.rpc.call(domainAbortJob, { dom }, options));
  }

  async diskErrors(options?: CallOptions): Promise<DiskError[]> {
    const r = await this.with((dom) =>
      this.rpc.call(domainGetDiskErrors, { dom, maxerrors: DISK_ERRORS_WANTED, flags: 0 }, options),
    );
    return r.errors;
  }

  /** This domain's record from virConnectGetAllDomainStats (stats: VIR_DOMAIN_STATS_* bits, 0 = all). */
  async stats(stats = 0, flags = 0, options?: CallOptions): Promise<TypedParam[]> {
    const r = await this.with((dom) =>
      this.rpc.call(connectGetAllDomainStats, { doms: [dom], stats, flags }, options),
    );
    return r.retStats[0]?.params ?? [];
  }

  private async void(
    proc: typeof domainShutdownFlags,
    flags: number,
    options: CallOptions | undefined,
  ): Promise<void> {
    await this.with((dom) => this.rpc.call(proc, { dom, flags }, options));
  }

  /** Runs fn with a domain reference, looking it up first, and once more if it went stale. */
  private async with<R>(fn: (dom: DomainRef) => Promise<R>): Promise<R> {
    const cached = this.cached;
    if (cached === undefined) return fn(await this.lookup());
    try {
      return await fn(cached);
    } catch (err) {
      if (errorCode(err) !== 'LIBVIRT_NO_DOMAIN') throw err;
      const fresh = await this.lookup();
      if (Buffer.compare(fresh.uuid, cached.uuid) === 0) throw err;
      return fn(fresh);
    }
  }
}

function toBigInt(v: bigint | number, field: string): bigint {
  if (typeof v === 'bigint') return v;
  if (!Number.isSafeInteger(v)) {
    throw new VmpodError('XDR_OUT_OF_RANGE', `${field} must be an integer, got ${v}`, {
      facts: { path: field },
    });
  }
  return BigInt(v);
}
