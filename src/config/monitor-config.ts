import { type FlagSpec, parseFlags } from './go-flags.js';
import { verbosityFromEnv } from './verbosity.js';

// virt-launcher-monitor's own flags (KUBEVIRT.md §1.2.1); every other flag belongs to the launcher.
export const MONITOR_FLAGS: readonly FlagSpec[] = [
  { name: 'container-disk-dir', type: 'string', default: '/var/run/kubevirt/container-disks' },
  { name: 'keep-after-failure', type: 'bool', default: false },
  { name: 'uid', type: 'string', default: '' },
  { name: 'v', type: 'int', default: 2, shorthand: true },
];

export interface MonitorConfig {
  readonly containerDiskDir: string;
  readonly keepAfterFailure: boolean;
  readonly uid: string;
  readonly verbosity: number;
  /** The monitor's arguments minus every `--keep-after-failure`: what the launcher receives. */
  readonly launcherArgs: readonly string[];
}

export function monitorConfig(argv: readonly string[], env: Readonly<Record<string, string | undefined>>) {
  const { values } = parseFlags(MONITOR_FLAGS, argv, { ignoreUnknown: true });
  return Object.freeze({
    containerDiskDir: values['container-disk-dir'] as string,
    keepAfterFailure: values['keep-after-failure'] as boolean,
    uid: values.uid as string,
    verbosity: verbosityFromEnv(env) ?? (values.v as number),
    launcherArgs: Object.freeze(
      argv.filter((a) => a !== '--keep-after-failure' && !a.startsWith('--keep-after-failure=')),
    ),
  }) satisfies MonitorConfig;
}
