import { VmpodError } from '../errors.js';
import { type FlagSpec, parseFlags } from './go-flags.js';
import { verbosityFromEnv } from './verbosity.js';

// virt-launcher's flags, exactly as KubeVirt defines them (KUBEVIRT.md §1.3.1).
export const LAUNCHER_FLAGS: readonly FlagSpec[] = [
  { name: 'qemu-timeout', type: 'duration', default: 3 * 60_000 },
  { name: 'kubevirt-share-dir', type: 'string', default: '/var/run/kubevirt' },
  { name: 'ephemeral-disk-dir', type: 'string', default: '/var/run/kubevirt-ephemeral-disks' },
  { name: 'container-disk-dir', type: 'string', default: '/var/run/kubevirt/container-disks' },
  { name: 'hotplug-disk-dir', type: 'string', default: '/var/run/kubevirt/hotplug-disks/' },
  { name: 'name', type: 'string', default: '' },
  { name: 'uid', type: 'string', default: '' },
  { name: 'namespace', type: 'string', default: '' },
  { name: 'grace-period-seconds', type: 'int', default: 30 },
  { name: 'allow-emulation', type: 'bool', default: false },
  { name: 'allow-cross-arch-emulation', type: 'bool', default: false },
  { name: 'run-as-nonroot', type: 'bool', default: false },
  { name: 'image-volume', type: 'bool', default: false },
  { name: 'upgrade-ordinal-ifaces', type: 'bool', default: false },
  { name: 'vgpu-dedicated-hook', type: 'bool', default: false },
  { name: 'vm-stats-collector', type: 'bool', default: false },
  { name: 'firmware-auto-selection', type: 'bool', default: false },
  { name: 'hook-sidecars', type: 'uint', default: 0 },
  { name: 'disk-memory-limit', type: 'int', default: 2_097_152_000 },
  { name: 'ovmf-path', type: 'string', default: '/usr/share/edk2/ovmf' },
  { name: 'qemu-agent-sys-interval', type: 'duration', default: 120_000 },
  { name: 'qemu-agent-file-interval', type: 'duration', default: 300_000 },
  { name: 'qemu-agent-user-interval', type: 'duration', default: 10_000 },
  { name: 'qemu-agent-version-interval', type: 'duration', default: 300_000 },
  { name: 'qemu-fsfreeze-status-interval', type: 'duration', default: 5_000 },
  { name: 'simulate-crash', type: 'bool', default: false },
  { name: 'libvirt-log-filters', type: 'string', default: '' },
  { name: 'hypervisor', type: 'string', default: 'kvm' },
  { name: 'v', type: 'int', default: 2, shorthand: true },
];

export interface LauncherConfig {
  readonly qemuTimeoutMs: number;
  readonly shareDir: string;
  readonly ephemeralDiskDir: string;
  readonly containerDiskDir: string;
  readonly hotplugDiskDir: string;
  readonly name: string;
  readonly uid: string;
  readonly namespace: string;
  readonly gracePeriodSeconds: number;
  readonly allowEmulation: boolean;
  readonly allowCrossArchEmulation: boolean;
  readonly runAsNonroot: boolean;
  readonly imageVolume: boolean;
  readonly upgradeOrdinalIfaces: boolean;
  readonly vgpuDedicatedHook: boolean;
  readonly vmStatsCollector: boolean;
  readonly firmwareAutoSelection: boolean;
  readonly hookSidecars: number;
  readonly diskMemoryLimit: number;
  readonly ovmfPath: string;
  readonly agentIntervalsMs: Readonly<{
    sys: number;
    file: number;
    user: number;
    version: number;
    fsfreeze: number;
  }>;
  readonly simulateCrash: boolean;
  readonly libvirtLogFilters: string;
  readonly hypervisor: string;
  readonly verbosity: number;
  /** Raw environment facts the launcher reads (KUBEVIRT.md §1.4.2). */
  readonly env: Readonly<{
    standaloneVmi: string | undefined;
    libvirtDebugLogs: boolean;
    virtiofsdDebugLogs: boolean;
    sharedFilesystemPaths: readonly string[];
    verbosityOverride: number | undefined;
  }>;
}

type Env = Readonly<Record<string, string | undefined>>;

/** argv (without the program) + environment → one validated, frozen LauncherConfig. */
export function launcherConfig(argv: readonly string[], env: Env): LauncherConfig {
  const { values: v } = parseFlags(LAUNCHER_FLAGS, argv);
  const str = (k: string) => v[k] as string;
  const num = (k: string) => v[k] as number;
  const bool = (k: string) => v[k] as boolean;
  const verbosityOverride = verbosityFromEnv(env);
  const grace = num('grace-period-seconds');
  if (grace < 0) {
    throw new VmpodError('FLAG_BAD_VALUE', `--grace-period-seconds must not be negative (got ${grace})`, {
      facts: { flag: 'grace-period-seconds', value: grace },
    });
  }
  for (const dirFlag of [
    'kubevirt-share-dir',
    'ephemeral-disk-dir',
    'container-disk-dir',
    'hotplug-disk-dir',
  ]) {
    if (!str(dirFlag).startsWith('/')) {
      throw new VmpodError(
        'FLAG_BAD_VALUE',
        `--${dirFlag} must be an absolute path (got "${str(dirFlag)}")`,
        {
          facts: { flag: dirFlag, value: str(dirFlag) },
        },
      );
    }
  }
  const shared = env.SHARED_FILESYSTEM_PATHS;
  return Object.freeze({
    qemuTimeoutMs: num('qemu-timeout'),
    shareDir: str('kubevirt-share-dir'),
    ephemeralDiskDir: str('ephemeral-disk-dir'),
    containerDiskDir: str('container-disk-dir'),
    hotplugDiskDir: str('hotplug-disk-dir'),
    name: str('name'),
    uid: str('uid'),
    namespace: str('namespace'),
    gracePeriodSeconds: grace,
    allowEmulation: bool('allow-emulation'),
    allowCrossArchEmulation: bool('allow-cross-arch-emulation'),
    runAsNonroot: bool('run-as-nonroot'),
    imageVolume: bool('image-volume'),
    upgradeOrdinalIfaces: bool('upgrade-ordinal-ifaces'),
    vgpuDedicatedHook: bool('vgpu-dedicated-hook'),
    vmStatsCollector: bool('vm-stats-collector'),
    firmwareAutoSelection: bool('firmware-auto-selection'),
    hookSidecars: num('hook-sidecars'),
    diskMemoryLimit: num('disk-memory-limit'),
    ovmfPath: str('ovmf-path'),
    agentIntervalsMs: Object.freeze({
      sys: num('qemu-agent-sys-interval'),
      file: num('qemu-agent-file-interval'),
      user: num('qemu-agent-user-interval'),
      version: num('qemu-agent-version-interval'),
      fsfreeze: num('qemu-fsfreeze-status-interval'),
    }),
    simulateCrash: bool('simulate-crash'),
    libvirtLogFilters: str('libvirt-log-filters'),
    hypervisor: str('hypervisor'),
    verbosity: verbosityOverride ?? num('v'),
    env: Object.freeze({
      standaloneVmi: env.STANDALONE_VMI,
      libvirtDebugLogs: env.LIBVIRT_DEBUG_LOGS !== undefined,
      virtiofsdDebugLogs: env.VIRTIOFSD_DEBUG_LOGS === '1',
      sharedFilesystemPaths: shared ? Object.freeze(shared.split(':').filter((p) => p !== '')) : [],
      verbosityOverride,
    }),
  });
}
