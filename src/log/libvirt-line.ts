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
