import { parseFlags } from '../config/go-flags.js';
import { describeError } from '../errors.js';
import { createLogger, forFile, type Logger } from '../log/logger.js';
import { CmdClient, inBandError } from '../rpc/cmd-client.js';
import { grpcErrorText } from '../rpc/grpc-unary.js';

// KubeVirt's virt-freezer (KUBEVIRT.md §4.3, §10.1), run by backup/snapshot freeze hooks inside the
// compute container: skip when the guest has no agent (GetGuestInfo) or the domain is not Running
// (GetDomain), else Freeze or Unfreeze with a VMI that holds only metadata name and namespace.
// Exit 0 on success or skip, 1 on failure.

export const FREEZER_SOCKET = '/run/kubevirt/sockets/launcher-sock';
const GA_NOT_AVAILABLE = 'Guest agent not available for now';

const FLAGS = [
  { name: 'freeze', type: 'bool', default: false },
  { name: 'unfreeze', type: 'bool', default: false },
  { name: 'name', type: 'string', default: '' },
  { name: 'namespace', type: 'string', default: '' },
  { name: 'unfreezeTimeoutSeconds', type: 'int', default: 300 },
] as const;

export interface FreezerOptions {
  readonly log?: Logger;
  /** KubeVirt's virt-freezer has no flag for it; tests point it elsewhere. */
  readonly socketPath?: string;
}

class FreezerFailure extends Error {}

export async function runVirtFreezer(argv: readonly string[], opts: FreezerOptions = {}): Promise<number> {
  const log = forFile(
    opts.log ?? createLogger({ component: 'vmpod', verbosity: 2 }).child({ subcomponent: 'freezer' }),
    'virt-freezer.ts',
  );
  let v: ReturnType<typeof parseFlags>['values'];
  try {
    v = parseFlags(FLAGS, argv).values;
    if (!v.freeze && !v.unfreeze) throw new Error('either --freeze or --unfreeze must be set');
    if (!v.name || !v.namespace) throw new Error('both --name and --namespace must be provided');
  } catch (err) {
    log.error({ reason: describeError(err) }, 'Failed to parse flags');
    return 1;
  }

  let client: CmdClient;
  try {
    client = await CmdClient.connect(opts.socketPath ?? FREEZER_SOCKET);
  } catch (err) {
    log.error({ reason: describeError(err) }, 'Failed to connect launcher');
    return 1;
  }
  try {
    await run(client, log, {
      freeze: v.freeze as boolean,
      name: v.name as string,
      namespace: v.namespace as string,
      unfreezeTimeoutSeconds: v.unfreezeTimeoutSeconds as number,
    });
    return 0;
  } catch (err) {
    if (!(err instanceof FreezerFailure)) log.error({ reason: describeError(err) }, 'virt-freezer failed');
    return 1;
  } finally {
    client.close();
  }
}

interface Job {
  readonly freeze: boolean;
  readonly name: string;
  readonly namespace: string;
  readonly unfreezeTimeoutSeconds: number;
}

async function run(client: CmdClient, log: Logger, job: Job): Promise<void> {
  // What Go's json.Marshal makes of a VirtualMachineInstance with only name and namespace set.
  const vmiJson = Buffer.from(
    JSON.stringify({
      metadata: { name: job.name, namespace: job.namespace, creationTimestamp: null },
      spec: { domain: { devices: {} } },
      status: {},
    }),
  );

  const info = await rpc(log, 'Failed to get guest info', () => client.getGuestInfo());
  const infoFailure = inBandError(info.response);
  if (infoFailure !== undefined) fail(log, 'Failed to get guest info', infoFailure);
  const guest = parseJson(info.guestInfoResponse);
  const gaVersion = str(field(guest, 'guestAgentVersion'));
  if (gaVersion === '') {
    log.info('No guest agent, exiting');
    return;
  }
  log.info(`Guest agent version is ${gaVersion}`);

  const dom = await rpc(log, 'Failed to get domain', () => client.getDomain());
  const domFailure = inBandError(dom.response);
  if (domFailure !== undefined) fail(log, 'Failed to get domain', domFailure);
  const status = dom.domain === '' ? '' : str(field(field(parseJson(dom.domain), 'Status'), 'Status'));
  if (status !== 'Running') {
    log.info('VM domain not running, no need to freeze/unfreeze');
    return;
  }

  if (job.freeze) {
    const res = await rpc(log, 'Freezing VMI failed', () =>
      client.freeze({ vmi: { vmiJson }, unfreezeTimeoutSeconds: job.unfreezeTimeoutSeconds }),
    );
    const failed = inBandError(res);
    if (failed !== undefined) {
      if (failed.includes(GA_NOT_AVAILABLE)) {
        await client.unfreeze({ vmi: { vmiJson } }).catch(() => undefined);
        const windows = str(field(field(guest, 'os'), 'name'))
          .toLowerCase()
          .includes('windows');
        fail(
          log,
          windows
            ? 'Freezing VMI failed, please make sure guest agent and VSS are running and try again'
            : 'Freezing VMI failed, please make sure guest agent is running and try again',
          failed,
        );
      }
      fail(log, 'Freezing VMI failed', failed);
    }
  } else {
    const res = await rpc(log, 'Unfreezing VMI failed', () => client.unfreeze({ vmi: { vmiJson } }));
    const failed = inBandError(res);
    if (failed !== undefined) fail(log, 'Unfreezing VMI failed', failed);
  }
  log.info('Operation completed successfully');
}

async function rpc<T>(log: Logger, what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    return fail(log, what, grpcErrorText(err));
  }
}

function fail(log: Logger, what: string, reason: string): never {
  log.error({ reason }, what);
  throw new FreezerFailure(`${what}: ${reason}`);
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A JSON object's member, matched case-insensitively as Go's decoder does. */
function field(obj: unknown, key: string): unknown {
  if (typeof obj !== 'object' || obj === null) return undefined;
  const rec = obj as Record<string, unknown>;
  if (key in rec) return rec[key];
  const lower = key.toLowerCase();
  for (const [k, v] of Object.entries(rec)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}
