import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOnce } from '../helpers/build.js';
import { type DhcpLease, type Guest, buildGuest } from '../helpers/guest.js';
import { type PodConsole, podConsole } from '../helpers/pod-console.js';
import { type Sandbox, type SandboxProcess, createSandbox } from '../helpers/sandbox.js';
import { type CmdTestClient, connectCmd } from '../helpers/virt-handler.js';

// Masquerade, KubeVirt's default binding for the pod network: the guest lives on 10.0.2.0/24
// behind the bridge's 10.0.2.1, reaches the node through NAT, and the node reaches the guest only
// on the ports the VMI lists. The guest runs commands for the test through its agent (Exec on the
// command socket, as virt-probe would).

const root = resolve(import.meta.dirname, '../..');
const uid = '6a1b2c3d-0000-4000-8000-0000000000f1';
const podIp = '10.244.0.40';
const nodeIp = '10.244.0.1';
const domainName = 'default_masqvmi';

const vmiYaml = `apiVersion: kubevirt.io/v1
kind: VirtualMachineInstance
metadata:
  name: masqvmi
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

/** An HTTP GET from the node namespace; the body, or undefined when nothing answered. */
async function fetchFromNode(url: string): Promise<string | undefined> {
  const py =
    'import sys, urllib.request\ntry:\n  print(urllib.request.urlopen(sys.argv[1], timeout=3).read().decode(), end="")\nexcept Exception as e:\n  print("ERR", e, file=sys.stderr); sys.exit(1)';
  const r = await sb.execNode(['python3', '-c', py, url]);
  return r.code === 0 ? r.stdout : undefined;
}

beforeAll(async () => {
  await buildOnce();
  guest = await buildGuest();
  dir = await mkdtemp(join(tmpdir(), 'vmpod-e2e-masq-'));
  await writeFile(join(dir, 'masqvmi.yaml'), vmiYaml);
  sb = await createSandbox({ ip: `${podIp}/24`, gateway: nodeIp, hostname: 'masqvmi', mtu: 1450 });
  const kernelBoot = '/run/kubevirt/container-disks/kernel-boot';
  h = sb.start([
    'sh',
    '-c',
    `mkdir -p ${kernelBoot} && cp "$0" "$1" ${kernelBoot}/ && exec "$2" run --vmi "$3"`,
    guest.kernel,
    guest.initrd,
    join(root, 'dist/bin/vmpod'),
    join(dir, 'masqvmi.yaml'),
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

describe('masquerade binding on an IPv4 pod', () => {
  it('gives the guest 10.0.2.2/24 behind 10.0.2.1 over DHCP, with the pod MTU', async () => {
    const bound = (await console_.waitFor('dhcp-bound', 180_000)) as { lease: DhcpLease };
    expect(bound.lease).toMatchObject({
      ip: '10.0.2.2',
      prefix: 24,
      router: ['10.0.2.1'],
      serverId: '10.0.2.1',
      mtu: 1450,
      staticRoutes: [],
      hostname: 'masqvmi',
    });
    await console_.waitFor('ready', 60_000);
  });

  it('lets the guest reach the node through NAT', async () => {
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
    // The node has no route to 10.0.2.0/24: an answer proves the pod masqueraded the guest.
    const ping = await inGuest('/bin/ping', ['-c', '1', '-W', '3', nodeIp]);
    expect(ping.exitCode, ping.stdOut).toBe(0);
  });

  it('forwards the listed port to the guest, and no other', async () => {
    for (const port of ['8080', '8081']) {
      const r = await inGuest('/bin/httpd', ['-p', port, '-h', '/etc']);
      expect(r.exitCode).toBe(0);
    }
    // Both servers answer inside the guest…
    const local = await inGuest('/bin/wget', ['-qO-', 'http://127.0.0.1:8081/os-release']);
    expect(local.exitCode).toBe(0);
    expect(local.stdOut).toContain('ID=vmpod-guest');
    // …but from the node only the listed port reaches the guest.
    expect(await fetchFromNode(`http://${podIp}:8080/os-release`)).toContain('ID=vmpod-guest');
    expect(await fetchFromNode(`http://${podIp}:8081/os-release`)).toBeUndefined();
  });

  it('goes down cleanly on SIGTERM', async () => {
    process.kill(pid1, 'SIGTERM');
    expect((await h.wait(90_000)).code, h.output()).toBe(0);
  });
});
