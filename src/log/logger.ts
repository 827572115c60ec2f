import { pino } from 'pino';
import { Ring } from './ring.js';

// pino with KubeVirt's log keys (KUBEVIRT.md §2.4): component, level (info/warning/error/…),
// timestamp "YYYY-MM-DDTHH:MM:SS.ffffffZ", pos, msg, plus subcomponent/reason/VMI identity.

export type Logger = pino.Logger;

export interface LoggerOptions {
  readonly component: 'virt-launcher' | 'virt-launcher-monitor' | 'vmpod';
  readonly verbosity: number;
  /** Where lines go; stderr (fd 2) as KubeVirt's launcher does. */
  readonly fd?: number;
  /** Keeps the recent warnings, errors and libvirt lines for troubleshooting (`vmpod status`, `vmpod logs`). */
  readonly recent?: RecentLines;
}

/** Maps KubeVirt's verbosity (-v, default 2) onto pino levels. */
export function levelForVerbosity(verbosity: number): pino.Level {
  if (verbosity >= 6) return 'trace';
  if (verbosity >= 4) return 'debug';
  return 'info';
}

/** A level by pino's or KubeVirt's name (`warning`), or a KubeVirt verbosity (`-v`, 0–9). */
export function levelFromText(text: string): pino.Level | undefined {
  const t = text.trim().toLowerCase();
  if (/^\d$/.test(t)) return levelForVerbosity(Number(t));
  if (t === 'warning') return 'warn';
  return (['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const).find((l) => l === t);
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
      ...(opts.recent ? { hooks: { streamWrite: opts.recent.tap } } : {}),
    },
    pino.destination({ fd: opts.fd ?? 2, sync: true }),
  );
}

/** Longest line kept by RecentLines; longer ones are cut. */
const RECENT_LINE_MAX = 4096;

/**
 * The last warning/error lines and the last libvirt daemon lines, seen as they are written (a
 * string check per line, nothing parsed), read by the launcher's control socket.
 */
export class RecentLines {
  readonly problems: Ring<string>;
  readonly libvirt: Ring<string>;

  constructor(problems = 50, libvirt = 200) {
    this.problems = new Ring(problems);
    this.libvirt = new Ring(libvirt);
  }

  readonly tap = (line: string): string => {
    const kept = line.length > RECENT_LINE_MAX ? line.slice(0, RECENT_LINE_MAX) : line.trimEnd();
    if (
      line.includes('"level":"warning"') ||
      line.includes('"level":"error"') ||
      line.includes('"level":"fatal"')
    )
      this.problems.push(kept);
    if (line.includes('"subcomponent":"libvirt"')) this.libvirt.push(kept);
    return line;
  };
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
