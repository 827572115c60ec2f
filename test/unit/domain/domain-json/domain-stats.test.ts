import { describe, expect, it } from 'vitest';
import {
  MemoryStatTag,
  deviceAliases,
  domainSpecFromXml,
  domainStatsJson,
} from '../../../../src/domain/domain-json/index.js';
import { LIVE_STATS_PARAMS, LIVE_XML } from './fixtures.js';

// biome-ignore lint/suspicious/noExplicitAny: the tests walk untyped JSON
type Json = Record<string, any>;

const aliases = deviceAliases(domainSpecFromXml(LIVE_XML));

// What `virsh dommemstat` printed for the fixture domain, plus the guest-side stats a balloon
// driver adds once the guest reports them.
const memoryStats = new Map<number, bigint>([
  [MemoryStatTag.ACTUAL_BALLOON, 131072n],
  [MemoryStatTag.LAST_UPDATE, 0n],
  [MemoryStatTag.RSS, 50192n],
  [MemoryStatTag.UNUSED, 60000n],
  [MemoryStatTag.AVAILABLE, 120000n],
  [MemoryStatTag.DISK_CACHES, 30000n],
  [MemoryStatTag.USABLE, 90000n],
]);

const stats = domainStatsJson({
  name: 'default_vmi-masquerade',
  uuid: 'a4bd6ece-a763-52aa-8234-12bf308a5b6f',
  params: LIVE_STATS_PARAMS,
  memoryStats,
  cpuMap: [[true, true]],
  aliases,
  load: { load1m: 0.5, load15m: 0.25 },
}) as Json;

describe('domainStatsJson on real bulk stats', () => {
  it('has the DomainStats keys in Go order', () => {
    expect(Object.keys(stats)).toEqual([
      'Name',
      'UUID',
      'Cpu',
      'Memory',
      'MigrateDomainJobInfo',
      'Vcpu',
      'Net',
      'Block',
      'CPUMapSet',
      'CPUMap',
      'DirtyRate',
      'Load',
    ]);
    expect(stats.Name).toBe('default_vmi-masquerade');
    expect(stats.UUID).toBe('a4bd6ece-a763-52aa-8234-12bf308a5b6f');
  });

  it('reads CPU totals, bigints as numbers', () => {
    expect(stats.Cpu).toEqual({
      TimeSet: true,
      Time: 390000000,
      UserSet: true,
      User: 140000000,
      SystemSet: true,
      System: 250000000,
    });
  });

  it('reads one entry per vCPU', () => {
    expect(stats.Vcpu).toEqual([
      {
        StateSet: true,
        State: 1,
        TimeSet: true,
        Time: 110000000,
        WaitSet: true,
        Wait: 0,
        DelaySet: true,
        Delay: 2555491,
      },
    ]);
  });

  it('reads interfaces with the alias of their tap', () => {
    expect(stats.Net).toEqual([
      {
        NameSet: true,
        Name: 'tap0',
        AliasSet: true,
        Alias: 'testmasquerade',
        RxBytesSet: true,
        RxBytes: 90,
        RxPktsSet: true,
        RxPkts: 1,
        RxErrsSet: true,
        RxErrs: 0,
        RxDropSet: true,
        RxDrop: 0,
        TxBytesSet: true,
        TxBytes: 0,
        TxPktsSet: true,
        TxPkts: 0,
        TxErrsSet: true,
        TxErrs: 0,
        TxDropSet: true,
        TxDrop: 0,
      },
    ]);
  });

  it('reads block devices with their aliases; stats libvirt did not report are not Set', () => {
    expect(stats.Block).toHaveLength(2);
    const [vda, vdb] = stats.Block;
    expect(Object.keys(vda).slice(0, 7)).toEqual([
      'NameSet',
      'Name',
      'Alias',
      'BackingIndexSet',
      'BackingIndex',
      'PathSet',
      'Path',
    ]);
    expect(vda).toMatchObject({
      Name: 'vda',
      Alias: 'containerdisk',
      BackingIndex: 2,
      Path: '/var/run/kubevirt-ephemeral-disks/disk-data/containerdisk/disk.qcow2',
      RdReqsSet: true,
      RdReqs: 1,
      RdBytes: 512,
      RdTimes: 171304,
      CapacitySet: true,
      Capacity: 67108864,
      Physical: 200704,
      ErrorsSet: false,
      Errors: 0,
    });
    expect(vdb).toMatchObject({ Name: 'vdb', Alias: 'cloudinitdisk', Capacity: 1048576 });
  });

  it('maps memory stat tags to DomainStatsMemory and Total to the balloon maximum', () => {
    expect(stats.Memory).toEqual({
      UnusedSet: true,
      Unused: 60000,
      CachedSet: true,
      Cached: 30000,
      AvailableSet: true,
      Available: 120000,
      ActualBalloonSet: true,
      ActualBalloon: 131072,
      RSSSet: true,
      RSS: 50192,
      SwapInSet: false,
      SwapIn: 0,
      SwapOutSet: false,
      SwapOut: 0,
      MajorFaultSet: false,
      MajorFault: 0,
      MinorFaultSet: false,
      MinorFault: 0,
      UsableSet: true,
      Usable: 90000,
      TotalSet: true,
      Total: 131072,
    });
  });

  it('carries the vCPU pin map, dirty rate, load and an unset migration job', () => {
    expect(stats.CPUMapSet).toBe(true);
    expect(stats.CPUMap).toEqual([[true, true]]);
    expect(stats.DirtyRate).toEqual({
      CalcStatusSet: true,
      CalcStatus: 0,
      CalcStartTimeSet: true,
      CalcStartTime: 0,
      CalcPeriodSet: true,
      CalcPeriod: 0,
      MegabytesPerSecondSet: false,
      MegabytesPerSecond: 0,
    });
    expect(stats.Load).toEqual({
      Load1mSet: true,
      Load1m: 0.5,
      Load5mSet: false,
      Load5m: 0,
      Load15mSet: true,
      Load15m: 0.25,
    });
    expect(Object.values(stats.MigrateDomainJobInfo).every((v) => v === false || v === 0)).toBe(true);
    expect(Object.keys(stats.MigrateDomainJobInfo)).toEqual([
      'DataTotalSet',
      'DataTotal',
      'DataProcessedSet',
      'DataProcessed',
      'MemoryBpsSet',
      'MemoryBps',
      'DataRemainingSet',
      'DataRemaining',
      'MemDirtyRateSet',
      'MemDirtyRate',
    ]);
  });

  it('survives a JSON round trip (no bigints left)', () => {
    expect(JSON.parse(JSON.stringify(stats))).toEqual(stats);
  });
});

describe('domainStatsJson on sparse input', () => {
  const sparse = domainStatsJson({
    name: 'ns_vm',
    uuid: 'u',
    params: { 'net.0.name': 'tap9', 'net.0.rx.bytes': 5n, 'block.1.name': 'sdb' },
    aliases: new Map(),
  }) as Json;

  it('counts entries from the indices present when .count is missing', () => {
    expect(sparse.Net).toHaveLength(1);
    expect(sparse.Net[0]).toMatchObject({
      Name: 'tap9',
      AliasSet: false,
      Alias: '',
      RxBytes: 5,
      TxBytesSet: false,
    });
    expect(sparse.Block).toHaveLength(2);
    expect(sparse.Block[1]).toMatchObject({ NameSet: true, Name: 'sdb', Alias: '' });
    expect(sparse.Block[0]).toMatchObject({ NameSet: false, Name: '' });
  });

  it('leaves groups libvirt did not report empty and unset', () => {
    expect(sparse.Vcpu).toEqual([]);
    expect(sparse.Cpu).toMatchObject({ TimeSet: false, Time: 0 });
    expect(sparse.Memory.RSSSet).toBe(false);
    expect(sparse.Memory.TotalSet).toBe(false);
    expect(sparse.CPUMapSet).toBe(false);
    expect(sparse.CPUMap).toBeNull();
    expect(sparse.Load.Load1mSet).toBe(false);
  });
});
