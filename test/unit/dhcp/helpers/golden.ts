// Annotated golden packets: one field per line, hex bytes then `//` and the decoded value.
// `00*64` stands for 64 zero bytes; `"text"` for the text's ASCII bytes.
export function golden(text: string): Uint8Array {
  const out: number[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\/\/.*$/, '').trim();
    for (const tok of line.match(/"[^"]*"|\S+/g) ?? []) {
      if (tok.startsWith('"')) out.push(...Buffer.from(tok.slice(1, -1), 'ascii'));
      else if (tok.includes('*')) {
        const [byte, count] = tok.split('*');
        for (let i = 0; i < Number(count); i++) out.push(Number.parseInt(byte as string, 16));
      } else out.push(Number.parseInt(tok, 16));
    }
  }
  if (out.some((b) => Number.isNaN(b) || b < 0 || b > 255)) throw new Error('bad golden text');
  return Uint8Array.from(out);
}

export const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
