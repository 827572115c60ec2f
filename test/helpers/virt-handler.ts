import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

// Plays KubeVirt's virt-handler against vmpod: a client of the command socket and a notify server.
// It knows only the .proto files, @grpc/grpc-js and @grpc/proto-loader (not vmpod's codec), so the
// tests that use it check vmpod's wire format independently.

const PROTO_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../src/rpc/proto');

const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: true,
  arrays: true,
  objects: true,
};

let loaded: grpc.GrpcObject | undefined;

function protos(): grpc.GrpcObject {
  if (!loaded) {
    const files = ['cmd-info.proto', 'cmd.proto', 'notify-info.proto', 'notify.proto'].map((f) =>
      join(PROTO_DIR, f),
    );
    loaded = grpc.loadPackageDefinition(protoLoader.loadSync(files, LOADER_OPTIONS));
  }
  return loaded;
}

function lookup(path: string): grpc.ServiceClientConstructor & { service: grpc.ServiceDefinition } {
  let cur: unknown = protos();
  for (const part of path.split('.')) cur = (cur as Record<string, unknown>)[part];
  return cur as grpc.ServiceClientConstructor & { service: grpc.ServiceDefinition };
}

// Deadlines of virt-handler's cmd-client (KUBEVIRT.md §3.5), in seconds.
const SHORT = [
  'GetDomain',
  'GetDomainStats',
  'GetGuestInfo',
  'GetUsers',
  'GetFilesystems',
  'Ping',
  'GetQemuVersion',
  'GetSEVInfo',
  'GetLaunchMeasurement',
  'GetScreenshot',
  'GetVMStats',
];

export function handlerDeadlineMs(method: string, req: { timeoutSeconds?: number }): number {
  if (method === 'Exec' || method === 'GuestPing') return ((req.timeoutSeconds ?? 0) + 5) * 1000;
  if (method === 'FreezeVirtualMachine') return 60_000;
  if (SHORT.includes(method)) return 5_000;
  return 20_000;
}

export type AnyMessage = Record<string, unknown>;

export const CMD_METHOD_NAMES = [
  'SyncVirtualMachine',
  'PauseVirtualMachine',
  'UnpauseVirtualMachine',
  'FreezeVirtualMachine',
  'UnfreezeVirtualMachine',
  'ResetVirtualMachine',
  'SoftRebootVirtualMachine',
  'ShutdownVirtualMachine',
  'KillVirtualMachine',
  'DeleteVirtualMachine',
  'MigrateVirtualMachine',
  'SyncMigrationTarget',
  'CancelVirtualMachineMigration',
  'SignalTargetPodCleanup',
  'FinalizeVirtualMachineMigration',
  'HotplugHostDevices',
  'GetDomain',
  'GetDomainStats',
  'GetGuestInfo',
  'GetUsers',
  'GetFilesystems',
  'Ping',
  'Exec',
  'GuestPing',
  'VirtualMachineMemoryDump',
  'GetQemuVersion',
  'SyncVirtualMachineCPUs',
  'SyncVirtualMachineMemory',
  'GetSEVInfo',
  'GetLaunchMeasurement',
  'InjectLaunchSecret',
  'GetDomainDirtyRateStats',
  'GetScreenshot',
  'BackupVirtualMachine',
  'RedefineCheckpoint',
  'GetVMStats',
] as const;

export type CmdMethodFn = (req?: AnyMessage, deadlineMs?: number) => Promise<AnyMessage>;

export type CmdTestClient = {
  /** CmdInfo.Info; throws unless the server offers version 1. */
  info(): Promise<number[]>;
  /** Any method by name, with the handler's deadline unless one is given. */
  call(method: string, req?: AnyMessage, deadlineMs?: number): Promise<AnyMessage>;
  close(): void;
} & { [M in (typeof CMD_METHOD_NAMES)[number]]: CmdMethodFn };

/** Connects like virt-handler does (2 s), and checks the version (Info, 5 s). */
export async function connectCmd(socketPath: string): Promise<CmdTestClient> {
  const Info = lookup('kubevirt.cmd.info.CmdInfo');
  const Cmd = lookup('kubevirt.cmd.v1.Cmd');
  const opts = { 'grpc.use_local_subchannel_pool': 1 };
  const infoClient = new Info(`unix:${socketPath}`, grpc.credentials.createInsecure(), opts);
  const cmdClient = new Cmd(`unix:${socketPath}`, grpc.credentials.createInsecure(), opts);
  await new Promise<void>((resolve, reject) =>
    cmdClient.waitForReady(Date.now() + 2_000, (err) => (err ? reject(err) : resolve())),
  );
  const unary = (client: grpc.Client, method: string, req: AnyMessage, deadlineMs: number) =>
    new Promise<AnyMessage>((resolve, reject) => {
      const fn = (client as unknown as Record<string, grpc.requestCallback<AnyMessage> | undefined>)[method];
      if (typeof fn !== 'function') {
        reject(new Error(`no method ${method}`));
        return;
      }
      (fn as (...a: unknown[]) => void).call(
        client,
        req,
        { deadline: Date.now() + deadlineMs },
        (err: unknown, res: AnyMessage) => (err ? reject(err) : resolve(res)),
      );
    });

  const missing = CMD_METHOD_NAMES.filter((m) => !(m in Cmd.service));
  if (missing.length > 0) throw new Error(`cmd.proto lacks ${missing.join(', ')}`);
  const client: Record<string, unknown> = {
    async info() {
      const res = await unary(infoClient, 'Info', {}, 5_000);
      const versions = res.supportedCmdVersions as number[];
      if (!versions.includes(1)) throw new Error(`no common version: [${versions.join(', ')}]`);
      return versions;
    },
    call(method: string, req: AnyMessage = {}, deadlineMs?: number) {
      return unary(
        cmdClient,
        method,
        req,
        deadlineMs ?? handlerDeadlineMs(method, req as { timeoutSeconds?: number }),
      );
    },
    close() {
      infoClient.close();
      cmdClient.close();
    },
  };
  for (const m of CMD_METHOD_NAMES) {
    client[m] = (req: AnyMessage = {}, deadlineMs?: number) =>
      (client.call as CmdTestClient['call'])(m, req, deadlineMs);
  }
  return client as CmdTestClient;
}

/** A VMIRequest-shaped message around a VMI object (or raw JSON text). */
export function vmiRequest(vmi: unknown, extra: AnyMessage = {}): AnyMessage {
  const json = typeof vmi === 'string' ? vmi : JSON.stringify(vmi);
  return { vmi: { vmiJson: Buffer.from(json) }, ...extra };
}

// --- the notify side ---

export interface RecordedDomainEvent {
  readonly eventType: string;
  readonly domain: unknown;
  readonly statusJSON: string;
}

export interface RecordedK8sEvent {
  readonly event: Record<string, unknown>;
}

export interface NotifyTestServer {
  readonly socketPath: string;
  readonly domainEvents: RecordedDomainEvent[];
  readonly k8sEvents: RecordedK8sEvent[];
  /** What HandleDomainEvent / HandleK8sEvent answer next (default success); `hang`: never answer. */
  reply: { success: boolean; message: string } | { grpcCode: number; details: string } | { hang: true };
  /** Resolves once predicate holds (checked on every recorded notification), or rejects. */
  waitFor(predicate: (s: NotifyTestServer) => boolean, timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

/** A notify server like virt-handler's (KUBEVIRT.md §5.5): NotifyInfo [1], recording every event. */
export async function startNotifyServer(socketPath: string): Promise<NotifyTestServer> {
  const NotifyInfo = lookup('kubevirt.notify.info.NotifyInfo');
  const Notify = lookup('kubevirt.notify.v1.Notify');
  const server = new grpc.Server();
  const waiters = new Set<() => void>();
  const poke = () => {
    for (const w of [...waiters]) w();
  };
  const answer = (cb: grpc.sendUnaryData<AnyMessage>) => {
    const r = state.reply;
    if ('hang' in r) return;
    if ('grpcCode' in r) cb({ code: r.grpcCode, details: r.details });
    else cb(null, r);
  };
  const state: NotifyTestServer = {
    socketPath,
    domainEvents: [],
    k8sEvents: [],
    reply: { success: true, message: '' },
    waitFor(predicate, timeoutMs) {
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (predicate(state)) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve();
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`notify server: condition not met within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async close() {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 1_000);
        server.tryShutdown(() => {
          clearTimeout(t);
          resolve();
        });
      });
      await rm(socketPath, { force: true });
    },
  };
  server.addService(NotifyInfo.service, {
    Info: (_call: unknown, cb: grpc.sendUnaryData<AnyMessage>) => cb(null, { supportedNotifyVersions: [1] }),
  });
  server.addService(Notify.service, {
    HandleDomainEvent: (
      call: grpc.ServerUnaryCall<AnyMessage, AnyMessage>,
      cb: grpc.sendUnaryData<AnyMessage>,
    ) => {
      const req = call.request;
      const text = Buffer.from(req.domainJSON as Uint8Array).toString('utf8');
      let domain: unknown;
      try {
        domain = JSON.parse(text);
      } catch {
        cb(null, { success: false, message: 'domainJSON does not parse' });
        return;
      }
      state.domainEvents.push({
        eventType: req.eventType as string,
        domain,
        statusJSON: Buffer.from(req.statusJSON as Uint8Array).toString('utf8'),
      });
      answer(cb);
      poke();
    },
    HandleK8sEvent: (
      call: grpc.ServerUnaryCall<AnyMessage, AnyMessage>,
      cb: grpc.sendUnaryData<AnyMessage>,
    ) => {
      const text = Buffer.from(call.request.eventJSON as Uint8Array).toString('utf8');
      let event: Record<string, unknown>;
      try {
        event = JSON.parse(text) as Record<string, unknown>;
      } catch {
        cb(null, { success: false, message: 'eventJSON does not parse' });
        return;
      }
      state.k8sEvents.push({ event });
      answer(cb);
      poke();
    },
  });
  await rm(socketPath, { force: true });
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`unix:${socketPath}`, grpc.ServerCredentials.createInsecure(), (err) =>
      err ? reject(err) : resolve(),
    ),
  );
  return state;
}

/** Sends raw bytes as the request of a Cmd method (no encoding) and returns the raw response bytes. */
export async function sendRawCmd(socketPath: string, method: string, bytes: Uint8Array): Promise<Buffer> {
  const identity = (b: Buffer) => b;
  const Raw = grpc.makeGenericClientConstructor(
    {
      raw: {
        path: `/kubevirt.cmd.v1.Cmd/${method}`,
        requestStream: false,
        responseStream: false,
        requestSerialize: identity,
        requestDeserialize: identity,
        responseSerialize: identity,
        responseDeserialize: identity,
      },
    },
    'RawCmd',
  );
  const client = new Raw(`unix:${socketPath}`, grpc.credentials.createInsecure());
  try {
    return await new Promise<Buffer>((resolve, reject) =>
      (client.raw as (b: Buffer, o: grpc.CallOptions, cb: (e: unknown, r: Buffer) => void) => void)(
        Buffer.from(bytes),
        { deadline: Date.now() + 5_000 },
        (e, r) => (e ? reject(e) : resolve(r)),
      ),
    );
  } finally {
    client.close();
  }
}

/** virt-controller's arguments for the compute container's monitor (KUBEVIRT.md §1.4.1), in its order. */
export function controllerArgs(o: {
  readonly name: string;
  readonly namespace: string;
  readonly uid: string;
  /** terminationGracePeriodSeconds + 15 (default 15). */
  readonly gracePeriodSeconds?: number;
  /** Flags before --allow-emulation, e.g. --run-as-nonroot. */
  readonly extra?: readonly string[];
}): string[] {
  return [
    '--qemu-timeout',
    '271s',
    '--name',
    o.name,
    '--uid',
    o.uid,
    '--namespace',
    o.namespace,
    '--kubevirt-share-dir',
    '/var/run/kubevirt',
    '--ephemeral-disk-dir',
    '/var/run/kubevirt-ephemeral-disks',
    '--container-disk-dir',
    '/var/run/kubevirt/container-disks',
    '--grace-period-seconds',
    String(o.gracePeriodSeconds ?? 15),
    '--hook-sidecars',
    '0',
    '--ovmf-path',
    '/usr/share/OVMF',
    '--disk-memory-limit',
    '2097152000',
    '--hypervisor',
    'kvm',
    ...(o.extra ?? []),
    '--allow-emulation',
  ];
}
