import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { type Server, type Socket, createServer } from 'node:net';
import { dirname } from 'node:path';
import { VmpodError, describeError, errorCode } from '../../errors.js';
import type { Logger } from '../../log/logger.js';
import {
  type ControlRequest,
  type ControlResponse,
  MAX_REQUEST_BYTES,
  decodeRequest,
  encodeResponse,
} from './protocol.js';

// The control socket's server: one newline-terminated JSON request per connection, one JSON
// response, then the connection ends. It never blocks or crashes the launcher: requests are
// bounded in size, connections in number and time, handlers in time, and every failure is a
// typed error response or a closed connection.

export type ControlHandler = (req: ControlRequest) => Promise<unknown> | unknown;

export interface ControlServerOptions {
  readonly socketPath: string;
  readonly handle: ControlHandler;
  readonly log: Logger;
  /** Whole connection, request to response (default 10 s). */
  readonly connectionTimeoutMs?: number;
  /** One handler (default 5 s). */
  readonly handlerTimeoutMs?: number;
  /** Connections served at once (default 8). */
  readonly maxConnections?: number;
}

export interface ControlServer {
  readonly socketPath: string;
  close(): Promise<void>;
}

export async function startControlServer(opts: ControlServerOptions): Promise<ControlServer> {
  const { socketPath, log } = opts;
  mkdirSync(dirname(socketPath), { recursive: true, mode: 0o755 });
  rmSync(socketPath, { force: true });
  const server = createServer({ allowHalfOpen: true }, (socket) => serve(socket, opts));
  server.maxConnections = opts.maxConnections ?? 8;
  server.on('error', (err) => log.warn({ reason: describeError(err) }, 'control socket error'));
  // The launcher runs with umask 0: the socket is created owner-only, not world-writable.
  const umask = process.umask(0o177);
  try {
    await listen(server, socketPath);
  } finally {
    process.umask(umask);
  }
  chmodSync(socketPath, 0o600);
  return {
    socketPath,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        rmSync(socketPath, { force: true });
      }),
  };
}

function listen(server: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function serve(socket: Socket, opts: ControlServerOptions): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let answered = false;
  socket.setTimeout(opts.connectionTimeoutMs ?? 10_000, () => socket.destroy());
  socket.on('error', () => socket.destroy());
  const answer = (res: ControlResponse) => {
    if (answered) return;
    answered = true;
    socket.removeAllListeners('data');
    socket.end(encodeResponse(res));
  };
  const fail = (err: unknown) =>
    answer({
      ok: false,
      error: { code: errorCode(err) ?? 'CONTROL_FAILED', message: describeError(err) },
    });
  socket.on('data', (chunk: Buffer) => {
    const nl = chunk.indexOf(0x0a);
    const part = nl >= 0 ? chunk.subarray(0, nl) : chunk;
    size += part.length;
    if (size > MAX_REQUEST_BYTES) {
      fail(new VmpodError('CONTROL_REQUEST_TOO_LARGE', `request longer than ${MAX_REQUEST_BYTES} bytes`));
      return;
    }
    chunks.push(part);
    if (nl >= 0) void respond(Buffer.concat(chunks).toString('utf8'));
  });
  // A request without its newline still counts when the client half-closes.
  socket.on('end', () => {
    if (!answered && size > 0) void respond(Buffer.concat(chunks).toString('utf8'));
    else if (!answered) socket.end();
  });

  async function respond(line: string): Promise<void> {
    if (answered) return;
    socket.removeAllListeners('data');
    let req: ControlRequest;
    try {
      req = decodeRequest(line);
    } catch (err) {
      fail(err);
      return;
    }
    opts.log.debug({ cmd: req.cmd }, 'control request');
    const ms = opts.handlerTimeoutMs ?? 5_000;
    let timer: NodeJS.Timeout | undefined;
    try {
      const result = await Promise.race([
        Promise.resolve().then(() => opts.handle(req)),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new VmpodError('CONTROL_TIMEOUT', `${req.cmd} took longer than ${ms} ms`)),
            ms,
          );
        }),
      ]);
      answer({ ok: true, result });
    } catch (err) {
      opts.log.debug({ cmd: req.cmd, reason: describeError(err) }, 'control request failed');
      fail(err);
    } finally {
      clearTimeout(timer);
    }
  }
}
