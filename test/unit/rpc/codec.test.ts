import { describe, expect, it } from 'vitest';
import { VmpodError } from '../../../src/errors.js';
import { CMD_METHODS } from '../../../src/rpc/cmd-methods.js';
import type { ExecRequest, VirtualMachineOptions, VMIRequest } from '../../../src/rpc/cmd-types.js';
import { decodeMessage, encodeMessage } from '../../../src/rpc/codec.js';
import { protoLoadMs, protoRoot } from '../../../src/rpc/proto-root.js';

// Golden vectors derived by hand from the protobuf wire format: tag = (field << 3) | wire type;
// wire 0 varint, 2 length-delimited; proto3 leaves defaults out and packs repeated scalars.

const hex = (s: string) => Buffer.from(s.replaceAll(' ', ''), 'hex');
const ascii = (s: string) => Buffer.from(s).toString('hex');
const enc = (type: string, v: object) => Buffer.from(encodeMessage(type, v)).toString('hex');
const V1 = 'kubevirt.cmd.v1.';

function malformed(type: string, bytes: Buffer): VmpodError {
  try {
    decodeMessage(type, bytes);
  } catch (err) {
    expect(err).toBeInstanceOf(VmpodError);
    return err as VmpodError;
  }
  throw new Error('decoded without error');
}

describe('proto files', () => {
  it('parse once, quickly, with every Cmd method of KUBEVIRT.md §3.2', () => {
    const root = protoRoot();
    expect(protoRoot()).toBe(root);
    expect(protoLoadMs()).toBeLessThan(500);
    const cmd = root.lookupService('kubevirt.cmd.v1.Cmd');
    expect(Object.keys(cmd.methods)).toEqual(CMD_METHODS.map((m) => m.name));
    for (const m of CMD_METHODS) {
      expect(cmd.methods[m.name]?.requestType).toBe(m.request);
      expect(cmd.methods[m.name]?.responseType).toBe(m.response);
    }
    expect(Object.keys(root.lookupService('kubevirt.notify.v1.Notify').methods)).toEqual([
      'HandleDomainEvent',
      'HandleK8sEvent',
    ]);
    expect(Object.keys(root.lookupService('kubevirt.cmd.info.CmdInfo').methods)).toEqual(['Info']);
    expect(Object.keys(root.lookupService('kubevirt.notify.info.NotifyInfo').methods)).toEqual(['Info']);
  });

  it('keep the field names, numbers and types of the tables', () => {
    const t = protoRoot().lookupType(`${V1}VirtualMachineOptions`);
    const fields = Object.fromEntries(t.fieldsArray.map((f) => [f.name, [f.id, f.type]]));
    expect(fields).toEqual({
      VirtualMachineSMBios: [1, 'SMBios'],
      MemBalloonStatsPeriod: [2, 'uint32'],
      PreallocatedVolumes: [3, 'string'],
      topology: [4, 'Topology'],
      DisksInfo: [5, 'DiskInfo'],
      ExpandDisksEnabled: [6, 'bool'],
      clusterConfig: [7, 'ClusterConfig'],
      interfaceDomainAttachment: [8, 'string'],
      interfaceMigration: [9, 'InterfaceBindingMigration'],
      pluginsJson: [10, 'bytes'],
      GraceHostDeviceAliases: [11, 'string'],
    });
    const exec = protoRoot().lookupType(`${V1}ExecRequest`);
    expect(exec.fieldsArray.map((f) => [f.name, f.id, f.type, f.repeated])).toEqual([
      ['domainName', 1, 'string', false],
      ['Command', 2, 'string', false],
      ['Args', 3, 'string', true],
      ['timeoutSeconds', 4, 'int32', false],
    ]);
  });
});

describe('encode: golden vectors', () => {
  it('CmdInfoResponse{[1]}: packed repeated uint32', () => {
    expect(enc('kubevirt.cmd.info.CmdInfoResponse', { supportedCmdVersions: [1] })).toBe('0a0101');
  });

  it('Response: defaults are left out', () => {
    expect(enc(`${V1}Response`, { success: true, message: 'ok' })).toBe(`080112026f6b`);
    expect(enc(`${V1}Response`, { success: false, message: '' })).toBe('');
  });

  it('VMIRequest with a VMI and no options', () => {
    expect(enc(`${V1}VMIRequest`, { vmi: { vmiJson: Buffer.from('{}') } })).toBe('0a040a027b7d');
  });

  it('ExecRequest with repeated strings', () => {
    const req: ExecRequest = { domainName: 'ns_vm', Command: 'ls', Args: ['-l', '/'], timeoutSeconds: 5 };
    expect(enc(`${V1}ExecRequest`, req)).toBe(
      `0a05${ascii('ns_vm')}1202${ascii('ls')}1a02${ascii('-l')}1a01${ascii('/')}2005`,
    );
  });

  it('uint64 beyond 32 bits, maps and packed siblings', () => {
    expect(enc(`${V1}DiskInfo`, { format: 'raw', actualSize: 5_000_000_000 })).toBe(
      `0a03${ascii('raw')}1880e497d012`,
    );
    expect(enc(`${V1}VirtualMachineOptions`, { interfaceDomainAttachment: { default: 'tap' } })).toBe(
      `420e0a07${ascii('default')}1203${ascii('tap')}`,
    );
    expect(enc(`${V1}CPU`, { id: 1, siblings: [1, 2] })).toBe('080112020102');
  });

  it('negative int32/int64 as 10-byte varints', () => {
    expect(enc(`${V1}ExecResponse`, { exitCode: -1 })).toBe('10ffffffffffffffffff01');
    expect(enc(`${V1}DirtyRateStatsResponse`, { dirtyRateMbs: -1 })).toBe('10ffffffffffffffffff01');
  });

  it('a present but empty sub-message is still sent', () => {
    expect(enc(`${V1}VMStatsRequest`, { domainStats: {}, guestGetLoad: {} })).toBe('0a001a00');
  });

  it('notify messages', () => {
    expect(
      enc('kubevirt.notify.v1.DomainEventRequest', { domainJSON: Buffer.from('{}'), eventType: 'ADDED' }),
    ).toBe(`0a027b7d1a05${ascii('ADDED')}`);
  });

  it('refuses values of the wrong type', () => {
    expect(() => encodeMessage(`${V1}Response`, { success: 'yes' })).toThrow(VmpodError);
  });
});

describe('decode: golden vectors', () => {
  it('fills every default and leaves absent messages out', () => {
    const req = decodeMessage<VMIRequest>(`${V1}VMIRequest`, hex('0a040a027b7d'));
    expect(Buffer.from(req.vmi?.vmiJson ?? []).toString()).toBe('{}');
    expect(req.options).toBeUndefined();

    const opts = decodeMessage<VirtualMachineOptions>(
      `${V1}VirtualMachineOptions`,
      hex(`420e0a07${ascii('default')}1203${ascii('tap')}`),
    );
    expect(opts).toMatchObject({
      MemBalloonStatsPeriod: 0,
      PreallocatedVolumes: [],
      DisksInfo: {},
      ExpandDisksEnabled: false,
      interfaceDomainAttachment: { default: 'tap' },
      interfaceMigration: {},
      GraceHostDeviceAliases: [],
    });
    expect(opts.pluginsJson).toBeInstanceOf(Uint8Array);
    expect(opts.pluginsJson.length).toBe(0);
    expect('VirtualMachineSMBios' in opts).toBe(false);
    expect('topology' in opts).toBe(false);
    expect('clusterConfig' in opts).toBe(false);
  });

  it('64-bit integers become numbers', () => {
    expect(decodeMessage(`${V1}DiskInfo`, hex('1880e497d012'))).toEqual({
      format: '',
      backingFile: '',
      actualSize: 5_000_000_000,
      virtualSize: 0,
    });
    expect(decodeMessage(`${V1}DirtyRateStatsResponse`, hex('10ffffffffffffffffff01'))).toEqual({
      dirtyRateMbs: -1,
    });
    expect(decodeMessage(`${V1}ExecResponse`, hex('10ffffffffffffffffff01'))).toEqual({
      exitCode: -1,
      stdOut: '',
    });
  });

  it('accepts packed and unpacked repeated scalars, and skips unknown fields', () => {
    expect(decodeMessage(`${V1}CPU`, hex('080112020102'))).toEqual({ id: 1, siblings: [1, 2] });
    expect(decodeMessage(`${V1}CPU`, hex('080110011002'))).toEqual({ id: 1, siblings: [1, 2] });
    expect(
      decodeMessage(`${V1}Response`, hex(`0801 4801 5a03${ascii('abc')} 6501020304 1202${ascii('ok')}`)),
    ).toEqual({
      success: true,
      message: 'ok',
    });
  });

  it('an empty buffer is the all-defaults message', () => {
    expect(decodeMessage(`${V1}ExecRequest`, Buffer.alloc(0))).toEqual({
      domainName: '',
      Command: '',
      Args: [],
      timeoutSeconds: 0,
    });
  });
});

describe('decode: malformed input is a typed error naming the message', () => {
  const type = `${V1}VMIRequest`;
  it.each([
    ['a length past the end', '0a6401 02'],
    ['a truncated varint', '08ff'],
    ['wire type 7', '0f01'],
    ['a group (wire type 3)', '0b'],
    ['field number 0', '0001'],
    ['the wrong wire type for a known field', '0801'],
    ['a truncated fixed64', '0901020304'],
    ['a bad nested message', '0a020a05'],
  ])('%s', (_what, bytes) => {
    const err = malformed(type, hex(bytes));
    expect(err.code).toBe('RPC_MALFORMED');
    expect(err.message).toContain('kubevirt.cmd.v1.VMIRequest');
    expect(err.facts.messageType).toBe(type);
    expect(typeof err.facts.offset).toBe('number');
  });

  it('invalid UTF-8 in a string field', () => {
    const err = malformed(`${V1}ExecRequest`, hex('0a02c328'));
    expect(err.facts.field).toBe('ExecRequest.domainName');
  });

  it('a bad map entry', () => {
    expect(malformed(`${V1}VirtualMachineOptions`, hex('42020801')).code).toBe('RPC_MALFORMED');
  });
});

describe('round trips and fuzz', () => {
  it('encode → decode gives back the value with defaults filled', () => {
    const opts = {
      VirtualMachineSMBios: {
        manufacturer: 'KubeVirt',
        product: 'None',
        version: '',
        sku: '',
        family: 'KubeVirt',
      },
      MemBalloonStatsPeriod: 10,
      PreallocatedVolumes: ['a'],
      topology: {
        numa_cells: [
          {
            id: 0,
            memory: { amount: 2 ** 40, unit: 'b' },
            pages: [{ count: 3, unit: 'KiB', size: 4 }],
            distances: [{ id: 1, value: 20 }],
            cpus: [{ id: 0, siblings: [0, 1] }],
          },
        ],
      },
      DisksInfo: { d: { format: 'qcow2', backingFile: 'b', actualSize: 1, virtualSize: 2 ** 33 } },
      ExpandDisksEnabled: true,
      clusterConfig: {
        ExpandDisksEnabled: false,
        FreePageReportingDisabled: true,
        BochsDisplayForEFIGuests: false,
        SerialConsoleLogDisabled: true,
        PCINUMAAwareTopologyEnabled: false,
        VGPULiveMigrationEnabled: false,
        GraceIOVirtualizationEnabled: true,
      },
      interfaceDomainAttachment: { default: 'tap' },
      interfaceMigration: { default: { Method: 'link-refresh' } },
      pluginsJson: Buffer.from('[]'),
      GraceHostDeviceAliases: ['x'],
    } satisfies VirtualMachineOptions;
    const back = decodeMessage<VirtualMachineOptions>(
      `${V1}VirtualMachineOptions`,
      encodeMessage(`${V1}VirtualMachineOptions`, opts),
    );
    expect({ ...back, pluginsJson: Buffer.from(back.pluginsJson) }).toEqual(opts);
  });

  it('random bytes decode to a value or RPC_MALFORMED, never anything else', () => {
    let seed = 12345;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    const types = ['VMIRequest', 'ExecRequest', 'VirtualMachineOptions', 'VMStatsResponse', 'FreezeRequest'];
    let ok = 0;
    let bad = 0;
    for (let i = 0; i < 3000; i++) {
      const len = rand() % 40;
      const bytes = Buffer.from(Array.from({ length: len }, () => rand() & 0xff));
      const type = `${V1}${types[i % types.length]}`;
      try {
        decodeMessage(type, bytes);
        ok++;
      } catch (err) {
        expect(err).toBeInstanceOf(VmpodError);
        expect((err as VmpodError).code).toBe('RPC_MALFORMED');
        bad++;
      }
    }
    expect(ok + bad).toBe(3000);
    expect(bad).toBeGreaterThan(0);
  });

  it('mutated valid messages never escape as untyped errors', () => {
    const valid = Buffer.from(
      encodeMessage(`${V1}VMIRequest`, {
        vmi: { vmiJson: Buffer.from('{"a":1}') },
        options: {
          DisksInfo: { x: { format: 'raw', actualSize: 7 } },
          topology: { numa_cells: [{ id: 1 }] },
        },
      }),
    );
    for (let i = 0; i < valid.length; i++) {
      for (const b of [0x00, 0x07, 0x0f, 0x7f, 0x80, 0xff]) {
        const m = Buffer.from(valid);
        m[i] = b;
        try {
          decodeMessage(`${V1}VMIRequest`, m);
        } catch (err) {
          expect((err as VmpodError).code).toBe('RPC_MALFORMED');
        }
      }
      try {
        decodeMessage(`${V1}VMIRequest`, valid.subarray(0, i));
      } catch (err) {
        expect((err as VmpodError).code).toBe('RPC_MALFORMED');
      }
    }
  });
});
