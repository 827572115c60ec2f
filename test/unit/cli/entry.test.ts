import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../../src/cli/entry.js';

describe('entry points', () => {
  it('chooses the role from the executable name, as KubeVirt starts them', () => {
    expect(parseCommand('/usr/bin/virt-launcher-monitor', ['--name', 'x'])).toEqual({
      kind: 'monitor',
      args: ['--name', 'x'],
    });
    expect(parseCommand('/usr/bin/virt-launcher', ['monitor'])).toEqual({
      kind: 'launcher',
      args: ['monitor'],
    });
  });

  it('chooses the role from the subcommand under the vmpod name', () => {
    expect(parseCommand('/x/dist/bin/vmpod', ['monitor', '-v', '3'])).toEqual({
      kind: 'monitor',
      args: ['-v', '3'],
    });
    expect(parseCommand('/x/dist/bin/vmpod', ['launcher'])).toEqual({ kind: 'launcher', args: [] });
    expect(parseCommand('vmpod', ['version']).kind).toBe('version');
    expect(parseCommand('vmpod', []).kind).toBe('help');
    expect(parseCommand('vmpod', ['frobnicate'])).toMatchObject({ kind: 'usage-error' });
  });

  it('takes the VMI file of a standalone run, leaving the launcher flags', () => {
    expect(parseCommand('vmpod', ['run', '--vmi', 'vmi.yaml', '--grace-period-seconds', '5'])).toEqual({
      kind: 'run',
      vmiPath: 'vmi.yaml',
      args: ['--grace-period-seconds', '5'],
    });
    expect(parseCommand('vmpod', ['run', '-v', '3', '--vmi=a.json'])).toEqual({
      kind: 'run',
      vmiPath: 'a.json',
      args: ['-v', '3'],
    });
    expect(parseCommand('vmpod', ['run'])).toMatchObject({ kind: 'usage-error' });
    expect(parseCommand('vmpod', ['run', '--vmi'])).toMatchObject({ kind: 'usage-error' });
  });
});
