import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { convertVmiToXml } from '../../../src/domain/index.js';
import { loadVmi } from '../../../src/vmi/index.js';
import { goldenContext, goldenDir, goldenInputs } from './golden-context.js';

// Golden domain XML for every KubeVirt example and vmpod's own VMIs. UPDATE_GOLDEN=1 rewrites
// the files; review the diff against KUBEVIRT.md §6 before committing it.

describe('golden domain XML', () => {
  it('covers every KubeVirt example', () => {
    expect(goldenInputs().filter((i) => !i.name.startsWith('vmpod-')).length).toBeGreaterThanOrEqual(11);
  });

  for (const { name, file } of goldenInputs()) {
    it(`converts ${name} exactly as the golden file says`, () => {
      const vmi = loadVmi(readFileSync(file, 'utf8'));
      const xml = convertVmiToXml(vmi, goldenContext(vmi));
      expect(XMLValidator.validate(xml)).toBe(true);
      const path = join(goldenDir, `${name}.xml`);
      if (process.env.UPDATE_GOLDEN === '1') {
        mkdirSync(goldenDir, { recursive: true });
        writeFileSync(path, xml);
      }
      expect(xml).toBe(readFileSync(path, 'utf8'));
    });
  }
});

describe('escaping', () => {
  const vmi = loadVmi(readFileSync(join(goldenDir, 'vmis', 'escaping.yaml'), 'utf8'));
  const xml = convertVmiToXml(vmi, goldenContext(vmi));
  const parsed = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    parseTagValue: false,
  }).parse(xml);
  const dom = parsed.domain;

  it('produces well-formed XML with one element where the VMI tried to inject more', () => {
    expect(XMLValidator.validate(xml)).toBe(true);
    expect(xml).not.toContain('<x/>');
    expect(dom.x).toBeUndefined();
    expect(dom.sysinfo.system.entry.filter((e: { '@_name': string }) => e['@_name'] === 'x')).toEqual([]);
  });

  it('keeps every VMI string intact through a parse', () => {
    const serial = dom.sysinfo.system.entry.find((e: { '@_name': string }) => e['@_name'] === 'serial');
    expect(serial['#text']).toBe(`'"<>& </entry><entry name='x'>pwn</entry>`);
    expect(dom.os.cmdline).toBe(`console=ttyS0 a='1' b="2" c=<3> d=& </cmdline><x/>`);
    expect(dom.os.kernel).toBe(`/var/run/kubevirt/container-disks/kernel-boot/vm'"<>&linuz`);
    expect(dom.os.initrd).toBe('/var/run/kubevirt/container-disks/kernel-boot/<initrd>&');
    expect(dom.cpu.model).toBe(`Model'"<>&</model>`);
    expect(dom.devices.disk.source['@_file']).toBe(`/var/run/kubevirt-private/vmi-disks/d/<a&b>'".img`);
    expect(dom.devices.serial.source['@_path']).toBe(`/var/run/kubevirt-private/a'"<>&<uid><x>/virt-serial0`);
  });
});
