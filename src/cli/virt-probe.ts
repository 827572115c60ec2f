import { parseFlags } from '../config/go-flags.js';
import { describeError } from '../errors.js';
import { createLogger, forFile, type Logger } from '../log/logger.js';
import { CmdClient, inBandError } from '../rpc/cmd-client.js';
import { grpcErrorText } from '../rpc/grpc-unary.js';

// KubeVirt's virt-probe (KUBEVIRT.md §10.1): the exec and guest-agent-ping probes of a VMI, run in
// the compute container by the kubelet, through the command socket. Exec: exit with the guest
// command's exit code (its stdout printed), 255 when the call itself fails; guest-agent ping:
// 0 on success, 1 on failure. Not reaching the command socket: 1.

export const DEFAULT_SOCKET = '/var/run/kubevirt/sockets/launcher-sock';

const FLAGS = [
  { name: 'socket', type: 'string', default: DEFAULT_SOCKET },
  { name: 'domainName', type: 'string', default: '' },
  { name: 'command', type: 'string', default: '' },
  { name: 'memProfile', type: 'string', default: '' },
  { name: 'timeoutSeconds', type: 'int', default: 1 },
  { name: 'guestAgentPing', type: 'bool', default: false },
  { name: 'v', type: 'int', default: 2, shorthand: true },
] as const;

export interface ProbeIo {
  readonly log?: Logger;
  readonly stdout?: (text: string) => void;
}

/** Runs virt-probe with its command-line arguments; resolves to the process exit code. */
export async function runVirtProbe(argv: readonly string[], io: ProbeIo = {}): Promise<number> {
  let flags: ReturnType<typeof parseFlags>;
  try {
    flags = parseFlags(FLAGS, argv);
  } catch (err) {
    process.stderr.write(`virt-probe: ${describeError(err)}\n`);
    return 2; // pflag's ExitOnError
  }
  const v = flags.values;
  const log = forFile(
    io.log ??
      createLogger({ component: 'vmpod', verbosity: v.v as number }).child({ subcomponent: 'virt-probe' }),
    'virt-probe.ts',
  );
  const stdout = io.stdout ?? ((text: string) => process.stdout.write(text));
  const timeoutSeconds = v.timeoutSeconds as number;

  let client: CmdClient;
  try {
    client = await CmdClient.connect(v.socket as string);
  } catch (err) {
    log.error({ reason: describeError(err) }, 'Failed to connect cmd client');
    return 1;
  }
  try {
    if (v.guestAgentPing) {
      try {
        const res = await client.guestPing(v.domainName as string, timeoutSeconds);
        const failed = inBandError(res.response);
        if (failed !== undefined) {
          log.error({ reason: failed }, 'Failed to ping the guest');
          return 1;
        }
        return 0;
      } catch (err) {
        log.error({ reason: grpcErrorText(err) }, 'Failed to ping the guest');
        return 1;
      }
    }
    if (v.memProfile) log.info('memory profiles are not supported by vmpod; --memProfile ignored');
    try {
      const res = await client.exec(
        v.domainName as string,
        v.command as string,
        [...flags.positional],
        timeoutSeconds,
      );
      if (res.stdOut.length > 0) stdout(`${res.stdOut}\n`);
      const failed = inBandError(res.response);
      if (failed !== undefined) {
        log.error({ reason: failed }, 'Failed executing the command');
        return 1;
      }
      return exitStatus(res.exitCode);
    } catch (err) {
      log.error({ reason: grpcErrorText(err) }, 'Failed executing the command');
      return exitStatus(-1);
    }
  } finally {
    client.close();
  }
}

/** What the shell sees for Go's os.Exit(code). */
function exitStatus(code: number): number {
  return ((code % 256) + 256) % 256;
}
