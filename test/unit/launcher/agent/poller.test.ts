import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LibvirtError, type TypedParamScalar } from '../../../../src/libvirt/index.js';
import type { AgentDomain } from '../../../../src/launcher/agent/commands.js';
import { GuestInfoType } from '../../../../src/launcher/agent/guest-info-params.js';
import {
  DEFAULT_AGENT_INTERVALS,
  GuestAgentPoller,
  firstPeriod,
  nextPeriod,
  unsupportedByLibvirt,
} from '../../../../src/launcher/agent/poller.js';
import { captureLog } from '../../../helpers/capture-log.js';

interface Agent {
  fsfreeze: string;
  os: string;
  ifaces: string[];
  fail: boolean;
  malformed: boolean;
}

const OLD_LIBVIRT_LOAD = new LibvirtError({
  code: 8,
  domain: 10,
  level: 2,
  message: "invalid argument: unsupported guest information types '0x80'",
});

function fakeDomain(agent: Agent): AgentDomain & { calls: string[] } {
  const calls: string[] = [];
  return {
    name: 'ns_vm',
    calls,
    agentCommand: async (cmd: string) => {
      const execute = (JSON.parse(cmd) as { execute: string }).execute;
      calls.push(execute);
      if (agent.fail) throw new Error('agent unresponsive');
      if (agent.malformed) return '{"return": 12';
      switch (execute) {
        case 'guest-info':
          return '{"return":{"version":"7.2.22","supported_commands":[{"name":"guest-ping","enabled":true}]}}';
        case 'guest-get-fsinfo':
          return '{"return":[{"name":"vda1","mountpoint":"/","type":"ext4","used-bytes":1,"total-bytes":2,"disk":[]}]}';
        case 'guest-fsfreeze-status':
          return JSON.stringify({ return: agent.fsfreeze });
        default:
          throw new Error(`unexpected ${execute}`);
      }
    },
    guestInfo: async (types: number) => {
      calls.push(`guestInfo:${types}`);
      if (agent.fail) throw new Error('agent unresponsive');
      const p: Record<string, TypedParamScalar> = {};
      if (types & GuestInfoType.OS) p['os.id'] = agent.os;
      if (types & GuestInfoType.HOSTNAME) p['hostname'] = 'vm';
      if (types & GuestInfoType.TIMEZONE) Object.assign(p, { 'timezone.name': 'UTC', 'timezone.offset': 0 });
      if (types & GuestInfoType.INTERFACES) {
        p['if.count'] = agent.ifaces.length;
        agent.ifaces.forEach((name, i) => {
          p[`if.${i}.name`] = name;
        });
      }
      if (types & GuestInfoType.USERS) Object.assign(p, { 'user.count': 1, 'user.0.name': 'root' });
      // libvirt before 11.2 (Debian 12 has 9.0) has no VIR_DOMAIN_GUEST_INFO_LOAD.
      if (types & GuestInfoType.LOAD) throw OLD_LIBVIRT_LOAD;
      return p;
    },
  };
}

const flush = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

describe('guest agent poller', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('periods start at min(10 s, max) and double up to the max', () => {
    expect(firstPeriod(300_000)).toBe(10_000);
    expect(firstPeriod(5_000)).toBe(5_000);
    const seq = [firstPeriod(120_000)];
    while (seq.length < 6) seq.push(nextPeriod(seq.at(-1)!, 120_000));
    expect(seq).toEqual([10_000, 20_000, 40_000, 80_000, 120_000, 120_000]);
  });

  it('runs every worker once at start and fills the snapshot', async () => {
    const agent: Agent = {
      fsfreeze: 'thawed',
      os: 'vmpod-guest',
      ifaces: ['lo', 'eth0'],
      fail: false,
      malformed: false,
    };
    const d = fakeDomain(agent);
    const { log } = captureLog();
    const p = new GuestAgentPoller({ domain: d, intervals: DEFAULT_AGENT_INTERVALS, log });
    p.start();
    await flush();
    expect(d.calls.sort()).toEqual(
      [
        'guest-info',
        'guest-get-fsinfo',
        'guest-fsfreeze-status',
        `guestInfo:${GuestInfoType.INTERFACES | GuestInfoType.OS | GuestInfoType.HOSTNAME | GuestInfoType.TIMEZONE}`,
        `guestInfo:${GuestInfoType.USERS}`,
        `guestInfo:${GuestInfoType.LOAD}`,
      ].sort(),
    );
    const s = p.snapshot();
    expect(s).toMatchObject({
      version: '7.2.22',
      hostname: 'vm',
      fsFreezeStatus: 'thawed',
      timezone: { zone: 'UTC', offsetSeconds: 0 },
      users: [{ userName: 'root', domain: '', loginTime: 0 }],
      load: undefined,
    });
    expect(s.os.Id).toBe('vmpod-guest');
    expect(s.interfaces?.map((i) => i.InterfaceName)).toEqual(['lo', 'eth0']);
    expect(s.filesystems).toHaveLength(1);
    p.stop();
  });

  it('re-polls on the doubling schedule and stops all timers on stop()', async () => {
    const agent: Agent = { fsfreeze: 'thawed', os: 'x', ifaces: [], fail: false, malformed: false };
    const d = fakeDomain(agent);
    const p = new GuestAgentPoller({ domain: d, intervals: DEFAULT_AGENT_INTERVALS, log: captureLog().log });
    p.start();
    await flush();
    const count = (c: string): number => d.calls.filter((x) => x === c).length;
    expect(count('guest-fsfreeze-status')).toBe(1);
    // fsfreeze max 5 s: every 5 s. guest-info max 300 s: 10 s, then 20 s, then 40 s …
    await vi.advanceTimersByTimeAsync(5_000);
    expect(count('guest-fsfreeze-status')).toBe(2);
    expect(count('guest-info')).toBe(1);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(count('guest-fsfreeze-status')).toBe(3);
    expect(count('guest-info')).toBe(2);
    await vi.advanceTimersByTimeAsync(19_000);
    expect(count('guest-info')).toBe(2);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(count('guest-info')).toBe(3);
    p.stop();
    expect(vi.getTimerCount()).toBe(0);
    const before = d.calls.length;
    await vi.advanceTimersByTimeAsync(600_000);
    expect(d.calls.length).toBe(before);
  });

  it('notifies only on OS, interface or fsfreeze changes', async () => {
    const agent: Agent = { fsfreeze: 'thawed', os: 'a', ifaces: ['lo'], fail: false, malformed: false };
    const p = new GuestAgentPoller({
      domain: fakeDomain(agent),
      intervals: { ...DEFAULT_AGENT_INTERVALS, sysMs: 1_000, userMs: 1_000, fileMs: 1_000, versionMs: 1_000 },
      log: captureLog().log,
    });
    let changes = 0;
    const off = p.onChange(() => {
      changes++;
    });
    p.start();
    await flush();
    const initial = changes;
    expect(initial).toBeGreaterThan(0);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(changes).toBe(initial);
    agent.fsfreeze = 'frozen';
    await vi.advanceTimersByTimeAsync(5_000);
    expect(changes).toBe(initial + 1);
    agent.ifaces = ['lo', 'eth0'];
    await vi.advanceTimersByTimeAsync(1_000);
    expect(changes).toBe(initial + 2);
    off();
    agent.os = 'b';
    await vi.advanceTimersByTimeAsync(1_000);
    expect(changes).toBe(initial + 2);
    expect(p.snapshot().os.Id).toBe('b');
    p.stop();
  });

  it('logs agent failures and keeps going', async () => {
    const agent: Agent = { fsfreeze: 'thawed', os: 'a', ifaces: [], fail: true, malformed: false };
    const { log, lines } = captureLog();
    const p = new GuestAgentPoller({ domain: fakeDomain(agent), intervals: DEFAULT_AGENT_INTERVALS, log });
    p.start();
    await flush();
    expect(lines.filter((l) => l['msg'] === 'guest agent poll failed').length).toBe(6);
    expect(p.snapshot().fsFreezeStatus).toBe('');
    agent.fail = false;
    agent.malformed = true;
    await vi.advanceTimersByTimeAsync(5_000);
    expect(lines.some((l) => l['msg'] === 'guest agent gave a malformed reply' && l['level'] === 40)).toBe(
      true,
    );
    agent.malformed = false;
    await vi.advanceTimersByTimeAsync(5_000);
    expect(p.snapshot().fsFreezeStatus).toBe('thawed');
    p.stop();
  });

  it('stops asking what libvirt does not implement, for good, and says so once', async () => {
    const agent: Agent = { fsfreeze: 'thawed', os: 'a', ifaces: [], fail: false, malformed: false };
    const d = fakeDomain(agent);
    const { log, lines } = captureLog();
    const intervals = { ...DEFAULT_AGENT_INTERVALS, sysMs: 1_000 };
    const p = new GuestAgentPoller({ domain: d, intervals, log });
    const loads = () => d.calls.filter((c) => c === `guestInfo:${GuestInfoType.LOAD}`).length;
    p.start();
    await flush();
    await vi.advanceTimersByTimeAsync(10_000);
    p.stop();
    p.start();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(loads()).toBe(1);
    const said = lines.filter(
      (l) => l['msg'] === 'libvirt does not support this guest agent query; no longer polled',
    );
    expect(said).toHaveLength(1);
    expect(said[0]).toMatchObject({ worker: 'guest-info-load', code: 'LIBVIRT_INVALID_ARG', level: 30 });
    // The other sys worker kept its 1 s period.
    expect(
      d.calls.filter((c) => c.startsWith('guestInfo:') && c !== `guestInfo:${GuestInfoType.LOAD}`).length,
    ).toBeGreaterThan(10);
    p.stop();
  });

  it('tells libvirt not implementing a request from a failing agent', () => {
    const libvirt = (code: number, message: string) =>
      new LibvirtError({ code, domain: 10, level: 2, message });
    expect(unsupportedByLibvirt(OLD_LIBVIRT_LOAD)).toBe(true);
    expect(
      unsupportedByLibvirt(libvirt(8, 'unsupported flags (0x4) in function qemuDomainGetGuestInfo')),
    ).toBe(true);
    expect(unsupportedByLibvirt(libvirt(3, 'this function is not supported by the connection driver'))).toBe(
      true,
    );
    expect(unsupportedByLibvirt(libvirt(84, 'Operation not supported: guest agent lacks command'))).toBe(
      true,
    );
    expect(unsupportedByLibvirt(libvirt(8, 'invalid argument: bad timeout'))).toBe(false);
    expect(unsupportedByLibvirt(libvirt(86, 'Guest agent is not responding'))).toBe(false);
    expect(unsupportedByLibvirt(new Error('unsupported flags (0x80)'))).toBe(false);
  });

  it('a listener that throws is logged, and start/stop are idempotent', async () => {
    const agent: Agent = { fsfreeze: 'thawed', os: 'a', ifaces: [], fail: false, malformed: false };
    const { log, lines } = captureLog();
    const p = new GuestAgentPoller({ domain: fakeDomain(agent), intervals: DEFAULT_AGENT_INTERVALS, log });
    p.onChange(() => {
      throw new Error('listener bug');
    });
    p.start();
    p.start();
    await flush();
    expect(lines.some((l) => l['msg'] === 'guest agent change listener threw')).toBe(true);
    p.stop();
    p.stop();
    expect(vi.getTimerCount()).toBe(0);
    p.start();
    await flush();
    expect(p.running).toBe(true);
    p.stop();
  });

  it('results that arrive after stop() are dropped', async () => {
    let release: (v: string) => void = () => undefined;
    const d: AgentDomain = {
      name: 'ns_vm',
      agentCommand: (cmd: string) =>
        cmd.includes('fsfreeze')
          ? new Promise<string>((r) => {
              release = r;
            })
          : Promise.reject(new Error('no')),
      guestInfo: () => Promise.reject(new Error('no')),
    };
    const p = new GuestAgentPoller({ domain: d, intervals: DEFAULT_AGENT_INTERVALS, log: captureLog().log });
    p.start();
    await flush();
    p.stop();
    release('{"return":"frozen"}');
    await flush();
    expect(p.snapshot().fsFreezeStatus).toBe('');
    expect(vi.getTimerCount()).toBe(0);
  });
});
