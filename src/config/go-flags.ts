import { VmpodError } from '../errors.js';
import { parseGoDuration } from './go-duration.js';

// A parser with the semantics of spf13/pflag, which KubeVirt's commands use: `--name=value`,
// `--name value`, booleans as `--name` or `--name=false`, one-letter flags as `-v 3` / `-v=3`,
// `--` ends the flags, and non-flag arguments may be interspersed.

export type FlagType = 'string' | 'bool' | 'int' | 'uint' | 'duration';
export type FlagValue = string | boolean | number;

export interface FlagSpec {
  readonly name: string;
  readonly type: FlagType;
  readonly default: FlagValue;
  /** Go's flag package lets one-letter flags be written with a single dash (pflag shorthand). */
  readonly shorthand?: boolean;
}

export interface ParsedFlags {
  readonly values: Readonly<Record<string, FlagValue>>;
  /** Flags the command line set explicitly. */
  readonly set: ReadonlySet<string>;
  readonly positional: readonly string[];
  readonly unknown: readonly string[];
}

export interface ParseOptions {
  /** The monitor tolerates flags it does not know (pflag's UnknownFlags whitelist). */
  readonly ignoreUnknown?: boolean;
}

export function parseFlags(specs: readonly FlagSpec[], argv: readonly string[], opts: ParseOptions = {}) {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const values: Record<string, FlagValue> = {};
  for (const s of specs) values[s.name] = s.default;
  const set = new Set<string>();
  const positional: string[] = [];
  const unknown: string[] = [];

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positional.push(arg);
      continue;
    }
    const long = arg.startsWith('--');
    const body = arg.slice(long ? 2 : 1);
    const eq = body.indexOf('=');
    const name = eq === -1 ? body : body.slice(0, eq);
    const inline = eq === -1 ? undefined : body.slice(eq + 1);
    const spec = byName.get(name);
    if (!spec || (!long && !spec.shorthand) || name === '') {
      if (!opts.ignoreUnknown) {
        throw new VmpodError('FLAG_UNKNOWN', `unknown flag: ${arg}`, { facts: { flag: arg } });
      }
      unknown.push(arg);
      // pflag skips the next argument as the unknown flag's value when it does not look like a flag.
      const next = argv[i + 1];
      if (inline === undefined && next !== undefined && !next.startsWith('-')) {
        unknown.push(next);
        i++;
      }
      continue;
    }
    let raw: string;
    if (inline !== undefined) {
      raw = inline;
    } else if (spec.type === 'bool') {
      raw = 'true';
    } else {
      const next = argv[i + 1];
      if (next === undefined) {
        throw new VmpodError('FLAG_MISSING_VALUE', `flag needs an argument: ${arg}`, {
          facts: { flag: arg },
        });
      }
      raw = next;
      i++;
    }
    values[spec.name] = convert(spec, raw);
    set.add(spec.name);
  }
  return { values, set, positional, unknown } satisfies ParsedFlags;
}

function convert(spec: FlagSpec, raw: string): FlagValue {
  const fail = (why: string) =>
    new VmpodError('FLAG_BAD_VALUE', `invalid argument "${raw}" for "--${spec.name}" flag: ${why}`, {
      facts: { flag: spec.name, value: raw },
    });
  switch (spec.type) {
    case 'string':
      return raw;
    case 'bool': {
      // strconv.ParseBool's accepted spellings.
      if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(raw)) return true;
      if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(raw)) return false;
      throw fail('not a boolean');
    }
    case 'int':
    case 'uint': {
      const n = parseGoInt(raw);
      if (n === undefined) throw fail('not an integer');
      if (spec.type === 'uint' && n < 0) throw fail('negative value for an unsigned flag');
      return n;
    }
    case 'duration':
      try {
        return parseGoDuration(raw);
      } catch (err) {
        throw new VmpodError('FLAG_BAD_VALUE', `invalid argument "${raw}" for "--${spec.name}" flag`, {
          cause: err,
          facts: { flag: spec.name, value: raw },
        });
      }
  }
}

// strconv.ParseInt(s, 0, 64): optional sign, 0x/0o/0b prefixes, a leading 0 means octal, underscores allowed.
function parseGoInt(raw: string): number | undefined {
  const m = /^([+-]?)(0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|0[0-7_]*|[1-9][0-9_]*)$/.exec(raw);
  if (!m) return undefined;
  const sign = m[1] === '-' ? -1 : 1;
  const digits = (m[2] as string).replaceAll('_', '');
  let n: number;
  if (/^0[xXoObB]/.test(digits)) n = Number(digits.toLowerCase());
  else if (digits.length > 1 && digits.startsWith('0')) n = Number.parseInt(digits.slice(1), 8);
  else n = Number(digits);
  return Number.isSafeInteger(n) ? sign * n : undefined;
}
