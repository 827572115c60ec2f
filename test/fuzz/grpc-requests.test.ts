import { decodeRequestVmi } from '../../src/launcher/domain-manager/request-vmi.js';
import { CMD_METHODS, qualified } from '../../src/rpc/cmd-methods.js';
import { decodeMessage, encodeMessage } from '../../src/rpc/codec.js';
import { exampleVmiJson } from './examples.js';
import { utf8 } from './harness.js';
import { fuzzSuite } from './suite.js';

// Every request message of kubevirt.cmd.v1.Cmd (and CmdInfo) as the command server decodes it
// (src/rpc/cmd-server.ts requestDeserialize), then, for the VMI-taking methods, the vmiJson check
// every call makes (decodeRequestVmi). The first input byte picks the message type; the rest is
// the protobuf payload. RPC_MALFORMED and VMI_NO_VALID_OBJECT are the only errors allowed.

const TYPES = [...new Set(CMD_METHODS.map((m) => m.request)), 'kubevirt.cmd.info.CmdInfoRequest'].map((t) =>
  t.includes('.') ? t : qualified(t),
);
const TAKES_VMI = new Set(CMD_METHODS.filter((m) => m.takesVmi).map((m) => qualified(m.request)));

const vmiJson = utf8(exampleVmiJson()[0] ?? '{}');
const small = utf8('{"metadata":{"name":"vm","namespace":"ns","uid":"u"},"status":{"conditions":[]}}');
const options = {
  VirtualMachineSMBios: { manufacturer: 'KubeVirt', product: 'None', family: 'KubeVirt' },
  MemBalloonStatsPeriod: 10,
  PreallocatedVolumes: ['disk0'],
  DisksInfo: { disk0: { format: 'raw', backingFile: '', actualSize: 1024, virtualSize: 2 ** 33 } },
  interfaceDomainAttachment: { default: 'tap' },
  pluginsJson: utf8('{}'),
  GraceHostDeviceAliases: ['gpu0'],
};
const VALUES: Record<string, object[]> = {
  VMIRequest: [{ vmi: { vmiJson: small }, options }, { vmi: { vmiJson } }],
  MigrationRequest: [{ vmi: { vmiJson: small }, options: utf8('{"Bandwidth":"64Mi"}') }],
  FreezeRequest: [{ vmi: { vmiJson: small }, unfreezeTimeoutSeconds: 300 }],
  MemoryDumpRequest: [{ vmi: { vmiJson: small }, dumpPath: '/var/run/kubevirt/dump' }],
  InjectLaunchSecretRequest: [{ vmi: { vmiJson: small }, options: utf8('{"secret":"x"}') }],
  BackupRequest: [{ vmi: { vmiJson: small }, options: utf8('{}') }],
  RedefineCheckpointRequest: [{ vmi: { vmiJson: small }, checkpoint: utf8('<domaincheckpoint/>') }],
  ExecRequest: [{ domainName: 'default_vm', Command: 'echo', Args: ['a', 'ü'], timeoutSeconds: 5 }],
  GuestPingRequest: [{ domainName: 'default_vm', timeoutSeconds: -1 }],
  VMStatsRequest: [{}],
  EmptyRequest: [{}],
};

const seeds = TYPES.flatMap((type, i) =>
  (VALUES[type.split('.').pop() ?? ''] ?? [{}]).map((value) =>
    Uint8Array.from([i, ...encodeMessage(type, value)]),
  ),
);

fuzzSuite(() => ({
  name: 'grpc-requests',
  seeds,
  dictionary: [
    Uint8Array.of(0x0a),
    Uint8Array.of(0x12),
    Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x10),
    Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x0f),
  ],
  maxLength: 16 * 1024,
  run(input) {
    const type = TYPES[(input[0] ?? 0) % TYPES.length] as string;
    const req = decodeMessage<{ vmi?: { vmiJson?: Uint8Array } }>(type, input.subarray(1));
    if (TAKES_VMI.has(type)) decodeRequestVmi(req.vmi?.vmiJson);
  },
}));
