#!/usr/bin/env node
// Runs every benchmark module in scripts/bench/ and prints its figures beside the baseline measured
// in the same run. `--json` prints one object per line:
//   {"figure","value","unit","baseline","baseline_value","ratio"}  with ratio = value / baseline_value.
// A module exports `name` and `async run(ctx)` returning an array of
//   { figure, value, unit, baseline, baseline_value }.
// `npm run bench -- NAME…` runs only the named modules.
import { readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const json = args.includes('--json');
const only = args.filter((a) => !a.startsWith('--'));
const root = join(here, '..');

const files = (await readdir(join(here, 'bench'))).filter((f) => f.endsWith('.mjs')).sort();
let failed = 0;
for (const file of files) {
  const mod = await import(pathToFileURL(join(here, 'bench', file)).href);
  if (only.length > 0 && !only.includes(mod.name)) continue;
  const log = (line) => process.stderr.write(`[bench ${mod.name}] ${line}\n`);
  let figures;
  try {
    figures = await mod.run({ root, log });
  } catch (err) {
    failed++;
    process.stderr.write(`[bench ${mod.name}] FAILED: ${err?.stack ?? err}\n`);
    continue;
  }
  for (const f of figures) {
    const ratio = f.baseline_value ? f.value / f.baseline_value : null;
    const row = { ...f, ratio: ratio === null ? null : Number(ratio.toFixed(4)) };
    if (json) {
      process.stdout.write(`${JSON.stringify(row)}\n`);
    } else {
      const r = ratio === null ? 'n/a' : `${ratio.toFixed(2)}x`;
      process.stdout.write(
        `${f.figure.padEnd(44)} ${String(round(f.value)).padStart(10)} ${f.unit.padEnd(5)}` +
          ` | ${f.baseline.padEnd(44)} ${String(round(f.baseline_value)).padStart(10)} | ratio ${r}\n`,
      );
    }
  }
}
process.exit(failed ? 1 : 0);

function round(v) {
  return typeof v === 'number' ? Number(v.toFixed(v >= 100 ? 0 : 3)) : v;
}
