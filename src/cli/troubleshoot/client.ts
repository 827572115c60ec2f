import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { VmpodError, errorCode } from '../../errors.js';
import { FAILURE_REPORT_PATH } from '../../launcher/failure-report.js';
import {
  CONTROL_SOCKET_PATH,
  type ControlRequest,
  MAX_RESPONSE_BYTES,
  decodeResponse,
  encodeRequest,
} from '../../launcher/control/protocol.js';

// One request to the launcher's control socket. A launcher that is absent (no socket) or gone
// (a stale socket refusing connections) is LAUNCHER_NOT_RUNNING; one that does not answer in
// time is LAUNCHER_NOT_ANSWERING.

export const DEFAULT_TIMEOUT_MS = 8000;

export async function askLauncher<T>(
  req: ControlRequest,
  opts: { socketPath?: string; timeoutMs?: number } = {},
): Promise<T> {
  const socketPath = opts.socketPath ?? CONTROL_SOCKET_PATH;
  const text = await exchange(socketPath, encodeRequest(req), opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const res = decodeResponse(text);
  if (!res.ok) {
    throw new VmpodError(res.error.code, res.error.message, { facts: { fromLauncher: true } });
  }
  return res.result as T;
}

function exchange(socketPath: string, request: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const socket = connect(socketPath);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new VmpodError('LAUNCHER_NOT_ANSWERING', `the launcher did not answer within ${timeoutMs} ms`, {
          facts: { socket: socketPath },
        }),
      );
    }, timeoutMs);
    socket.on('connect', () => socket.write(request));
    socket.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_RESPONSE_BYTES) {
        socket.destroy();
        clearTimeout(timer);
        reject(new VmpodError('CONTROL_BAD_RESPONSE', `response longer than ${MAX_RESPONSE_BYTES} bytes`));
        return;
      }
      chunks.push(c);
    });
    socket.on('end', () => {
      clearTimeout(timer);
      socket.end();
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      const code = errorCode(err);
      if (code === 'ENOENT' || code === 'ECONNREFUSED' || code === 'ENOTDIR') {
        reject(notRunning(socketPath, err));
      } else {
        reject(
          new VmpodError('CONTROL_UNREACHABLE', `cannot reach the launcher: ${err.message}`, { cause: err }),
        );
      }
    });
  });
}

function notRunning(socketPath: string, cause: unknown): VmpodError {
  return new VmpodError('LAUNCHER_NOT_RUNNING', `the launcher is not running (no answer on ${socketPath})`, {
    cause,
    facts: { socket: socketPath },
  });
}

/** The one line printed when the launcher is not running, naming the failure report if any. */
export function notRunningMessage(failureReport: string = FAILURE_REPORT_PATH): string {
  const base = 'vmpod: the launcher is not running in this container (no control socket answering)';
  return existsSync(failureReport) ? `${base}; its start-up failed: see ${failureReport}` : base;
}
