// KubeVirt's api.Domain and stats.DomainStats JSON, built from libvirt's XML and statistics.
export * from './model.js';
export { deviceAliases } from './device-aliases.js';
export { buildDomainJson, domainStatusJson, splitLibvirtName } from './domain-object.js';
export { domainSpecFromXml, emptyDomainSpec } from './domain-spec.js';
export { MemoryStatTag, domainStatsJson } from './domain-stats.js';
