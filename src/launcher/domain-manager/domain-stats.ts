import { deviceAliases, domainSpecFromXml, domainStatsJson } from '../../domain/domain-json/index.js';
import { VmpodError } from '../../errors.js';
import { cpus } from 'node:os';
import {
  type DomainRef,
  type LibvirtClient,
  typedParamsToRecord,
  uuidToString,
} from '../../libvirt/index.js';
import { vcpuPinInfo } from '../../libvirt/vcpu-pin-procedures.js';
import type { AgentSnapshot } from './agent-snapshot.js';
import { DOMAIN_STATS_FLAGS, DOMAIN_STATS_GROUPS } from './libvirt-flags.js';

// GetDomainStats (KUBEVIRT.md §4.5): virConnectGetAllDomainStats over the running and paused
// domains plus the balloon's memory stats, as KubeVirt's `stats.DomainStats` JSON. Net/Block
// aliases come from the target-dev → alias map of the domain's live XML, Load from the guest
// agent. No record at all is an error.

export async function collectDomainStats(args: {
  readonly client: LibvirtClient;
  /** Cached target-dev → alias map, or undefined to read it from the live XML now. */
  readonly aliases: () => Map<string, string> | undefined;
  readonly rememberAliases: (aliases: Map<string, string>) => void;
  readonly agent: () => AgentSnapshot | undefined;
}): Promise<string> {
  const records = await args.client.getAllDomainStats(DOMAIN_STATS_GROUPS, DOMAIN_STATS_FLAGS);
  const record = records[0];
  if (!record) {
    throw new VmpodError('DOMAIN_STATS_EMPTY', 'no domain stats: no running or paused domain', {
      facts: { groups: DOMAIN_STATS_GROUPS, flags: DOMAIN_STATS_FLAGS },
    });
  }
  const dom = args.client.domain(record.domain.name);
  const memoryStats = await dom.memoryStats();
  let aliases = args.aliases();
  if (!aliases) {
    aliases = deviceAliases(domainSpecFromXml(await dom.xml(0)));
    args.rememberAliases(aliases);
  }
  const params = typedParamsToRecord(record.params);
  const cpuMap = await vcpuPinMap(args.client, record.domain, params['vcpu.current']);
  const load = args.agent()?.load;
  const json = domainStatsJson({
    name: record.domain.name,
    uuid: uuidToString(record.domain.uuid),
    params,
    memoryStats,
    aliases,
    ...(cpuMap ? { cpuMap } : {}),
    ...(load ? { load } : {}),
  });
  return JSON.stringify(json);
}

/**
 * virDomainGetVcpuPinInfo: one row per current vCPU over the host's CPUs (libvirt-go sizes the
 * rows from the node's CPU topology; the online CPU count is the same number on a plain node).
 * Missing when the vCPU count is unknown.
 */
async function vcpuPinMap(
  client: LibvirtClient,
  dom: DomainRef,
  vcpuCurrent: unknown,
): Promise<boolean[][] | undefined> {
  const vcpus = typeof vcpuCurrent === 'number' ? vcpuCurrent : Number(vcpuCurrent ?? Number.NaN);
  if (!Number.isInteger(vcpus) || vcpus <= 0) return undefined;
  return vcpuPinInfo(client, dom, vcpus, Math.max(1, cpus().length));
}
