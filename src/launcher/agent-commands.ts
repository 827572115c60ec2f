import { describeError, errorCode } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { LibvirtClient } from '../libvirt/index.js';
import type { CmdHandlers } from '../rpc/cmd-types.js';
import {
  type AgentSnapshot,
  emptySnapshot,
  guestAgentInfoJson,
  guestExec,
  guestFilesystemsJson,
  guestPing,
  guestUsersJson,
} from './agent/index.js';
import type { K8sEvent } from './events/index.js';
import type { MetadataCache } from './metadata-cache.js';

// The command-server methods answered from the guest agent (KUBEVIRT.md §4.6, §4.7): the data RPCs
// read the pollers' snapshot (never a live agent call), Exec and GuestPing talk to the agent.
// Failures of Exec and GuestPing are thrown: the command server turns them into gRPC errors (§3.6).

/** Paused for a reason that makes an unreachable agent expected (§4.6). */
const HEALTHY_PAUSE = new Set([
  'User',
  'Migration',
  'Save',
  'Dump',
  'FromSnapshot',
  'ShuttingDown',
  'Snapshot',
  'StartingUp',
  'Postcopy',
]);

export interface AgentCommandDeps {
  readonly client: LibvirtClient;
  readonly snapshot: () => AgentSnapshot | undefined;
  readonly metadata: MetadataCache;
  /** kubevirt.io/pause-guest-agent-probes=true on the last synced VMI. */
  readonly probesPaused: () => boolean;
  /** Fire-and-forget Kubernetes event (GuestAgentPingFailed). */
  readonly k8sEvent: (event: Omit<K8sEvent, 'involvedObject'>) => void;
  readonly log: Logger;
}

export function agentCommandHandlers(deps: AgentCommandDeps): CmdHandlers {
  const snap = () => deps.snapshot() ?? emptySnapshot();
  const ok = { success: true, message: '' };
  return {
    GetGuestInfo: async () => ({ response: ok, guestInfoResponse: guestAgentInfoJson(snap()) }),
    GetUsers: async () => ({ response: ok, guestUserListResponse: guestUsersJson(snap()) }),
    GetFilesystems: async () => ({ response: ok, guestFilesystemsResponse: guestFilesystemsJson(snap()) }),
    Exec: async (req) => {
      const r = await guestExec(
        deps.client.domain(req.domainName),
        req.Command,
        req.Args,
        req.timeoutSeconds,
      );
      return { response: ok, exitCode: r.exitCode, stdOut: r.stdOut };
    },
    GuestPing: async (req) => {
      if (deps.probesPaused()) return { response: ok };
      const domain = deps.client.domain(req.domainName);
      try {
        await guestPing(domain, req.timeoutSeconds);
        return { response: ok };
      } catch (err) {
        const excuse = await unreachableExcuse(domain, deps.metadata).catch(() => undefined);
        if (excuse) {
          deps.log.debug({ domain: req.domainName, excuse }, 'guest agent unreachable, as expected');
          return { response: ok };
        }
        deps.k8sEvent({
          type: 'Warning',
          reason: 'GuestAgentPingFailed',
          message: `Guest agent ping failed for ${req.domainName}: ${describeError(err)}`,
        });
        throw err;
      }
    },
  };
}

/** Why an unreachable agent is fine right now (§4.6), or undefined when it is a failure. */
async function unreachableExcuse(
  domain: ReturnType<LibvirtClient['domain']>,
  metadata: MetadataCache,
): Promise<string | undefined> {
  const migration = metadata.get().Migration;
  if (migration?.StartTimestamp && !migration.EndTimestamp) return 'migration in progress';
  try {
    const state = await domain.kubevirtState();
    if (state.reason === 'NonExistent') return 'no domain yet';
    if (state.status === 'Paused' && HEALTHY_PAUSE.has(state.reason)) return `paused (${state.reason})`;
  } catch (err) {
    if (errorCode(err) === 'LIBVIRT_NO_DOMAIN') return 'no domain yet';
    throw err;
  }
  return undefined;
}
