import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildOnce } from './build.js';
import { buildGuest } from './guest.js';
import { type PodConsole, podConsole } from './pod-console.js';
import { type Sandbox, type SandboxProcess, createSandbox } from './sandbox.js';
import { kernelBootVmi, withKernelBoot } from './test-vmi.js';
import { type CmdTestClient, connectCmd } from './virt-handler.js';

// A pod sandbox running `vmpod run --vmi` with the test guest (kernel boot) behind a masquerade
// interface that forwards port 8080, and a command-socket client to run commands in the guest
// through its agent (Exec, as virt-probe would). Shared by the IPv4 and dual-stack e2e tests.

const root = resolve(import.meta.dirname, '../..');
export const NODE_IP = '10.244.0.1';
export const NODE_IP6 = 'fd00:10:244::1';

export interface MasqueradePod {
  readonly sb: Sandbox;
  readonly pod: SandboxProcess;
  readonly pid1: number;
  readonly console: PodConsole;
  readonly handler: CmdTestClient;
  /** Runs a command in the guest through its agent. */
  inGuest(cmd: string, args: string[]): Promise<{ exitCode: number; stdOut: string }>;
  /** Resolves once the guest agent answers GuestPing. */
  waitForAgent(timeoutMs: number): Promise<void>;
  destroy(): Promise<void>;
}

export async function startMasqueradePod(opts: {
  readonly name: string;
  readonly uid: string;
  readonly podIp: string;
  /** Dual stack: the pod's IPv6 address with prefix length. */
  readonly podIp6?: string;
}): Promise<MasqueradePod> {
  await buildOnce();
  const guest = await buildGuest();
  const dir = await mkdtemp(join(tmpdir(), 'vmpod-e2e-masq-'));
  const vmiPath = join(dir, `${opts.name}.yaml`);
  await writeFile(vmiPath, vmiJson(opts.name, opts.uid));
  const sb = await createSandbox({
    ip: `${opts.podIp}/24`,
    gateway: NODE_IP,
    hostname: opts.name,
    mtu: 1450,
    ...(opts.podIp6 ? { ipv6: opts.podIp6, gateway6: NODE_IP6 } : {}),
  });
  const pod = sb.start(withKernelBoot(guest, [join(root, 'dist/bin/vmpod'), 'run', '--vmi', vmiPath]));
  const pid1 = await pod.pid1();
  await pod.waitForLine((l) => l.includes('"msg":"standalone VMI started"'), 120_000);
  const handler = await connectCmd(`/proc/${pid1}/root/run/kubevirt/sockets/launcher-sock`);
  const domainName = `default_${opts.name}`;
  return {
    sb,
    pod,
    pid1,
    console: podConsole(pid1, opts.uid, pod),
    handler,
    async inGuest(cmd, args) {
      const r = await handler.Exec({ domainName, Command: cmd, Args: args, timeoutSeconds: 15 });
      return { exitCode: Number(r.exitCode ?? 0), stdOut: String(r.stdOut ?? '') };
    },
    async waitForAgent(timeoutMs) {
      const until = Date.now() + timeoutMs;
      const ping = () =>
        handler.GuestPing({ domainName, timeoutSeconds: 5 }).then(
          () => true,
          () => false,
        );
      while (!(await ping())) {
        if (Date.now() > until) throw new Error('the guest agent never answered');
        await new Promise((r) => setTimeout(r, 1000));
      }
    },
    async destroy() {
      handler.close();
      await sb.destroy();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function vmiJson(name: string, uid: string): string {
  return JSON.stringify(
    kernelBootVmi({ name, uid, interfaces: [{ name: 'default', masquerade: {}, ports: [{ port: 8080 }] }] }),
  );
}
