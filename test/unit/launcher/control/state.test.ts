import { openSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { DhcpServer } from '../../../../src/dhcp/server.js';
import { LifecycleEvent } from '../../../../src/libvirt/index.js';
import {
  type ControlSources,
  describeInput,
  eventsReport,
  netReport,
  setLogLevel,
  startTicksFromStat,
  statusReport,
} from '../../../../src/launcher/control/state.js';
import { RecentLines, createLogger, forFile } from '../../../../src/log/logger.js';

function sources(over: Partial<ControlSources> = {}): ControlSources {
  const root = createLogger({ component: 'virt-launcher', verbosity: 2, fd: openSync('/dev/null', 'w') });
  return {
    vmi: () => ({ namespace: 'default', name: 'vm', uid: 'u-1' }),
    domainName: () => 'default_vm',
    domainState: async () => ({ status: 'Running', reason: 'Unknown' }),
    nonRoot: false,
    libvirtFlavour: 'virtqemud',
    phases: () => [{ phase: 'directories', durationMs: 1.5 }],
    daemons: () => [
      {
        name: 'virtqemud',
        pid: process.pid,
        startedAt: Date.now() - 5000,
        uptimeMs: 5000,
        restarts: 1,
        consecutiveCrashes: 0,
        restartAt: undefined,
        lastExit: { at: 1, pid: 9, code: 1, signal: null, ranForMs: 10 },
      },
      {
        name: 'virtlogd',
        pid: undefined,
        startedAt: undefined,
        uptimeMs: undefined,
        restarts: 0,
        consecutiveCrashes: 0,
        restartAt: undefined,
        lastExit: undefined,
      },
    ],
    qemuPidFile: () => '/nonexistent/qemu.pid',
    qemuLogFile: () => '/nonexistent/qemu.log',
    sockets: () => [
      { name: 'here', path: '/' },
      { name: 'gone', path: '/nonexistent.sock' },
    ],
    recent: new RecentLines(),
    networks: () => [],
    history: () => undefined,
    root,
    log: forFile(root, 'control.ts'),
    ...over,
  };
}

describe('control state reports', () => {
  it('status: domain state, phases, children with liveness, sockets, last errors', async () => {
    const s = sources();
    s.recent?.tap('{"level":"error","msg":"boom"}');
    const r = await statusReport(s);
    expect(r.domain).toEqual({ name: 'default_vm', status: 'Running', reason: 'Unknown' });
    expect(r.launcher).toMatchObject({
      pid: process.pid,
      libvirt: 'virtqemud',
      logLevel: 'info',
    });
    expect(r.children.map((c) => [c.name, c.alive, c.restarts])).toEqual([
      ['virtqemud', true, 1],
      ['virtlogd', false, 0],
    ]);
    expect(r.children[0]?.uptimeMs).toBe(5000);
    expect(r.sockets.map((k) => k.exists)).toEqual([true, false]);
    expect(r.lastErrors).toEqual(['{"level":"error","msg":"boom"}']);
  });

  it('status: a domain state that cannot be read is said, not thrown', async () => {
    const r = await statusReport(
      sources({
        domainState: async () => {
          throw new Error('libvirt away');
        },
      }),
    );
    expect(r.domain).toEqual({ name: 'default_vm', error: 'libvirt away' });
  });

  it('net: the lease, the exchanges and which links differ from what was set up', async () => {
    const dhcp: DhcpServer = {
      stats: { received: 2, replied: 2, ignored: 0, malformed: 0 },
      interfaceName: 'k6t-eth0',
      lease: {
        address: '10.0.0.5',
        prefixLength: 24,
        serverId: '169.254.75.10',
        gateway: '10.0.0.1',
        dns: ['10.96.0.10'],
        searchDomains: ['cluster.local'],
        clientMac: Uint8Array.from([2, 0, 0, 0, 0, 1]),
      },
      recentExchanges: () => [
        { at: 1, client: '02:00:00:00:00:01', xid: 7, request: 'DISCOVER', reply: 'OFFER' },
      ],
      close: async () => undefined,
    };
    const r = await netReport(
      sources({
        networks: () => [
          { guest: { alias: 'ua-default', targetDevice: 'tap0', mac: '02:00:00:00:00:01', mtu: 1450 }, dhcp },
        ],
        links: async () => [
          {
            name: 'tap0',
            kind: 'tun',
            mac: 'x',
            mtu: 1500,
            up: true,
            operState: 'UP',
            master: 'k6t-eth0',
            addresses: [],
          },
          {
            name: 'k6t-eth0',
            kind: 'bridge',
            mac: 'y',
            mtu: 1450,
            up: false,
            operState: 'DOWN',
            master: undefined,
            addresses: [],
          },
        ],
      }),
    );
    const i = r.interfaces[0];
    expect(i?.name).toBe('default');
    expect(i?.dhcp?.lease).toMatchObject({ address: '10.0.0.5', clientMac: '02:00:00:00:00:01' });
    expect(i?.dhcp?.exchanges).toHaveLength(1);
    expect(i?.checks.filter((c) => !c.ok).map((c) => [c.what, c.desired, c.current])).toEqual([
      ['tap0 mtu', '1450', '1500'],
      ['k6t-eth0 up', 'up', 'down'],
    ]);
  });

  it('net: links that cannot be listed are reported beside the desired layout', async () => {
    const r = await netReport(
      sources({
        links: async () => {
          throw new Error('no ip');
        },
      }),
    );
    expect(r.linksError).toBe('no ip');
  });

  it('events: not listening before the pipeline starts; then events named as libvirt names them', () => {
    expect(eventsReport(sources()).listening).toBe(false);
    const r = eventsReport(
      sources({
        history: () => ({
          events: [
            {
              at: 1,
              domain: 'd',
              trigger: { kind: 'lifecycle', event: LifecycleEvent.STARTED, detail: 0 },
              dropped: false,
            },
          ],
          notifications: [
            {
              at: 2,
              domain: 'd',
              type: 'ADDED',
              status: 'Running',
              reason: 'Unknown',
              trigger: 'lifecycle',
              delivered: true,
            },
          ],
          totals: { events: 1, notifications: 1 },
        }),
      }),
    );
    expect(r.events[0]?.what).toBe('lifecycle STARTED (detail 0)');
    expect(r.notifications).toHaveLength(1);
  });

  it('describes every kind of input', () => {
    expect(describeInput({ kind: 'refresh' }, 1)).toBe('agent CONNECTED');
    expect(describeInput({ kind: 'refresh' }, 2)).toBe('agent DISCONNECTED');
    expect(describeInput({ kind: 'jobCompleted', operation: 3, success: true })).toBe(
      'job completed (operation 3, success true)',
    );
    expect(describeInput({ kind: 'lifecycle', event: 42, detail: 1 })).toBe('lifecycle 42 (detail 1)');
    expect(describeInput({ kind: 'metadata' })).toBe('metadata');
  });

  it('log-level changes the root level at once and refuses unknown levels', () => {
    const s = sources();
    const child = forFile(s.root, 'deep.ts');
    expect(setLogLevel(s, 'debug')).toEqual({ from: 'info', to: 'debug' });
    expect(child.isLevelEnabled('debug')).toBe(true);
    expect(setLogLevel(s, '2')).toEqual({ from: 'debug', to: 'info' });
    expect(() => setLogLevel(s, 'loud')).toThrow(expect.objectContaining({ code: 'CONTROL_BAD_LEVEL' }));
  });
});

describe('reading the system', () => {
  it('takes the start time from /proc/<pid>/stat even when the name has spaces and parentheses', () => {
    const stat = `42 (a (b) c) S 1 42 42 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 98765 1000 10 ...`;
    expect(startTicksFromStat(stat)).toBe(98765);
    expect(startTicksFromStat('garbage')).toBeUndefined();
  });
});
