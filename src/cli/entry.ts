import { basename } from 'node:path';

// argv → which role this process plays. KubeVirt starts the image's entry points by name
// (virt-launcher-monitor, virt-launcher); `vmpod <command>` reaches the same roles by subcommand.

export type Command =
  | { readonly kind: 'monitor'; readonly args: readonly string[] }
  | { readonly kind: 'launcher'; readonly args: readonly string[] }
  | { readonly kind: 'dhcp-serve'; readonly args: readonly string[] }
  | { readonly kind: 'version' }
  | { readonly kind: 'help'; readonly text: string }
  | { readonly kind: 'usage-error'; readonly text: string };

export const USAGE = `usage: vmpod <command> [flags]

commands:
  monitor [launcher flags]   run as virt-launcher-monitor (PID 1 of the pod's compute container)
  launcher [launcher flags]  run as virt-launcher (normally started by the monitor)
  dhcp serve [flags]         serve one DHCPv4 lease on an interface (troubleshooting; see --help)
  version                    print vmpod's version
  help                       print this text

The image also provides the entry points virt-launcher-monitor and virt-launcher, which take
KubeVirt's flags unchanged.`;

export function parseCommand(entryPath: string, args: readonly string[]): Command {
  const entry = basename(entryPath);
  if (entry === 'virt-launcher-monitor') return { kind: 'monitor', args };
  if (entry === 'virt-launcher') return { kind: 'launcher', args };
  const [sub, ...rest] = args;
  switch (sub) {
    case 'monitor':
      return { kind: 'monitor', args: rest };
    case 'launcher':
      return { kind: 'launcher', args: rest };
    case 'dhcp':
      if (rest[0] === 'serve') return { kind: 'dhcp-serve', args: rest.slice(1) };
      return { kind: 'usage-error', text: `vmpod: unknown dhcp command "${rest[0] ?? ''}"\n\n${USAGE}` };
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
