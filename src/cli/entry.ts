import { basename } from 'node:path';
import { TROUBLESHOOT_USAGE, type TroubleshootCommand } from './troubleshoot/usage.js';

// argv → which role this process plays. KubeVirt starts the image's entry points by name
// (virt-launcher-monitor, virt-launcher); `vmpod <command>` reaches the same roles by subcommand.

export type Command =
  | { readonly kind: 'monitor'; readonly args: readonly string[] }
  | { readonly kind: 'launcher'; readonly args: readonly string[] }
  | { readonly kind: 'dhcp-serve'; readonly args: readonly string[] }
  | { readonly kind: 'pod-network'; readonly args: readonly string[] }
  | { readonly kind: 'virt-probe'; readonly args: readonly string[] }
  | { readonly kind: 'virt-freezer'; readonly args: readonly string[] }
  | { readonly kind: 'virt-tail'; readonly args: readonly string[] }
  | { readonly kind: 'run'; readonly vmiPath: string; readonly args: readonly string[] }
  | { readonly kind: 'version' }
  | { readonly kind: 'troubleshoot'; readonly command: TroubleshootCommand; readonly args: readonly string[] }
  | { readonly kind: 'help'; readonly text: string }
  | { readonly kind: 'usage-error'; readonly text: string };

export const USAGE = `usage: vmpod <command> [flags]

commands:
  run --vmi FILE [launcher flags]
                             standalone: monitor + launcher running the VMI in FILE (YAML or JSON),
                             as KubeVirt's STANDALONE_VMI does
  monitor [launcher flags]   run as virt-launcher-monitor (PID 1 of the pod's compute container)
  launcher [launcher flags]  run as virt-launcher (normally started by the monitor)
  dhcp serve [flags]         serve one DHCPv4 lease on an interface (troubleshooting; see --help)
  pod-network [flags]        build the pod network as virt-handler does (phase 1; needs NET_ADMIN)
  virt-probe [flags]         exec / guest-agent-ping probe through the command socket
  virt-freezer [flags]       freeze / unfreeze the guest's filesystems through the command socket
  virt-tail --logfile FILE   follow the serial console's log to stdout until qemu's socket goes
  version                    print vmpod's version
  help                       print this text

${TROUBLESHOOT_USAGE}

The image also provides the entry points virt-launcher-monitor, virt-launcher, virt-probe,
virt-freezer and virt-tail, which take KubeVirt's flags unchanged.`;

export function parseCommand(entryPath: string, args: readonly string[]): Command {
  const entry = basename(entryPath);
  if (entry === 'virt-launcher-monitor') return { kind: 'monitor', args };
  if (entry === 'virt-launcher') return { kind: 'launcher', args };
  if (entry === 'virt-probe') return { kind: 'virt-probe', args };
  if (entry === 'virt-freezer') return { kind: 'virt-freezer', args };
  if (entry === 'virt-tail') return { kind: 'virt-tail', args };
  const [sub, ...rest] = args;
  switch (sub) {
    case 'run':
      return parseRun(rest);
    case 'monitor':
      return { kind: 'monitor', args: rest };
    case 'launcher':
      return { kind: 'launcher', args: rest };
    case 'virt-probe':
    case 'virt-freezer':
    case 'virt-tail':
      return { kind: sub, args: rest };
    case 'pod-network':
      return { kind: 'pod-network', args: rest };
    case 'dhcp':
      if (rest[0] === 'serve') return { kind: 'dhcp-serve', args: rest.slice(1) };
      return { kind: 'usage-error', text: `vmpod: unknown dhcp command "${rest[0] ?? ''}"\n\n${USAGE}` };
    case 'status':
    case 'net':
    case 'events':
    case 'logs':
    case 'log-level':
    case 'console':
      return { kind: 'troubleshoot', command: sub, args: rest };
    case 'version':
    case '--version':
      return { kind: 'version' };
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      return { kind: 'help', text: USAGE };
    default:
      return { kind: 'usage-error', text: `vmpod: unknown command "${sub}"\n\n${USAGE}` };
  }
}

/** `run --vmi FILE` (or `--vmi=FILE`) plus launcher flags, in any order. */
function parseRun(args: readonly string[]): Command {
  const rest: string[] = [];
  let vmiPath: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '--vmi' || a === '-vmi') {
      vmiPath = args[++i];
      if (vmiPath === undefined)
        return { kind: 'usage-error', text: `vmpod run: --vmi needs a file\n\n${USAGE}` };
    } else if (a.startsWith('--vmi=')) {
      vmiPath = a.slice('--vmi='.length);
    } else {
      rest.push(a);
    }
  }
  if (!vmiPath) return { kind: 'usage-error', text: `vmpod run: --vmi FILE is required\n\n${USAGE}` };
  return { kind: 'run', vmiPath, args: rest };
}
