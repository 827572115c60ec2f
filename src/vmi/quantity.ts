import { VmpodError } from '../errors.js';

// Kubernetes resource quantities ("1Gi", "1024M", "500m", "2") as numbers, rounded up to a whole
// unit the way resource.Quantity.Value() does.

const SUFFIX: Readonly<Record<string, number>> = {
  '': 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

const QUANTITY =
  /^([+]?[0-9]+(?:\.[0-9]*)?|[+]?\.[0-9]+)(?:[eE]([+-]?[0-9]+))?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;

/** The quantity's value, fractional (for CPU "500m" → 0.5). */
export function parseQuantity(value: unknown, path: string): number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  const text = typeof value === 'string' ? value.trim() : undefined;
  const m = text === undefined ? null : QUANTITY.exec(text);
  if (!m) {
    throw new VmpodError('VMI_INVALID', `${path}: not a quantity: ${JSON.stringify(value)}`, {
      facts: { path },
    });
  }
  const base = Number(m[1]) * 10 ** Number(m[2] ?? 0);
  return base * (SUFFIX[m[3] ?? ''] ?? 1);
}

/** A byte count (memory, capacity): whole bytes, rounded up. */
export function parseBytes(value: unknown, path: string): number {
  return Math.ceil(parseQuantity(value, path));
}
