// Domain names as RFC 1035 §3.1 labels, and the RFC 3397 domain search option (119) that packs
// a list of them with RFC 1035 §4.1.4 compression: a suffix already written is a 2-byte pointer
// (0xC0 | offset) to where it starts within the option's data.

const LABEL = /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/;
const MAX_NAME = 255;
const MAX_POINTER = 0x3fff;

/** The name's labels (lower-cased, trailing dot removed), or a reason it is not a valid domain. */
export function domainLabels(name: string): { labels: string[] } | { invalid: string } {
  const trimmed = name.toLowerCase().replace(/\.$/, '');
  if (trimmed === '') return { invalid: 'empty name' };
  const labels = trimmed.split('.');
  const bad = labels.find((l) => !LABEL.test(l));
  if (bad !== undefined)
    return { invalid: `label "${bad}" is not 1–63 letters, digits, hyphens or underscores` };
  const encodedLength = labels.reduce((n, l) => n + 1 + l.length, 1);
  if (encodedLength > MAX_NAME)
    return { invalid: `encodes to ${encodedLength} bytes, more than ${MAX_NAME}` };
  return { labels };
}

/** RFC 1035 wire form without compression: length-prefixed labels, then a zero byte. */
export function encodeDomainName(labels: readonly string[]): Uint8Array {
  const out: number[] = [];
  for (const l of labels) out.push(l.length, ...Buffer.from(l, 'ascii'));
  out.push(0);
  return Uint8Array.from(out);
}

/** RFC 3397 search list with compression; `labelLists` come from `domainLabels`. */
export function encodeSearchList(labelLists: readonly (readonly string[])[]): Uint8Array {
  const out: number[] = [];
  const suffixAt = new Map<string, number>();
  for (const labels of labelLists) {
    for (let i = 0; i <= labels.length; i++) {
      if (i === labels.length) {
        out.push(0);
        break;
      }
      const suffix = labels.slice(i).join('.');
      const at = suffixAt.get(suffix);
      if (at !== undefined) {
        out.push(0xc0 | (at >> 8), at & 0xff);
        break;
      }
      if (out.length <= MAX_POINTER) suffixAt.set(suffix, out.length);
      const label = labels[i] as string;
      out.push(label.length, ...Buffer.from(label, 'ascii'));
    }
  }
  return Uint8Array.from(out);
}
