// The converter's public surface: VMI → libvirt domain (model and XML).

export { CONFIGURATORS, convertVmi, convertVmiToXml } from './convert.js';
export { defaultContext } from './context.js';
export type { ConvertContext, SmbiosOptions } from './context.js';
export type { Configurator } from './configurator.js';
export { encodeDomainXml } from './domain-xml.js';
export type * from './domain-types.js';
