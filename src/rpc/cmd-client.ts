import { VmpodError } from '../errors.js';
import {
  CMD_INFO_SERVICE,
  CMD_METHODS,
  type CmdMethodSpec,
  cmdMethodPath,
  qualified,
} from './cmd-methods.js';
import type {
  CmdResponse,
  DomainResponse,
  ExecResponse,
  FreezeRequest,
  GuestInfoResponse,
  GuestPingResponse,
  VMIRequest,
} from './cmd-types.js';
import { UnaryChannel } from './grpc-unary.js';

// A client of the command socket, as virt-handler's cmd-client is (KUBEVIRT.md §3.4, §3.5): dial
// (2 s), check CmdInfo.Info offers version 1 (5 s), then call kubevirt.cmd.v1.Cmd with the
// handler's deadlines. Used by the server's self-check, virt-probe and virt-freezer.

const SHORT_MS = 5_000;
const LONG_MS = 20_000;
const FREEZE_MS = 60_000;

export interface CmdClientOptions {
  readonly connectTimeoutMs?: number;
  readonly infoTimeoutMs?: number;
}

const byName = new Map<string, CmdMethodSpec>(CMD_METHODS.map((s) => [s.name, s]));

export class CmdClient {
  private readonly channel: UnaryChannel;

  private constructor(channel: UnaryChannel) {
    this.channel = channel;
  }

  static async connect(socketPath: string, opts: CmdClientOptions = {}): Promise<CmdClient> {
    const channel = await UnaryChannel.dial(socketPath, { connectTimeoutMs: opts.connectTimeoutMs ?? 2_000 });
    try {
      const info = await channel.call<{ supportedCmdVersions: number[] }>(
        `/${CMD_INFO_SERVICE}/Info`,
        'kubevirt.cmd.info.CmdInfoRequest',
        'kubevirt.cmd.info.CmdInfoResponse',
        {},
        opts.infoTimeoutMs ?? SHORT_MS,
      );
      if (!info.supportedCmdVersions.includes(1)) {
        throw new VmpodError(
          'RPC_NO_COMMON_VERSION',
          `the command server supports versions [${info.supportedCmdVersions.join(', ')}], vmpod only 1`,
          { facts: { socketPath } },
        );
      }
    } catch (err) {
      channel.close();
      throw err;
    }
    return new CmdClient(channel);
  }

  /** Any Cmd method, with virt-handler's deadline unless one is given. */
  call<Res>(method: string, req: object, deadlineMs?: number): Promise<Res> {
    const spec = byName.get(method);
    if (!spec) throw new VmpodError('RPC_UNKNOWN_METHOD', `no Cmd method "${method}"`, { facts: { method } });
    const timeoutSeconds = (req as { timeoutSeconds?: number }).timeoutSeconds ?? 0;
    const deadline =
      deadlineMs ?? (spec.deadline === 'timeout+5' ? timeoutSeconds * 1000 + SHORT_MS : spec.deadline * 1000);
    return this.channel.call<Res>(
      cmdMethodPath(method),
      qualified(spec.request),
      qualified(spec.response),
      req,
      deadline,
    );
  }

  ping(deadlineMs = SHORT_MS): Promise<CmdResponse> {
    return this.call('Ping', {}, deadlineMs);
  }

  getDomain(): Promise<DomainResponse> {
    return this.call('GetDomain', {});
  }

  getGuestInfo(): Promise<GuestInfoResponse> {
    return this.call('GetGuestInfo', {});
  }

  exec(domainName: string, command: string, args: string[], timeoutSeconds: number): Promise<ExecResponse> {
    return this.call('Exec', { domainName, Command: command, Args: args, timeoutSeconds });
  }

  guestPing(domainName: string, timeoutSeconds: number): Promise<GuestPingResponse> {
    return this.call('GuestPing', { domainName, timeoutSeconds });
  }

  freeze(req: FreezeRequest): Promise<CmdResponse> {
    return this.call('FreezeVirtualMachine', req, FREEZE_MS);
  }

  unfreeze(req: VMIRequest): Promise<CmdResponse> {
    return this.call('UnfreezeVirtualMachine', req, LONG_MS);
  }

  close(): void {
    this.channel.close();
  }
}

/** The in-band failure text of a response (KUBEVIRT.md §3.6), or undefined when it succeeded. */
export function inBandError(res: CmdResponse | undefined): string | undefined {
  if (res && !res.success && res.message !== '') return res.message;
  return undefined;
}
