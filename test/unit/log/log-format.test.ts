import { describe, expect, it } from 'vitest';
import { parseLibvirtLine } from '../../../src/log/libvirt-line.js';
import { kubevirtTimestamp, levelForVerbosity } from '../../../src/log/logger.js';

describe('KubeVirt log format', () => {
  it('stamps UTC with microseconds', () => {
    expect(kubevirtTimestamp(Date.UTC(2024, 0, 2, 3, 4, 5, 678) + 0.9123)).toBe(
      '2024-01-02T03:04:05.678912Z',
    );
    expect(kubevirtTimestamp()).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  });

  it('maps verbosity to levels', () => {
    expect(levelForVerbosity(2)).toBe('info');
    expect(levelForVerbosity(4)).toBe('debug');
    expect(levelForVerbosity(9)).toBe('trace');
  });
});

describe('libvirt log lines', () => {
  it('splits time, thread, severity, position and message', () => {
    expect(
      parseLibvirtLine(
        '2026-11-22 02:25:25.918+0000: 32: error : virNetServerProgramDispatchCall:401 : authentication required',
      ),
    ).toEqual({
      timestamp: '2026-11-22 02:25:25.918+0000',
      thread: '32',
      level: 'error',
      pos: 'virNetServerProgramDispatchCall:401',
      msg: 'authentication required',
    });
  });

  it('turns debug into info and keeps warnings', () => {
    expect(parseLibvirtLine('2026-11-22 02:25:25.918+0000: 1: debug : a:1 : x').level).toBe('info');
    expect(parseLibvirtLine('2026-11-22 02:25:25.918+0000: 1: warning : a:1 : x').level).toBe('warning');
  });

  it('passes any other line through as the message', () => {
    expect(parseLibvirtLine('plain text : with colons')).toEqual({
      level: 'info',
      msg: 'plain text : with colons',
    });
  });
});
