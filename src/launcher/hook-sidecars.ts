import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { VmpodError, errorCode } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { UnaryChannel, grpcErrorText } from '../rpc/grpc-unary.js';
import { sleep } from '../supervisor/sleep.js';

// Hook sidecars (KUBEVIRT.md §1.3.2 step 4, §6): containers of the VM pod that serve KubeVirt's
// hooks API on a unix socket below /var/run/kubevirt-hooks. The launcher waits for the number
// virt-controller asked for, asks each what it implements (Info), then calls them at their hook
// points: OnDefineDomain rewrites the converted domain XML before it is defined, Shutdown tells
// them the VM is gone. Several sidecars at one point run by priority, highest first.

export const HOOK_SOCKETS_DIR = '/var/run/kubevirt-hooks';

export const HookPoint = {
  onDefineDomain: 'OnDefineDomain',
  preCloudInitIso: 'PreCloudInitIso',
  shutdown: 'Shutdown',
} as const;

/** The Callbacks versions vmpod speaks, newest first: a sidecar is called in the newest it lists. */
const VERSIONS = ['v1alpha3', 'v1alpha2', 'v1alpha1'] as const;
type Version = (typeof VERSIONS)[number];

const LOOK_INTERVAL_MS = 300;
const CONNECT_TIMEOUT_MS = 1000;
const INFO_TIMEOUT_MS = 1000;
const CALL_TIMEOUT_MS = 60_000;

export interface Sidecar {
  readonly socketPath: string;
  readonly name: string;
  readonly version: Version;
  readonly hookPoints: readonly { readonly name: string; readonly priority: number }[];
}

interface InfoResult {
  name: string;
  versions: string[];
  hookPoints: { name: string; priority: number }[];
}

/** Sockets directly in `dir` or one directory below it (`<dir>/<container>/<name>.sock`), sorted. */
async function hookSockets(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const path = join(dir, entry.name);
    if (entry.isSocket()) found.push(path);
    else if (entry.isDirectory()) {
      for (const inner of await readdir(path, { withFileTypes: true }).catch(() => [])) {
        if (inner.isSocket()) found.push(join(path, inner.name));
      }
    }
  }
  return found.sort();
}

/**
 * One unary call on a fresh connection to a sidecar. A refused connection stays RPC_CONNECT_FAILED;
 * a failed call becomes HOOK_SIDECAR_FAILED naming the sidecar and the method.
 */
async function callSidecar<Res>(
  socketPath: string,
  label: string,
  call: { path: string; request: string; response: string; req: object; deadlineMs: number },
): Promise<Res> {
  const channel = await UnaryChannel.dial(socketPath, { connectTimeoutMs: CONNECT_TIMEOUT_MS });
  try {
    return await channel.call<Res>(call.path, call.request, call.response, call.req, call.deadlineMs);
  } catch (err) {
    const method = call.path.slice(call.path.lastIndexOf('/') + 1);
    throw new VmpodError('HOOK_SIDECAR_FAILED', `hook sidecar ${label} ${method}: ${grpcErrorText(err)}`, {
      cause: err,
      facts: { sidecar: label, socketPath, method },
    });
  } finally {
    channel.close();
  }
}

/** Info from one sidecar; undefined when it does not accept connections yet. */
async function askInfo(socketPath: string): Promise<Sidecar | undefined> {
  let info: InfoResult;
  try {
    info = await callSidecar<InfoResult>(socketPath, socketPath, {
      path: '/kubevirt.hooks.info.Info/Info',
      request: 'kubevirt.hooks.info.InfoParams',
      response: 'kubevirt.hooks.info.InfoResult',
      req: {},
      deadlineMs: INFO_TIMEOUT_MS,
    });
  } catch (err) {
    if (errorCode(err) === 'RPC_CONNECT_FAILED') return undefined;
    throw err;
  }
  const version = VERSIONS.find((v) => info.versions.includes(v));
  if (!version) {
    throw new VmpodError(
      'HOOK_SIDECAR_UNSUPPORTED',
      `hook sidecar ${info.name || socketPath} implements versions [${info.versions.join(', ')}]; vmpod speaks ${VERSIONS.join(', ')}`,
      { facts: { socketPath, sidecar: info.name } },
    );
  }
  return { socketPath, name: info.name, version, hookPoints: info.hookPoints };
}

export class HookSidecars {
  readonly sidecars: readonly Sidecar[];
  readonly #log: Logger;

  constructor(sidecars: readonly Sidecar[], log: Logger) {
    this.sidecars = sidecars;
    this.#log = log;
  }

  /**
   * Waits until `count` sidecars answered Info, looking every 300 ms; fails at `timeoutMs`, or at
   * once when a sidecar answers with an error or only versions vmpod does not speak.
   */
  static async collect(opts: {
    readonly count: number;
    readonly dir?: string;
    readonly timeoutMs: number;
    readonly abort?: AbortSignal;
    readonly log: Logger;
  }): Promise<HookSidecars> {
    const dir = opts.dir ?? HOOK_SOCKETS_DIR;
    const until = performance.now() + opts.timeoutMs;
    const found = new Map<string, Sidecar>();
    for (;;) {
      for (const path of await hookSockets(dir)) {
        if (found.has(path)) continue;
        const sidecar = await askInfo(path);
        if (!sidecar) continue;
        found.set(path, sidecar);
        opts.log.info(
          { sidecar: sidecar.name, socket: path, version: sidecar.version, hookPoints: sidecar.hookPoints },
          'hook sidecar registered',
        );
      }
      if (found.size >= opts.count) break;
      if (performance.now() >= until) {
        throw new VmpodError(
          'HOOK_SIDECARS_MISSING',
          `${found.size} of ${opts.count} hook sidecars answered in ${dir} within ${Math.round(opts.timeoutMs / 1000)} s`,
          { facts: { dir, expected: opts.count, found: found.size } },
        );
      }
      await sleep(LOOK_INTERVAL_MS, opts.abort);
    }
    return new HookSidecars([...found.values()], opts.log);
  }

  /** The sidecars subscribed to `point`, highest priority first (then by socket path). */
  at(point: string): Sidecar[] {
    const priority = (s: Sidecar) => s.hookPoints.find((h) => h.name === point)?.priority ?? 0;
    return this.sidecars
      .filter((s) => s.hookPoints.some((h) => h.name === point))
      .sort((a, b) => priority(b) - priority(a) || (a.socketPath < b.socketPath ? -1 : 1));
  }

  /** Passes the domain XML through every OnDefineDomain sidecar in turn; a failure is final. */
  async onDefineDomain(domainXml: string, vmiJson: string): Promise<string> {
    let xml = domainXml;
    for (const s of this.at(HookPoint.onDefineDomain)) {
      const result = await this.#call<{ domainXML: Uint8Array }>(
        s,
        'OnDefineDomain',
        'OnDefineDomainParams',
        {
          domainXML: Buffer.from(xml),
          vmi: Buffer.from(vmiJson),
        },
      );
      const next = Buffer.from(result.domainXML).toString('utf8');
      if (next.trim() === '') {
        throw new VmpodError('HOOK_SIDECAR_FAILED', `hook sidecar ${s.name} returned no domain XML`, {
          facts: { sidecar: s.name, socketPath: s.socketPath },
        });
      }
      this.#log.info(
        { sidecar: s.name, bytesIn: xml.length, bytesOut: next.length },
        'OnDefineDomain hook applied',
      );
      xml = next;
    }
    return xml;
  }

  /** Tells the v1alpha3 Shutdown sidecars that the VM is gone; failures are logged, not thrown. */
  async shutdown(): Promise<void> {
    for (const s of this.at(HookPoint.shutdown)) {
      if (s.version !== 'v1alpha3') continue;
      try {
        await this.#call(s, 'Shutdown', 'ShutdownParams', {});
        this.#log.info({ sidecar: s.name }, 'Shutdown hook called');
      } catch (err) {
        this.#log.warn({ sidecar: s.name, reason: String(err) }, 'Shutdown hook failed');
      }
    }
  }

  #call<Res>(s: Sidecar, method: string, params: string, req: object): Promise<Res> {
    return callSidecar<Res>(s.socketPath, s.name, {
      path: `/kubevirt.hooks.${s.version}.Callbacks/${method}`,
      request: `kubevirt.hooks.v1alpha3.${params}`,
      response: `kubevirt.hooks.v1alpha3.${method}Result`,
      req,
      deadlineMs: CALL_TIMEOUT_MS,
    });
  }
}
