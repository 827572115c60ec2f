/** VIRT_LAUNCHER_LOG_VERBOSITY overrides -v when it parses as an integer (KUBEVIRT.md §1.2.1). */
export function verbosityFromEnv(env: Readonly<Record<string, string | undefined>>): number | undefined {
  const raw = env.VIRT_LAUNCHER_LOG_VERBOSITY;
  if (raw === undefined || !/^[+-]?\d+$/.test(raw.trim())) return undefined;
  return Number.parseInt(raw.trim(), 10);
}
