import { VmpodError } from '../errors.js';

// Go's time.ParseDuration grammar: an optional sign, then one or more "<decimal><unit>" terms.
const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Parses a Go duration ("3m", "240s", "1h2m3.5s", "0") into milliseconds. */
export function parseGoDuration(text: string): number {
  const bad = () => new VmpodError('FLAG_BAD_DURATION', `invalid duration "${text}"`, { facts: { text } });
  let s = text;
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    sign = s.startsWith('-') ? -1 : 1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') throw bad();
  const term = /^(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/;
  let total = 0;
  while (s.length > 0) {
    const m = term.exec(s);
    if (!m) throw bad();
    total += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
    s = s.slice(m[0].length);
  }
  return sign * total;
}
