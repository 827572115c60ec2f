import { VmpodError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { TerminationSignal } from '../supervisor/termination.js';

// Every start-up phase logs its duration, and a failure says which phase failed (rule 7).

export class StartupError extends VmpodError {
  readonly phase: string;
  constructor(phase: string, cause: unknown) {
    const inner = cause instanceof Error ? cause.message : String(cause);
    super('STARTUP_FAILED', `start-up failed in phase "${phase}": ${inner}`, { cause, facts: { phase } });
    this.phase = phase;
  }
}

export class PhaseClock {
  readonly #log: Logger;
  readonly #t0: number;
  readonly timings: { phase: string; durationMs: number }[] = [];

  constructor(log: Logger, t0 = performance.now()) {
    this.#log = log;
    this.#t0 = t0;
  }

  elapsedMs(): number {
    return round(performance.now() - this.#t0);
  }

  async run<T>(phase: string, fn: () => Promise<T> | T): Promise<T> {
    const start = performance.now();
    try {
      const out = await fn();
      const durationMs = round(performance.now() - start);
      this.timings.push({ phase, durationMs });
      this.#log.info({ phase, durationMs, sinceStartMs: this.elapsedMs() }, `phase ${phase} done`);
      return out;
    } catch (err) {
      throw err instanceof StartupError || err instanceof TerminationSignal
        ? err
        : new StartupError(phase, err);
    }
  }
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
