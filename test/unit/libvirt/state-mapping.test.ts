import { describe, expect, it } from 'vitest';
import {
  NON_EXISTENT,
  kubevirtReason,
  kubevirtState,
  kubevirtStatus,
} from '../../../src/libvirt/state-mapping.js';

// KUBEVIRT.md §5.4, row by row.
describe('libvirt state → KubeVirt status', () => {
  it.each([
    [0, 'NoState'],
    [1, 'Running'],
    [2, 'Blocked'],
    [3, 'Paused'],
    [4, 'ShuttingDown'],
    [5, 'Shutoff'],
    [6, 'Crashed'],
    [7, 'PMSuspended'],
    [8, ''],
  ])('state %i is %s', (state, status) => expect(kubevirtStatus(state)).toBe(status));
});

describe('libvirt reason → KubeVirt reason', () => {
  it.each([
    [4, 0, 'Unknown'],
    [4, 1, 'User'],
    [5, 0, 'Unknown'],
    [5, 1, 'Shutdown'],
    [5, 2, 'Destroyed'],
    [5, 3, 'Crashed'],
    [5, 4, 'Migrated'],
    [5, 5, 'Saved'],
    [5, 6, 'Failed'],
    [5, 7, 'FromSnapshot'],
    [5, 8, ''],
    [6, 0, 'Unknown'],
    [6, 1, 'Panicked'],
    [3, 0, 'Unknown'],
    [3, 1, 'User'],
    [3, 2, 'Migration'],
    [3, 3, 'Save'],
    [3, 4, 'Dump'],
    [3, 5, 'IOError'],
    [3, 6, 'Watchdog'],
    [3, 7, 'FromSnapshot'],
    [3, 8, 'ShuttingDown'],
    [3, 9, 'Snapshot'],
    [3, 10, 'Crashed'],
    [3, 11, 'StartingUp'],
    [3, 12, 'Postcopy'],
    [3, 13, 'PostcopyFailed'],
    [3, 14, ''],
    [1, 1, 'Unknown'],
    [1, 9, 'Unknown'],
    [2, 0, 'Unknown'],
    [0, 0, 'Unknown'],
    [7, 1, 'Unknown'],
    [9, 0, ''],
  ])('state %i reason %i is "%s"', (state, reason, expected) =>
    expect(kubevirtReason(state, reason)).toBe(expected),
  );

  it('combines both, and names the missing domain as KubeVirt does', () => {
    expect(kubevirtState(5, 2)).toEqual({ status: 'Shutoff', reason: 'Destroyed' });
    expect(NON_EXISTENT).toEqual({ status: 'NoState', reason: 'NonExistent' });
  });
});
