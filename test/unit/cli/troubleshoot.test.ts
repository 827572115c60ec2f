import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../../src/cli/entry.js';
import { parseTroubleshootArgs, runTroubleshoot } from '../../../src/cli/troubleshoot/command.js';
import {
  duration,
  filterLines,
  formatEvents,
  formatLogs,
  formatNet,
  formatStatus,
  logLine,
  table,
} from '../../../src/cli/troubleshoot/format.js';
import type { NetReport, StatusReport } from '../../../src/launcher/control/protocol.js';

const status: StatusReport = {
  vmi: { namespace: 'default', name: 'vm', uid: 'u-1' },
  domain: { name: 'default_vm', status: 'Running', reason: 'Unknown' },
  launcher: {
    pid: 12,
    uptimeMs: 83_000,
    nonRoot: false,
    libvirt: 'virtqemud',
    logLevel: 'info',
  },
  monitor: { pid: 1, uptimeMs: 84_000 },
  phases: [
    { phase: 'directories', durationMs: 3 },
    { phase: 'libvirt-connect', durationMs: 812.5 },
  ],
  children: [
    {
      name: 'virtqemud',
      pid: 34,
      alive: true,
      startedAt: 1,
      uptimeMs: 80_000,
      restarts: 2,
      consecutiveCrashes: 1,
      lastExit: { at: Date.UTC(2024, 0, 1, 10, 0, 0), code: null, signal: 'SIGKILL' },
    },
    {
      name: 'virtlogd',
      pid: 35,
      alive: true,
      startedAt: 1,
      uptimeMs: 80_000,
      restarts: 0,
      consecutiveCrashes: 0,
    },
  ],
  sockets: [
    { name: 'libvirt', path: '/var/run/libvirt/virtqemud-sock', exists: true },
    { name: 'notify', path: '/var/run/kubevirt/domain-notify-pipe.sock', exists: false },
  ],
  lastErrors: [
    '{"level":"warning","timestamp":"2024-01-01T10:00:00.123456Z","pos":"libvirt-daemons.ts","msg":"virtqemud killed","daemon":"virtqemud"}',
  ],
};

describe('human output', () => {
  it('aligns columns', () => {
    expect(
      table([
        ['a', 'long'],
        ['longer', 'b'],
      ]),
    ).toEqual(['  a       long', '  longer  b']);
  });

  it.each([
    [undefined, '-'],
    [950, '950 ms'],
    [12_345, '12.3 s'],
    [245_000, '4m05s'],
    [3 * 3600_000 + 120_000, '3h02m'],
    [2 * 86_400_000 + 4 * 3600_000, '2d04h'],
  ])('writes %s ms as %s', (ms, text) => expect(duration(ms)).toBe(text));

  it('status: one fact per line, children and sockets as tables', () => {
    const text = formatStatus(status);
    expect(text).toContain('domain    default_vm: Running (Unknown)');
    expect(text).toContain('launcher  pid 12, up 1m23s, virtqemud, root, log level info');
    expect(text).toMatch(/virtqemud\s+34\s+yes\s+1m20s\s+2 \(1 in a row\)\s+signal SIGKILL at 10:00:00\.000/);
    expect(text).toMatch(/notify\s+\/var\/run\/kubevirt\/domain-notify-pipe\.sock\s+ABSENT/);
    expect(text).toContain('10:00:00.123 warning [virtqemud] libvirt-daemons.ts: virtqemud killed');
  });

  it('a launcher log line reads as time, level, file and message; other text as is', () => {
    expect(
      logLine(
        '{"timestamp":"2024-01-01T10:00:00.123456Z","level":"error","pos":"a.ts","msg":"m","reason":"r"}',
      ),
    ).toBe('10:00:00.123 error   a.ts: m (r)');
    expect(logLine('plain text')).toBe('plain text');
  });

  it('net: the lease, the checks that differ, the exchanges', () => {
    const net: NetReport = {
      interfaces: [
        {
          name: 'default',
          desired: { tap: 'tap0', mac: '02:00:00:00:00:01', mtu: 1450 },
          dhcp: {
            interface: 'k6t-eth0',
            lease: {
              address: '10.0.0.5',
              prefixLength: 24,
              gateway: '10.0.0.1',
              serverId: '169.254.75.10',
              dns: ['10.96.0.10'],
              searchDomains: [],
              hostname: 'vm',
              mtu: 1450,
              clientMac: '02:00:00:00:00:01',
            },
            stats: { received: 2, replied: 2, ignored: 0, malformed: 0 },
            exchanges: [{ at: 0, client: '02:00:00:00:00:01', xid: 255, request: 'REQUEST', reply: 'ACK' }],
          },
          checks: [{ what: 'tap0 mtu', desired: '1450', current: '1500', ok: false }],
        },
      ],
      links: [],
    };
    const text = formatNet(net);
    expect(text).toContain('lease      10.0.0.5/24 to 02:00:00:00:00:01');
    expect(text).toMatch(/tap0 mtu\s+1450\s+1500\s+DIFFERS/);
    expect(text).toMatch(/00:00:00\.000\s+REQUEST -> ACK\s+02:00:00:00:00:01\s+xid 0x000000ff/);
  });

  it('events and logs say when there is nothing', () => {
    expect(
      formatEvents({
        listening: false,
        events: [],
        notifications: [],
        totals: { events: 0, notifications: 0 },
      }),
    ).toContain('not listening');
    expect(formatLogs({ qemuLog: { path: undefined, lines: [], truncated: false }, libvirt: [] })).toContain(
      'no domain yet',
    );
  });

  it('filters by pattern, then keeps the last N', () => {
    const lines = ['a1', 'b1', 'a2', 'a3'];
    expect(filterLines(lines, { grep: /^a/ })).toEqual(['a1', 'a2', 'a3']);
    expect(filterLines(lines, { grep: /^a/, tail: 2 })).toEqual(['a2', 'a3']);
    expect(filterLines(lines, { tail: 0 })).toEqual([]);
  });
});

describe('vmpod troubleshooting arguments', () => {
  it('reaches the commands by subcommand', () => {
    expect(parseCommand('/usr/bin/vmpod', ['status', '--json'])).toEqual({
      kind: 'troubleshoot',
      command: 'status',
      args: ['--json'],
    });
    expect(parseCommand('/usr/bin/vmpod', ['log-level', 'debug'])).toMatchObject({ command: 'log-level' });
  });

  it('parses flags per command', () => {
    expect(parseTroubleshootArgs('logs', ['--grep', 'err', '--tail=5', '--json'])).toEqual({
      ok: true,
      opts: { json: true, grep: /err/, tail: 5, level: undefined, socket: undefined },
    });
    expect(parseTroubleshootArgs('log-level', ['debug'])).toMatchObject({
      ok: true,
      opts: { level: 'debug' },
    });
    expect(parseTroubleshootArgs('log-level', [])).toMatchObject({ ok: false });
    expect(parseTroubleshootArgs('status', ['--grep', 'x'])).toMatchObject({ ok: false });
    expect(parseTroubleshootArgs('logs', ['--tail', 'many'])).toMatchObject({ ok: false });
    expect(parseTroubleshootArgs('logs', ['--grep', '('])).toMatchObject({ ok: false });
    expect(parseTroubleshootArgs('net', ['extra'])).toMatchObject({ ok: false });
  });

  it('exits 3 with one line when the launcher is not running, 2 on a usage error', async () => {
    const err: string[] = [];
    const io = { stdout: () => undefined, stderr: (t: string) => err.push(t) };
    expect(await runTroubleshoot('status', ['--socket', '/nonexistent/control.sock'], io)).toBe(3);
    expect(err.join('')).toMatch(/^vmpod: the launcher is not running in this container[^\n]*\n$/);
    expect(await runTroubleshoot('status', ['--bogus'], io)).toBe(2);
  });
});
