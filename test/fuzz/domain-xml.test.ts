import { deviceAliases } from '../../src/domain/domain-json/device-aliases.js';
import { domainSpecFromXml } from '../../src/domain/domain-json/domain-spec.js';
import { goldenDomainXml } from './examples.js';
import { text, utf8 } from './harness.js';
import { fuzzSuite } from './suite.js';

// Live domain XML from libvirt (virDomainGetXMLDesc) → KubeVirt's api.DomainSpec JSON and the
// target-dev → alias map (GetDomain, GetDomainStats, events). DOMAIN_XML_MALFORMED or another
// VmpodError only.

fuzzSuite(() => ({
  name: 'domain-xml',
  seeds: goldenDomainXml().map(utf8),
  dictionary: [
    '<',
    '>',
    '/>',
    '</',
    '="',
    "='",
    '&amp;',
    '&#x0;',
    '<![CDATA[',
    ']]>',
    '<!--',
    '-->',
    '<disk',
    '<interface',
    '<alias name="',
    '<target dev="',
    '<devices>',
    '</devices>',
    '<domain>',
    ' type="',
    '<metadata>',
    '<kubevirt>',
    '<uid>',
  ].map(utf8),
  maxLength: 12 * 1024,
  run(input) {
    deviceAliases(domainSpecFromXml(text(input)));
  },
}));
