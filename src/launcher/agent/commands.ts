// One-shot guest-agent calls for the Cmd RPCs (KUBEVIRT.md §4.3, §4.6): GuestPing, Exec, and the
// freeze status Freeze/Unfreeze check first.
import { VmpodError, describeError } from '../../errors.js';
import type { Domain } from '../../libvirt/index.js';
import {
  agentReturn,
  parseExecReply,
  parseExecStatusReply,
  parseFsFreezeStatusReply,
} from './agent-replies.js';

/** The part of a libvirt Domain these calls use. */
export type AgentDomain = Pick<Domain, 'agentCommand' | 'guestInfo' | 'name'>;

/** libvirt's own wait for one agent reply, in seconds, where the RPC gives none. */
export const AGENT_COMMAND_TIMEOUT_S = 10;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** {"execute":"guest-ping"}; any failure is AGENT_UNREACHABLE. */
export async function guestPing(domain: AgentDomain, timeoutSeconds: number): Promise<void> {
  const timeout = timeoutSeconds > 0 ? Math.ceil(timeoutSeconds) : AGENT_COMMAND_TIMEOUT_S;
  try {
    agentReturn('guest-ping', await domain.agentCommand('{"execute":"guest-ping"}', timeout, 0));
  } catch (err) {
    throw new VmpodError('AGENT_UNREACHABLE', `guest agent of ${domain.name} did not answer guest-ping`, {
      cause: err,
      facts: { domain: domain.name, reason: describeError(err) },
    });
  }
}

/**
 * guest-exec with captured output, then guest-exec-status every timeoutSeconds × 100 ms until the
 * process exited or timeoutSeconds passed. A non-zero exit is a result, not an error.
 */
export async function guestExec(
  domain: AgentDomain,
  command: string,
  args: string[],
  timeoutSeconds: number,
): Promise<{ exitCode: number; stdOut: string }> {
  const seconds = timeoutSeconds > 0 ? timeoutSeconds : 1;
  const deadline = Date.now() + seconds * 1000;
  const perCall = Math.max(1, Math.ceil(seconds));
  const facts = { domain: domain.name, command };
  const call = async <T>(what: string, json: string, parse: (t: string | null) => T): Promise<T> => {
    try {
      return parse(await domain.agentCommand(json, perCall, 0));
    } catch (err) {
      throw new VmpodError('AGENT_EXEC_FAILED', `${what} of ${command} in ${domain.name} failed`, {
        cause: err,
        facts: { ...facts, reason: describeError(err) },
      });
    }
  };
  const pid = await call(
    'guest-exec',
    JSON.stringify({
      execute: 'guest-exec',
      arguments: { path: command, arg: args, 'capture-output': true },
    }),
    parseExecReply,
  );
  const statusJson = JSON.stringify({ execute: 'guest-exec-status', arguments: { pid } });
  const period = seconds * 100;
  for (;;) {
    const status = await call('guest-exec-status', statusJson, parseExecStatusReply);
    if (status.exited) return { exitCode: status.exitCode, stdOut: status.stdOut };
    if (Date.now() + period > deadline) {
      throw new VmpodError(
        'AGENT_EXEC_TIMEOUT',
        `${command} in ${domain.name} did not exit within ${seconds} s`,
        {
          facts: { ...facts, pid, timeoutSeconds: seconds },
        },
      );
    }
    await sleep(period);
  }
}

/** guest-fsfreeze-status: 'frozen' or 'thawed'. Failures are AGENT_COMMAND_FAILED (malformed replies keep their code). */
export async function fsFreezeStatus(domain: AgentDomain): Promise<string> {
  let reply: string | null;
  try {
    reply = await domain.agentCommand('{"execute":"guest-fsfreeze-status"}', AGENT_COMMAND_TIMEOUT_S, 0);
  } catch (err) {
    throw new VmpodError('AGENT_COMMAND_FAILED', `guest-fsfreeze-status in ${domain.name} failed`, {
      cause: err,
      facts: { domain: domain.name, command: 'guest-fsfreeze-status' },
    });
  }
  return parseFsFreezeStatusReply(reply);
}
