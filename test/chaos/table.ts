// The fault-injection suite's report: one row per fault, printed as a table when the suite ends
// (and as JSON lines with CHAOS_JSON=1), whatever the rows' outcomes.

export interface ChaosRow {
  readonly fault: string;
  readonly expected: string;
  observed: string;
  /** Whether the guest answered ping after the fault (or "n/a" when it is meant to be gone). */
  guestReachable: 'yes' | 'no' | 'n/a';
  /** Notifications whose state the handler never learned (0 = it knows the current state). */
  notificationsLost: number | 'n/a';
  /** Set by the row's test when every expectation held. */
  ok: boolean;
}

const rows: ChaosRow[] = [];

/** A row for `fault`, recorded even if the test fails halfway; fill `observed` as facts come in. */
export function row(fault: string, expected: string): ChaosRow {
  const r: ChaosRow = {
    fault,
    expected,
    observed: '(not reached)',
    guestReachable: 'n/a',
    notificationsLost: 'n/a',
    ok: false,
  };
  rows.push(r);
  return r;
}

export function printTable(): void {
  if (rows.length === 0) return;
  if (process.env.CHAOS_JSON === '1') {
    for (const r of rows) process.stdout.write(`${JSON.stringify(r)}\n`);
    return;
  }
  const header = ['fault', 'expected', 'observed', 'guest reachable', 'notifications lost', 'match'];
  const body = rows.map((r) => [
    r.fault,
    r.expected,
    r.observed,
    r.guestReachable,
    String(r.notificationsLost),
    r.ok ? 'yes' : 'NO',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  const out = [
    '',
    line(header),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...body.map(line),
    '',
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}
