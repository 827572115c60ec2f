import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { domainSpecFromXml } from '../../../../src/domain/domain-json/index.js';
import { specParser } from '../../../../src/launcher/domain-manager/get-domain.js';

// GetDomain's XML → Spec memo: an unchanged XML is parsed once, a changed one again, and the
// result is what an unmemoised parse gives.

const golden = (name: string) =>
  readFileSync(new URL(`../../domain/golden/${name}.xml`, import.meta.url), 'utf8');

describe('specParser', () => {
  it('parses an unchanged XML once and a changed XML again', () => {
    const parse = specParser();
    const a = golden('vmi-fedora');
    const b = golden('vmi-sata');
    const first = parse(a);
    expect(first).toEqual(domainSpecFromXml(a));
    expect(parse(a)).toBe(first);
    const second = parse(b);
    expect(second).not.toBe(first);
    expect(second).toEqual(domainSpecFromXml(b));
    expect(parse(a)).toEqual(first);
  });

  it('remembers nothing from XML that does not parse', () => {
    const parse = specParser();
    const a = golden('vmi-fedora');
    const first = parse(a);
    expect(() => parse('<domain')).toThrow(expect.objectContaining({ code: 'DOMAIN_XML_MALFORMED' }));
    expect(parse(a)).toBe(first);
  });
});
