import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { errorCode, VmpodError } from '../errors.js';
import { CONTROL_DIR } from './control/protocol.js';

// When start-up fails, the last lines of the log must be enough to act on: which phase failed,
// the cause chain, and where to look next. The same report is written to a file in the pod, so
// `kubectl exec … cat` finds it after the log has scrolled away (with --keep-after-failure the
// pod stays up for exactly that).

export const FAILURE_REPORT_PATH = `${CONTROL_DIR}/failure.json`;

export interface FailureReport {
  readonly phase: string;
  /** The outermost specific error code, e.g. LIBVIRT_DAEMON_FAILED. */
  readonly code: string | undefined;
  /** Every message of the cause chain, outermost first. */
  readonly causes: readonly string[];
  /** Where to look next, for a person. */
  readonly lookAt: readonly string[];
  readonly at: string;
}

const BY_PHASE: Readonly<Record<string, readonly string[]>> = {
  flags: ['the launcher arguments in the pod spec (virt-launcher --help lists them)'],
  'simulate-crash': ['--simulate-crash was given: a test aid; remove it from the launcher arguments'],
  directories: [
    'ownership and modes of /var/run/kubevirt, /var/run/kubevirt-private, /var/run/libvirt',
    'the pod security context: a non-root pod needs fsGroup 107',
  ],
  'libvirt-config': ['/var/run/libvirt (or $XDG_CONFIG_HOME/libvirt when non-root) is writable'],
  'libvirt-start': [
    'the log lines with subcomponent "libvirt" just above: the daemon says why it stopped',
    'that virtqemud (or libvirtd) and virtlogd are installed in the image at /usr/sbin',
  ],
  'libvirt-connect': [
    'the log lines with subcomponent "libvirt" just above',
    'the libvirt socket: ls -l /var/run/libvirt/ (or $XDG_RUNTIME_DIR/libvirt when non-root)',
  ],
  'libvirt-client': [
    'the libvirt socket accepts connections: virsh -c qemu:///session list (non-root) or virsh list',
  ],
  vmi: ['the VMI file: it must be a kubevirt.io/v1 VirtualMachineInstance; the error names the field'],
  'cmd-server': [
    '/var/run/kubevirt/sockets: free space, ownership, a stale launcher-sock from an earlier run',
  ],
  'domain-events': ['the libvirt daemon log lines above; the daemon may have restarted during start-up'],
  'wait-domain': [
    'virt-handler: the VMI was never synced within --qemu-timeout (its log says why)',
    'the early-exit flag: the target pod of a migration is being cleaned up',
  ],
  'domain-type': ['/dev/kvm in the pod, or --allow-emulation for TCG'],
  'vmi-directories': ['/var/run/kubevirt-private/<vmi uid>: free space and ownership'],
  network: [
    'ip -d link / ip a in the pod: the pod interface, k6t-<iface> bridge and tap<N>',
    '/var/run/kubevirt-private/vif-cache-<iface>.json, written by virt-handler (bridge binding)',
    'nft list ruleset (masquerade binding)',
  ],
  disks: [
    '/var/run/kubevirt/container-disks and /var/run/kubevirt-ephemeral-disks: the disk files and their owners',
  ],
  convert: ['the VMI spec: the error names the field vmpod cannot convert'],
  'hook-sidecars': [
    '/var/run/kubevirt-hooks: one socket per hook sidecar container, below a directory of its own',
    "the sidecar containers' logs: each must serve the hooks Info service on its socket",
  ],
  hooks: ['the hook sidecar named above: its log says why it refused or broke the domain XML'],
  define: ['the log lines with subcomponent "libvirt" just above: libvirt rejected the domain XML'],
  start: [
    'the qemu log: /var/log/libvirt/qemu/<namespace>_<name>.log',
    'the log lines with subcomponent "libvirt" just above',
  ],
};

const BY_CODE: Readonly<Record<string, readonly string[]>> = {
  LIBVIRT_DAEMON_FAILED: ['the daemon keeps exiting: its last words are in the message above'],
  LIBVIRT_NOT_ANSWERING: ['the daemon is running but not answering: a stale socket, or a hung daemon'],
  NOT_SUPPORTED: ['the feature named above is not built into vmpod yet; the VMI cannot run here as is'],
  VMI_INVALID: ['the VMI field named above'],
};

/** The report for a failure in `phase`: causes from the error chain, hints by phase and code. */
export function failureReport(phase: string, err: unknown, now = new Date()): FailureReport {
  const causes: string[] = [];
  const codes: string[] = [];
  for (let e: unknown = err, depth = 0; e !== undefined && depth < 8; depth++) {
    const own = errorCode(e);
    const message = e instanceof Error ? e.message : String(e);
    // StartupError repeats its cause's message after the phase: keep only the cause's line.
    if (!(e instanceof VmpodError && own === 'STARTUP_FAILED')) {
      causes.push(own ? `${own}: ${message}` : message);
      if (own) codes.push(own);
    }
    e = e instanceof Error ? e.cause : undefined;
  }
  const code = codes[0] ?? errorCode(err);
  const lookAt = [...codes.flatMap((c) => BY_CODE[c] ?? []), ...(BY_PHASE[phase] ?? [])];
  if (lookAt.length === 0) lookAt.push('the log lines just above this one');
  return { phase, code, causes, lookAt, at: now.toISOString() };
}

/** Writes the report atomically; a failure to write is returned, never thrown. */
export function writeFailureReport(report: FailureReport, path = FAILURE_REPORT_PATH): Error | undefined {
  try {
    // Not recursive: the parent is the launcher's private directory, and Node's recursive mkdir
    // can spin on some errors (under /proc, for one).
    try {
      mkdirSync(dirname(path), { mode: 0o750 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const tmp = `${path}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(report, null, 2)}\n`, { mode: 0o640 });
    renameSync(tmp, path);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}
