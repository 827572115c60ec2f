// Replies of raw guest-agent commands (QMP-style JSON text from virDomainQemuAgentCommand) → values.
// Total: anything malformed is a VmpodError('AGENT_REPLY_MALFORMED') naming the command and field. Pure.
import { VmpodError } from '../../errors.js';
import type { AgentCommandInfo, AgentFilesystem, AgentFilesystemDisk } from './snapshot.js';

export interface ExecStatus {
  exited: boolean;
  exitCode: number;
  /** Decoded out-data ('' when absent). */
  stdOut: string;
  stdErr: string;
}

function malformed(command: string, field: string, detail: string): VmpodError {
  return new VmpodError('AGENT_REPLY_MALFORMED', `guest agent reply to ${command}: ${field}: ${detail}`, {
    facts: { command, field },
  });
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The `return` member of a reply. An `{"error": {class, desc}}` reply (libvirt usually turns those
 * into its own errors first) becomes VmpodError('AGENT_COMMAND_ERROR').
 */
export function agentReturn(command: string, text: string | null): unknown {
  if (text === null) throw malformed(command, 'reply', 'no reply');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new VmpodError('AGENT_REPLY_MALFORMED', `guest agent reply to ${command} is not JSON`, {
      cause: err,
      facts: { command, field: 'reply' },
    });
  }
  if (!isObj(value)) throw malformed(command, 'reply', 'not an object');
  if ('error' in value) {
    const e = isObj(value['error']) ? value['error'] : {};
    const cls = typeof e['class'] === 'string' ? e['class'] : 'unknown';
    const desc = typeof e['desc'] === 'string' ? e['desc'] : 'no description';
    throw new VmpodError('AGENT_COMMAND_ERROR', `guest agent ${command} failed: ${cls}: ${desc}`, {
      facts: { command, errorClass: cls },
    });
  }
  if (!('return' in value)) throw malformed(command, 'return', 'missing');
  return value['return'];
}

function str(command: string, o: Obj, key: string, path: string, optional = false): string {
  const v = o[key];
  if (v === undefined && optional) return '';
  if (typeof v !== 'string') throw malformed(command, `${path}${key}`, 'not a string');
  return v;
}

function num(command: string, o: Obj, key: string, path: string, optional = false): number {
  const v = o[key];
  if (v === undefined && optional) return 0;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw malformed(command, `${path}${key}`, 'not a number');
  return v;
}

function bool(command: string, o: Obj, key: string, path: string, optional = false): boolean {
  const v = o[key];
  if (v === undefined && optional) return false;
  if (typeof v !== 'boolean') throw malformed(command, `${path}${key}`, 'not a boolean');
  return v;
}

function arr(command: string, v: unknown, path: string): unknown[] {
  if (!Array.isArray(v)) throw malformed(command, path, 'not an array');
  return v;
}

function obj(command: string, v: unknown, path: string): Obj {
  if (!isObj(v)) throw malformed(command, path, 'not an object');
  return v;
}

/** guest-info → version and supported commands. */
export function parseGuestInfoReply(text: string | null): {
  version: string;
  supportedCommands: AgentCommandInfo[];
} {
  const c = 'guest-info';
  const r = obj(c, agentReturn(c, text), 'return');
  const cmds = arr(c, r['supported_commands'] ?? [], 'return.supported_commands');
  return {
    version: str(c, r, 'version', 'return.'),
    supportedCommands: cmds.map((e, i) => {
      const o = obj(c, e, `return.supported_commands[${i}]`);
      const p = `return.supported_commands[${i}].`;
      return { name: str(c, o, 'name', p), enabled: bool(c, o, 'enabled', p, true) };
    }),
  };
}

/** guest-get-fsinfo → filesystems, as KubeVirt's v1.VirtualMachineInstanceFileSystem. */
export function parseFsInfoReply(text: string | null): AgentFilesystem[] {
  const c = 'guest-get-fsinfo';
  return arr(c, agentReturn(c, text), 'return').map((e, i) => {
    const p = `return[${i}].`;
    const o = obj(c, e, `return[${i}]`);
    const disks = arr(c, o['disk'] ?? [], `${p}disk`).map((d, j): AgentFilesystemDisk => {
      const dp = `${p}disk[${j}].`;
      const od = obj(c, d, `${p}disk[${j}]`);
      return { serial: str(c, od, 'serial', dp, true), busType: str(c, od, 'bus-type', dp, true) };
    });
    return {
      diskName: str(c, o, 'name', p),
      mountPoint: str(c, o, 'mountpoint', p),
      fileSystemType: str(c, o, 'type', p),
      usedBytes: num(c, o, 'used-bytes', p, true),
      totalBytes: num(c, o, 'total-bytes', p, true),
      disk: disks,
    };
  });
}

/** guest-fsfreeze-status → 'frozen' | 'thawed'. */
export function parseFsFreezeStatusReply(text: string | null): string {
  const c = 'guest-fsfreeze-status';
  const r = agentReturn(c, text);
  if (r !== 'frozen' && r !== 'thawed')
    throw malformed(c, 'return', `unexpected status ${JSON.stringify(r)}`);
  return r;
}

/** guest-exec → the pid to ask guest-exec-status about. */
export function parseExecReply(text: string | null): number {
  const c = 'guest-exec';
  const r = obj(c, agentReturn(c, text), 'return');
  const pid = num(c, r, 'pid', 'return.');
  if (!Number.isInteger(pid)) throw malformed(c, 'return.pid', 'not an integer');
  return pid;
}

function base64(command: string, o: Obj, key: string): string {
  const v = o[key];
  if (v === undefined) return '';
  if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) {
    throw malformed(command, `return.${key}`, 'not base64');
  }
  return Buffer.from(v, 'base64').toString('utf8');
}

/** guest-exec-status → exited, exit code and decoded output. */
export function parseExecStatusReply(text: string | null): ExecStatus {
  const c = 'guest-exec-status';
  const r = obj(c, agentReturn(c, text), 'return');
  const exited = bool(c, r, 'exited', 'return.');
  // A process killed by a signal has "signal" and no "exitcode": reported as a shell would, 128 + N.
  const exitCode =
    r['exitcode'] !== undefined
      ? num(c, r, 'exitcode', 'return.')
      : exited && r['signal'] !== undefined
        ? 128 + num(c, r, 'signal', 'return.')
        : 0;
  return { exited, exitCode, stdOut: base64(c, r, 'out-data'), stdErr: base64(c, r, 'err-data') };
}
