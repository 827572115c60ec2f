import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LibvirtClient } from '../../../src/libvirt/client.js';
import { connectGetAllDomainStats } from '../../../src/libvirt/connect-procedures.js';
import type { Domain } from '../../../src/libvirt/domain.js';
import * as dp from '../../../src/libvirt/domain-procedures.js';
import type { Procedure } from '../../../src/libvirt/procedure.js';
import { qemuDomainAgentCommand } from '../../../src/libvirt/qemu-procedures.js';
import * as sp from '../../../src/libvirt/stats-procedures.js';
import { param } from '../../../src/libvirt/typed-params.js';
import { MockLibvirtd } from './helpers/mock-libvirtd.js';

const dom = { name: 'default_vmi', uuid: new Uint8Array(16).fill(9), id: 4 };
const zeroJob = {
  type: 0,
  timeElapsed: 0n,
  timeRemaining: 0n,
  dataTotal: 0n,
  dataProcessed: 0n,
  dataRemaining: 0n,
  memTotal: 0n,
  memProcessed: 0n,
  memRemaining: 0n,
  fileTotal: 0n,
  fileProcessed: 0n,
  fileRemaining: 0n,
};

let mock: MockLibvirtd;
let client: LibvirtClient;
let d: Domain;

beforeEach(async () => {
  mock = await MockLibvirtd.start();
  mock.on(dp.domainLookupByName, () => ({ dom }));
  client = await LibvirtClient.connect({ socketPath: mock.socketPath, reconnect: { auto: false } });
  d = client.domain('default_vmi');
});

afterEach(async () => {
  await client.close({ timeoutMs: 200 });
  await mock.close();
});

// Each Domain method sends its procedure with these arguments and returns this from the reply.
type Row = [string, (d: Domain) => Promise<unknown>, Procedure<unknown, unknown>, unknown, unknown, unknown];

/** A table row whose arguments and canned reply are type-checked against the descriptor. */
function row<A, R>(
  name: string,
  invoke: (d: Domain) => Promise<unknown>,
  proc: Procedure<A, R>,
  args: A,
  ret: R,
  result: unknown,
): Row {
  return [name, invoke, proc as unknown as Procedure<unknown, unknown>, args, ret, result];
}

const cases: Row[] = [
  row('create', (d) => d.create(1), dp.domainCreateWithFlags, { dom, flags: 1 }, { dom }, dom),
  row(
    'state',
    (d) => d.state(),
    dp.domainGetState,
    { dom, flags: 0 },
    { state: 5, reason: 2 },
    { state: 5, reason: 2 },
  ),
  row(
    'info',
    (d) => d.info(),
    dp.domainGetInfo,
    { dom },
    { state: 1, maxMem: 2048n, memory: 1024n, nrVirtCpu: 2, cpuTime: 5n },
    { state: 1, maxMemKiB: 2048n, memoryKiB: 1024n, nrVirtCpu: 2, cpuTimeNs: 5n },
  ),
  row('xml', (d) => d.xml(2), dp.domainGetXmlDesc, { dom, flags: 2 }, { xml: '<domain/>' }, '<domain/>'),
  row('shutdown', (d) => d.shutdown(1), dp.domainShutdownFlags, { dom, flags: 1 }, undefined, undefined),
  row('destroy', (d) => d.destroy(1), dp.domainDestroyFlags, { dom, flags: 1 }, undefined, undefined),
  row('reboot', (d) => d.reboot(), dp.domainReboot, { dom, flags: 0 }, undefined, undefined),
  row('reset', (d) => d.reset(), dp.domainReset, { dom, flags: 0 }, undefined, undefined),
  row('undefine', (d) => d.undefine(4), dp.domainUndefineFlags, { dom, flags: 4 }, undefined, undefined),
  row('suspend', (d) => d.suspend(), dp.domainSuspend, { dom }, undefined, undefined),
  row('resume', (d) => d.resume(), dp.domainResume, { dom }, undefined, undefined),
  row(
    'attachDevice',
    (d) => d.attachDevice('<disk/>', 3),
    dp.domainAttachDeviceFlags,
    { dom, xml: '<disk/>', flags: 3 },
    undefined,
    undefined,
  ),
  row(
    'detachDevice',
    (d) => d.detachDevice('<disk/>', 1),
    dp.domainDetachDeviceFlags,
    { dom, xml: '<disk/>', flags: 1 },
    undefined,
    undefined,
  ),
  row(
    'updateDevice',
    (d) => d.updateDevice('<disk/>', 1),
    dp.domainUpdateDeviceFlags,
    { dom, xml: '<disk/>', flags: 1 },
    undefined,
    undefined,
  ),
  row(
    'setVcpus',
    (d) => d.setVcpus(2, 1),
    dp.domainSetVcpusFlags,
    { dom, nvcpus: 2, flags: 1 },
    undefined,
    undefined,
  ),
  row(
    'setMemory',
    (d) => d.setMemory(65536, 1),
    dp.domainSetMemoryFlags,
    { dom, memory: 65536n, flags: 1 },
    undefined,
    undefined,
  ),
  row(
    'getTime',
    (d) => d.getTime(),
    dp.domainGetTime,
    { dom, flags: 0 },
    { seconds: 7n, nseconds: 8 },
    { seconds: 7n, nseconds: 8 },
  ),
  row(
    'setTime',
    (d) => d.setTime(7, 8, 1),
    dp.domainSetTime,
    { dom, seconds: 7n, nseconds: 8, flags: 1 },
    undefined,
    undefined,
  ),
  row(
    'fsFreeze',
    (d) => d.fsFreeze(['/']),
    dp.domainFsfreeze,
    { dom, mountpoints: ['/'], flags: 0 },
    { filesystems: 1 },
    1,
  ),
  row(
    'fsThaw',
    (d) => d.fsThaw(),
    dp.domainFsthaw,
    { dom, mountpoints: [], flags: 0 },
    { filesystems: 2 },
    2,
  ),
  row(
    'guestInfo',
    (d) => d.guestInfo(2),
    dp.domainGetGuestInfo,
    { dom, types: 2, flags: 0 },
    { params: [param.string('os.id', 'debian')] },
    { 'os.id': 'debian' },
  ),
  row(
    'agentCommand',
    (d) => d.agentCommand('{"execute":"guest-ping"}', 5),
    qemuDomainAgentCommand,
    { dom, cmd: '{"execute":"guest-ping"}', timeout: 5, flags: 0 },
    { result: '{"return":{}}' },
    '{"return":{}}',
  ),
  row(
    'memoryStats',
    (d) => d.memoryStats(),
    sp.domainMemoryStats,
    { dom, maxStats: 16, flags: 0 },
    { stats: [{ tag: 6, val: 65536n }] },
    new Map([[6, 65536n]]),
  ),
  row(
    'blockStats',
    (d) => d.blockStats('vda'),
    sp.domainBlockStats,
    { dom, path: 'vda' },
    { rd_req: 1n, rd_bytes: 2n, wr_req: 3n, wr_bytes: 4n, errs: -1n },
    { rd_req: 1n, rd_bytes: 2n, wr_req: 3n, wr_bytes: 4n, errs: -1n },
  ),
  row(
    'blockInfo',
    (d) => d.blockInfo('vda'),
    sp.domainGetBlockInfo,
    { dom, path: 'vda', flags: 0 },
    { allocation: 1n, capacity: 2n, physical: 3n },
    { allocation: 1n, capacity: 2n, physical: 3n },
  ),
  row('jobInfo', (d) => d.jobInfo(), sp.domainGetJobInfo, { dom }, zeroJob, zeroJob),
  row(
    'jobStats',
    (d) => d.jobStats(1),
    sp.domainGetJobStats,
    { dom, flags: 1 },
    { type: 0, params: [] },
    { type: 0, params: [] },
  ),
  row('abortJob', (d) => d.abortJob(), sp.domainAbortJob, { dom }, undefined, undefined),
  row(
    'diskErrors',
    (d) => d.diskErrors(),
    sp.domainGetDiskErrors,
    { dom, maxerrors: 256, flags: 0 },
    { errors: [{ disk: 'vda', error: 2 }], nerrors: 1 },
    [{ disk: 'vda', error: 2 }],
  ),
  row(
    'stats',
    (d) => d.stats(1),
    connectGetAllDomainStats,
    { doms: [dom], stats: 1, flags: 0 },
    { retStats: [{ dom, params: [param.int('state.state', 1)] }] },
    [param.int('state.state', 1)],
  ),
];

describe('Domain methods', () => {
  it.each(cases)(
    '%s sends its procedure and returns the reply',
    async (_name, invoke, proc, args, ret, result) => {
      mock.on(proc as Procedure<unknown, unknown>, () => ret);
      expect(await invoke(d)).toEqual(result);
      expect(mock.callsTo(proc as Procedure<unknown, unknown>).map((c) => c.args)).toEqual([args]);
    },
  );

  it('rejects a non-integer memory size before sending anything', async () => {
    await expect(d.setMemory(1.5)).rejects.toMatchObject({ code: 'XDR_OUT_OF_RANGE' });
  });
});
