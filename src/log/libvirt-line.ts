// libvirt daemons write `<time>: <thread>: <severity> : <pos> : <msg>` to stderr; KubeVirt re-emits
// those pieces as JSON fields (KUBEVIRT.md §2.4). Anything else passes through as the message.

export interface LibvirtLine {
  readonly timestamp?: string;
  readonly thread?: string;
  /** KubeVirt's level names: debug becomes info. */
  readonly level: 'info' | 'warning' | 'error';
  readonly pos?: string;
  readonly msg: string;
}

const SHAPE = /^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d+[+-]\d{4}): (\d+): (\w+) : ([^ ]+) : (.*)$/;

export function parseLibvirtLine(line: string): LibvirtLine {
  const m = SHAPE.exec(line);
  if (!m) return { level: 'info', msg: line };
  return {
    timestamp: m[1] as string,
    thread: m[2] as string,
    level: severityToLevel(m[3] as string),
    pos: m[4] as string,
    msg: m[5] as string,
  };
}

function severityToLevel(severity: string): LibvirtLine['level'] {
  switch (severity.toLowerCase()) {
    case 'error':
      return 'error';
    case 'warning':
      return 'warning';
    default:
      return 'info';
  }
}

/**
 * Lines every libvirt daemon prints at start-up inside a pod, at error or warning level, that
 * say nothing about this VM: no D-Bus, no DMI, no /dev/mem, no /dev/kvm under TCG, a client that
 * hung up, the one guest-info query an older libvirt does not know. They are kept at debug level
 * (with this reason) so a normal start reads clean and a real failure stands out. Matched on
 * libvirt's source position and message, never on the message alone.
 */
const NOISE: readonly { pos: RegExp; msg: RegExp; why: string }[] = [
  { pos: /^virGDBusGetSystemBus:/, msg: /Unable to get system bus connection/, why: 'no D-Bus in a pod' },
  { pos: /^networkStateInitialize:/, msg: /DBus not available/, why: 'no D-Bus in a pod' },
  { pos: /^udevGetDMIData:/, msg: /sys\/devices\/virtual\/dmi\/id/, why: 'no DMI data in a pod' },
  { pos: /^virCommandWait:/, msg: /\/dmidecode .*\/dev\/mem/, why: 'no /dev/mem in a pod' },
  { pos: /^virHostCPUGetCPUID:/, msg: /Unable to open \/dev\/kvm: No such file/, why: 'no /dev/kvm: TCG' },
  { pos: /^virNetSocketReadWire:/, msg: /^End of file while reading data/, why: 'a client hung up' },
  { pos: /^qemuDomainObjTaintMsg:/, msg: /is tainted: custom-ga-command$/, why: 'guest-agent polling' },
  // libvirt before 11.2 has no guest load info; the agent poller asks once, then stops (poller.ts).
  {
    pos: /^qemuDomainGetGuestInfoCheckSupport:/,
    msg: /unsupported guest information types '0x80'$/,
    why: 'no guest load info before libvirt 11.2',
  },
];

/** Why `line` is start-up noise in a pod, or undefined when it may matter. */
export function libvirtNoise(line: LibvirtLine): string | undefined {
  if (line.pos === undefined || line.level === 'info') return undefined;
  return NOISE.find((n) => n.pos.test(line.pos as string) && n.msg.test(line.msg))?.why;
}
