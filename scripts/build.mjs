#!/usr/bin/env node
// Bundles vmpod into dist/lib (ESM, code-split so each role loads only what it uses) and writes
// the executable entry points dist/bin/{vmpod,virt-launcher-monitor,virt-launcher,virt-probe,
// virt-freezer,virt-tail}: a contract that tests, the demo and the container image rely on.
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));

await rm(dist, { recursive: true, force: true });
await build({
  entryPoints: { main: join(root, 'src/main.ts') },
  outdir: join(dist, 'lib'),
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Native addon: resolved from node_modules at run time.
  external: ['koffi'],
  define: { VMPOD_VERSION: JSON.stringify(pkg.version) },
  // KubeVirt's .proto files travel inside the bundle as text (src/rpc/proto-root.ts parses them).
  loader: { '.proto': 'text' },
  // Some bundled CommonJS packages call require(); give the ESM bundle one.
  banner: {
    js: "import { createRequire as __vmpodRequire } from 'node:module'; const require = __vmpodRequire(import.meta.url);",
  },
  legalComments: 'none',
  logLevel: 'warning',
});

// Small heaps: the pod pays for every megabyte (KubeVirt budgets 25 Mi + 100 Mi).
const nodeFlags = '--max-semi-space-size=1 --stack-size=984';
await mkdir(join(dist, 'bin'), { recursive: true });
for (const name of [
  'vmpod',
  'virt-launcher-monitor',
  'virt-launcher',
  'virt-probe',
  'virt-freezer',
  'virt-tail',
]) {
  const file = join(dist, 'bin', name);
  await writeFile(file, `#!/usr/bin/env -S node ${nodeFlags}\nimport '../lib/main.js';\n`);
  await chmod(file, 0o755);
}
process.stderr.write(`built ${dist}\n`);
