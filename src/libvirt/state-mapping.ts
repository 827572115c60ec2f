// libvirt domain state and reason numbers → KubeVirt's Status/Reason strings (KUBEVIRT.md §5.4).
// Pure. A reason KubeVirt does not map becomes the empty string, exactly as KubeVirt reports it.

/** virDomainState */
export const DomainState = {
  NOSTATE: 0,
  RUNNING: 1,
  BLOCKED: 2,
  PAUSED: 3,
  SHUTDOWN: 4,
  SHUTOFF: 5,
  CRASHED: 6,
  PMSUSPENDED: 7,
} as const;

export type KubevirtStatus =
  | 'NoState'
  | 'Running'
  | 'Blocked'
  | 'Paused'
  | 'ShuttingDown'
  | 'Shutoff'
  | 'Crashed'
  | 'PMSuspended';

const STATUS: readonly KubevirtStatus[] = [
  'NoState',
  'Running',
  'Blocked',
  'Paused',
  'ShuttingDown',
  'Shutoff',
  'Crashed',
  'PMSuspended',
];

const SHUTDOWN_REASONS = ['Unknown', 'User'];
// SHUTOFF_DAEMON (8) is deliberately absent: KubeVirt leaves it unmapped.
const SHUTOFF_REASONS = [
  'Unknown',
  'Shutdown',
  'Destroyed',
  'Crashed',
  'Migrated',
  'Saved',
  'Failed',
  'FromSnapshot',
];
const CRASHED_REASONS = ['Unknown', 'Panicked'];
// PAUSED_API_ERROR (14) is deliberately absent: KubeVirt leaves it unmapped.
const PAUSED_REASONS = [
  'Unknown',
  'User',
  'Migration',
  'Save',
  'Dump',
  'IOError',
  'Watchdog',
  'FromSnapshot',
  'ShuttingDown',
  'Snapshot',
  'Crashed',
  'StartingUp',
  'Postcopy',
  'PostcopyFailed',
];

export interface KubevirtState {
  status: KubevirtStatus | '';
  reason: string;
}

/** An unknown state number maps to an empty status, which KubeVirt treats as "not alive". */
export function kubevirtStatus(state: number): KubevirtStatus | '' {
  return STATUS[state] ?? '';
}

export function kubevirtReason(state: number, reason: number): string {
  switch (state) {
    case DomainState.SHUTDOWN:
      return SHUTDOWN_REASONS[reason] ?? '';
    case DomainState.SHUTOFF:
      return SHUTOFF_REASONS[reason] ?? '';
    case DomainState.CRASHED:
      return CRASHED_REASONS[reason] ?? '';
    case DomainState.PAUSED:
      return PAUSED_REASONS[reason] ?? '';
    case DomainState.RUNNING:
    case DomainState.BLOCKED:
    case DomainState.NOSTATE:
    case DomainState.PMSUSPENDED:
      return 'Unknown';
    default:
      return '';
  }
}

export function kubevirtState(state: number, reason: number): KubevirtState {
  return { status: kubevirtStatus(state), reason: kubevirtReason(state, reason) };
}

/** What KubeVirt reports for a domain that libvirt does not know. */
export const NON_EXISTENT: KubevirtState = { status: 'NoState', reason: 'NonExistent' };
