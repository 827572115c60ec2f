import { describeError, errorCode } from '../../errors.js';
import type {
  EventsReport,
  LogLevelReport,
  LogsReport,
  NetReport,
  StatusReport,
} from '../../launcher/control/protocol.js';
import { askLauncher, notRunningMessage } from './client.js';
import { attachConsole, findSerialSocket, serialSocketPath } from './console.js';
import { filterLogs, formatEvents, formatLogs, formatNet, formatStatus } from './format.js';
import {
  EXIT_FAILED,
  EXIT_NOT_RUNNING,
  EXIT_USAGE,
  TROUBLESHOOT_USAGE,
  type TroubleshootCommand,
} from './usage.js';

// `vmpod status|net|events|logs|log-level|console`, run by `kubectl exec <pod> -- vmpod …`. They ask
// the running launcher over its control socket; nothing here talks to libvirt.

export interface TroubleshootOptions {
  readonly json: boolean;
  readonly grep?: RegExp | undefined;
  readonly tail?: number | undefined;
  readonly level?: string | undefined;
  readonly socket?: string | undefined;
  /** console without a TTY: seconds to keep reading after stdin ended (default 1). */
  readonly lingerSeconds?: number | undefined;
}

export type ParsedArgs = { ok: true; opts: TroubleshootOptions } | { ok: false; error: string };

export function parseTroubleshootArgs(cmd: TroubleshootCommand, args: readonly string[]): ParsedArgs {
  let json = false;
  let grep: RegExp | undefined;
  let tail: number | undefined;
  let socket: string | undefined;
  let lingerSeconds: number | undefined;
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    const [flag, inline] =
      a.startsWith('--') && a.includes('=')
        ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]
        : [a, undefined];
    const value = () => inline ?? args[++i];
    if (flag === '--json') json = true;
    else if (flag === '--socket') socket = value();
    else if (cmd === 'logs' && flag === '--grep') {
      const v = value();
      if (v === undefined) return { ok: false, error: '--grep needs a pattern' };
      try {
        grep = new RegExp(v);
      } catch (err) {
        return { ok: false, error: `--grep: ${describeError(err)}` };
      }
    } else if (cmd === 'logs' && flag === '--tail') {
      const n = Number(value());
      if (!Number.isInteger(n) || n < 0) return { ok: false, error: '--tail needs a count' };
      tail = n;
    } else if (cmd === 'console' && flag === '--linger') {
      const n = Number(value());
      if (!Number.isFinite(n) || n < 0 || n > 86_400) return { ok: false, error: '--linger needs seconds' };
      lingerSeconds = n;
    } else if (a.startsWith('-') && a !== '-') return { ok: false, error: `unknown flag ${a}` };
    else positional.push(a);
  }
  if (cmd === 'log-level') {
    if (positional.length !== 1) return { ok: false, error: 'log-level needs one LEVEL' };
  } else if (positional.length > 0) {
    return { ok: false, error: `unexpected argument ${positional[0]}` };
  }
  return { ok: true, opts: { json, grep, tail, level: positional[0], socket, lingerSeconds } };
}

export interface TroubleshootIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

const processIo: TroubleshootIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
};

export async function runTroubleshoot(
  cmd: TroubleshootCommand,
  args: readonly string[],
  io: TroubleshootIo = processIo,
): Promise<number> {
  const parsed = parseTroubleshootArgs(cmd, args);
  if (!parsed.ok) {
    io.stderr(`vmpod ${cmd}: ${parsed.error}\n\n${TROUBLESHOOT_USAGE}\n`);
    return EXIT_USAGE;
  }
  const o = parsed.opts;
  const ask = <T>(req: Parameters<typeof askLauncher>[0]) =>
    askLauncher<T>(req, o.socket ? { socketPath: o.socket } : {});
  const out = (json: unknown, human: () => string) =>
    io.stdout(o.json ? `${JSON.stringify(json)}\n` : human());
  try {
    switch (cmd) {
      case 'status': {
        const r = await ask<StatusReport>({ v: 1, cmd });
        out(r, () => formatStatus(r));
        return 0;
      }
      case 'net': {
        const r = await ask<NetReport>({ v: 1, cmd });
        out(r, () => formatNet(r));
        return 0;
      }
      case 'events': {
        const r = await ask<EventsReport>({ v: 1, cmd });
        out(r, () => formatEvents(r));
        return 0;
      }
      case 'logs': {
        const r = filterLogs(await ask<LogsReport>({ v: 1, cmd }), { grep: o.grep, tail: o.tail });
        out(r, () => formatLogs(r));
        return 0;
      }
      case 'log-level': {
        const r = await ask<LogLevelReport>({ v: 1, cmd, level: o.level ?? '' });
        out(r, () => `launcher log level: ${r.from} -> ${r.to}\n`);
        return 0;
      }
      case 'console':
        return await runConsole(o, io);
    }
  } catch (err) {
    if (errorCode(err) === 'LAUNCHER_NOT_RUNNING') {
      io.stderr(`${notRunningMessage()}\n`);
      return EXIT_NOT_RUNNING;
    }
    io.stderr(`vmpod ${cmd}: ${describeError(err)}\n`);
    return EXIT_FAILED;
  }
}

async function runConsole(o: TroubleshootOptions, io: TroubleshootIo): Promise<number> {
  let path: string | undefined;
  try {
    const r = await askLauncher<StatusReport>(
      { v: 1, cmd: 'status' },
      o.socket ? { socketPath: o.socket } : {},
    );
    if (r.vmi.uid) path = serialSocketPath(r.vmi.uid);
  } catch (err) {
    // The console outlives a stuck launcher: fall back to the one serial socket there is.
    path = findSerialSocket();
    if (!path) throw err;
  }
  if (!path) {
    io.stderr('vmpod console: the launcher has no VMI yet, so there is no serial console\n');
    return EXIT_FAILED;
  }
  return attachConsole(
    path,
    { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr },
    o.lingerSeconds === undefined ? {} : { lingerMs: o.lingerSeconds * 1000 },
  );
}
