import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as protoLoader from '@grpc/proto-loader';
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage } from '../../../src/rpc/codec.js';

// vmpod's codec against an independent implementation: @grpc/proto-loader (its own protobufjs
// copy) loading the same .proto files from disk, as virt-handler's generated code would.

const dir = join(dirname(fileURLToPath(import.meta.url)), '../../../src/rpc/proto');
const defs = protoLoader.loadSync(
  ['cmd.proto', 'cmd-info.proto', 'notify.proto', 'notify-info.proto'].map((f) => join(dir, f)),
  { keepCase: true, longs: Number, defaults: true, arrays: true, objects: true },
);
const cmd = defs['kubevirt.cmd.v1.Cmd'] as protoLoader.ServiceDefinition;

const OPTIONS = {
  VirtualMachineSMBios: { manufacturer: 'KubeVirt', product: 'None', version: '1', sku: 's', family: 'f' },
  MemBalloonStatsPeriod: 10,
  PreallocatedVolumes: ['a', 'b'],
  topology: {
    numa_cells: [
      {
        id: 1,
        memory: { amount: 2 ** 36, unit: 'b' },
        pages: [{ count: 2, unit: 'KiB', size: 2048 }],
        distances: [{ id: 0, value: 10 }],
        cpus: [{ id: 3, siblings: [3, 4, 300] }],
      },
    ],
  },
  DisksInfo: {
    disk0: { format: 'qcow2', backingFile: '/b', actualSize: 5_000_000_000, virtualSize: 2 ** 40 },
  },
  ExpandDisksEnabled: true,
  clusterConfig: {
    ExpandDisksEnabled: true,
    FreePageReportingDisabled: true,
    BochsDisplayForEFIGuests: false,
    SerialConsoleLogDisabled: true,
    PCINUMAAwareTopologyEnabled: false,
    VGPULiveMigrationEnabled: true,
    GraceIOVirtualizationEnabled: false,
  },
  interfaceDomainAttachment: { default: 'tap', red: 'managedTap' },
  interfaceMigration: { default: { Method: 'link-refresh' } },
  pluginsJson: Buffer.from('[{"name":"p"}]'),
  GraceHostDeviceAliases: ['hostdev0'],
};

describe('codec ⇄ proto-loader', () => {
  it('decodes what proto-loader encodes (VMIRequest with every option)', () => {
    const req = { vmi: { vmiJson: Buffer.from('{"metadata":{"name":"x"}}') }, options: OPTIONS };
    const bytes = cmd.SyncVirtualMachine?.requestSerialize(req) as Buffer;
    const back = decodeMessage<typeof req>('kubevirt.cmd.v1.VMIRequest', bytes);
    expect(Buffer.from(back.vmi.vmiJson).toString()).toBe('{"metadata":{"name":"x"}}');
    expect({ ...back.options, pluginsJson: Buffer.from(back.options.pluginsJson) }).toEqual(OPTIONS);
  });

  it('encodes what proto-loader decodes (responses)', () => {
    const cases: [string, string, object][] = [
      ['GetDomain', 'DomainResponse', { response: { success: true, message: '' }, domain: '{"a":1}' }],
      ['Exec', 'ExecResponse', { response: { success: true, message: '' }, exitCode: -3, stdOut: 'out' }],
      [
        'GetDomainDirtyRateStats',
        'DirtyRateStatsResponse',
        { response: { success: false, message: 'x' }, dirtyRateMbs: 2 ** 40 },
      ],
      [
        'GetScreenshot',
        'ScreenshotResponse',
        { response: { success: true, message: '' }, mime: 'image/png', data: Buffer.from([1, 2, 3]) },
      ],
      ['Ping', 'Response', { success: true, message: 'pong' }],
    ];
    for (const [method, type, value] of cases) {
      const bytes = Buffer.from(encodeMessage(`kubevirt.cmd.v1.${type}`, value));
      expect(cmd[method]?.responseDeserialize(bytes), method).toEqual(value);
    }
  });

  it('produces the same bytes as proto-loader for the same request', () => {
    const req = { domainName: 'ns_vm', Command: 'cat', Args: ['/etc/os-release'], timeoutSeconds: 7 };
    expect(Buffer.from(encodeMessage('kubevirt.cmd.v1.ExecRequest', req))).toEqual(
      cmd.Exec?.requestSerialize(req),
    );
    const vmi = { vmi: { vmiJson: Buffer.from('{}') }, unfreezeTimeoutSeconds: 300 };
    expect(Buffer.from(encodeMessage('kubevirt.cmd.v1.FreezeRequest', vmi))).toEqual(
      cmd.FreezeVirtualMachine?.requestSerialize(vmi),
    );
  });
});
