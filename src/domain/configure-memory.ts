import { VmpodError } from '../errors.js';
import type { Configurator } from './configurator.js';

/** §6.2: guest memory in bytes (defaults resolved guest → request → limit already). */
export const configureMemory: Configurator = (vmi, _ctx, domain) => {
  const bytes = vmi.spec.domain.memory.guest;
  if (bytes === undefined || bytes <= 0) {
    throw new VmpodError('VMI_INVALID', 'spec.domain.memory.guest: no guest memory', {
      facts: { path: 'spec.domain.memory.guest' },
    });
  }
  domain.memoryBytes = bytes;
};
