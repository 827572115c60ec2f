// The launcher's domain manager: KubeVirt's command semantics against libvirt (KUBEVIRT.md §4).
export { DomainManager, type DomainManagerDeps } from './domain-manager.js';
export type { AgentSnapshot } from './agent-snapshot.js';
export { type DomainCommands, cmdHandlers } from './handlers.js';
export { NO_VALID_VMI, type RequestVmi, decodeRequestVmi, domainNameFor } from './request-vmi.js';
export type { DomainType } from './pre-start.js';
