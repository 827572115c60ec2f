import type { Configurator } from './configurator.js';

/** §6.1: `<namespace>_<name>`, the type the caller chose, `<on_reboot>` from rebootPolicy. */
export const configureIdentity: Configurator = (vmi, ctx, domain) => {
  domain.type = ctx.domainType;
  domain.name = `${vmi.metadata.namespace}_${vmi.metadata.name}`;
  const policy = vmi.spec.domain.rebootPolicy;
  if (policy === 'Terminate') domain.onReboot = 'destroy';
  else if (policy === 'Reboot') domain.onReboot = 'restart';
};
