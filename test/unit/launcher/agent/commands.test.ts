import { describe, expect, it } from 'vitest';
import { VmpodError } from '../../../../src/errors.js';
import {
  type AgentDomain,
  fsFreezeStatus,
  guestExec,
  guestPing,
} from '../../../../src/launcher/agent/commands.js';

type Reply = string | null | Error;

/** A domain whose agent answers each command with the next reply queued for it. */
function fakeDomain(replies: Record<string, Reply[]>): AgentDomain & { sent: string[]; timeouts: number[] } {
  const sent: string[] = [];
  const timeouts: number[] = [];
  return {
    name: 'ns_vm',
    sent,
    timeouts,
    agentCommand: async (cmd: string, timeout?: number) => {
      sent.push(cmd);
      timeouts.push(timeout ?? -1);
      const execute = (JSON.parse(cmd) as { execute: string }).execute;
      const queue = replies[execute];
      const r = queue && queue.length > 1 ? queue.shift() : queue?.[0];
      if (r === undefined) throw new Error(`unexpected ${execute}`);
      if (r instanceof Error) throw r;
      return r;
    },
    guestInfo: async () => ({}),
  };
}

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(VmpodError);
    return (err as VmpodError).code;
  }
  return undefined;
}

describe('guest agent one-shot calls', () => {
  it('guestPing sends guest-ping and succeeds on {}', async () => {
    const d = fakeDomain({ 'guest-ping': ['{"return":{}}'] });
    await guestPing(d, 5);
    expect(d.sent).toEqual(['{"execute":"guest-ping"}']);
    expect(d.timeouts).toEqual([5]);
  });

  it('guestPing failures are AGENT_UNREACHABLE', async () => {
    expect(await codeOf(guestPing(fakeDomain({ 'guest-ping': [new Error('agent unresponsive')] }), 1))).toBe(
      'AGENT_UNREACHABLE',
    );
    expect(await codeOf(guestPing(fakeDomain({ 'guest-ping': ['garbage'] }), 1))).toBe('AGENT_UNREACHABLE');
  });

  it('guestExec runs with captured output and polls until exited', async () => {
    const d = fakeDomain({
      'guest-exec': ['{"return":{"pid":42}}'],
      'guest-exec-status': [
        '{"return":{"exited":false}}',
        '{"return":{"exited":true,"exitcode":0,"out-data":"aGVsbG8K"}}',
      ],
    });
    expect(await guestExec(d, '/bin/echo', ['hello'], 1)).toEqual({ exitCode: 0, stdOut: 'hello\n' });
    expect(JSON.parse(d.sent[0]!)).toEqual({
      execute: 'guest-exec',
      arguments: { path: '/bin/echo', arg: ['hello'], 'capture-output': true },
    });
    expect(d.sent.slice(1)).toEqual([
      '{"execute":"guest-exec-status","arguments":{"pid":42}}',
      '{"execute":"guest-exec-status","arguments":{"pid":42}}',
    ]);
  });

  it('guestExec gives a non-zero exit code as a result', async () => {
    const d = fakeDomain({
      'guest-exec': ['{"return":{"pid":7}}'],
      'guest-exec-status': ['{"return":{"exited":true,"exitcode":3}}'],
    });
    expect(await guestExec(d, '/bin/false', [], 1)).toEqual({ exitCode: 3, stdOut: '' });
  });

  it('guestExec times out with AGENT_EXEC_TIMEOUT', async () => {
    const d = fakeDomain({
      'guest-exec': ['{"return":{"pid":7}}'],
      'guest-exec-status': ['{"return":{"exited":false}}'],
    });
    const started = Date.now();
    expect(await codeOf(guestExec(d, '/bin/sleep', ['100'], 0.5))).toBe('AGENT_EXEC_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('guestExec agent errors and bad replies are AGENT_EXEC_FAILED', async () => {
    expect(await codeOf(guestExec(fakeDomain({ 'guest-exec': [new Error('boom')] }), '/x', [], 1))).toBe(
      'AGENT_EXEC_FAILED',
    );
    expect(await codeOf(guestExec(fakeDomain({ 'guest-exec': ['{"return":{}}'] }), '/x', [], 1))).toBe(
      'AGENT_EXEC_FAILED',
    );
    const badPid = fakeDomain({
      'guest-exec': ['{"return":{"pid":7}}'],
      'guest-exec-status': ['{"error":{"class":"GenericError","desc":"Invalid parameter \'pid\'"}}'],
    });
    expect(await codeOf(guestExec(badPid, '/x', [], 1))).toBe('AGENT_EXEC_FAILED');
  });

  it('fsFreezeStatus answers frozen/thawed, with typed failures', async () => {
    expect(await fsFreezeStatus(fakeDomain({ 'guest-fsfreeze-status': ['{"return":"frozen"}'] }))).toBe(
      'frozen',
    );
    expect(await codeOf(fsFreezeStatus(fakeDomain({ 'guest-fsfreeze-status': [new Error('x')] })))).toBe(
      'AGENT_COMMAND_FAILED',
    );
    expect(await codeOf(fsFreezeStatus(fakeDomain({ 'guest-fsfreeze-status': ['{"return":1}'] })))).toBe(
      'AGENT_REPLY_MALFORMED',
    );
  });
});
