import { VmpodError } from '../../errors.js';
import type { LinkOverview } from '../../network/netlink-drivers.js';

// The launcher's control socket (`vmpod status|net|events|logs|log-level`): one JSON request per
// line, one JSON response per line, one request per connection. Total: any input either decodes
// to a typed request/response or throws a VmpodError with a stable code. Pure; shared by the
// launcher's server and the CLI.

export const CONTROL_DIR = '/var/run/kubevirt-private/vmpod';
export const CONTROL_SOCKET_PATH = `${CONTROL_DIR}/control.sock`;
/** A request is a few dozen bytes; anything longer is refused before it is parsed. */
export const MAX_REQUEST_BYTES = 4096;
/** The CLI's bound on a response (logs are the largest). */
export const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;
export const PROTOCOL_VERSION = 1;

export const CONTROL_COMMANDS = ['status', 'net', 'events', 'logs', 'log-level'] as const;
export type ControlCommand = (typeof CONTROL_COMMANDS)[number];

export type ControlRequest =
  | { readonly v: 1; readonly cmd: Exclude<ControlCommand, 'log-level'> }
  | { readonly v: 1; readonly cmd: 'log-level'; readonly level: string };

export interface ControlErrorBody {
  readonly code: string;
  readonly message: string;
}

export type ControlResponse<T = unknown> =
  | { readonly ok: true; readonly result: T }
  | { readonly ok: false; readonly error: ControlErrorBody };

// --- results

export interface PhaseTiming {
  readonly phase: string;
  readonly durationMs: number;
}

export interface ChildStatus {
  readonly name: string;
  readonly pid: number | undefined;
  readonly alive: boolean;
  readonly startedAt: number | undefined;
  readonly uptimeMs: number | undefined;
  readonly restarts: number;
  readonly consecutiveCrashes: number;
  readonly lastExit?:
    | { readonly at: number; readonly code: number | null; readonly signal: string | null }
    | undefined;
}

export interface SocketStatus {
  readonly name: string;
  readonly path: string;
  readonly exists: boolean;
}

export interface StatusReport {
  readonly vmi: { readonly namespace: string; readonly name: string; readonly uid: string };
  readonly domain:
    | {
        readonly name: string;
        /** KubeVirt's status (Running, Paused, Shutoff, …), "" for an unknown state. */
        readonly status?: string;
        readonly reason?: string;
        readonly error?: string;
      }
    | undefined;
  readonly launcher: {
    readonly pid: number;
    readonly uptimeMs: number;
    readonly nonRoot: boolean;
    readonly libvirt: string;
    readonly logLevel: string;
  };
  readonly monitor: { readonly pid: number; readonly uptimeMs: number | undefined };
  readonly phases: readonly PhaseTiming[];
  /** libvirt's daemons, then qemu when its pid file names a live process. */
  readonly children: readonly ChildStatus[];
  readonly sockets: readonly SocketStatus[];
  /** The last warning and error lines of the launcher's log (JSON text, oldest first). */
  readonly lastErrors: readonly string[];
}

/** A link of the pod's namespace and its addresses, as the network code reads them. */
export type LinkState = LinkOverview;

export interface NetCheck {
  readonly what: string;
  readonly desired: string;
  readonly current: string;
  readonly ok: boolean;
}

export interface DhcpExchangeView {
  readonly at: number;
  readonly client: string;
  readonly xid: number;
  readonly request: string;
  readonly reply: string | undefined;
  readonly ignoredReason?: string | undefined;
}

export interface InterfaceReport {
  readonly name: string;
  readonly desired: { readonly tap: string; readonly mac: string; readonly mtu: number };
  readonly dhcp:
    | {
        readonly interface: string;
        readonly lease: {
          readonly address: string;
          readonly prefixLength: number;
          readonly gateway: string | undefined;
          readonly serverId: string;
          readonly dns: readonly string[];
          readonly searchDomains: readonly string[];
          readonly hostname: string | undefined;
          readonly mtu: number | undefined;
          readonly clientMac: string | undefined;
        };
        readonly stats: {
          readonly received: number;
          readonly replied: number;
          readonly ignored: number;
          readonly malformed: number;
        };
        readonly exchanges: readonly DhcpExchangeView[];
      }
    | undefined;
  readonly checks: readonly NetCheck[];
}

export interface NetReport {
  readonly interfaces: readonly InterfaceReport[];
  /** Every link of the pod, as `ip -j -d addr` shows it now. */
  readonly links: readonly LinkState[];
  readonly linksError?: string;
}

export interface EventView {
  readonly at: number;
  readonly domain: string;
  /** e.g. `lifecycle STARTED (detail 0)`, `agent CONNECTED`, `refresh`. */
  readonly what: string;
  readonly dropped: boolean;
}

export interface NotificationView {
  readonly at: number;
  readonly domain: string;
  readonly type: string;
  readonly status: string;
  readonly reason: string;
  readonly trigger: string;
  readonly delivered: boolean;
}

export interface EventsReport {
  readonly listening: boolean;
  readonly events: readonly EventView[];
  readonly notifications: readonly NotificationView[];
  readonly totals: { readonly events: number; readonly notifications: number };
}

export interface LogsReport {
  readonly qemuLog: {
    readonly path: string | undefined;
    readonly lines: readonly string[];
    /** The file was longer than what was read: only its end is here. */
    readonly truncated: boolean;
    readonly error?: string;
  };
  /** libvirt daemon lines the launcher re-emitted (JSON text, oldest first). */
  readonly libvirt: readonly string[];
}

export interface LogLevelReport {
  readonly from: string;
  readonly to: string;
}

// --- codec

export function encodeRequest(req: ControlRequest): string {
  return `${JSON.stringify(req)}\n`;
}

export function decodeRequest(line: string): ControlRequest {
  if (Buffer.byteLength(line) > MAX_REQUEST_BYTES) {
    throw new VmpodError('CONTROL_REQUEST_TOO_LARGE', `request longer than ${MAX_REQUEST_BYTES} bytes`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch (err) {
    throw new VmpodError('CONTROL_BAD_REQUEST', 'request is not JSON', { cause: err });
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new VmpodError('CONTROL_BAD_REQUEST', 'request is not a JSON object');
  }
  const o = raw as Record<string, unknown>;
  if (o.v !== PROTOCOL_VERSION) {
    throw new VmpodError(
      'CONTROL_BAD_VERSION',
      `protocol version ${String(o.v)} is not ${PROTOCOL_VERSION}`,
      {
        facts: { version: String(o.v) },
      },
    );
  }
  const cmd = o.cmd;
  if (typeof cmd !== 'string' || !(CONTROL_COMMANDS as readonly string[]).includes(cmd)) {
    throw new VmpodError('CONTROL_UNKNOWN_COMMAND', `unknown command ${JSON.stringify(cmd)}`, {
      facts: { cmd: typeof cmd === 'string' ? cmd.slice(0, 64) : typeof cmd },
    });
  }
  if (cmd === 'log-level') {
    if (typeof o.level !== 'string' || o.level === '' || o.level.length > 32) {
      throw new VmpodError('CONTROL_BAD_REQUEST', 'log-level needs a level');
    }
    return { v: 1, cmd, level: o.level };
  }
  return { v: 1, cmd: cmd as Exclude<ControlCommand, 'log-level'> };
}

export function encodeResponse(res: ControlResponse): string {
  return `${JSON.stringify(res)}\n`;
}

export function decodeResponse(text: string): ControlResponse {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new VmpodError('CONTROL_BAD_RESPONSE', 'the launcher answered something that is not JSON', {
      cause: err,
    });
  }
  if (typeof raw !== 'object' || raw === null) {
    throw new VmpodError('CONTROL_BAD_RESPONSE', 'the launcher answered something that is not an object');
  }
  const o = raw as Record<string, unknown>;
  if (o.ok === true && 'result' in o) return { ok: true, result: o.result };
  const e = o.error as Record<string, unknown> | undefined;
  if (o.ok === false && e && typeof e.code === 'string' && typeof e.message === 'string') {
    return { ok: false, error: { code: e.code, message: e.message } };
  }
  throw new VmpodError('CONTROL_BAD_RESPONSE', 'the launcher answered an unexpected shape');
}
