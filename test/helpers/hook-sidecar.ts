import { mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

// A hook sidecar as KubeVirt's examples are: a gRPC server on a unix socket serving Info and the
// Callbacks of one version. Like the test virt-handler it knows only the .proto files,
// @grpc/grpc-js and @grpc/proto-loader, so the tests check vmpod's side of the wire independently.

const PROTO_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../src/rpc/proto');

type AnyMessage = Record<string, unknown>;
type Service = grpc.ServiceClientConstructor & { service: grpc.ServiceDefinition };

let loaded: grpc.GrpcObject | undefined;
function lookup(path: string): Service {
  loaded ??= grpc.loadPackageDefinition(
    protoLoader.loadSync(
      ['hooks-info.proto', 'hooks-callbacks.proto'].map((f) => join(PROTO_DIR, f)),
      { keepCase: true, longs: Number, enums: String, defaults: true, arrays: true, objects: true },
    ),
  );
  let cur: unknown = loaded;
  for (const part of path.split('.')) cur = (cur as Record<string, unknown>)[part];
  return cur as Service;
}

export interface TestSidecarOptions {
  readonly socketPath: string;
  readonly name: string;
  readonly versions: readonly string[];
  readonly hookPoints: readonly { name: string; priority: number }[];
  /** The domain XML out for the XML in (OnDefineDomain). */
  readonly onDefineDomain?: (xml: string, vmi: Record<string, unknown>) => string;
  /** Answer Info with this gRPC error instead. */
  readonly infoError?: grpc.status;
}

export interface TestSidecar {
  readonly calls: { method: string; version: string }[];
  close(): Promise<void>;
}

export async function startTestSidecar(opts: TestSidecarOptions): Promise<TestSidecar> {
  const calls: TestSidecar['calls'] = [];
  const server = new grpc.Server();
  server.addService(lookup('kubevirt.hooks.info.Info').service, {
    Info: (_call: unknown, cb: grpc.sendUnaryData<AnyMessage>) => {
      calls.push({ method: 'Info', version: '' });
      if (opts.infoError !== undefined) cb({ code: opts.infoError, details: 'refused by the test' });
      else cb(null, { name: opts.name, versions: [...opts.versions], hookPoints: [...opts.hookPoints] });
    },
  });
  const callbacks = lookup('kubevirt.hooks.v1alpha3.Callbacks').service;
  for (const version of opts.versions) {
    // Every version's service has the same messages: only the path differs.
    const def = Object.fromEntries(
      Object.entries(callbacks).map(([method, m]) => [
        method,
        { ...m, path: m.path.replace('v1alpha3', version) },
      ]),
    ) as grpc.ServiceDefinition;
    server.addService(def, {
      OnDefineDomain: (
        call: grpc.ServerUnaryCall<AnyMessage, AnyMessage>,
        cb: grpc.sendUnaryData<AnyMessage>,
      ) => {
        calls.push({ method: 'OnDefineDomain', version });
        const xml = Buffer.from(call.request.domainXML as Uint8Array).toString('utf8');
        const vmi = JSON.parse(Buffer.from(call.request.vmi as Uint8Array).toString('utf8')) as AnyMessage;
        cb(null, { domainXML: Buffer.from(opts.onDefineDomain ? opts.onDefineDomain(xml, vmi) : xml) });
      },
      PreCloudInitIso: (_call: unknown, cb: grpc.sendUnaryData<AnyMessage>) => {
        calls.push({ method: 'PreCloudInitIso', version });
        cb({ code: grpc.status.UNIMPLEMENTED, details: 'not in this test' });
      },
      Shutdown: (_call: unknown, cb: grpc.sendUnaryData<AnyMessage>) => {
        calls.push({ method: 'Shutdown', version });
        cb(null, {});
      },
    });
  }
  await mkdir(dirname(opts.socketPath), { recursive: true });
  await rm(opts.socketPath, { force: true });
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`unix:${opts.socketPath}`, grpc.ServerCredentials.createInsecure(), (err) =>
      err ? reject(err) : resolve(),
    ),
  );
  return {
    calls,
    async close() {
      await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
      await rm(opts.socketPath, { force: true });
    },
  };
}
