import { type ChildProcess, execFile } from 'node:child_process';
import { connect } from 'node:net';

// Small tools for tests that drive qemu (and its neighbours) directly: commands with argument
// arrays and deadlines, stopping a child for sure, and QMP commands over the monitor socket.

export function run(cmd: string, args: readonly string[], timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs }, (error, stdout: string, stderr: string) => {
      if (error) reject(new Error(`${cmd} ${args.join(' ')}: ${error.message}\n${stderr}`, { cause: error }));
      else resolve(stdout);
    });
  });
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export function exited(child: ChildProcess): Promise<Exit> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

export function withDeadline<T>(promise: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what()} (deadline ${ms} ms)`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** Stops a child we started: SIGTERM, then SIGKILL if it lingers. */
export async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const gone = exited(child);
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await withDeadline(gone, 10_000, () => `pid ${child.pid} did not exit`).finally(() => clearTimeout(timer));
}

/** Runs QMP commands in order over the monitor socket, each answered before the next is sent. */
export function qmp(socketPath: string, commands: readonly string[], timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock = connect(socketPath);
    const pending = [...commands];
    let buffer = '';
    const timer = setTimeout(() => finish(new Error(`QMP: no answer within ${timeoutMs} ms`)), timeoutMs);
    const finish = (error?: Error): void => {
      clearTimeout(timer);
      sock.destroy();
      if (error) reject(error);
      else resolve();
    };
    const next = (): void => {
      const command = pending.shift();
      if (command === undefined) finish();
      else sock.write(`${JSON.stringify({ execute: command })}\n`);
    };
    sock.setEncoding('utf8');
    sock.on('error', (error) => finish(error));
    sock.on('data', (chunk: string) => {
      buffer += chunk;
      let nl = buffer.indexOf('\n');
      while (nl >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        nl = buffer.indexOf('\n');
        let msg: Record<string, unknown>;
        try {
          msg = JSON.parse(line) as Record<string, unknown>;
        } catch {
          finish(new Error(`QMP: not JSON: ${line}`));
          return;
        }
        if ('QMP' in msg || 'return' in msg) next();
        else if ('error' in msg) finish(new Error(`QMP error: ${JSON.stringify(msg['error'])}`));
      }
    });
  });
}
