import type { KubevirtState, KubevirtStatus } from '../../libvirt/index.js';

// What each domain-changing call does, as a pure function of the domain's KubeVirt state
// (KUBEVIRT.md §4.2 step 5, §4.3). The manager reads the state, asks here, then acts.

export type SyncAction = 'create' | 'resume' | 'none';
export type PauseAction = 'suspend' | 'none' | 'not-found';
export type UnpauseAction = 'resume' | 'none' | 'not-found';
export type ShutdownAction = 'shutdown' | 'none';
export type KillAction = 'destroy' | 'none';
export type SoftRebootAction = 'guest-agent' | 'acpi' | 'impossible';

/** libvirt does not know the domain (kubevirtState's NON_EXISTENT). */
export function isMissing(state: KubevirtState): boolean {
  return state.status === 'NoState' && state.reason === 'NonExistent';
}

/** KubeVirt's IsDown: NOSTATE, SHUTDOWN (shutting down), SHUTOFF, CRASHED. */
export function isDown(status: KubevirtStatus | ''): boolean {
  return status === 'NoState' || status === 'ShuttingDown' || status === 'Shutoff' || status === 'Crashed';
}

/** The VMI's status phase says it ran already (Running) or ended (Succeeded/Failed). */
export function vmiStartedOrFinal(phase: string | undefined): boolean {
  return phase === 'Running' || phase === 'Succeeded' || phase === 'Failed';
}

/**
 * §4.2 step 5: start a down domain only for a VMI that never ran (a Running VMI whose domain died
 * is not restarted); resume a paused domain unless a Pause call paused it.
 */
export function syncAction(
  status: KubevirtStatus | '',
  vmiPhase: string | undefined,
  pausedByUser: boolean,
): SyncAction {
  if (isDown(status)) return vmiStartedOrFinal(vmiPhase) ? 'none' : 'create';
  if (status === 'Paused' && !pausedByUser) return 'resume';
  return 'none';
}

export function pauseAction(state: KubevirtState): PauseAction {
  if (isMissing(state)) return 'not-found';
  return state.status === 'Running' ? 'suspend' : 'none';
}

export function unpauseAction(state: KubevirtState): UnpauseAction {
  if (isMissing(state)) return 'not-found';
  return state.status === 'Paused' ? 'resume' : 'none';
}

export function shutdownAction(state: KubevirtState): ShutdownAction {
  return state.status === 'Running' || state.status === 'Paused' ? 'shutdown' : 'none';
}

export function killAction(state: KubevirtState): KillAction {
  return state.status === 'Running' || state.status === 'Paused' || state.status === 'ShuttingDown'
    ? 'destroy'
    : 'none';
}

/** §4.3 SoftRebootVirtualMachine: the agent when connected, else ACPI unless it is disabled. */
export function softRebootAction(agentConnected: boolean, acpiDisabled: boolean): SoftRebootAction {
  if (agentConnected) return 'guest-agent';
  return acpiDisabled ? 'impossible' : 'acpi';
}
