import type { EventsReport, LogsReport, NetReport, StatusReport } from '../../launcher/control/protocol.js';

// Human output of `vmpod status|net|events|logs`: short, aligned, one fact per line. Pure.

/** Columns separated by two spaces, each as wide as its widest cell; trailing spaces trimmed. */
export function table(rows: readonly (readonly string[])[], indent = '  '): string[] {
  const widths: number[] = [];
  for (const r of rows) {
    for (const [i, c] of r.entries()) widths[i] = Math.max(widths[i] ?? 0, c.length);
  }
  return rows.map((r) => `${indent}${r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ')}`.trimEnd());
}

/** 950 ms, 12.3 s, 4m05s, 3h02m, 2d04h. */
export function duration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '-';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.floor(ms / 1000);
  const two = (n: number) => String(n).padStart(2, '0');
  if (s < 3600) return `${Math.floor(s / 60)}m${two(s % 60)}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${two(Math.floor((s % 3600) / 60))}m`;
  return `${Math.floor(s / 86_400)}d${two(Math.floor((s % 86_400) / 3600))}h`;
}

/** HH:MM:SS.mmm (UTC) of an epoch-ms time. */
export function clockTime(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(11, 23);
}

/** One of the launcher's JSON log lines as `time level pos: msg (reason)`; other text as is. */
export function logLine(line: string): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  if (typeof o !== 'object' || o === null) return line;
  const ts = typeof o.timestamp === 'string' ? o.timestamp.slice(11, 23) : '';
  const level = typeof o.level === 'string' ? o.level : '';
  const pos = typeof o.pos === 'string' ? ` ${o.pos}:` : '';
  const daemon = typeof o.daemon === 'string' ? ` [${o.daemon}]` : '';
  const msg = typeof o.msg === 'string' ? o.msg : '';
  const reason = typeof o.reason === 'string' ? ` (${o.reason})` : '';
  return `${ts} ${level.padEnd(7)}${daemon}${pos} ${msg}${reason}`.trim();
}

export function formatStatus(r: StatusReport): string {
  const out: string[] = [];
  const d = r.domain;
  const domain = !d
    ? 'none yet'
    : d.error
      ? `${d.name}: state unknown (${d.error})`
      : `${d.name}: ${d.status || 'unknown'}${d.reason ? ` (${d.reason})` : ''}`;
  const l = r.launcher;
  out.push(
    ...table(
      [
        ['vmi', r.vmi.name ? `${r.vmi.namespace}/${r.vmi.name}${r.vmi.uid ? ` uid ${r.vmi.uid}` : ''}` : '-'],
        ['domain', domain],
        [
          'launcher',
          `pid ${l.pid}, up ${duration(l.uptimeMs)}, ${l.libvirt}, ${l.nonRoot ? 'non-root' : 'root'}, log level ${l.logLevel}`,
        ],
        ['monitor', `pid ${r.monitor.pid}, up ${duration(r.monitor.uptimeMs)}`],
      ],
      '',
    ),
  );
  out.push('', 'start-up phases');
  out.push(...table(r.phases.map((p) => [p.phase, duration(p.durationMs)])));
  out.push('', 'children');
  out.push(
    ...table([
      ['NAME', 'PID', 'ALIVE', 'UP', 'RESTARTS', 'LAST EXIT'],
      ...r.children.map((c) => [
        c.name,
        c.pid === undefined ? '-' : String(c.pid),
        c.alive ? 'yes' : 'no',
        duration(c.uptimeMs),
        c.consecutiveCrashes > 0 ? `${c.restarts} (${c.consecutiveCrashes} in a row)` : String(c.restarts),
        c.lastExit
          ? `${c.lastExit.signal ? `signal ${c.lastExit.signal}` : `code ${c.lastExit.code}`} at ${clockTime(c.lastExit.at)}`
          : '-',
      ]),
    ]),
  );
  out.push('', 'sockets');
  out.push(...table(r.sockets.map((s) => [s.name, s.path, s.exists ? 'present' : 'ABSENT'])));
  out.push(
    '',
    r.lastErrors.length ? `last warnings and errors (${r.lastErrors.length})` : 'no warnings or errors',
  );
  out.push(...r.lastErrors.map((e) => `  ${logLine(e)}`));
  return `${out.join('\n')}\n`;
}

export function formatNet(r: NetReport): string {
  const out: string[] = [];
  for (const i of r.interfaces) {
    out.push(`interface ${i.name}: tap ${i.desired.tap}, guest mac ${i.desired.mac}, mtu ${i.desired.mtu}`);
    if (i.dhcp) {
      const le = i.dhcp.lease;
      out.push(
        ...table([
          ['dhcp on', i.dhcp.interface],
          ['lease', `${le.address}/${le.prefixLength}${le.clientMac ? ` to ${le.clientMac}` : ''}`],
          ['gateway', le.gateway ?? '-'],
          ['server id', le.serverId],
          ['dns', le.dns.join(' ') || '-'],
          ['search', le.searchDomains.join(' ') || '-'],
          ['hostname', le.hostname ?? '-'],
          ['mtu', le.mtu === undefined ? '-' : String(le.mtu)],
          [
            'requests',
            `${i.dhcp.stats.received} received, ${i.dhcp.stats.replied} replied, ${i.dhcp.stats.ignored} ignored, ${i.dhcp.stats.malformed} malformed`,
          ],
        ]),
      );
    } else {
      out.push('  no DHCP server (no IPv4 on the pod interface)');
    }
    out.push('  current vs desired');
    out.push(
      ...table(
        [
          ['CHECK', 'DESIRED', 'CURRENT', ''],
          ...i.checks.map((c) => [c.what, c.desired, c.current, c.ok ? 'ok' : 'DIFFERS']),
        ],
        '    ',
      ),
    );
    if (i.dhcp?.exchanges.length) {
      out.push('  DHCP exchanges');
      out.push(
        ...table(
          i.dhcp.exchanges.map((x) => [
            clockTime(x.at),
            `${x.request} -> ${x.reply ?? `ignored (${x.ignoredReason ?? '?'})`}`,
            x.client,
            `xid 0x${x.xid.toString(16).padStart(8, '0')}`,
          ]),
          '    ',
        ),
      );
    } else if (i.dhcp) {
      out.push('  no DHCP exchanges yet');
    }
    out.push('');
  }
  if (r.interfaces.length === 0) out.push('no guest interfaces set up (yet)', '');
  out.push('links now');
  if (r.linksError) out.push(`  could not list links: ${r.linksError}`);
  out.push(
    ...table([
      ['NAME', 'KIND', 'STATE', 'MTU', 'MASTER', 'MAC', 'ADDRESSES'],
      ...r.links.map((k) => [
        k.name,
        k.kind ?? '-',
        `${k.up ? 'up' : 'down'}${k.operState ? `/${k.operState.toLowerCase()}` : ''}`,
        String(k.mtu),
        k.master ?? '-',
        k.mac ?? '-',
        k.addresses.join(' ') || '-',
      ]),
    ]),
  );
  return `${out.join('\n')}\n`;
}

export function formatEvents(r: EventsReport): string {
  if (!r.listening) return 'the launcher is not listening to libvirt events yet\n';
  const out: string[] = [];
  out.push(`libvirt events: ${r.totals.events} seen, the last ${r.events.length}`);
  out.push(
    ...table([
      ['TIME', 'DOMAIN', 'EVENT', ''],
      ...r.events.map((e) => [clockTime(e.at), e.domain, e.what, e.dropped ? 'DROPPED (queue full)' : '']),
    ]),
  );
  out.push('', `notifications: ${r.totals.notifications} sent, the last ${r.notifications.length}`);
  out.push(
    ...table([
      ['TIME', 'TYPE', 'STATUS', 'REASON', 'TRIGGER', 'DELIVERED'],
      ...r.notifications.map((n) => [
        clockTime(n.at),
        n.type,
        n.status || '-',
        n.reason || '-',
        n.trigger,
        n.delivered ? 'yes' : 'NO (will resend)',
      ]),
    ]),
  );
  return `${out.join('\n')}\n`;
}

export interface LogFilter {
  readonly grep?: RegExp | undefined;
  /** The last N matching lines of each log. */
  readonly tail?: number | undefined;
}

export function filterLines(lines: readonly string[], f: LogFilter): string[] {
  const matching = f.grep ? lines.filter((l) => (f.grep as RegExp).test(l)) : [...lines];
  return f.tail === undefined ? matching : matching.slice(Math.max(0, matching.length - f.tail));
}

export function filterLogs(r: LogsReport, f: LogFilter): LogsReport {
  return {
    qemuLog: { ...r.qemuLog, lines: filterLines(r.qemuLog.lines, f) },
    libvirt: filterLines(r.libvirt, f),
  };
}

export function formatLogs(r: LogsReport): string {
  const out: string[] = [];
  const q = r.qemuLog;
  if (!q.path) out.push('== qemu log: no domain yet');
  else if (q.error) out.push(`== qemu log ${q.path}: not readable (${q.error})`);
  else out.push(`== qemu log ${q.path}${q.truncated ? ' (its end only)' : ''}`, ...q.lines);
  out.push('', `== libvirt daemon lines the launcher saw (${r.libvirt.length})`);
  out.push(...r.libvirt.map(logLine));
  return `${out.join('\n')}\n`;
}
