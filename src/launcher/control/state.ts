import { existsSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { VmpodError, describeError } from '../../errors.js';
import { formatMac } from '../../dhcp/ipv4.js';
import type { DhcpServer } from '../../dhcp/server.js';
import { AgentLifecycleState, LifecycleEvent } from '../../libvirt/index.js';
import { type Logger, levelFromText } from '../../log/logger.js';
import type { RecentLines } from '../../log/logger.js';
import type { DaemonSnapshot } from '../../supervisor/daemon.js';
import { listLinkOverviews } from '../../network/netlink-drivers.js';
import { parseStat } from '../../supervisor/proc-table.js';
import type { PipelineHistory } from '../events/pipeline.js';
import type { PipelineTrigger } from '../events/event-type.js';
import type {
  ChildStatus,
  EventsReport,
  InterfaceReport,
  LinkState,
  LogLevelReport,
  LogsReport,
  NetCheck,
  NetReport,
  StatusReport,
} from './protocol.js';

// What the control socket answers, read from the launcher's live objects; never changes them
// (except `log-level`). Each source is a small port, so the reports are tested with fakes.

export interface ControlSources {
  readonly vmi: () => { namespace: string; name: string; uid: string };
  readonly domainName: () => string | undefined;
  /** KubeVirt status and reason of the domain, with a short deadline. */
  readonly domainState: (name: string) => Promise<{ status: string; reason: string }>;
  readonly nonRoot: boolean;
  readonly libvirtFlavour: string;
  readonly phases: () => readonly { phase: string; durationMs: number }[];
  readonly daemons: () => readonly DaemonSnapshot[];
  /** The domain's qemu pid file. */
  readonly qemuPidFile: (domain: string) => string;
  readonly qemuLogFile: (domain: string) => string;
  readonly sockets: () => readonly { name: string; path: string }[];
  readonly recent: RecentLines | undefined;
  readonly networks: () => readonly {
    guest: { alias: string; targetDevice: string; mac: string; mtu: number };
    dhcp: DhcpServer | undefined;
  }[];
  readonly history: () => PipelineHistory | undefined;
  /** The logger whose level is the launcher's (all others descend from it). */
  readonly root: Logger;
  readonly log: Logger;
  /** Current links; defaults to the pod namespace's, read over rtnetlink. */
  readonly links?: () => Promise<LinkState[]>;
}

const QEMU_LOG_READ_BYTES = 256 * 1024;

export async function statusReport(s: ControlSources): Promise<StatusReport> {
  const name = s.domainName();
  let domain: StatusReport['domain'];
  if (name) {
    try {
      domain = { name, ...(await s.domainState(name)) };
    } catch (err) {
      domain = { name, error: describeError(err) };
    }
  }
  const children: ChildStatus[] = s.daemons().map((d) => ({
    name: d.name,
    pid: d.pid,
    alive: d.pid !== undefined && processAlive(d.pid),
    startedAt: d.startedAt,
    uptimeMs: d.uptimeMs,
    restarts: d.restarts,
    consecutiveCrashes: d.consecutiveCrashes,
    lastExit: d.lastExit
      ? { at: d.lastExit.at, code: d.lastExit.code, signal: d.lastExit.signal }
      : undefined,
  }));
  if (name) {
    const qemu = await qemuChild(s.qemuPidFile(name));
    if (qemu) children.push(qemu);
  }
  return {
    vmi: s.vmi(),
    domain,
    launcher: {
      pid: process.pid,
      uptimeMs: Math.round(process.uptime() * 1000),
      nonRoot: s.nonRoot,
      libvirt: s.libvirtFlavour,
      logLevel: s.root.level,
    },
    monitor: { pid: process.ppid, uptimeMs: await processUptimeMs(process.ppid) },
    phases: [...s.phases()],
    children,
    sockets: s.sockets().map((k) => ({ ...k, exists: existsSync(k.path) })),
    lastErrors: s.recent?.problems.toArray() ?? [],
  };
}

export async function netReport(s: ControlSources): Promise<NetReport> {
  let links: LinkState[] = [];
  let linksError: string | undefined;
  try {
    links = await (s.links ?? (async () => listLinkOverviews()))();
  } catch (err) {
    linksError = describeError(err);
  }
  const byName = new Map(links.map((l) => [l.name, l]));
  const interfaces = s.networks().map((n): InterfaceReport => {
    const name = n.guest.alias.replace(/^ua-/, '');
    const tap = byName.get(n.guest.targetDevice);
    const checks: NetCheck[] = [
      check(`${n.guest.targetDevice} exists`, 'present', tap ? 'present' : 'absent'),
      check(`${n.guest.targetDevice} up`, 'up', tap ? (tap.up ? 'up' : 'down') : '-'),
      check(`${n.guest.targetDevice} mtu`, String(n.guest.mtu), tap ? String(tap.mtu) : '-'),
    ];
    const d = n.dhcp;
    if (d) {
      const bridge = byName.get(d.interfaceName);
      checks.push(
        check(`${n.guest.targetDevice} master`, d.interfaceName, tap?.master ?? '-'),
        check(`${d.interfaceName} up`, 'up', bridge ? (bridge.up ? 'up' : 'down') : 'absent'),
      );
    }
    return {
      name,
      desired: { tap: n.guest.targetDevice, mac: n.guest.mac, mtu: n.guest.mtu },
      dhcp: d
        ? {
            interface: d.interfaceName,
            lease: {
              address: d.lease.address,
              prefixLength: d.lease.prefixLength,
              gateway: d.lease.gateway,
              serverId: d.lease.serverId,
              dns: [...d.lease.dns],
              searchDomains: [...d.lease.searchDomains],
              hostname: d.lease.hostname,
              mtu: d.lease.mtu,
              clientMac: d.lease.clientMac
                ? formatMac(d.lease.clientMac, d.lease.clientMac.length)
                : undefined,
            },
            stats: { ...d.stats },
            exchanges: d.recentExchanges(),
          }
        : undefined,
      checks,
    };
  });
  return { interfaces, links, ...(linksError ? { linksError } : {}) };
}

export function eventsReport(s: ControlSources): EventsReport {
  const h = s.history();
  if (!h) return { listening: false, events: [], notifications: [], totals: { events: 0, notifications: 0 } };
  return {
    listening: true,
    events: h.events.map((e) => ({
      at: e.at,
      domain: e.domain,
      what: describeInput(e.trigger, e.agentState),
      dropped: e.dropped,
    })),
    notifications: h.notifications.map((n) => ({ ...n })),
    totals: { ...h.totals },
  };
}

export async function logsReport(s: ControlSources): Promise<LogsReport> {
  const name = s.domainName();
  const libvirt = s.recent?.libvirt.toArray() ?? [];
  if (!name) return { qemuLog: { path: undefined, lines: [], truncated: false }, libvirt };
  const path = s.qemuLogFile(name);
  try {
    const { text, truncated } = await readTail(path, QEMU_LOG_READ_BYTES);
    const lines = text.split('\n');
    if (lines.at(-1) === '') lines.pop();
    if (truncated) lines.shift(); // the first line is cut
    return { qemuLog: { path, lines, truncated }, libvirt };
  } catch (err) {
    return { qemuLog: { path, lines: [], truncated: false, error: describeError(err) }, libvirt };
  }
}

/** Sets the launcher's log level at once; every logger of the launcher descends from `root`. */
export function setLogLevel(s: ControlSources, text: string): LogLevelReport {
  const to = levelFromText(text);
  if (!to) {
    throw new VmpodError(
      'CONTROL_BAD_LEVEL',
      `unknown log level "${text}": use trace, debug, info, warning, error or a verbosity 0-9`,
      { facts: { level: text } },
    );
  }
  const from = s.root.level;
  const moreVerbose = (s.root.levels.values[to] ?? 30) <= (s.root.levels.values[from] ?? 30);
  // Logged at whichever of the two levels lets the line through.
  if (!moreVerbose) s.log.info({ from, to }, `log level changing from ${from} to ${to}`);
  s.root.level = to;
  if (moreVerbose) s.log.info({ from, to }, `log level changed from ${from} to ${to}`);
  return { from, to };
}

function check(what: string, desired: string, current: string): NetCheck {
  return { what, desired, current, ok: desired === current };
}

const LIFECYCLE_NAMES = Object.fromEntries(Object.entries(LifecycleEvent).map(([k, v]) => [v, k]));

export function describeInput(t: PipelineTrigger, agentState?: number): string {
  if (agentState !== undefined) {
    return `agent ${agentState === AgentLifecycleState.CONNECTED ? 'CONNECTED' : agentState === AgentLifecycleState.DISCONNECTED ? 'DISCONNECTED' : agentState}`;
  }
  switch (t.kind) {
    case 'lifecycle':
      return `lifecycle ${LIFECYCLE_NAMES[t.event] ?? t.event} (detail ${t.detail})`;
    case 'jobCompleted':
      return `job completed (operation ${t.operation ?? '?'}, success ${t.success ?? '?'})`;
    default:
      return t.kind;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function qemuChild(pidFile: string): Promise<ChildStatus | undefined> {
  let pid: number;
  try {
    pid = Number.parseInt((await readFile(pidFile, 'utf8')).trim(), 10);
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  const uptimeMs = await processUptimeMs(pid);
  return {
    name: 'qemu',
    pid,
    alive: processAlive(pid),
    startedAt: uptimeMs === undefined ? undefined : Date.now() - uptimeMs,
    uptimeMs,
    restarts: 0,
    consecutiveCrashes: 0,
  };
}

/** From /proc: field 22 of stat is the start time in clock ticks after boot (USER_HZ, 100). */
export async function processUptimeMs(pid: number): Promise<number | undefined> {
  try {
    const [stat, uptime] = await Promise.all([
      readFile(`/proc/${pid}/stat`, 'utf8'),
      readFile('/proc/uptime', 'utf8'),
    ]);
    const startTicks = startTicksFromStat(stat);
    const upSeconds = Number.parseFloat(uptime.split(' ')[0] ?? '');
    if (startTicks === undefined || !Number.isFinite(upSeconds)) return undefined;
    return Math.max(0, Math.round(upSeconds * 1000 - startTicks * 10));
  } catch {
    return undefined;
  }
}

/** The start time in a /proc/<pid>/stat text, as the supervisor's parser reads it. */
export function startTicksFromStat(stat: string): number | undefined {
  return parseStat(stat)?.startTicks;
}

async function readTail(path: string, max: number): Promise<{ text: string; truncated: boolean }> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    const start = Math.max(0, size - max);
    const buf = Buffer.alloc(size - start);
    const { bytesRead } = await fh.read(buf, 0, buf.length, start);
    return { text: buf.subarray(0, bytesRead).toString('utf8'), truncated: start > 0 };
  } finally {
    await fh.close();
  }
}
