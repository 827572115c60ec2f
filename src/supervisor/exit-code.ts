// KubeVirt's exit-code contract (KUBEVIRT.md §1.2.2 step 7, §1.3.6).

/** A Go panic in the launcher exits 2; vmpod's fatal start-up errors use the same code. */
export const EXIT_FATAL = 2;

/** The monitor's result when qemu outlived the launcher by 10 s, or the launcher could not start. */
export const EXIT_MONITOR_FAILURE = 1;

/**
 * What the monitor reports for the launcher: its exit code, or 255 when a signal killed it
 * (Go's WaitStatus.ExitStatus() is -1 then, and os.Exit(-1) is 255).
 */
export function launcherExitToMonitorCode(code: number | null): number {
  return code ?? 255;
}
