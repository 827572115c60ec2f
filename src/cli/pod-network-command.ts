import { parseFlags } from '../config/go-flags.js';
import { describeError } from '../errors.js';
import { createLogger, forFile } from '../log/logger.js';
import { createNetworkDrivers, setUpBridgeBinding } from '../network/index.js';

// `vmpod pod-network`: builds "phase 1" of the bridge binding in the current network namespace,
// exactly what virt-handler does inside a VM pod before the launcher runs (KUBEVIRT.md §7.2): the
// k6t bridge, the renamed pod NIC, the placeholder keeping the pod's address, the tap owned by
// qemu, and the DHCP cache the launcher reads. Needs NET_ADMIN; a non-root launcher has not got
// it, so this is how a pod without a virt-handler (tests, troubleshooting) gets its network.
// Idempotent: a pod network that is already built is left as it is.

export const POD_NETWORK_USAGE = `usage: vmpod pod-network [flags]

  --interface NAME      the VMI interface this network is for (default "default")
  --index N             its position among the VMI's interfaces (picks 169.254.75.1N; default 0)
  --pod-interface IF    the pod's interface (default eth0)
  --mac MAC             the guest MAC (default: keep the pod interface's MAC, as KubeVirt does)
  --owner UID           uid owning the tap and the cache: 107 for non-root VMIs, 0 for root (default 107)
  --group GID           their group (default: the same number as --owner)
  -v N                  log verbosity`;

const SPECS = [
  { name: 'interface', type: 'string', default: 'default' },
  { name: 'index', type: 'int', default: 0 },
  { name: 'pod-interface', type: 'string', default: 'eth0' },
  { name: 'mac', type: 'string', default: '' },
  { name: 'owner', type: 'int', default: 107 },
  { name: 'group', type: 'int', default: -1 },
  { name: 'v', type: 'int', default: 2, shorthand: true },
  { name: 'help', type: 'bool', default: false },
] as const;

export async function runPodNetwork(argv: readonly string[]): Promise<number> {
  let flags: ReturnType<typeof parseFlags>;
  try {
    flags = parseFlags(SPECS, argv);
  } catch (err) {
    process.stderr.write(`vmpod pod-network: ${describeError(err)}\n\n${POD_NETWORK_USAGE}\n`);
    return 2;
  }
  const v = flags.values;
  if (v.help === true) {
    process.stdout.write(`${POD_NETWORK_USAGE}\n`);
    return 0;
  }
  const log = forFile(
    createLogger({ component: 'vmpod', verbosity: Number(v.v) }).child({ subcomponent: 'pod-network' }),
    'pod-network-command.ts',
  );
  const podIfaceName = String(v['pod-interface']);
  const mac = String(v.mac);
  try {
    const result = await setUpBridgeBinding({
      iface: { name: String(v.interface), bridge: {}, ...(mac ? { macAddress: mac } : {}) },
      index: Number(v.index),
      podIfaceName,
      drivers: createNetworkDrivers(),
      options: {
        ownerId: Number(v.owner),
        ownerGid: Number(v.group) >= 0 ? Number(v.group) : Number(v.owner),
        isPodNetwork: podIfaceName === 'eth0',
      },
      log,
    });
    log.info(
      { plan: result.plan.kind, stepsRun: result.stepsRun, resumed: result.resumed },
      'pod network (phase 1) in place',
    );
    return 0;
  } catch (err) {
    log.error({ reason: describeError(err) }, 'pod network (phase 1) failed');
    return 1;
  }
}
