import { VmpodError, errorCode } from '../../errors.js';
import type {
  CmdHandlers,
  CmdResponse,
  DomainResponse,
  DomainStatsResponse,
  QemuVersionResponse,
  VirtualMachineOptions,
} from '../../rpc/cmd-types.js';
import type { Vmi } from '../../vmi/index.js';
import { type RequestVmi, decodeRequestVmi, fullVmi } from './request-vmi.js';

// The kubevirt.cmd.v1 methods the domain manager answers, as CmdHandlers (KUBEVIRT.md §3.6, §4).
// The VMI is decoded before anything else. Expected refusals (no valid VMI, another launcher's
// VMI, "Domain not found.") are answered in-band here; every other failure is thrown: the command
// server renders libvirt errors KubeVirt's way.

/** What the handlers call: the DomainManager, seen through the methods they need. */
export interface DomainCommands {
  sync(vmi: Vmi, options?: VirtualMachineOptions): Promise<unknown>;
  pause(req: RequestVmi): Promise<void>;
  unpause(req: RequestVmi): Promise<void>;
  freeze(req: RequestVmi, unfreezeTimeoutSeconds: number): Promise<void>;
  unfreeze(req: RequestVmi): Promise<void>;
  reset(req: RequestVmi): Promise<void>;
  softReboot(req: RequestVmi): Promise<void>;
  shutdown(req: RequestVmi): Promise<void>;
  kill(req: RequestVmi): Promise<void>;
  delete(req: RequestVmi): Promise<void>;
  signalTargetPodCleanup(req: RequestVmi): void;
  domainJson(): Promise<string>;
  domainStats(): Promise<string>;
  qemuVersion(): Promise<string>;
}

/** Codes answered as `success=false` with the error's message rather than thrown. */
const IN_BAND = new Set(['VMI_NO_VALID_OBJECT', 'VMI_FOREIGN', 'DOMAIN_NOT_FOUND', 'PLUGINS_INVALID']);

const OK: CmdResponse = { success: true, message: '' };

export function cmdHandlers(m: DomainCommands): CmdHandlers {
  const vmiCall =
    (fn: (req: RequestVmi) => Promise<unknown> | undefined) =>
    (req: { vmi?: { vmiJson: Uint8Array } }): Promise<CmdResponse> =>
      answer(async () => {
        await fn(decodeRequestVmi(req.vmi?.vmiJson));
      });
  return {
    SyncVirtualMachine: (req) =>
      answer(async () => {
        const vmi = fullVmi(decodeRequestVmi(req.vmi?.vmiJson));
        checkPlugins(req.options?.pluginsJson);
        await m.sync(vmi, req.options);
      }),
    PauseVirtualMachine: vmiCall((r) => m.pause(r)),
    UnpauseVirtualMachine: vmiCall((r) => m.unpause(r)),
    FreezeVirtualMachine: (req) =>
      answer(() => m.freeze(decodeRequestVmi(req.vmi?.vmiJson), req.unfreezeTimeoutSeconds)),
    UnfreezeVirtualMachine: vmiCall((r) => m.unfreeze(r)),
    ResetVirtualMachine: vmiCall((r) => m.reset(r)),
    SoftRebootVirtualMachine: vmiCall((r) => m.softReboot(r)),
    ShutdownVirtualMachine: vmiCall((r) => m.shutdown(r)),
    KillVirtualMachine: vmiCall((r) => m.kill(r)),
    DeleteVirtualMachine: vmiCall((r) => m.delete(r)),
    SignalTargetPodCleanup: vmiCall((r) => {
      m.signalTargetPodCleanup(r);
      return undefined;
    }),
    Ping: async () => OK,
    GetDomain: async (): Promise<DomainResponse> => {
      try {
        return { response: OK, domain: await m.domainJson() };
      } catch (err) {
        return { response: failure(err), domain: '' };
      }
    },
    GetDomainStats: async (): Promise<DomainStatsResponse> => {
      try {
        return { response: OK, domainStats: await m.domainStats() };
      } catch (err) {
        return { response: failure(err), domainStats: '' };
      }
    },
    GetQemuVersion: async (): Promise<QemuVersionResponse> => {
      try {
        return { response: OK, version: await m.qemuVersion() };
      } catch (err) {
        return { response: failure(err), version: '' };
      }
    },
  };
}

/**
 * §4.2 step 1: the cluster's domain-hook plugins must be a JSON array. vmpod applies none yet, so
 * it only checks them; an empty value means "no plugins".
 */
export function checkPlugins(pluginsJson: Uint8Array | undefined): void {
  if (!pluginsJson || pluginsJson.length === 0) return;
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(pluginsJson));
  } catch (cause) {
    throw new VmpodError('PLUGINS_INVALID', 'failed to unmarshal plugins JSON', { cause });
  }
  if (!Array.isArray(parsed)) {
    throw new VmpodError('PLUGINS_INVALID', 'failed to unmarshal plugins JSON: not an array');
  }
}

async function answer(fn: () => Promise<void>): Promise<CmdResponse> {
  try {
    await fn();
    return OK;
  } catch (err) {
    const code = errorCode(err);
    if (err instanceof VmpodError && code !== undefined && IN_BAND.has(code)) return failure(err);
    throw err;
  }
}

/** In-band failure; the message is never empty (§3.6: the handler ignores an empty one). */
function failure(err: unknown): CmdResponse {
  const message = err instanceof Error ? err.message : String(err);
  return { success: false, message: message || 'unknown error' };
}
