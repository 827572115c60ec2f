import { type Rng, below, pick, text, utf8 } from './harness.js';

// Structure-aware mutation of JSON documents: parse the seed, damage one to three slots (a value
// of another type, a deleted key, a duplicated or emptied list, a huge number, an odd key), and
// serialise it again, so the decoder gets well-formed JSON with the wrong shape.

const ODD_VALUES: readonly unknown[] = [
  null,
  0,
  -1,
  1.5,
  -0,
  1e308,
  -1e308,
  2 ** 53 + 2,
  4294967296,
  '',
  ' ',
  'x',
  '0',
  '-1',
  '1e9999',
  '<&>"\'',
  '\u0000',
  '\ud800',
  '../../etc/passwd',
  'a'.repeat(300),
  true,
  false,
  [],
  {},
  [null],
  [1, 'a'],
  { a: 1 },
  { '': null },
  '1Gi',
  '9999999999Ti',
  '-1Mi',
  'virtio',
  'default',
  '10.0.0.1',
  '::1',
  '0.0.0.0/0',
  '////AA==',
  'AAAAAAAAAAAAAAAAAAAAAA==',
];

const ODD_KEYS = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', '', 'length', '0'];

type Slot = { parent: Record<string, unknown> | unknown[]; key: string | number };

function slotsOf(doc: unknown): Slot[] {
  const slots: Slot[] = [];
  const walk = (v: unknown, depth: number) => {
    if (depth > 64) return;
    if (Array.isArray(v)) {
      v.forEach((x, i) => {
        slots.push({ parent: v, key: i });
        walk(x, depth + 1);
      });
    } else if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        slots.push({ parent: v as Record<string, unknown>, key: k });
        walk(x, depth + 1);
      }
    }
  };
  walk(doc, 0);
  return slots;
}

function damage(rand: Rng, slot: Slot): void {
  const { parent, key } = slot;
  const target = parent as Record<string | number, unknown>;
  const current = target[key];
  switch (below(rand, 8)) {
    case 0:
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete target[key];
      break;
    case 1:
      if (Array.isArray(parent)) parent.splice(key as number, 0, structuredClone(current));
      else target[key] = [current];
      break;
    case 2:
      if (Array.isArray(current)) {
        const copy = structuredClone(current);
        for (let n = below(rand, 64); n > 0; n--)
          current.push(structuredClone(pick(rand, copy.length ? copy : [0])));
      } else target[key] = structuredClone(pick(rand, ODD_VALUES));
      break;
    case 3:
      if (!Array.isArray(parent)) {
        // An extra key next to this one, possibly one that names an Object.prototype member.
        Object.defineProperty(parent, pick(rand, ODD_KEYS), {
          value: structuredClone(pick(rand, ODD_VALUES)),
          enumerable: true,
          configurable: true,
          writable: true,
        });
      }
      break;
    case 4:
      if (typeof current === 'number')
        target[key] = pick(rand, [current + 1, current - 1, -current, current * 1e6, 0.5]);
      else if (typeof current === 'string')
        target[key] = pick(rand, [
          `${current}${current}`,
          current.slice(1),
          current.toUpperCase(),
          `${current}x`,
          String(Number(current) + 1),
        ]);
      else target[key] = structuredClone(pick(rand, ODD_VALUES));
      break;
    default:
      target[key] = structuredClone(pick(rand, ODD_VALUES));
  }
}

/** A JSON mutator for `FuzzTarget.mutators`: seeds that are not JSON come back unchanged. */
export function mutateJson(rand: Rng, seed: Uint8Array): Uint8Array {
  let doc: unknown;
  try {
    doc = JSON.parse(text(seed));
  } catch {
    return seed;
  }
  const n = 1 + below(rand, 3);
  for (let i = 0; i < n; i++) {
    const slots = slotsOf(doc);
    if (slots.length === 0) return utf8(JSON.stringify(pick(rand, ODD_VALUES)));
    damage(rand, pick(rand, slots));
  }
  return utf8(JSON.stringify(doc, null, rand() < 0.5 ? 2 : undefined));
}
