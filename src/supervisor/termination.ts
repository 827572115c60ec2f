import type { Logger } from '../log/logger.js';

// The launcher's signal contract (KUBEVIRT.md §1.3.3): only the first termination signal has an
// effect; later ones are logged and swallowed, never fatal.

export const LAUNCHER_TERMINATION_SIGNALS = ['SIGHUP', 'SIGINT', 'SIGTERM', 'SIGQUIT'] as const;

export interface Termination {
  /** Aborted, with the signal's name as reason, on the first termination signal. */
  readonly signal: AbortSignal;
  readonly firstAt: () => number | undefined;
  dispose(): void;
}

export function listenForTermination(log: Logger): Termination {
  const ctl = new AbortController();
  let firstAt: number | undefined;
  const handlers = LAUNCHER_TERMINATION_SIGNALS.map((sig) => {
    const h = () => {
      if (firstAt === undefined) {
        firstAt = Date.now();
        log.info({ signal: sig }, `received ${sig}: shutting down`);
        ctl.abort(new TerminationSignal(sig));
      } else {
        log.info({ signal: sig }, `received ${sig} again: already shutting down`);
      }
    };
    process.on(sig, h);
    return [sig, h] as const;
  });
  return {
    signal: ctl.signal,
    firstAt: () => firstAt,
    dispose: () => {
      for (const [sig, h] of handlers) process.off(sig, h);
    },
  };
}

export class TerminationSignal extends Error {
  readonly sig: string;
  constructor(sig: string) {
    super(`terminated by ${sig}`);
    this.name = 'TerminationSignal';
    this.sig = sig;
  }
}
