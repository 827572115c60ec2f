// KubeVirt's stats.DomainStats JSON for GetDomainStats (KUBEVIRT.md §4.5), from the bulk stats
// typed parameters, virDomainMemoryStats, the vCPU pin map and the guest agent's load. Pure.
import { type StatKind, type StatParams, groupCount, pairs } from './stats-params.js';

/** virDomainMemoryStatTags as libvirt numbers them. */
export const MemoryStatTag = {
  SWAP_IN: 0,
  SWAP_OUT: 1,
  MAJOR_FAULT: 2,
  MINOR_FAULT: 3,
  UNUSED: 4,
  AVAILABLE: 5,
  ACTUAL_BALLOON: 6,
  RSS: 7,
  USABLE: 8,
  LAST_UPDATE: 9,
  DISK_CACHES: 10,
} as const;

type Fields = ReadonlyArray<readonly [string, string, StatKind?]>;

const CPU: Fields = [
  ['Time', 'time'],
  ['User', 'user'],
  ['System', 'system'],
];

const VCPU: Fields = [
  ['State', 'state'],
  ['Time', 'time'],
  ['Wait', 'wait'],
  ['Delay', 'delay'],
];

const TRAFFIC: Fields = [
  ['RxBytes', 'rx.bytes'],
  ['RxPkts', 'rx.pkts'],
  ['RxErrs', 'rx.errs'],
  ['RxDrop', 'rx.drop'],
  ['TxBytes', 'tx.bytes'],
  ['TxPkts', 'tx.pkts'],
  ['TxErrs', 'tx.errs'],
  ['TxDrop', 'tx.drop'],
];

const BLOCK_IO: Fields = [
  ['BackingIndex', 'backingIndex'],
  ['Path', 'path', 'string'],
  ['RdReqs', 'rd.reqs'],
  ['RdBytes', 'rd.bytes'],
  ['RdTimes', 'rd.times'],
  ['WrReqs', 'wr.reqs'],
  ['WrBytes', 'wr.bytes'],
  ['WrTimes', 'wr.times'],
  ['FlReqs', 'fl.reqs'],
  ['FlTimes', 'fl.times'],
  ['Errors', 'errors'],
  ['Allocation', 'allocation'],
  ['Capacity', 'capacity'],
  ['Physical', 'physical'],
];

const DIRTY_RATE: Fields = [
  ['CalcStatus', 'calc_status'],
  ['CalcStartTime', 'calc_start_time'],
  ['CalcPeriod', 'calc_period'],
  ['MegabytesPerSecond', 'megabytes_per_second'],
];

const JOB_INFO = ['DataTotal', 'DataProcessed', 'MemoryBps', 'DataRemaining', 'MemDirtyRate'];

/** DomainStatsMemory: Go field → memory stat tag; Total comes from the balloon's maximum. */
const MEMORY: ReadonlyArray<readonly [string, number]> = [
  ['Unused', MemoryStatTag.UNUSED],
  ['Cached', MemoryStatTag.DISK_CACHES],
  ['Available', MemoryStatTag.AVAILABLE],
  ['ActualBalloon', MemoryStatTag.ACTUAL_BALLOON],
  ['RSS', MemoryStatTag.RSS],
  ['SwapIn', MemoryStatTag.SWAP_IN],
  ['SwapOut', MemoryStatTag.SWAP_OUT],
  ['MajorFault', MemoryStatTag.MAJOR_FAULT],
  ['MinorFault', MemoryStatTag.MINOR_FAULT],
  ['Usable', MemoryStatTag.USABLE],
];

function memory(stats: ReadonlyMap<number, bigint> | undefined, params: StatParams): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [goName, tag] of MEMORY) {
    const v = stats?.get(tag);
    out[`${goName}Set`] = v !== undefined;
    out[goName] = v === undefined ? 0 : Number(v);
  }
  Object.assign(out, pairs(params, 'balloon.', [['Total', 'maximum']]));
  return out;
}

function indexed(params: StatParams, group: string, countKey: string): number[] {
  return Array.from({ length: groupCount(params, group, countKey) }, (_, i) => i);
}

function net(params: StatParams, aliases: ReadonlyMap<string, string>): Record<string, unknown>[] {
  return indexed(params, 'net', 'count').map((i) => {
    const head = pairs(params, `net.${i}.`, [['Name', 'name', 'string']]);
    const alias = aliases.get(String(head.Name));
    return {
      ...head,
      AliasSet: alias !== undefined,
      Alias: alias ?? '',
      ...pairs(params, `net.${i}.`, TRAFFIC),
    };
  });
}

function block(params: StatParams, aliases: ReadonlyMap<string, string>): Record<string, unknown>[] {
  return indexed(params, 'block', 'count').map((i) => {
    const head = pairs(params, `block.${i}.`, [['Name', 'name', 'string']]);
    return {
      ...head,
      Alias: aliases.get(String(head.Name)) ?? '',
      ...pairs(params, `block.${i}.`, BLOCK_IO),
    };
  });
}

function load(
  l: { load1m?: number; load5m?: number; load15m?: number } | undefined,
): Record<string, unknown> {
  const one = (v: number | undefined) => [v !== undefined, v ?? 0] as const;
  const [s1, v1] = one(l?.load1m);
  const [s5, v5] = one(l?.load5m);
  const [s15, v15] = one(l?.load15m);
  return { Load1mSet: s1, Load1m: v1, Load5mSet: s5, Load5m: v5, Load15mSet: s15, Load15m: v15 };
}

/** stats.DomainStats as JSON, keys in Go's declaration order. */
export function domainStatsJson(input: {
  name: string;
  uuid: string;
  params: StatParams;
  memoryStats?: ReadonlyMap<number, bigint>;
  cpuMap?: boolean[][];
  aliases: ReadonlyMap<string, string>;
  load?: { load1m?: number; load5m?: number; load15m?: number };
}): Record<string, unknown> {
  const { params } = input;
  return {
    Name: input.name,
    UUID: input.uuid,
    Cpu: pairs(params, 'cpu.', CPU),
    Memory: memory(input.memoryStats, params),
    MigrateDomainJobInfo: Object.fromEntries(
      JOB_INFO.flatMap((f) => [
        [`${f}Set`, false],
        [f, 0],
      ]),
    ),
    Vcpu: indexed(params, 'vcpu', 'current').map((i) => pairs(params, `vcpu.${i}.`, VCPU)),
    Net: net(params, input.aliases),
    Block: block(params, input.aliases),
    CPUMapSet: input.cpuMap !== undefined,
    CPUMap: input.cpuMap ?? null,
    DirtyRate: pairs(params, 'dirtyrate.', DIRTY_RATE),
    Load: load(input.load),
  };
}
