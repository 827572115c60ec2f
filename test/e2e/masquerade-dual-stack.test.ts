import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOnce } from '../helpers/build.js';
import { type DhcpLease, type Guest, buildGuest } from '../helpers/guest.js';
import { type PodConsole, podConsole } from '../helpers/pod-console.js';
import { type Sandbox, type SandboxProcess, createSandbox } from '../helpers/sandbox.js';
import { type CmdTestClient, connectCmd } from '../helpers/virt-handler.js';

// Masquerade on a dual-stack pod: besides 10.0.2.2, the guest gets fd10:0:2::2 from vmpod's DHCPv6
// server and, from vmpod's router advertisements, an IPv6 default route via the bridge — which
// KubeVirt leaves the guest without — so it reaches the node over IPv6 through NAT66 with no
// cloud-init network config.

const root = resolve(import.meta.dirname, '../..');
const uid = '6a1b2c3d-0000-4000-8000-0000000000f2';
const podIp = '10.244.0.41';
const nodeIp6 = 'fd00:10:244::1';
const nodeIp = '10.244.0.1';
const domainName = 'default_masq6vmi';

const vmiYaml = `apiVersion: kubevirt.io/v1
kind: VirtualMachineInstance
metadata:
  name: masq6vmi
  namespace: default
  uid: ${uid}
spec:
  domain:
    resources:
      requests:
        memory: 256Mi
    firmware:
      kernelBoot:
        kernelArgs: console=ttyS0
        container:
          image: vmpod/test-guest
          kernelPath: /boot/vmlinuz
          initrdPath: /boot/initrd.img
    devices:
      interfaces:
        - name: default
          masquerade: {}
          ports:
            - port: 8080
  networks:
    - name: default
      pod: {}
`;

let guest: Guest;
let dir: string;
let sb: Sandbox;
let h: SandboxProcess;
let pid1: number;
let console_: PodConsole;
let handler: CmdTestClient;

async function inGuest(cmd: string, args: string[]): Promise<{ exitCode: number; stdOut: string }> {
  const r = await handler.Exec({ domainName, Command: cmd, Args: args, timeoutSeconds: 15 });
  return { exitCode: Number(r.exitCode ?? 0), stdOut: String(r.stdOut ?? '') };
}

beforeAll(async () => {
  await buildOnce();
  guest = await buildGuest();
  dir = await mkdtemp(join(tmpdir(), 'vmpod-e2e-masq6-'));
  await writeFile(join(dir, 'masq6vmi.yaml'), vmiYaml);
  sb = await createSandbox({
    ip: `${podIp}/24`,
    gateway: nodeIp,
    hostname: 'masq6vmi',
    mtu: 1450,
    ipv6: 'fd00:10:244::29/64',
    gateway6: nodeIp6,
  });
  const kernelBoot = '/run/kubevirt/container-disks/kernel-boot';
  h = sb.start([
    'sh',
    '-c',
    `mkdir -p ${kernelBoot} && cp "$0" "$1" ${kernelBoot}/ && exec "$2" run --vmi "$3"`,
    guest.kernel,
    guest.initrd,
    join(root, 'dist/bin/vmpod'),
    join(dir, 'masq6vmi.yaml'),
  ]);
  pid1 = await h.pid1();
  console_ = podConsole(pid1, uid, h);
  await h.waitForLine((l) => l.includes('"msg":"standalone VMI started"'), 120_000);
  handler = await connectCmd(`/proc/${pid1}/root/run/kubevirt/sockets/launcher-sock`);
});

afterAll(async () => {
  handler?.close();
  await sb?.destroy();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('masquerade binding on a dual-stack pod', () => {
  it('gives the guest fd10:0:2::2 by DHCPv6 and an IPv6 default route by router advertisement', async () => {
    const v4 = (await console_.waitFor('dhcp-bound', 180_000)) as { lease: DhcpLease };
    expect(v4.lease.ip).toBe('10.0.2.2');
    const v6 = (await console_.waitFor('dhcp6-bound', 120_000)) as unknown as { ip6: string };
    expect(v6.ip6).toBe('fd10:0:2::2');
    const route = (await console_.waitFor('ipv6-route', 60_000)) as unknown as { default: string };
    expect(route.default).toMatch(/^fe80:/);
  });

  it('reaches the node over IPv6 through NAT', async () => {
    const until = Date.now() + 120_000;
    while (
      !(await handler.GuestPing({ domainName, timeoutSeconds: 5 }).then(
        () => true,
        () => false,
      ))
    ) {
      if (Date.now() > until) throw new Error('the guest agent never answered');
      await new Promise((r) => setTimeout(r, 1000));
    }
    const ping = await inGuest('/bin/ping6', ['-c', '1', '-W', '3', nodeIp6]);
    expect(ping.exitCode, ping.stdOut).toBe(0);
    const ping4 = await inGuest('/bin/ping', ['-c', '1', '-W', '3', nodeIp]);
    expect(ping4.exitCode, ping4.stdOut).toBe(0);
  });

  it('goes down cleanly on SIGTERM', async () => {
    process.kill(pid1, 'SIGTERM');
    expect((await h.wait(90_000)).code, h.output()).toBe(0);
  });
});
