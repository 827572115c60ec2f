import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';

// The monitor's first act: start the launcher before loading anything else (logger, FFI), so
// the launcher's own boot overlaps with the monitor's. Its outcome is captured at once, so an
// early exit is never missed while the rest of the monitor loads.

export interface LauncherOutcome {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly error?: Error;
}

export interface StartedLauncher {
  readonly child: ChildProcess;
  readonly path: string;
  readonly outcome: Promise<LauncherOutcome>;
  /** Removes the relay that covers the moments before the monitor installs its own. */
  readonly stopEarlyRelay: () => void;
}

export const RELAYED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGQUIT'] as const;

export function startLauncher(path: string, args: readonly string[]): StartedLauncher {
  const child = spawn(path, [...args], { stdio: 'inherit' });
  const outcome = new Promise<LauncherOutcome>((resolve) => {
    child.once('error', (error) => resolve({ code: null, signal: null, error }));
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  // A termination signal during the monitor's own start-up still reaches the launcher as SIGTERM.
  const early = () => child.kill('SIGTERM');
  for (const sig of RELAYED_SIGNALS) process.on(sig, early);
  const stopEarlyRelay = () => {
    for (const sig of RELAYED_SIGNALS) process.off(sig, early);
  };
  return { child, path, outcome, stopEarlyRelay };
}

/** The launcher sits beside the monitor's own entry point (dist/bin/virt-launcher). */
export function launcherBeside(entry: string): string {
  return join(dirname(entry), 'virt-launcher');
}
