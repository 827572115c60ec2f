import { describe, expect, it } from 'vitest';
import { parseGoDuration } from '../../../src/config/go-duration.js';
import { type FlagSpec, parseFlags } from '../../../src/config/go-flags.js';
import { errorCode } from '../../../src/errors.js';

const specs: FlagSpec[] = [
  { name: 'name', type: 'string', default: '' },
  { name: 'on', type: 'bool', default: false },
  { name: 'count', type: 'int', default: 7 },
  { name: 'n', type: 'uint', default: 0 },
  { name: 'wait', type: 'duration', default: 1000 },
  { name: 'v', type: 'int', default: 2, shorthand: true },
];

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return errorCode(err);
  }
  return undefined;
}

describe('pflag-compatible parsing', () => {
  it('takes values inline or from the next argument', () => {
    const r = parseFlags(specs, ['--name=a', '--count', '12', '--wait', '240s']);
    expect(r.values).toMatchObject({ name: 'a', count: 12, wait: 240_000 });
    expect([...r.set].sort()).toEqual(['count', 'name', 'wait']);
  });

  it('keeps defaults for flags not given', () => {
    expect(parseFlags(specs, []).values).toMatchObject({ name: '', on: false, count: 7, wait: 1000, v: 2 });
  });

  it('treats a bare boolean as true and never consumes the next argument for it', () => {
    const r = parseFlags(specs, ['--on', 'false']);
    expect(r.values.on).toBe(true);
    expect(r.positional).toEqual(['false']);
    expect(parseFlags(specs, ['--on=false']).values.on).toBe(false);
    expect(parseFlags(specs, ['--on=T']).values.on).toBe(true);
  });

  it('accepts one-letter flags with a single dash', () => {
    expect(parseFlags(specs, ['-v', '5']).values.v).toBe(5);
    expect(parseFlags(specs, ['-v=6']).values.v).toBe(6);
    expect(parseFlags(specs, ['--v=7']).values.v).toBe(7);
  });

  it('rejects long flags written with a single dash, as pflag does', () => {
    expect(codeOf(() => parseFlags(specs, ['-name', 'x']))).toBe('FLAG_UNKNOWN');
  });

  it('rejects unknown flags unless told to ignore them', () => {
    expect(codeOf(() => parseFlags(specs, ['--bogus']))).toBe('FLAG_UNKNOWN');
    const r = parseFlags(specs, ['--bogus', 'val', '--name', 'x', '--other=1'], { ignoreUnknown: true });
    expect(r.values.name).toBe('x');
    expect(r.unknown).toEqual(['--bogus', 'val', '--other=1']);
  });

  it('names the flag when a value is missing or malformed', () => {
    expect(codeOf(() => parseFlags(specs, ['--count']))).toBe('FLAG_MISSING_VALUE');
    expect(codeOf(() => parseFlags(specs, ['--count', 'x']))).toBe('FLAG_BAD_VALUE');
    expect(codeOf(() => parseFlags(specs, ['--on=maybe']))).toBe('FLAG_BAD_VALUE');
    expect(codeOf(() => parseFlags(specs, ['--n=-1']))).toBe('FLAG_BAD_VALUE');
    expect(codeOf(() => parseFlags(specs, ['--wait=10']))).toBe('FLAG_BAD_VALUE');
  });

  it('parses integers like strconv.ParseInt with base 0', () => {
    expect(parseFlags(specs, ['--count=0x10']).values.count).toBe(16);
    expect(parseFlags(specs, ['--count=010']).values.count).toBe(8);
    expect(parseFlags(specs, ['--count=-3']).values.count).toBe(-3);
    expect(parseFlags(specs, ['--count=1_000']).values.count).toBe(1000);
  });

  it('stops at -- and keeps interspersed positional arguments', () => {
    const r = parseFlags(specs, ['a', '--name', 'x', 'b', '--', '--on']);
    expect(r.positional).toEqual(['a', 'b', '--on']);
    expect(r.values.on).toBe(false);
  });
});

describe('Go durations', () => {
  it.each([
    ['0', 0],
    ['3m', 180_000],
    ['240s', 240_000],
    ['1h2m3.5s', 3_723_500],
    ['1.5h', 5_400_000],
    ['100ms', 100],
    ['250us', 0.25],
    ['-2s', -2000],
  ])('%s is %d ms', (text, ms) => {
    expect(parseGoDuration(text)).toBe(ms);
  });

  it.each(['', '10', 's', '3x', '1m 2s', '--1s'])('rejects %j', (text) => {
    expect(codeOf(() => parseGoDuration(text))).toBe('FLAG_BAD_DURATION');
  });
});
