import { fullVmi, decodeRequestVmi } from '../../src/launcher/domain-manager/request-vmi.js';
import { parseVmiText } from '../../src/vmi/parse-vmi.js';
import { exampleVmiJson } from './examples.js';
import { text, utf8 } from './harness.js';
import { mutateJson } from './json-mutator.js';
import { fuzzSuite } from './suite.js';

// The VMI in a request's vmiJson, as SyncVirtualMachine reads it: JSON text → the identity every
// call checks (decodeRequestVmi) → the full, validated and defaulted VMI (parseVmiObject,
// applyDefaults). Seeds are KubeVirt's example VMIs; half the mutations are structural (valid JSON
// of the wrong shape), the rest damage the text. Only VmpodErrors (VMI_*, NOT_SUPPORTED…) allowed.
// The same texts also go through parseVmiText, the JSON-or-YAML reader of `vmpod` commands.

const seeds = exampleVmiJson().map(utf8);
const dictionary = [
  '{',
  '}',
  '[',
  ']',
  '"',
  ':',
  ',',
  'null',
  '"name"',
  '"spec"',
  '"domain"',
  '"devices"',
  '"disks"',
  '"interfaces"',
  '"volumes"',
  '"networks"',
  '"memory"',
  '"guest"',
  '"resources"',
  '"cpu"',
  '"1Gi"',
  '-1',
  '1e999',
  '\\u0000',
].map(utf8);

fuzzSuite(() => ({
  name: 'vmi-json',
  seeds,
  mutators: [mutateJson, mutateJson, mutateJson],
  dictionary,
  maxLength: 32 * 1024,
  run(input) {
    fullVmi(decodeRequestVmi(input));
  },
}));

fuzzSuite(() => ({
  name: 'vmi-text',
  seeds,
  mutators: [mutateJson],
  dictionary: [
    ...dictionary,
    ...['\n', '- ', ': ', '&a ', '*a', '!!str ', '---\n', '? ', '|\n', '%YAML 1.2\n'].map(utf8),
  ],
  // yaml needs ~10 µs a byte on damaged flow collections: 4 KiB keeps an input under the hang limit.
  maxLength: 4 * 1024,
  run(input) {
    parseVmiText(text(input));
  },
}));
