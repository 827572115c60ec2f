import type { DomainStatusJson } from '../../domain/domain-json/model.js';
import type { AgentSnapshot } from '../agent/index.js';

// What the domain manager reads from the guest-agent module's snapshot: the agent-derived parts
// of the domain status (KUBEVIRT.md §4.4 Status.Interfaces/OSInfo/FSFreezeStatus). Load, for
// GetDomainStats (§4.5), is read straight from the snapshot.

export type { AgentSnapshot };

/** The Status fields GetDomain takes from the agent; loopback is left out of Interfaces. */
export function agentStatusFields(s: AgentSnapshot | undefined): Partial<DomainStatusJson> {
  if (!s) return {};
  const nics = s.interfaces?.filter((i) => i.InterfaceName !== 'lo') ?? null;
  return {
    Interfaces: nics === null || nics.length === 0 ? null : nics.map((i) => ({ ...i })),
    OSInfo: { ...s.os },
    FSFreezeStatus: { Status: s.fsFreezeStatus },
  };
}
