// vmpod's guest-agent support: pollers that keep a snapshot of what the agent says (KUBEVIRT.md
// §5.2), its JSON for GetGuestInfo/GetUsers/GetFilesystems and the domain status (§4.4, §4.7),
// and the one-shot calls GuestPing, Exec and the fsfreeze status (§4.3, §4.6).
export {
  GuestAgentPoller,
  DEFAULT_AGENT_INTERVALS,
  firstPeriod,
  nextPeriod,
  type AgentIntervals,
} from './poller.js';
export {
  emptySnapshot,
  type AgentCommandInfo,
  type AgentFilesystem,
  type AgentFilesystemDisk,
  type AgentLoad,
  type AgentSnapshot,
  type AgentTimezone,
  type AgentUser,
} from './snapshot.js';
export {
  domainStatusAgentFields,
  guestAgentInfoJson,
  guestFilesystemsJson,
  guestUsersJson,
  type DomainStatusAgentFields,
} from './agent-json.js';
export { fsFreezeStatus, guestExec, guestPing, type AgentDomain } from './commands.js';
export { GuestInfoType } from './guest-info-params.js';
