import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { examplesDir, goldenDir } from '../unit/domain/golden-context.js';

// Real inputs reused as seeds (never copied): KubeVirt's example VMIs and vmpod's own, as the
// JSON virt-handler puts in vmiJson, and the golden domain XML the converter produces.

/** Every example VMI as a decoded document. */
export function exampleVmis(): unknown[] {
  const own = join(goldenDir, 'vmis');
  return [
    ...readdirSync(examplesDir)
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => join(examplesDir, f)),
    ...readdirSync(own)
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => join(own, f)),
  ].map((file) => parseYaml(readFileSync(file, 'utf8')) as unknown);
}

/** Every example VMI as compact JSON text, the way virt-handler marshals vmiJson. */
export function exampleVmiJson(): string[] {
  return exampleVmis().map((doc) => JSON.stringify(doc));
}

/** The golden domain XML files of test/unit/domain/golden and the live q35 fixture. */
export function goldenDomainXml(): string[] {
  const files = readdirSync(goldenDir)
    .filter((f) => f.endsWith('.xml'))
    .map((f) => join(goldenDir, f));
  return [...files, join(goldenDir, '..', 'domain-json', 'fixtures', 'live-q35.xml')].map((file) =>
    readFileSync(file, 'utf8'),
  );
}
