import { defaultContext } from '../../../src/domain/context.js';
import type { ConvertContext } from '../../../src/domain/context.js';
import { type Domain, emptyDomain } from '../../../src/domain/domain-types.js';
import type { Configurator } from '../../../src/domain/configurator.js';
import { applyDefaults, parseVmiObject, type Vmi } from '../../../src/vmi/index.js';

// A small defaulted VMI to hand one configurator at a time; `spec` and `metadata` merge shallowly.

export function vmiWith(
  domain: Record<string, unknown> = {},
  spec: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
): Vmi {
  return applyDefaults(
    parseVmiObject({
      metadata: { name: 'vm', namespace: 'ns', uid: 'u-1' },
      spec: {
        domain: { memory: { guest: '64Mi' }, ...domain },
        ...spec,
      },
      ...extra,
    }),
  );
}

export function run(configure: Configurator, vmi: Vmi, ctx: Partial<ConvertContext> = {}): Domain {
  const domain = emptyDomain('kvm', '');
  configure(vmi, defaultContext(ctx), domain);
  return domain;
}
