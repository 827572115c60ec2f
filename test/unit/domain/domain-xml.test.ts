import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { CONFIGURATORS, convertVmi, convertVmiToXml, defaultContext } from '../../../src/domain/index.js';
import { emptyDomain } from '../../../src/domain/domain-types.js';
import { encodeDomainXml } from '../../../src/domain/domain-xml.js';
import { vmiWith } from './fixtures.js';

const parse = (xml: string) =>
  new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_' }).parse(xml).domain;

describe('domain XML', () => {
  it('writes an empty <features/> when the VMI has no features', () => {
    expect(convertVmiToXml(vmiWith(), defaultContext())).toContain('  <features/>\n');
  });
  it('carries the qemu namespace, the kubevirt metadata and the memory in bytes', () => {
    const xml = convertVmiToXml(vmiWith(), defaultContext({ domainType: 'qemu' }));
    expect(
      xml.startsWith('<domain type="qemu" xmlns:qemu="http://libvirt.org/schemas/domain/qemu/1.0">\n'),
    ).toBe(true);
    expect(xml).toContain('<kubevirt xmlns="http://kubevirt.io">\n      <uid/>\n    </kubevirt>');
    expect(parse(xml).memory).toEqual({ '#text': 67108864, '@_unit': 'b' });
  });
  it('refuses text XML 1.0 cannot carry instead of writing a broken document', () => {
    const d = emptyDomain('kvm', 'bad\u0001name');
    expect(() => encodeDomainXml(d)).toThrow(expect.objectContaining({ code: 'DOMAIN_INVALID_TEXT' }));
  });
  it('runs every configurator in order, once', () => {
    expect(new Set(CONFIGURATORS).size).toBe(CONFIGURATORS.length);
    const d = convertVmi(vmiWith({ devices: { inputs: [{ name: 't', type: 'tablet' }] } }), defaultContext());
    // Controllers run after inputs, so the USB tablet switched the USB controller on.
    expect(d.devices.controllers.find((c) => c.type === 'usb')?.model).toBe('qemu-xhci');
    expect(d.name).toBe('ns_vm');
    expect(d.vcpus).toBe(1);
  });
});
