import { describe, expect, it } from 'vitest';
import {
  JobOperation,
  type PipelineTrigger,
  decideNotification,
  rfc3339Seconds,
} from '../../../../src/launcher/events/event-type.js';
import { LifecycleEvent as E } from '../../../../src/libvirt/index.js';

const lc = (event: number, detail: number): PipelineTrigger => ({ kind: 'lifecycle', event, detail });
const job = (operation: number | undefined): PipelineTrigger => ({
  kind: 'jobCompleted',
  operation,
  success: true,
});

// KUBEVIRT.md §5.3, one row per case; `reason` is what the lookup said.
const rows: [string, PipelineTrigger, string, { type: 'ADDED' | 'MODIFIED'; gone: boolean }][] = [
  ['DEFINED/ADDED', lc(E.DEFINED, 0), 'Unknown', { type: 'ADDED', gone: false }],
  ['DEFINED/UPDATED', lc(E.DEFINED, 1), 'Unknown', { type: 'MODIFIED', gone: false }],
  ['STARTED/MIGRATED', lc(E.STARTED, 1), 'Unknown', { type: 'ADDED', gone: false }],
  ['STARTED/BOOTED', lc(E.STARTED, 0), 'Unknown', { type: 'MODIFIED', gone: false }],
  ['UNDEFINED, domain gone', lc(E.UNDEFINED, 0), 'NonExistent', { type: 'MODIFIED', gone: true }],
  ['UNDEFINED/RENAMED, domain gone', lc(E.UNDEFINED, 1), 'NonExistent', { type: 'MODIFIED', gone: true }],
  ['UNDEFINED, domain still there', lc(E.UNDEFINED, 0), 'Destroyed', { type: 'MODIFIED', gone: false }],
  ['STOPPED/DESTROYED, transient gone', lc(E.STOPPED, 2), 'NonExistent', { type: 'MODIFIED', gone: true }],
  ['STOPPED/SHUTDOWN, persistent', lc(E.STOPPED, 0), 'Shutdown', { type: 'MODIFIED', gone: false }],
  ['STOPPED/MIGRATED, gone', lc(E.STOPPED, 3), 'NonExistent', { type: 'MODIFIED', gone: false }],
  ['RESUMED/MIGRATED', lc(E.RESUMED, 1), 'Unknown', { type: 'MODIFIED', gone: false }],
  ['SUSPENDED/PAUSED', lc(E.SUSPENDED, 0), 'User', { type: 'MODIFIED', gone: false }],
  ['SHUTDOWN', lc(E.SHUTDOWN, 0), 'User', { type: 'MODIFIED', gone: false }],
  ['PMSUSPENDED', lc(E.PMSUSPENDED, 0), 'Unknown', { type: 'MODIFIED', gone: false }],
  ['CRASHED/PANICKED', lc(E.CRASHED, 0), 'Panicked', { type: 'MODIFIED', gone: false }],
  ['job BACKUP', job(JobOperation.BACKUP), 'Unknown', { type: 'ADDED', gone: false }],
  ['job MIGRATION_OUT', job(JobOperation.MIGRATION_OUT), 'Unknown', { type: 'MODIFIED', gone: false }],
  ['job without operation', job(undefined), 'Unknown', { type: 'MODIFIED', gone: false }],
  [
    'device/memory/agent-lifecycle refresh',
    { kind: 'refresh' },
    'Unknown',
    { type: 'MODIFIED', gone: false },
  ],
  ['refresh of a vanished domain', { kind: 'refresh' }, 'NonExistent', { type: 'MODIFIED', gone: false }],
  ['agent data', { kind: 'agent' }, 'Unknown', { type: 'MODIFIED', gone: false }],
  ['reconnect', { kind: 'reconnect' }, 'Unknown', { type: 'MODIFIED', gone: false }],
  ['metadata change', { kind: 'metadata' }, 'NonExistent', { type: 'MODIFIED', gone: false }],
];

describe('decideNotification (KUBEVIRT.md §5.3)', () => {
  it.each(rows)('%s', (_label, trigger, reason, expected) => {
    expect(decideNotification(trigger, reason)).toEqual(expected);
  });
});

describe('rfc3339Seconds', () => {
  it('renders metav1.Time: whole seconds, Z', () => {
    expect(rfc3339Seconds(Date.UTC(2026, 0, 2, 3, 4, 5, 678))).toBe('2026-01-02T03:04:05Z');
  });
});
