import { describe, expect, it } from 'vitest';
import {
  isDown,
  killAction,
  pauseAction,
  shutdownAction,
  softRebootAction,
  syncAction,
  unpauseAction,
} from '../../../../src/launcher/domain-manager/decisions.js';
import { type KubevirtStatus, NON_EXISTENT } from '../../../../src/libvirt/index.js';

const state = (status: KubevirtStatus) => ({ status, reason: 'Unknown' });

describe('Sync decision (KUBEVIRT.md §4.2 step 5)', () => {
  it.each([
    // status, VMI phase, paused by user → action
    ['Shutoff', undefined, false, 'create'],
    ['Shutoff', 'Scheduled', false, 'create'],
    ['NoState', 'Scheduling', false, 'create'],
    ['Crashed', 'Scheduled', false, 'create'],
    ['ShuttingDown', 'Scheduled', false, 'create'],
    ['Shutoff', 'Running', false, 'none'],
    ['Shutoff', 'Succeeded', false, 'none'],
    ['Crashed', 'Failed', false, 'none'],
    ['Paused', 'Running', false, 'resume'],
    ['Paused', 'Running', true, 'none'],
    ['Running', 'Running', false, 'none'],
    ['Running', undefined, false, 'none'],
    ['Blocked', 'Running', false, 'none'],
    ['PMSuspended', 'Running', false, 'none'],
  ] as const)('%s domain, VMI phase %s, paused by user %s → %s', (status, phase, byUser, action) => {
    expect(syncAction(status, phase, byUser)).toBe(action);
  });

  it('counts NoState, ShuttingDown, Shutoff and Crashed as down', () => {
    const all: KubevirtStatus[] = [
      'NoState',
      'Running',
      'Blocked',
      'Paused',
      'ShuttingDown',
      'Shutoff',
      'Crashed',
      'PMSuspended',
    ];
    expect(all.filter(isDown)).toEqual(['NoState', 'ShuttingDown', 'Shutoff', 'Crashed']);
  });
});

describe('lifecycle decisions (KUBEVIRT.md §4.3)', () => {
  it('pauses only a running domain; a missing one is not found', () => {
    expect(pauseAction(state('Running'))).toBe('suspend');
    expect(pauseAction(state('Paused'))).toBe('none');
    expect(pauseAction(state('Shutoff'))).toBe('none');
    expect(pauseAction(NON_EXISTENT)).toBe('not-found');
  });

  it('unpauses only a paused domain; a missing one is not found', () => {
    expect(unpauseAction(state('Paused'))).toBe('resume');
    expect(unpauseAction(state('Running'))).toBe('none');
    expect(unpauseAction(NON_EXISTENT)).toBe('not-found');
  });

  it('shuts down a running or paused domain, nothing else', () => {
    expect(shutdownAction(state('Running'))).toBe('shutdown');
    expect(shutdownAction(state('Paused'))).toBe('shutdown');
    expect(shutdownAction(state('ShuttingDown'))).toBe('none');
    expect(shutdownAction(state('Shutoff'))).toBe('none');
    expect(shutdownAction(NON_EXISTENT)).toBe('none');
  });

  it('kills a running, paused or shutting-down domain, nothing else', () => {
    expect(killAction(state('Running'))).toBe('destroy');
    expect(killAction(state('Paused'))).toBe('destroy');
    expect(killAction(state('ShuttingDown'))).toBe('destroy');
    expect(killAction(state('Shutoff'))).toBe('none');
    expect(killAction(state('Crashed'))).toBe('none');
    expect(killAction(NON_EXISTENT)).toBe('none');
  });

  it('soft-reboots through the agent when connected, else ACPI unless disabled', () => {
    expect(softRebootAction(true, true)).toBe('guest-agent');
    expect(softRebootAction(true, false)).toBe('guest-agent');
    expect(softRebootAction(false, false)).toBe('acpi');
    expect(softRebootAction(false, true)).toBe('impossible');
  });
});
