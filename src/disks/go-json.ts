// JSON text byte-identical to Go's encoding/json for the values KubeVirt marshals: compact, and
// with Go's HTML-safe escapes (<, >, & and the JS line separators), which JSON.stringify omits.
// Callers build objects with keys already in Go's struct-field order.

const GO_ESCAPES: Readonly<Record<string, string>> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

export function goJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => GO_ESCAPES[c] ?? c);
}

/** Go marshals a map with its keys sorted bytewise. */
export function sortedRecord(record: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(record).sort(compareBytes)) out[key] = record[key] ?? '';
  return out;
}

function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
