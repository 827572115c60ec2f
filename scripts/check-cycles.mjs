#!/usr/bin/env node
// Fails when src/ has an import cycle. esbuild's metafile gives the import graph of the whole
// bundle (static and dynamic imports); Tarjan's algorithm finds strongly connected components.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { metafile } = await build({
  // Every module, not only those main.ts reaches today.
  entryPoints: ['src/**/*.ts'],
  absWorkingDir: root,
  bundle: true,
  write: false,
  metafile: true,
  platform: 'node',
  format: 'esm',
  splitting: true,
  outdir: join(root, '.cache/cycles'),
  external: ['koffi'],
  loader: { '.proto': 'text' },
  logLevel: 'silent',
});

const graph = new Map();
for (const [file, info] of Object.entries(metafile.inputs)) {
  if (!file.startsWith('src/')) continue;
  graph.set(
    file,
    info.imports.map((i) => i.path).filter((p) => p.startsWith('src/')),
  );
}

let index = 0;
const stack = [];
const meta = new Map();
const cycles = [];
function visit(v) {
  meta.set(v, { index, low: index, onStack: true });
  index++;
  stack.push(v);
  for (const w of graph.get(v) ?? []) {
    if (!meta.has(w)) {
      visit(w);
      meta.get(v).low = Math.min(meta.get(v).low, meta.get(w).low);
    } else if (meta.get(w).onStack) {
      meta.get(v).low = Math.min(meta.get(v).low, meta.get(w).index);
    }
  }
  if (meta.get(v).low === meta.get(v).index) {
    const scc = [];
    let w;
    do {
      w = stack.pop();
      meta.get(w).onStack = false;
      scc.push(w);
    } while (w !== v);
    if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(scc);
  }
}
for (const v of graph.keys()) if (!meta.has(v)) visit(v);

if (cycles.length > 0) {
  for (const c of cycles) process.stderr.write(`import cycle: ${c.join(' -> ')}\n`);
  process.exit(1);
}
process.stdout.write(`no import cycles in ${graph.size} modules\n`);
