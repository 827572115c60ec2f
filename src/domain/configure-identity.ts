import type { Configurator } from './configurator.js';

/** §6.1: `<namespace>_<name>`; the domain type was chosen by the caller. */
export const configureIdentity: Configurator = (vmi, ctx, domain) => {
  domain.type = ctx.domainType;
  domain.name = `${vmi.metadata.namespace}_${vmi.metadata.name}`;
};
