import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { XMLValidator } from 'fast-xml-parser';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { convertVmiToXml, defaultContext } from '../../../src/domain/index.js';
import { VmpodError } from '../../../src/errors.js';
import { applyDefaults, parseVmiObject } from '../../../src/vmi/index.js';
import { examplesDir } from '../domain/golden-context.js';

// Random damage to real VMIs: every outcome is either well-formed domain XML or a VmpodError,
// never a TypeError from a field of the wrong shape.

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const ODD_VALUES: unknown[] = [
  null,
  0,
  -1,
  1.5,
  '',
  'x',
  '<&>',
  true,
  false,
  [],
  {},
  [1],
  { a: 1 },
  '1Gi',
  'virtio',
];

function mutate(doc: unknown, rand: () => number): unknown {
  const copy = structuredClone(doc);
  const slots: { parent: Record<string, unknown> | unknown[]; key: string | number }[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) {
      v.forEach((x, i) => {
        slots.push({ parent: v, key: i });
        walk(x);
      });
    } else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        slots.push({ parent: v as Record<string, unknown>, key: k });
        walk(x);
      }
    }
  };
  walk(copy);
  const n = 1 + Math.floor(rand() * 3);
  for (let i = 0; i < n && slots.length > 0; i++) {
    const slot = slots[Math.floor(rand() * slots.length)];
    if (!slot) continue;
    const value = ODD_VALUES[Math.floor(rand() * ODD_VALUES.length)];
    (slot.parent as Record<string | number, unknown>)[slot.key] = value;
  }
  return copy;
}

describe('parsing damaged VMIs', () => {
  const docs = readdirSync(examplesDir)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => parseYaml(readFileSync(join(examplesDir, f), 'utf8')));

  it('yields valid XML or a VmpodError for 3000 random mutations', () => {
    const rand = rng(42);
    let converted = 0;
    for (let i = 0; i < 3000; i++) {
      const doc = mutate(docs[i % docs.length], rand);
      try {
        const xml = convertVmiToXml(applyDefaults(parseVmiObject(doc)), defaultContext());
        expect(XMLValidator.validate(xml)).toBe(true);
        converted++;
      } catch (err) {
        if (!(err instanceof VmpodError))
          throw new Error(`non-typed failure for ${JSON.stringify(doc)}`, { cause: err });
        expect(['VMI_INVALID', 'NOT_SUPPORTED']).toContain(err.code);
      }
    }
    expect(converted).toBeGreaterThan(0);
  });
});
