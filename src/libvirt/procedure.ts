// A procedure descriptor: program, number, and the XDR types of its arguments and reply, so a call
// is typed end to end without any generated code. Pure.
import { REMOTE_PROGRAM } from './packet-header.js';
import { type XdrType, xvoid } from './xdr-types.js';

export interface Procedure<A, R> {
  readonly name: string;
  readonly program: number;
  readonly procedure: number;
  readonly args: XdrType<A>;
  readonly ret: XdrType<R>;
}

export type ArgsOf<P> = P extends Procedure<infer A, unknown> ? A : never;
export type RetOf<P> = P extends Procedure<unknown, infer R> ? R : never;

export function remoteProc<A = undefined, R = undefined>(
  name: string,
  procedure: number,
  args: XdrType<A> = xvoid as XdrType<A>,
  ret: XdrType<R> = xvoid as XdrType<R>,
  program = REMOTE_PROGRAM,
): Procedure<A, R> {
  return { name, program, procedure, args, ret };
}

export interface CallOptions {
  /** Deadline for this call; the client's default applies when absent. */
  timeoutMs?: number;
}

/** What a domain handle needs from a client: one typed call. */
export interface RpcCaller {
  call<A, R>(proc: Procedure<A, R>, args: A, options?: CallOptions): Promise<R>;
}
