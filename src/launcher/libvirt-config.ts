// libvirt's configuration as KubeVirt prepares it (KUBEVIRT.md §2.3), rendered as text. Pure.

export interface QemuConfInputs {
  readonly hugepagesMounted: boolean;
  readonly virtiofsdDebug: boolean;
  readonly sharedFilesystemPaths: readonly string[];
}

/** libvirt's config syntax: a double-quoted string with backslash escapes. */
export function confString(value: string): string {
  return `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

/** The image's qemu.conf (§2.3.1) plus the lines the launcher appends (§2.3.2). */
export function renderQemuConf(inputs: QemuConfInputs): string {
  const lines = [
    '# Written by vmpod (KubeVirt virt-launcher compatible); regenerated at every start.',
    'stdio_handler = "logd"',
    'vnc_listen = "0.0.0.0"',
    'vnc_tls = 0',
    'vnc_sasl = 0',
    'user = "qemu"',
    'group = "qemu"',
    'dynamic_ownership = 1',
    'remember_owner = 0',
    'namespaces = [ ]',
    'cgroup_controllers = [ ]',
  ];
  if (inputs.hugepagesMounted) lines.push('hugetlbfs_mount = "/dev/hugepages"');
  if (inputs.virtiofsdDebug) lines.push('virtiofsd_debug = 1');
  if (inputs.sharedFilesystemPaths.length > 0) {
    lines.push(`shared_filesystems = [ ${inputs.sharedFilesystemPaths.map(confString).join(', ')} ]`);
  }
  return `${lines.join('\n')}\n`;
}

/** virtqemud.conf / libvirtd.conf: no network listeners, log to stderr, optional filters. */
export function renderDaemonConf(logFilters: string | undefined): string {
  const lines = [
    '# Written by vmpod (KubeVirt virt-launcher compatible); regenerated at every start.',
    'listen_tls = 0',
    'listen_tcp = 0',
    'log_outputs = "1:stderr"',
    // The socket lives in the pod's own runtime dir: its mode, not polkit (absent in a pod), guards it.
    'auth_unix_rw = "none"',
    'auth_unix_ro = "none"',
    'unix_sock_rw_perms = "0700"',
    'unix_sock_ro_perms = "0700"',
    // The launcher multiplexes every call on one connection. libvirt's default of 5 requests in
    // flight per client lets a few agent calls stuck on a paused or busy guest starve GetDomain
    // and the command calls behind it (libvirt warns "Client hit max requests limit 5").
    'max_client_requests = 64',
  ];
  if (logFilters) lines.push(`log_filters=${confString(logFilters)}`);
  return `${lines.join('\n')}\n`;
}

const FILTERS_V8 = [
  'remote',
  'util.json',
  'util.object',
  'util.dbus',
  'util.netlink',
  'node_device',
  'rpc',
  'access',
];
const FILTERS_V7 = [...FILTERS_V8, 'util.threadjob', 'cpu.cpu'];
const FILTERS_V6 = [...FILTERS_V7, 'qemu.qemu_monitor'];
const FILTERS_V5 = [...FILTERS_V6, 'qemu.qemu_monitor_json', 'conf.domain_addr'];

/**
 * The libvirt debug-log decision of §2.3.2: a custom filter wins; otherwise verbosity ≥ 5 (or
 * LIBVIRT_DEBUG_LOGS, which counts as 10) picks the categories held at warning level, and the
 * trailing `1:*` turns on debug output for the rest. Undefined means: write no filters.
 */
export function libvirtLogFilters(
  custom: string,
  verbosity: number | undefined,
  debugLogsEnv: boolean,
): string | undefined {
  if (custom !== '') return custom;
  let v = verbosity ?? -1;
  if (v < 5) {
    if (!debugLogsEnv) return undefined;
    v = 10;
  }
  const cats = v === 5 ? FILTERS_V5 : v === 6 ? FILTERS_V6 : v === 7 ? FILTERS_V7 : FILTERS_V8;
  return [...cats.map((c) => `3:${c}`), '4:event', '1:*'].join(' ');
}
