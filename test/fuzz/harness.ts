// A small deterministic fuzz engine for the decoders that face the outside. Every input comes from
// a seeded PRNG (FUZZ_SEED), so a failure reproduces from the seed and iteration it prints. Each
// input must return or throw the decoder's documented error class; a raw TypeError/RangeError, an
// input slower than HANG_MS, or heap that keeps growing over the run is a bug. Failing inputs are
// written to corpus/<decoder>/ only when FUZZ_SAVE=1, and replayed by every run from then on.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import { VmpodError } from '../../src/errors.js';
import { prng } from '../helpers/prng.js';

export { prng };

export const CORPUS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'corpus');
export const DEFAULT_SEED = 0x5eed_f022;
export const DEFAULT_ITERATIONS = 100_000;
/** One input slower than this is a hang (re-timed once, so a GC pause is not blamed on it). */
export const HANG_MS = 100;
/** Heap growth over a whole run, after a full GC, that counts as unbounded. */
export const MAX_HEAP_GROWTH = 64 * 1024 * 1024;
const MAX_HEX_IN_MESSAGE = 4096;

export const FUZZ_SEED = envInt('FUZZ_SEED', DEFAULT_SEED);
export const FUZZ_ITERATIONS = envInt('FUZZ_ITERATIONS', DEFAULT_ITERATIONS);
const FUZZ_SAVE = process.env.FUZZ_SAVE === '1';

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name}=${raw} is not a non-negative integer`);
  return n;
}

export type Rng = () => number;

export const below = (rand: Rng, n: number): number => Math.floor(rand() * n);
export function pick<T>(rand: Rng, items: readonly T[]): T {
  return items[below(rand, items.length)] as T;
}

export function randomBytes(rand: Rng, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = below(rand, 256);
  return out;
}

export const utf8 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'utf8'));
export const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('utf8');

export interface FuzzTarget {
  /** The corpus directory name, e.g. `dhcpv4`. */
  readonly name: string;
  /** Valid (or nearly valid) inputs the mutations start from. */
  readonly seeds: readonly Uint8Array[];
  /** Feeds one input to the decoder, and whatever the caller does next with its value. */
  run(input: Uint8Array): void;
  /** The errors the decoder documents; default: any VmpodError. Return false for a total decoder. */
  readonly allowed?: (err: unknown) => boolean;
  /** Tokens worth inserting (keywords, tags, magic numbers). */
  readonly dictionary?: readonly Uint8Array[];
  /** Structure-aware mutations of a seed (e.g. of a parsed JSON document), used for some inputs. */
  readonly mutators?: readonly ((rand: Rng, seed: Uint8Array) => Uint8Array)[];
  /** Longest input fed to the decoder (default 64 KiB); longer mutants are truncated. */
  readonly maxLength?: number;
  /** Longest purely random input (default 512). */
  readonly maxRandomLength?: number;
  /** Regression inputs built in code, for those too large to keep as corpus files. */
  readonly regressions?: readonly {
    readonly name: string;
    readonly input: Uint8Array;
    readonly maxMs?: number;
  }[];
}

// --- mutations ---

const INTERESTING_8 = [0, 1, 0x7f, 0x80, 0xff];
const INTERESTING_16 = [0, 1, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff];
const INTERESTING_32 = [0, 1, 2, 0x7f, 0xff, 0x7fff, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff];

type Mutation = (rand: Rng, b: Uint8Array, target: FuzzTarget) => Uint8Array;

function chunkOf(rand: Rng, b: Uint8Array): [number, number] {
  const from = below(rand, b.length + 1);
  const len = Math.min(b.length - from, 1 + below(rand, rand() < 0.8 ? 8 : 256));
  return [from, from + len];
}

function insertAt(b: Uint8Array, at: number, chunk: Uint8Array): Uint8Array {
  const out = new Uint8Array(b.length + chunk.length);
  out.set(b.subarray(0, at));
  out.set(chunk, at);
  out.set(b.subarray(at), at + chunk.length);
  return out;
}

function withCopy(b: Uint8Array, edit: (c: Uint8Array) => void): Uint8Array {
  if (b.length === 0) return b;
  const c = b.slice();
  edit(c);
  return c;
}

function writeUint(c: Uint8Array, at: number, width: 2 | 4, value: number, littleEndian: boolean): void {
  if (at + width > c.length) return;
  const view = new DataView(c.buffer, c.byteOffset, c.byteLength);
  if (width === 2) view.setUint16(at, value & 0xffff, littleEndian);
  else view.setUint32(at, value >>> 0, littleEndian);
}

const MUTATIONS: readonly Mutation[] = [
  // bit flips
  (rand, b) =>
    withCopy(b, (c) => {
      for (let n = 1 + below(rand, 4); n > 0; n--) {
        const at = below(rand, c.length);
        c[at] = (c[at] as number) ^ (1 << below(rand, 8));
      }
    }),
  // a byte set to an interesting or random value
  (rand, b) =>
    withCopy(b, (c) => {
      c[below(rand, c.length)] = rand() < 0.7 ? pick(rand, INTERESTING_8) : below(rand, 256);
    }),
  // a 16- or 32-bit word set to an interesting value, either byte order
  (rand, b) =>
    withCopy(b, (c) => {
      const wide = rand() < 0.5;
      const v = wide ? pick(rand, INTERESTING_32) : pick(rand, INTERESTING_16);
      writeUint(c, below(rand, c.length), wide ? 4 : 2, v, rand() < 0.25);
    }),
  // a length field nudged: a byte or big-endian word at a random spot, plus or minus a little
  (rand, b) =>
    withCopy(b, (c) => {
      const at = below(rand, c.length);
      const delta = (rand() < 0.5 ? -1 : 1) * (1 + below(rand, 16));
      const width = pick(rand, [1, 2, 4] as const);
      if (width === 1) c[at] = ((c[at] as number) + delta) & 0xff;
      else if (at + width <= c.length) {
        const view = new DataView(c.buffer, c.byteOffset, c.byteLength);
        const old = width === 2 ? view.getUint16(at) : view.getUint32(at);
        writeUint(c, at, width, old + delta, false);
      }
    }),
  // insert random bytes
  (rand, b) => insertAt(b, below(rand, b.length + 1), randomBytes(rand, 1 + below(rand, 16))),
  // insert a dictionary token
  (rand, b, t) =>
    t.dictionary?.length
      ? insertAt(b, below(rand, b.length + 1), pick(rand, t.dictionary))
      : insertAt(b, below(rand, b.length + 1), Uint8Array.of(pick(rand, INTERESTING_8))),
  // overwrite with a dictionary token
  (rand, b, t) =>
    withCopy(b, (c) => {
      const tok = t.dictionary?.length ? pick(rand, t.dictionary) : randomBytes(rand, 4);
      c.set(tok.subarray(0, c.length), below(rand, Math.max(1, c.length - tok.length + 1)));
    }),
  // delete a chunk
  (rand, b) => {
    const [from, to] = chunkOf(rand, b);
    return Uint8Array.from([...b.subarray(0, from), ...b.subarray(to)]);
  },
  // duplicate a chunk somewhere else
  (rand, b) => {
    const [from, to] = chunkOf(rand, b);
    return insertAt(b, below(rand, b.length + 1), b.slice(from, to));
  },
  // truncate
  (rand, b) => b.subarray(0, below(rand, b.length + 1)),
  // a chunk repeated many times in place (deep nesting, long lists, many options)
  (rand, b) => {
    const [from, to] = chunkOf(rand, b);
    if (to === from) return b;
    const chunk = b.subarray(from, to);
    const times = 2 + below(rand, 200);
    const out = new Uint8Array(b.length + chunk.length * (times - 1));
    out.set(b.subarray(0, from));
    for (let k = 0; k < times; k++) out.set(chunk, from + k * chunk.length);
    out.set(b.subarray(to), from + times * chunk.length);
    return out;
  },
];

function splice(rand: Rng, a: Uint8Array, b: Uint8Array): Uint8Array {
  const head = a.subarray(0, below(rand, a.length + 1));
  const tail = b.subarray(below(rand, b.length + 1));
  const out = new Uint8Array(head.length + tail.length);
  out.set(head);
  out.set(tail, head.length);
  return out;
}

/** The input of iteration `i`: a function of the seed, the target and `i` alone. */
export function generate(target: FuzzTarget, rand: Rng): Uint8Array {
  const maxLength = target.maxLength ?? 64 * 1024;
  const r = rand();
  let out: Uint8Array;
  if (r < 0.08 || target.seeds.length === 0) {
    out = randomBytes(rand, below(rand, (target.maxRandomLength ?? 512) + 1));
  } else if (r < 0.14 && target.seeds.length > 1) {
    out = splice(rand, pick(rand, target.seeds), pick(rand, target.seeds));
  } else if (r < 0.4 && target.mutators?.length) {
    out = pick(rand, target.mutators)(rand, pick(rand, target.seeds));
  } else {
    out = pick(rand, target.seeds);
  }
  // Stacked byte mutations, fewer more often (1 .. 8).
  const rounds = r < 0.08 ? 0 : 1 + Math.min(7, Math.floor(-Math.log2(1 - rand() * 0.996)));
  for (let k = 0; k < rounds; k++) out = pick(rand, MUTATIONS)(rand, out, target);
  return out.length > maxLength ? out.subarray(0, maxLength) : out;
}

// --- running ---

export interface FuzzReport {
  readonly inputs: number;
  readonly ok: number;
  readonly rejected: number;
  readonly heapGrowth: number;
  readonly slowestMs: number;
}

interface Failure {
  readonly kind: 'crash' | 'hang';
  readonly detail: string;
}

const defaultAllowed = (err: unknown) => err instanceof VmpodError;

function explain(err: unknown): string {
  if (err instanceof Error) {
    const frame = err.stack?.split('\n').find((l) => l.includes('/src/')) ?? '';
    return `${err.name}: ${err.message}${frame ? ` (${frame.trim()})` : ''}`;
  }
  return `non-Error thrown: ${String(err)}`;
}

/** Runs one input: 'ok', 'rejected' (an allowed error), or a failure. */
function once(target: FuzzTarget, input: Uint8Array): { outcome: 'ok' | 'rejected'; ms: number } | Failure {
  const allowed = target.allowed ?? defaultAllowed;
  const t0 = performance.now();
  try {
    target.run(input);
    return { outcome: 'ok', ms: performance.now() - t0 };
  } catch (err) {
    const ms = performance.now() - t0;
    if (allowed(err)) return { outcome: 'rejected', ms };
    return { kind: 'crash', detail: explain(err) };
  }
}

function check(
  target: FuzzTarget,
  input: Uint8Array,
  limitMs = HANG_MS,
): { outcome: 'ok' | 'rejected'; ms: number } | Failure {
  const first = once(target, input);
  if ('kind' in first || first.ms <= limitMs) return first;
  const again = once(target, input);
  if ('kind' in again || again.ms <= limitMs) return again;
  return {
    kind: 'hang',
    detail: `took ${Math.round(Math.min(first.ms, again.ms))} ms (limit ${limitMs} ms)`,
  };
}

function hexOf(input: Uint8Array): string {
  const hex = Buffer.from(input).toString('hex');
  return hex.length <= MAX_HEX_IN_MESSAGE
    ? hex
    : `${hex.slice(0, MAX_HEX_IN_MESSAGE)}… (${input.length} bytes)`;
}

function save(target: FuzzTarget, input: Uint8Array): string | undefined {
  if (!FUZZ_SAVE) return undefined;
  const dir = join(CORPUS_DIR, target.name);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${createHash('sha256').update(input).digest('hex').slice(0, 16)}.bin`);
  writeFileSync(file, input);
  return file;
}

function failureMessage(target: FuzzTarget, f: Failure, input: Uint8Array, where: string): string {
  const saved = save(target, input);
  return [
    `fuzz ${target.name}: ${f.kind} on ${where}: ${f.detail}`,
    saved ? `saved as ${saved}` : 'rerun with FUZZ_SAVE=1 to keep it in the corpus',
    `input (${input.length} bytes, hex): ${hexOf(input)}`,
  ].join('\n');
}

/** The regression inputs of `name`, sorted by file name. */
export function corpusFiles(name: string): { file: string; input: Uint8Array }[] {
  const dir = join(CORPUS_DIR, name);
  let names: string[];
  try {
    names = readdirSync(dir).filter((f) => f.endsWith('.bin'));
  } catch {
    return [];
  }
  return names.sort().map((f) => ({ file: join(dir, f), input: new Uint8Array(readFileSync(join(dir, f))) }));
}

/** Replays every corpus file, regression and seed; throws on the first that crashes or hangs. */
export function replayCorpus(target: FuzzTarget): number {
  const inputs = [
    ...corpusFiles(target.name).map((c) => ({
      where: `corpus file ${c.file}`,
      input: c.input,
      maxMs: HANG_MS,
    })),
    ...(target.regressions ?? []).map((r) => ({
      where: `regression "${r.name}"`,
      input: r.input,
      maxMs: r.maxMs,
    })),
    ...target.seeds.map((input, i) => ({ where: `seed #${i}`, input, maxMs: HANG_MS })),
  ];
  for (const { where, input, maxMs } of inputs) {
    const r = check(target, input, maxMs);
    if ('kind' in r) throw new Error(failureMessage(target, r, input, where));
  }
  return inputs.length;
}

let gcFn: (() => void) | undefined;

/** A full GC: global.gc when exposed, else V8's flag switched on at run time. */
export function fullGc(): void {
  if (!gcFn) {
    const exposed = (globalThis as { gc?: () => void }).gc;
    if (exposed) gcFn = exposed;
    else {
      v8.setFlagsFromString('--expose-gc');
      gcFn = vm.runInNewContext('gc') as () => void;
    }
  }
  gcFn();
  gcFn();
}

/** FNV-1a of the target's name, so each decoder draws its own inputs from the same FUZZ_SEED. */
function nameHash(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** Runs the budget; throws on the first crash, hang or unbounded heap growth. */
export function runFuzz(target: FuzzTarget, iterations = FUZZ_ITERATIONS, seed = FUZZ_SEED): FuzzReport {
  const rand = prng((seed ^ nameHash(target.name)) >>> 0);
  // Warm up (lazy schema loading, JIT) before anything is timed or measured.
  for (const s of target.seeds) once(target, s);
  fullGc();
  const heapBefore = process.memoryUsage().heapUsed;
  let ok = 0;
  let rejected = 0;
  let slowestMs = 0;
  for (let i = 0; i < iterations; i++) {
    const input = generate(target, rand);
    const r = check(target, input);
    if ('kind' in r) {
      throw new Error(
        failureMessage(
          target,
          r,
          input,
          `iteration ${i} (reproduce: FUZZ_SEED=${seed} FUZZ_ITERATIONS=${i + 1})`,
        ),
      );
    }
    if (r.outcome === 'ok') ok++;
    else rejected++;
    if (r.ms > slowestMs) slowestMs = r.ms;
  }
  fullGc();
  const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
  if (heapGrowth > MAX_HEAP_GROWTH) {
    throw new Error(
      `fuzz ${target.name}: heap grew by ${Math.round(heapGrowth / 2 ** 20)} MiB over ${iterations} inputs ` +
        `(limit ${MAX_HEAP_GROWTH / 2 ** 20} MiB, FUZZ_SEED=${seed})`,
    );
  }
  return { inputs: iterations, ok, rejected, heapGrowth, slowestMs };
}
