import { readFileSync } from 'node:fs';
import { type GuestEvent, parseConsoleLine } from './guest.js';
import type { SandboxProcess } from './sandbox.js';

// The guest's serial console as KubeVirt logs it inside the pod (virtlogd writes
// /var/run/kubevirt-private/<vmi uid>/virt-serial0-log), read from the host through PID 1's root.

export interface PodConsole {
  text(): string;
  /** The first console event of `kind` (that `match` accepts); fails early when the pod has exited. */
  waitFor(
    kind: GuestEvent['kind'],
    timeoutMs: number,
    match?: (event: GuestEvent) => boolean,
  ): Promise<GuestEvent>;
}

export function podConsole(pid1: number, vmiUid: string, pod: SandboxProcess): PodConsole {
  const path = `/proc/${pid1}/root/run/kubevirt-private/${vmiUid}/virt-serial0-log`;
  const text = () => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return '';
    }
  };
  return {
    text,
    async waitFor(kind, timeoutMs, match = () => true) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const event = text()
          .split('\n')
          .map(parseConsoleLine)
          .find((e) => e?.kind === kind && match(e));
        if (event) return event;
        if (Date.now() > until || pod.child.exitCode !== null) {
          throw new Error(
            `no "${kind}" on the guest console within ${timeoutMs} ms\n${text()}\n${pod.output()}`,
          );
        }
        await new Promise((r) => setTimeout(r, 250));
      }
    },
  };
}
