import { pino } from 'pino';

// pino with KubeVirt's log keys (KUBEVIRT.md §2.4): component, level (info/warning/error/…),
// timestamp "YYYY-MM-DDTHH:MM:SS.ffffffZ", pos, msg, plus subcomponent/reason/VMI identity.

export type Logger = pino.Logger;

export interface LoggerOptions {
  readonly component: 'virt-launcher' | 'virt-launcher-monitor' | 'vmpod';
  readonly verbosity: number;
  /** Where lines go; stderr (fd 2) as KubeVirt's launcher does. */
  readonly fd?: number;
}

/** Maps KubeVirt's verbosity (-v, default 2) onto pino levels. */
export function levelForVerbosity(verbosity: number): pino.Level {
  if (verbosity >= 6) return 'trace';
  if (verbosity >= 4) return 'debug';
  return 'info';
}

export function createLogger(opts: LoggerOptions): Logger {
  return pino(
    {
      level: levelForVerbosity(opts.verbosity),
      base: { component: opts.component },
      messageKey: 'msg',
      errorKey: 'reason',
      timestamp: () => `,"timestamp":"${kubevirtTimestamp()}"`,
      formatters: {
        level: (label) => ({ level: label === 'warn' ? 'warning' : label }),
      },
    },
    pino.destination({ fd: opts.fd ?? 2, sync: true }),
  );
}

/** A logger for one source file: `pos` names it, as KubeVirt's `file.go:line` does. */
export function forFile(parent: Logger, pos: string, extra: Record<string, unknown> = {}): Logger {
  return parent.child({ pos, ...extra });
}

/** UTC with microseconds, from the high-resolution clock. */
export function kubevirtTimestamp(epochMs: number = performance.timeOrigin + performance.now()): string {
  const wholeMs = Math.floor(epochMs);
  const micros = Math.floor((epochMs - wholeMs) * 1000);
  const iso = new Date(wholeMs).toISOString(); // 2024-01-02T03:04:05.678Z
  return `${iso.slice(0, 23)}${String(micros).padStart(3, '0')}Z`;
}
