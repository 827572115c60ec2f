import * as grpc from '@grpc/grpc-js';
import { VmpodError } from '../errors.js';
import { decodeMessage, encodeMessage } from './codec.js';

// A gRPC channel to one unix socket, with unary calls encoded by vmpod's codec. Shared by the
// command-socket client (self-check, virt-probe, virt-freezer) and the notify client.

export interface UnaryChannelOptions {
  /** How long to wait for the connection (Go clients: 2 s). */
  readonly connectTimeoutMs: number;
}

export class UnaryChannel {
  private readonly client: grpc.Client;

  private constructor(client: grpc.Client) {
    this.client = client;
  }

  /** Dials `socketPath` and waits until the channel is ready, or rejects after the timeout. */
  static async dial(socketPath: string, opts: UnaryChannelOptions): Promise<UnaryChannel> {
    const client = new grpc.Client(`unix:${socketPath}`, grpc.credentials.createInsecure(), {
      // One connection per channel object: closing it really drops the connection.
      'grpc.use_local_subchannel_pool': 1,
      'grpc.default_authority': 'localhost',
    });
    try {
      await new Promise<void>((resolve, reject) => {
        client.waitForReady(Date.now() + opts.connectTimeoutMs, (err) => (err ? reject(err) : resolve()));
      });
    } catch (err) {
      client.close();
      throw new VmpodError(
        'RPC_CONNECT_FAILED',
        `cannot connect to ${socketPath}: ${(err as Error).message}`,
        {
          cause: err,
          facts: { socketPath, timeoutMs: opts.connectTimeoutMs },
        },
      );
    }
    return new UnaryChannel(client);
  }

  /**
   * One unary call. Rejects with grpc-js's ServiceError (it has `code` and `details`) on a non-OK
   * status, including a response that does not decode.
   */
  call<Res>(
    path: string,
    requestType: string,
    responseType: string,
    req: object,
    deadlineMs: number,
  ): Promise<Res> {
    return new Promise<Res>((resolve, reject) => {
      let payload: Buffer;
      try {
        payload = Buffer.from(encodeMessage(requestType, req));
      } catch (err) {
        reject(err);
        return;
      }
      this.client.makeUnaryRequest<Buffer, Res>(
        path,
        (b) => b,
        (b) => decodeMessage<Res>(responseType, b),
        payload,
        { deadline: Date.now() + deadlineMs },
        (err, res) => (err || res === undefined ? reject(err ?? new Error('no response')) : resolve(res)),
      );
    });
  }

  close(): void {
    this.client.close();
  }
}

/** The gRPC status code of an error from `call`, or undefined when it is not a gRPC error. */
export function grpcCodeOf(err: unknown): number | undefined {
  if (
    typeof err === 'object' &&
    err !== null &&
    'code' in err &&
    'details' in err &&
    typeof err.code === 'number'
  ) {
    return err.code;
  }
  return undefined;
}

/** Readable text of an error from `call`. */
export function grpcErrorText(err: unknown): string {
  const code = grpcCodeOf(err);
  if (code !== undefined) {
    const name = grpc.status[code] ?? String(code);
    return `rpc error: code = ${name} desc = ${(err as grpc.ServiceError).details}`;
  }
  return err instanceof Error ? err.message : String(err);
}
