import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VmpodError } from '../../../src/errors.js';
import { failureReport, writeFailureReport } from '../../../src/launcher/failure-report.js';
import { StartupError } from '../../../src/launcher/phases.js';

describe('the start-up failure report', () => {
  it('names the phase, the cause chain without the wrapper, and hints by code and phase', () => {
    const spawn = Object.assign(new Error('spawn /usr/sbin/virtqemud ENOENT'), { code: 'ENOENT' });
    const err = new StartupError(
      'libvirt-connect',
      new VmpodError('LIBVIRT_DAEMON_FAILED', 'virtqemud keeps exiting', { cause: spawn }),
    );
    const r = failureReport('libvirt-connect', err, new Date(0));
    expect(r).toMatchObject({
      phase: 'libvirt-connect',
      code: 'LIBVIRT_DAEMON_FAILED',
      at: '1970-01-01T00:00:00.000Z',
    });
    expect(r.causes).toEqual([
      'LIBVIRT_DAEMON_FAILED: virtqemud keeps exiting',
      'ENOENT: spawn /usr/sbin/virtqemud ENOENT',
    ]);
    expect(r.lookAt[0]).toContain('keeps exiting');
    expect(r.lookAt.some((l) => l.includes('subcomponent "libvirt"'))).toBe(true);
  });

  it('has a hint for every start-up phase the launcher names, and a fallback', () => {
    for (const phase of [
      'flags',
      'directories',
      'libvirt-config',
      'libvirt-start',
      'libvirt-connect',
      'libvirt-client',
      'vmi',
      'cmd-server',
      'domain-events',
      'wait-domain',
      'domain-type',
      'vmi-directories',
      'network',
      'disks',
      'convert',
      'define',
      'start',
    ]) {
      expect(failureReport(phase, new Error('x')).lookAt.length, phase).toBeGreaterThan(0);
    }
    expect(failureReport('mystery', 'a string was thrown')).toMatchObject({
      causes: ['a string was thrown'],
      code: undefined,
      lookAt: ['the log lines just above this one'],
    });
  });

  it('is written atomically as JSON, and a failure to write is returned, not thrown', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vmpod-report-'));
    try {
      const path = join(dir, 'vmpod', 'failure.json');
      const report = failureReport('network', new VmpodError('NETWORK_LINK_MISSING', 'no eth0'));
      expect(writeFailureReport(report, path)).toBeUndefined();
      expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual(report);
      // A parent that is a file: the write fails with ENOTDIR.
      expect(writeFailureReport(report, join(path, 'x', 'failure.json'))).toBeInstanceOf(Error);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
