import { readdirSync, readFileSync } from 'node:fs';

// Reads of /proc the supervisor needs. Every read tolerates a process vanishing mid-read.

export interface ProcStat {
  readonly pid: number;
  readonly comm: string;
  /** One letter: R, S, D, Z, T, … */
  readonly state: string;
  readonly ppid: number;
  /** Field 22: when the process started, in clock ticks after boot (USER_HZ); absent if cut short. */
  readonly startTicks?: number;
}

/** Parses /proc/<pid>/stat; comm may itself contain spaces and parentheses. */
export function parseStat(text: string): ProcStat | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 1 || close < open) return undefined;
  const rest = text.slice(close + 2).split(' ');
  const pid = Number.parseInt(text.slice(0, open).trim(), 10);
  const ppid = Number.parseInt(rest[1] ?? '', 10);
  if (!Number.isInteger(pid) || !Number.isInteger(ppid) || rest[0] === undefined) return undefined;
  // rest[0] is field 3 (state), so field 22 is rest[19].
  const startTicks = Number.parseInt(rest[19] ?? '', 10);
  return {
    pid,
    comm: text.slice(open + 1, close),
    state: rest[0],
    ppid,
    ...(Number.isInteger(startTicks) ? { startTicks } : {}),
  };
}

export function readStat(pid: number, procRoot = '/proc'): ProcStat | undefined {
  try {
    return parseStat(readFileSync(`${procRoot}/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Direct children of a process, from every thread's children list. */
export function childrenOf(pid: number, procRoot = '/proc'): number[] {
  const out = new Set<number>();
  let tids: string[];
  try {
    tids = readdirSync(`${procRoot}/${pid}/task`);
  } catch {
    return [];
  }
  for (const tid of tids) {
    try {
      for (const c of readFileSync(`${procRoot}/${pid}/task/${tid}/children`, 'utf8').split(' ')) {
        const n = Number.parseInt(c, 10);
        if (Number.isInteger(n)) out.add(n);
      }
    } catch {
      // thread gone
    }
  }
  return [...out];
}

export function allPids(procRoot = '/proc'): number[] {
  return readdirSync(procRoot)
    .filter((d) => /^\d+$/.test(d))
    .map((d) => Number.parseInt(d, 10));
}

/** The command line with NULs as spaces; empty for zombies and kernel threads. */
export function readCmdline(pid: number, procRoot = '/proc'): string | undefined {
  try {
    return readFileSync(`${procRoot}/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
  } catch {
    return undefined;
  }
}

/** The first of `pids` that is alive and whose command line contains `needle`. */
export function findByCmdline(needle: string, pids: readonly number[], procRoot = '/proc') {
  return pids.find((pid) => readCmdline(pid, procRoot)?.includes(needle));
}
