import { describe, expect, it } from 'vitest';
import { launcherExitToMonitorCode } from '../../../src/supervisor/exit-code.js';
import { parseStat } from '../../../src/supervisor/proc-table.js';
import { decodeWaitStatus } from '../../../src/supervisor/waitpid.js';

describe('/proc/<pid>/stat', () => {
  it('reads pid, comm, state and parent', () => {
    expect(parseStat('42 (qemu-system-x86) Z 1 42 42 0 -1 4194560')).toEqual({
      pid: 42,
      comm: 'qemu-system-x86',
      state: 'Z',
      ppid: 1,
    });
  });

  it('copes with spaces and parentheses inside comm', () => {
    expect(parseStat('7 (a) b (c)) S 3 7 7')).toMatchObject({ comm: 'a) b (c)', state: 'S', ppid: 3 });
  });

  it('refuses garbage', () => {
    expect(parseStat('')).toBeUndefined();
    expect(parseStat('x (y')).toBeUndefined();
  });
});

describe('wait status and exit codes', () => {
  it('decodes an exit code and a terminating signal', () => {
    expect(decodeWaitStatus(5, 3 << 8)).toEqual({ pid: 5, code: 3, signal: null });
    expect(decodeWaitStatus(5, 9)).toEqual({ pid: 5, code: null, signal: 9 });
  });

  it("reports the launcher's code, or 255 when a signal killed it", () => {
    expect(launcherExitToMonitorCode(0)).toBe(0);
    expect(launcherExitToMonitorCode(2)).toBe(2);
    expect(launcherExitToMonitorCode(null)).toBe(255);
  });
});
