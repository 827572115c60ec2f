import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

// Integration tests run the built entry points; `npm test` builds first, a lone vitest run may not.
const root = resolve(import.meta.dirname, '../..');
let built: Promise<void> | undefined;

export function buildOnce(): Promise<void> {
  if (existsSync(resolve(root, 'dist/bin/virt-launcher-monitor')) && process.env.VMPOD_REBUILD !== '1') {
    return Promise.resolve();
  }
  built ??= promisify(execFile)('node', [resolve(root, 'scripts/build.mjs')]).then(() => undefined);
  return built;
}
