import { execa } from 'execa';
import { VmpodError } from '../errors.js';

// Runs iproute2/procps programs with argument arrays, optionally inside a named network
// namespace (`ip netns exec`), and turns their failures into stable codes. The messages of
// iproute2 are the only error channel the CLI offers, so this edge is the one place that reads them.

export interface CommandRunner {
  run(file: string, args: readonly string[]): Promise<string>;
}

const TIMEOUT_MS = 10_000;

function codeFor(stderr: string): string {
  if (/File exists/i.test(stderr)) return 'NETLINK_EEXIST';
  if (/Unknown device type|not supported|Operation not supported/i.test(stderr)) {
    return 'NETWORK_LINK_KIND_UNSUPPORTED';
  }
  if (/Cannot find device|does not exist|No such device/i.test(stderr)) return 'NETLINK_ENODEV';
  if (/Cannot assign requested address/i.test(stderr)) return 'NETLINK_EADDRNOTAVAIL';
  if (/Device or resource busy/i.test(stderr)) return 'NETLINK_EBUSY';
  return 'NETWORK_COMMAND_FAILED';
}

/** A runner for the current namespace, or for `netns` (a name under /run/netns) when given. */
export function createCommandRunner(netns?: string): CommandRunner {
  return {
    async run(file, args) {
      const [cmd, argv] =
        netns === undefined ? [file, [...args]] : ['ip', ['netns', 'exec', netns, file, ...args]];
      const result = await execa(cmd, argv, { reject: false, timeout: TIMEOUT_MS, stdin: 'ignore' });
      if (result.exitCode !== 0 || result.failed) {
        const stderr = String(result.stderr ?? '').trim();
        throw new VmpodError(codeFor(stderr), `${file} ${args.join(' ')}: ${stderr || result.shortMessage}`, {
          facts: { command: file, args: args.join(' '), exitCode: result.exitCode, netns },
        });
      }
      return String(result.stdout ?? '');
    },
  };
}
