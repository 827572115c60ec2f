import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildOnce } from '../helpers/build.js';
import { buildGuest } from '../helpers/guest.js';
import { type PodConsole, podConsole } from '../helpers/pod-console.js';
import { createSandbox, type Sandbox, type SandboxProcess, waitForFile } from '../helpers/sandbox.js';
import { kernelBootVmi, withKernelBoot } from '../helpers/test-vmi.js';
import {
  type CmdTestClient,
  connectCmd,
  controllerArgs,
  type NotifyTestServer,
  startNotifyServer,
  vmiRequest,
} from '../helpers/virt-handler.js';

// One VM pod for the fault-injection suite, driven the way KubeVirt drives it: the compute
// container's PID 1 is virt-launcher-monitor with virt-controller's arguments, and a small test
// virt-handler syncs the VMI over the command socket, records every notification, and answers the
// graceful-shutdown mark with an ACPI shutdown as the real one does. The guest is the test guest
// (kernel boot), bridge-bound to the pod network, so the node can ping it at the pod IP.

const root = resolve(import.meta.dirname, '../..');
const monitorBin = resolve(root, 'dist/bin/virt-launcher-monitor');
export const NODE_IP = '10.244.0.1';
/** Where each pod's output is kept after the suite. */
export const LOG_DIR = join(tmpdir(), 'vmpod-chaos');

export interface DomainJson {
  ObjectMeta: { deletionTimestamp?: string };
  Spec: { Metadata: { KubeVirt: { GracePeriod: { MarkedForGracefulShutdown?: boolean | null } | null } } };
  Status: { Status: string; Reason: string };
}

export interface ChaosPodOptions {
  /** Unique among the suite's pods: it names the VMI, its uid and its pod IP. */
  readonly index: number;
  /** Extra guest kernel arguments (e.g. `vmpod.shutdown=ignore`). */
  readonly kernelArgs?: string;
  /** The launcher's --grace-period-seconds (default 30). */
  readonly gracePeriodSeconds?: number;
  /** Sync the VMI and wait for the guest's DHCP lease (default true). */
  readonly boot?: boolean;
  /** More launcher flags (the monitor passes them on). */
  readonly extraArgs?: readonly string[];
}

/** A pod whose launcher is expected to fail before it is ready: no handler, no guest. */
export interface FailingPod {
  readonly sb: Sandbox;
  readonly pod: SandboxProcess;
  readonly pid1: number;
}

/** Starts the monitor with `extraArgs` and returns without waiting for the command socket. */
export async function startFailingPod(index: number, extraArgs: readonly string[]): Promise<FailingPod> {
  await buildOnce();
  const name = `chaos${index}`;
  const sb = await createSandbox({ ip: `10.244.0.${100 + index}/24`, gateway: NODE_IP, hostname: name });
  const pod = sb.start([
    monitorBin,
    ...controllerArgs({ name, namespace: 'chaos', uid: uidOf(index), gracePeriodSeconds: 30 }),
    ...extraArgs,
  ]);
  return { sb, pod, pid1: await pod.pid1() };
}

const uidOf = (index: number) => `c4a05000-0000-4000-8000-${String(index).padStart(12, '0')}`;

export interface ChaosPod {
  readonly sb: Sandbox;
  readonly pod: SandboxProcess;
  readonly pid1: number;
  readonly podIp: string;
  readonly uid: string;
  readonly domainName: string;
  readonly console: PodConsole;
  notify: NotifyTestServer;
  readonly handler: CmdTestClient;
  readonly vmi: Record<string, unknown>;
  readonly share: string;
  /** Syncs the VMI (the handler's first Sync). */
  sync(): Promise<void>;
  /** The last domain state the handler was told of. */
  lastNotified(): DomainJson['Status'] | undefined;
  /** The domain's state as GetDomain reports it now. */
  actual(): Promise<DomainJson['Status'] | undefined>;
  /** Host pids of the pod's processes whose comm is `comm`. */
  pids(comm: string): number[];
  /** One ping from the node to the guest; true when it answered. */
  ping(timeoutS?: number): Promise<boolean>;
  /** Pings the guest every 200 ms until stopped; resolves with the counts. */
  pingWhile(): { stop(): Promise<{ sent: number; lost: number }> };
  /** Replaces the notify server (after closing it, or to swap in a fresh one). */
  restartNotify(): Promise<NotifyTestServer>;
  destroy(): Promise<void>;
}

export async function startChaosPod(opts: ChaosPodOptions): Promise<ChaosPod> {
  await buildOnce();
  const guest = await buildGuest();
  const name = `chaos${opts.index}`;
  const uid = uidOf(opts.index);
  const podIp = `10.244.0.${100 + opts.index}`;
  const grace = opts.gracePeriodSeconds ?? 30;
  const vmi = kernelBootVmi({
    name,
    namespace: 'chaos',
    uid,
    kernelArgs: opts.kernelArgs ?? '',
    terminationGracePeriodSeconds: Math.max(0, grace - 15),
    status: { phase: 'Scheduled' },
  });
  const sb = await createSandbox({ ip: `${podIp}/24`, gateway: NODE_IP, hostname: name });
  const args = [
    ...controllerArgs({ name, namespace: 'chaos', uid, gracePeriodSeconds: grace }),
    ...(opts.extraArgs ?? []),
  ];
  // The kernel-boot artifacts where virt-handler mounts them, then the monitor as PID 1.
  const pod = sb.start(withKernelBoot(guest, [monitorBin, ...args]), {
    env: { POD_NAME: `virt-launcher-${name}-abcde` },
  });
  const pid1 = await pod.pid1();
  const share = `/proc/${pid1}/root/run/kubevirt`;
  await waitForFile(`${share}/sockets/launcher-sock`, pod, 60_000);
  const handler = await connectCmd(`${share}/sockets/launcher-sock`);
  const domainName = `chaos_${name}`;

  const events = (n: NotifyTestServer) => n.domainEvents.map((e) => e.domain as DomainJson);
  // virt-handler's part of the termination path: a notification marked for graceful shutdown
  // makes it send ShutdownVirtualMachine (§1.3.3); a domain seen Shutoff is killed and undefined
  // (Kill, Delete), which brings the launcher its domain-gone notification.
  let shutdownSent = false;
  let deleteSent = false;
  const react = (n: NotifyTestServer) => {
    const on = (pred: (d: DomainJson) => boolean, act: () => Promise<unknown>) =>
      void n.waitFor((st) => events(st).some(pred), 3_600_000).then(act, () => undefined);
    on(
      (d) => d.Spec.Metadata.KubeVirt.GracePeriod?.MarkedForGracefulShutdown === true,
      async () => {
        if (shutdownSent) return;
        shutdownSent = true;
        await handler.ShutdownVirtualMachine(vmiRequest(vmi)).catch(() => undefined);
      },
    );
    // Shutoff after it ran (a defined, never started domain is Shutoff too).
    const stoppedAfterRunning = (st: NotifyTestServer) => {
      const seq = events(st).map((d) => d.Status.Status);
      const ran = seq.indexOf('Running');
      return ran >= 0 && seq.slice(ran).includes('Shutoff');
    };
    void n.waitFor(stoppedAfterRunning, 3_600_000).then(
      async () => {
        if (deleteSent) return;
        deleteSent = true;
        await handler.KillVirtualMachine(vmiRequest(vmi)).catch(() => undefined);
        await handler.DeleteVirtualMachine(vmiRequest(vmi)).catch(() => undefined);
      },
      () => undefined,
    );
  };
  const notifySocket = `${share}/domain-notify-pipe.sock`;
  const self: ChaosPod = {
    sb,
    pod,
    pid1,
    podIp,
    uid,
    domainName,
    console: podConsole(pid1, uid, pod),
    notify: await startNotifyServer(notifySocket),
    handler,
    vmi,
    share,
    async sync() {
      const res = await handler.SyncVirtualMachine(vmiRequest(vmi));
      if (!res.success) throw new Error(`Sync failed: ${String(res.message)}\n${pod.output()}`);
    },
    lastNotified: () => events(self.notify).at(-1)?.Status,
    async actual() {
      const res = await handler.GetDomain();
      if (!res.domain) return undefined;
      return (JSON.parse(String(res.domain)) as DomainJson).Status;
    },
    pids(comm) {
      let ns: string;
      try {
        ns = readlinkSync(`/proc/${pid1}/ns/pid`);
      } catch {
        return []; // PID 1 is gone, and with it every process of the pod
      }
      const out: number[] = [];
      for (const d of readdirSync('/proc')) {
        if (!/^\d+$/.test(d)) continue;
        try {
          if (readlinkSync(`/proc/${d}/ns/pid`) !== ns) continue;
          if (readFileSync(`/proc/${d}/comm`, 'utf8').trim() === comm) out.push(Number(d));
        } catch {
          // gone meanwhile
        }
      }
      return out;
    },
    async ping(timeoutS = 2) {
      const r = await sb.execNode(['ping', '-c', '1', '-W', String(timeoutS), podIp]);
      return r.code === 0;
    },
    pingWhile() {
      let stopped = false;
      let sent = 0;
      let lost = 0;
      const loop = (async () => {
        while (!stopped) {
          const t = Date.now();
          sent++;
          if (!(await self.ping(1))) lost++;
          await new Promise((r) => setTimeout(r, Math.max(0, 200 - (Date.now() - t))));
        }
      })();
      return {
        async stop() {
          stopped = true;
          await loop;
          return { sent, lost };
        },
      };
    },
    async restartNotify() {
      await self.notify.close().catch(() => undefined);
      const previous = self.notify.domainEvents;
      self.notify = await startNotifyServer(notifySocket);
      // Keep one history across servers, so "the last state the handler was told" stays true.
      self.notify.domainEvents.unshift(...previous);
      react(self.notify);
      return self.notify;
    },
    async destroy() {
      handler.close();
      await self.notify.close().catch(() => undefined);
      await sb.destroy();
      // The pod's whole output, for the rows that need explaining (CI prints the directory).
      await mkdir(LOG_DIR, { recursive: true });
      await writeFile(
        join(LOG_DIR, `${name}.log`),
        `${pod.stdout}${pod.stderr}\n--- guest console ---\n${self.console.text()}`,
      );
    },
  };
  react(self.notify);
  if (opts.boot ?? true) {
    await self.sync();
    await self.console.waitFor('dhcp-bound', 180_000);
    await self.console.waitFor('ready', 60_000);
  }
  return self;
}

/** Resolves when `check` holds, polling every 100 ms; rejects with `what` at the deadline. */
export async function until(
  check: () => boolean | Promise<boolean>,
  ms: number,
  what: string,
): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
