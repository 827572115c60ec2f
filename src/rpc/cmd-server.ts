import { chmod, mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { describeError, VmpodError } from '../errors.js';
import { formatLibvirtError, LibvirtError } from '../libvirt/errors.js';
import { forFile, type Logger } from '../log/logger.js';
import { CmdClient, inBandError } from './cmd-client.js';
import {
  CMD_INFO_SERVICE,
  CMD_METHODS,
  type CmdMethodSpec,
  cmdMethodPath,
  qualified,
} from './cmd-methods.js';
import { type CmdHandlers, GrpcStatusError } from './cmd-types.js';
import { decodeMessage, encodeMessage } from './codec.js';

// The command server (KUBEVIRT.md §1.3.2 steps 9 and 12, §2.2, §3): kubevirt.cmd.info.CmdInfo and
// every method of kubevirt.cmd.v1.Cmd on <socketDir>/launcher-init-sock, renamed to launcher-sock
// when the launcher is ready. Application failures travel in-band (Response{success=false,
// message}); only Exec and GuestPing errors, and handlers that throw GrpcStatusError, become gRPC
// statuses (§3.6). Malformed requests, bad VMIs and unsupported methods are answered in-band, so
// the handler never waits and vmpod never crashes on what a client sends.

export const INIT_SOCKET_NAME = 'launcher-init-sock';
export const SOCKET_NAME = 'launcher-sock';

/** KubeVirt's fixed text for a VMI that does not unmarshal (cmd-server/server.go). */
export const NO_VALID_VMI_MESSAGE = 'No valid vmi object present in command server request';

export interface CmdServerOptions {
  readonly socketDir: string;
  readonly handlers: CmdHandlers;
  readonly log: Logger;
  /** Checks a VMI-taking request's VMI; returns the error message when it is unacceptable. */
  readonly validateVmi?: (vmiJson: Uint8Array) => string | undefined;
  /** Self-check budget (default 15 s, one attempt per second). */
  readonly selfCheckTimeoutMs?: number;
}

export interface CmdServer {
  readonly initSocketPath: string;
  readonly socketPath: string;
  /** Readiness: atomically renames launcher-init-sock → launcher-sock. */
  markReady(): Promise<void>;
  /** Stops serving within 1 s and removes the socket file. */
  close(): Promise<void>;
}

type Decoded = { ok: true; value: Record<string, unknown> } | { ok: false; error: string };

const GO_MAX_RECEIVE = 4 * 1024 * 1024;

export async function startCmdServer(opts: CmdServerOptions): Promise<CmdServer> {
  const log = forFile(opts.log, 'cmd-server.ts');
  const t0 = performance.now();
  const initSocketPath = join(opts.socketDir, INIT_SOCKET_NAME);
  const socketPath = join(opts.socketDir, SOCKET_NAME);

  await ensureDir(opts.socketDir);
  // A socket left by an earlier process must neither block the bind nor look like readiness.
  await rm(initSocketPath, { force: true });
  await rm(socketPath, { force: true });

  const server = new grpc.Server({
    'grpc.max_receive_message_length': GO_MAX_RECEIVE,
    'grpc.max_send_message_length': -1,
    // No channelz bookkeeping on every call: nothing reads it.
    'grpc.enable_channelz': 0,
  });
  server.addService(cmdInfoDefinition(), {
    Info: (_call: unknown, cb: grpc.sendUnaryData<Buffer>) => {
      cb(
        null,
        Buffer.from(encodeMessage('kubevirt.cmd.info.CmdInfoResponse', { supportedCmdVersions: [1] })),
      );
    },
  });
  const impl: grpc.UntypedServiceImplementation = {};
  for (const spec of CMD_METHODS) impl[spec.name] = unaryHandler(spec, opts, log);
  server.addService(cmdDefinition(), impl);

  try {
    await new Promise<void>((resolve, reject) => {
      server.bindAsync(`unix:${initSocketPath}`, grpc.ServerCredentials.createInsecure(), (err) =>
        err ? reject(err) : resolve(),
      );
    });
  } catch (err) {
    server.forceShutdown();
    throw new VmpodError(
      'CMD_SERVER_BIND_FAILED',
      `cannot listen on ${initSocketPath}: ${describeError(err)}`,
      {
        cause: err,
        facts: { socketPath: initSocketPath },
      },
    );
  }
  // Only the socket's owner (and root) may talk to the launcher; set before anyone is told.
  await chmod(initSocketPath, 0o600);

  let closed = false;
  let ready = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, 1_000);
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    await rm(socketPath, { force: true });
    await rm(initSocketPath, { force: true });
    log.info({ socketPath }, 'command server stopped');
  };

  try {
    await selfCheck(initSocketPath, opts.selfCheckTimeoutMs ?? 15_000, log);
  } catch (err) {
    await close();
    throw err;
  }
  log.info(
    { socketPath: initSocketPath, durationMs: Math.round(performance.now() - t0) },
    'command server listening',
  );

  return {
    initSocketPath,
    socketPath,
    async markReady() {
      if (ready) return;
      await rename(initSocketPath, socketPath);
      ready = true;
      log.info({ socketPath }, 'marked ready: command socket renamed');
    },
    close,
  };
}

async function ensureDir(dir: string): Promise<void> {
  try {
    await stat(dir);
  } catch {
    await mkdir(dir, { recursive: true, mode: 0o755 });
    await chmod(dir, 0o755);
  }
}

/** Dials the socket and calls Info, then Ping, once a second until both work (§1.3.2 step 9). */
async function selfCheck(socketPath: string, budgetMs: number, log: Logger): Promise<void> {
  const start = Date.now();
  let lastError: unknown;
  for (let attempt = 1; ; attempt++) {
    const attemptStart = Date.now();
    try {
      const client = await CmdClient.connect(socketPath, { connectTimeoutMs: 2_000 });
      try {
        const res = await client.ping();
        if (!res.success) throw new Error(inBandError(res) ?? 'Ping answered success=false');
      } finally {
        client.close();
      }
      log.debug({ attempt, durationMs: Date.now() - start }, 'command server answers Info and Ping');
      return;
    } catch (err) {
      lastError = err;
      log.debug({ attempt, reason: describeError(err) }, 'command server self-check failed; retrying');
    }
    const next = attemptStart + 1_000;
    if (next - start >= budgetMs) break;
    await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
  }
  throw new VmpodError(
    'CMD_SERVER_UNREACHABLE',
    `the command server on ${socketPath} did not answer Info and Ping within ${budgetMs} ms: ${describeError(lastError)}`,
    { cause: lastError, facts: { socketPath, budgetMs } },
  );
}

// --- service definitions with vmpod's codec ---

const identity = (b: Buffer): Buffer => b;

function cmdInfoDefinition(): grpc.ServiceDefinition {
  return {
    Info: {
      path: `/${CMD_INFO_SERVICE}/Info`,
      requestStream: false,
      responseStream: false,
      originalName: 'Info',
      // The request is empty; nothing in it can be malformed in a way that matters.
      requestSerialize: identity,
      requestDeserialize: identity,
      responseSerialize: identity,
      responseDeserialize: identity,
    },
  };
}

function cmdDefinition(): grpc.ServiceDefinition {
  const def: Record<string, grpc.MethodDefinition<Decoded, Buffer>> = {};
  for (const spec of CMD_METHODS) {
    const requestType = qualified(spec.request);
    def[spec.name] = {
      path: cmdMethodPath(spec.name),
      requestStream: false,
      responseStream: false,
      originalName: spec.name,
      // The server never serializes requests.
      requestSerialize: () => Buffer.alloc(0),
      // Never throws: a malformed request becomes a value the handler answers in-band.
      requestDeserialize: (b: Buffer): Decoded => {
        try {
          return { ok: true, value: decodeMessage<Record<string, unknown>>(requestType, b) };
        } catch (err) {
          return { ok: false, error: describeError(err) };
        }
      },
      // Responses are encoded inside the handler, where a failure can still be answered in-band.
      responseSerialize: identity,
      responseDeserialize: identity,
    };
  }
  return def;
}

/** The in-band failure response of a method's response type. */
function failure(spec: CmdMethodSpec, message: string): Record<string, unknown> {
  const response = { success: false, message };
  return spec.response === 'Response' ? response : { response };
}

function vmiJsonProblem(req: Record<string, unknown>): boolean {
  const vmi = req.vmi as { vmiJson?: Uint8Array } | undefined;
  if (!vmi?.vmiJson || vmi.vmiJson.length === 0) return true;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(vmi.vmiJson).toString('utf8'));
    return typeof parsed !== 'object' || parsed === null || Array.isArray(parsed);
  } catch {
    return true;
  }
}

function errorText(err: unknown): string {
  if (err instanceof LibvirtError) {
    return formatLibvirtError(err.libvirtCode, err.libvirtDomain, err.libvirtMessage);
  }
  if (err instanceof Error && err.message !== '') return err.message;
  const text = describeError(err);
  return text === '' ? 'unknown error' : text;
}

/** A successful Ping that waits for nothing. */
const PING_OK = Buffer.from(encodeMessage('kubevirt.cmd.v1.Response', { success: true }));

function unaryHandler(
  spec: CmdMethodSpec,
  opts: CmdServerOptions,
  log: Logger,
): grpc.handleUnaryCall<Decoded, Buffer> {
  const responseType = qualified(spec.response);
  const statusErrors = spec.name === 'Exec' || spec.name === 'GuestPing';
  const handler = (opts.handlers as Record<string, unknown>)[spec.name];
  const fn = typeof handler === 'function' ? (handler as (req: unknown) => Promise<unknown>) : undefined;

  const encode = (value: object): Buffer => {
    try {
      return Buffer.from(encodeMessage(responseType, value));
    } catch (err) {
      const text = `vmpod could not encode the ${spec.name} response: ${describeError(err)}`;
      return Buffer.from(encodeMessage(responseType, failure(spec, text)));
    }
  };

  return (call, callback) => {
    const t0 = performance.now();
    const done = (outcome: string, err: Partial<grpc.StatusObject> | null, body?: Buffer) => {
      log.debug(
        { method: spec.name, outcome, durationMs: Math.round((performance.now() - t0) * 10) / 10 },
        'cmd call',
      );
      callback(err, body);
    };
    const answer = (outcome: string, value: object) => done(outcome, null, encode(value));

    const decoded = call.request;
    if (!decoded.ok) {
      answer('malformed', failure(spec, decoded.error));
      return;
    }
    const req = decoded.value;
    if (spec.takesVmi) {
      if (vmiJsonProblem(req)) {
        answer('no-valid-vmi', failure(spec, NO_VALID_VMI_MESSAGE));
        return;
      }
    }
    if (spec.name === 'Ping' && !fn) {
      done('ok', null, PING_OK);
      return;
    }
    if (!fn) {
      answer('unsupported', failure(spec, `"${spec.name}" is not supported by vmpod`));
      return;
    }
    if (spec.takesVmi && opts.validateVmi) {
      let problem: string | undefined;
      try {
        problem = opts.validateVmi((req.vmi as { vmiJson: Uint8Array }).vmiJson);
      } catch (err) {
        problem = errorText(err);
      }
      if (problem !== undefined) {
        answer('invalid-vmi', failure(spec, problem === '' ? 'the VMI is not valid' : problem));
        return;
      }
    }

    let result: Promise<unknown>;
    try {
      result = Promise.resolve(fn.call(opts.handlers, req));
    } catch (err) {
      result = Promise.reject(err);
    }
    result.then(
      (value) => {
        if (typeof value !== 'object' || value === null) {
          answer('bad-result', failure(spec, `vmpod's ${spec.name} handler returned no response`));
          return;
        }
        answer('ok', withMessage(spec, value as Record<string, unknown>));
      },
      (err: unknown) => {
        const text = errorText(err);
        if (err instanceof GrpcStatusError) {
          done('status', { code: err.grpcCode, details: text });
        } else if (statusErrors) {
          done('status', { code: grpc.status.UNKNOWN, details: text });
        } else {
          log.debug({ method: spec.name, reason: describeError(err) }, 'cmd handler failed');
          answer('failed', failure(spec, text));
        }
      },
    );
  };
}

/** Never success=false with an empty message: the handler would read it as success (§3.6). */
function withMessage(spec: CmdMethodSpec, value: Record<string, unknown>): Record<string, unknown> {
  const fix = (r: { success?: boolean; message?: string }) =>
    r.success === false && !r.message ? { ...r, message: `"${spec.name}" failed without a message` } : r;
  if (spec.response === 'Response') return fix(value as { success?: boolean; message?: string });
  const inner = value.response as { success?: boolean; message?: string } | undefined;
  return inner ? { ...value, response: fix(inner) } : value;
}
