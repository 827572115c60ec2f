// Typed errors for the XDR codec: every failure names the field path and the byte offset, so a bad
// packet can be located without a debugger (ARCHITECTURE.md, rule 3).
import { VmpodError } from '../errors.js';

export type XdrErrorCode =
  | 'XDR_TRUNCATED'
  | 'XDR_TOO_LONG'
  | 'XDR_BAD_ENUM'
  | 'XDR_BAD_BOOL'
  | 'XDR_BAD_UNION'
  | 'XDR_BAD_OPTIONAL'
  | 'XDR_TRAILING_BYTES'
  | 'XDR_OUT_OF_RANGE';

export function xdrError(code: XdrErrorCode, path: string, offset: number, detail: string): VmpodError {
  return new VmpodError(code, `${detail} at ${path || '<root>'} (byte ${offset})`, {
    facts: { path, offset },
  });
}

/** Renders a path stack such as ['ret', 'params', 3, 'value'] as `ret.params[3].value`. */
export function renderPath(segments: readonly (string | number)[]): string {
  let out = '';
  for (const seg of segments) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out;
}
