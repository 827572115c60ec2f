// The troubleshooting commands' names, usage text and exit codes: imported by the argv parser,
// which every role loads, so it imports nothing.

export const TROUBLESHOOT_COMMANDS = ['status', 'net', 'events', 'logs', 'log-level', 'console'] as const;
export type TroubleshootCommand = (typeof TROUBLESHOOT_COMMANDS)[number];

/** Exit codes: 0 done; 1 the launcher answered with an error; 2 usage; 3 the launcher is not running. */
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
export const EXIT_NOT_RUNNING = 3;

export const TROUBLESHOOT_USAGE = `troubleshooting, inside a running pod (kubectl exec <pod> -- vmpod …):
  status [--json]            VMI, domain state, start-up phases, children, sockets, last errors
  net [--json]               per interface: desired vs current links, the DHCP lease, exchanges
  events [--json]            recent libvirt events and the notifications sent
  logs [--grep RE] [--tail N] [--json]
                             the domain's qemu log and the libvirt daemon lines the launcher saw
  log-level LEVEL            trace|debug|info|warning|error or a verbosity 0-9, live
  console [--linger S]       attach to the serial console (Ctrl-] detaches); without a TTY, a pipe
                             that reads on for S seconds (default 1) after stdin ends
  exit codes: 0 done, 1 failed, 2 usage, 3 the launcher is not running`;
