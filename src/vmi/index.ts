import { applyDefaults } from './apply-defaults.js';
import { parseVmiObject, parseVmiText } from './parse-vmi.js';
import type { Vmi } from './types.js';

// The VMI's public surface: parse (JSON or YAML), validate, default.

export { applyDefaults, parseVmiObject, parseVmiText };
export { firmwareUuidForName } from './firmware-uuid.js';
export { parseBytes, parseQuantity } from './quantity.js';
export type * from './types.js';

/** Text → a checked, defaulted VMI, as virt-handler would hand it over. */
export function loadVmi(text: string): Vmi {
  return applyDefaults(parseVmiText(text));
}
