import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOnce } from '../helpers/build.js';
import { buildGuest, type DhcpLease, type GuestEvent } from '../helpers/guest.js';
import { type PodConsole, podConsole } from '../helpers/pod-console.js';
import { createSandbox, type Sandbox, type SandboxProcess } from '../helpers/sandbox.js';
import { type CmdTestClient, connectCmd } from '../helpers/virt-handler.js';
import { kernelBootVmi, withKernelBoot } from '../helpers/test-vmi.js';

// Multus secondary networks with the bridge binding, as vmi-multus-multiple-net.yaml uses them:
// the pod network on eth0, `red` on the pod's net1 (with IPAM: vmpod hands its address to the
// guest by DHCP) and `blue` on net2 (no IPAM: pure L2, no DHCP server). Each gets its own bridge
// and tap; the guest takes its leases with udhcpc and the node side reaches it on every network.

const root = resolve(import.meta.dirname, '../..');
const uid = '6a1b2c3d-0000-4000-8000-0000000000a7';
const name = 'multivmi';
const domainName = `default_${name}`;
const red = { podIp: '192.168.100.10', nodeIp: '192.168.100.1', mac: '02:00:00:aa:bb:01', mtu: 1400 };
const blue = { mac: '02:00:00:aa:bb:02', guestIp: '192.168.200.10', nodeIp: '192.168.200.1' };

const vmi = kernelBootVmi({
  name,
  uid,
  interfaces: ['default', 'red', 'blue'].map((n) => ({ name: n, bridge: {} })),
  networks: [
    { name: 'default', pod: {} },
    { name: 'red', multus: { networkName: 'red' } },
    { name: 'blue', multus: { networkName: 'blue' } },
  ],
});

let dir: string;
let sb: Sandbox;
let pod: SandboxProcess;
let pid1: number;
let guestConsole: PodConsole;
let handler: CmdTestClient;

const onInterface = (iface: string) => (e: GuestEvent) =>
  'options' in e ? e.options['interface'] === iface : 'interface' in e && e.interface === iface;

async function inGuest(cmd: string, args: string[]): Promise<{ exitCode: number; stdOut: string }> {
  const r = await handler.Exec({ domainName, Command: cmd, Args: args, timeoutSeconds: 15 });
  return { exitCode: Number(r.exitCode ?? 0), stdOut: String(r.stdOut ?? '') };
}

async function pingFromNode(ip: string): Promise<void> {
  let last = '';
  for (let i = 0; i < 10; i++) {
    const r = await sb.execNode(['ping', '-c', '1', '-W', '2', ip]);
    if (r.code === 0) return;
    last = r.stdout + r.stderr;
  }
  throw new Error(`${ip} never answered the node's ping:\n${last}`);
}

beforeAll(async () => {
  await buildOnce();
  const guest = await buildGuest();
  dir = await mkdtemp(join(tmpdir(), 'vmpod-e2e-multus-'));
  await writeFile(join(dir, `${name}.yaml`), JSON.stringify(vmi));
  sb = await createSandbox({ ip: '10.244.0.50/24', gateway: '10.244.0.1', hostname: name, mtu: 1450 });
  // What Multus would have plugged in: net1 with an address from its IPAM, net2 with none.
  await sb.addInterface({
    podName: 'net1',
    nodeName: 'veth-net1',
    mac: red.mac,
    mtu: red.mtu,
    podIp: `${red.podIp}/24`,
    nodeIp: `${red.nodeIp}/24`,
  });
  await sb.addInterface({ podName: 'net2', nodeName: 'veth-net2', mac: blue.mac });
  pod = sb.start(
    withKernelBoot(guest, [join(root, 'dist/bin/vmpod'), 'run', '--vmi', join(dir, `${name}.yaml`)]),
  );
  pid1 = await pod.pid1();
  guestConsole = podConsole(pid1, uid, pod);
  await pod.waitForLine((l) => l.includes('"msg":"standalone VMI started"'), 240_000);
  handler = await connectCmd(`/proc/${pid1}/root/run/kubevirt/sockets/launcher-sock`);
});

afterAll(async () => {
  handler?.close();
  await sb?.destroy();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('a VMI on the pod network and two Multus bridge networks', () => {
  it("gives eth0 the pod's address and eth1 net1's address, both by DHCP", async () => {
    const primary = (await guestConsole.waitFor('dhcp-bound', 180_000, onInterface('eth0'))) as {
      lease: DhcpLease;
    };
    expect(primary.lease).toMatchObject({ ip: '10.244.0.50', prefix: 24, router: ['10.244.0.1'], mtu: 1450 });
    const secondary = (await guestConsole.waitFor('dhcp-bound', 60_000, onInterface('eth1'))) as {
      lease: DhcpLease;
    };
    // net1 has no default route in the pod, so its lease carries the address and MTU, no gateway.
    expect(secondary.lease).toMatchObject({ ip: red.podIp, prefix: 24, mtu: red.mtu, router: [] });
    const applied = await guestConsole.waitFor('dhcp-applied', 30_000, onInterface('eth1'));
    expect(applied).toMatchObject({ address: `${red.podIp}/24`, mtu: red.mtu });
    await guestConsole.waitFor('ready', 60_000);
  });

  it('keeps the pod MACs on the guest NICs and a tap and bridge per network', async () => {
    const links = await sb.execOk(['ip', '-o', 'link', 'show']);
    // One bridge per network (§7.1 names), each enslaving its renamed pod interface and its tap.
    const masters = new Map(
      [...links.matchAll(/^\d+: ([^:@]+)[:@].*master (\S+)/gm)].map((m) => [m[1], m[2]]),
    );
    for (const [index, podIf] of ['eth0', 'net1', 'net2'].entries()) {
      expect(masters.get(`${podIf}-nic`), links).toBe(`k6t-${podIf}`);
      expect(masters.get(`tap${index}`), links).toBe(`k6t-${podIf}`);
    }
    const guestLinks = await inGuest('/bin/ip', ['-o', 'link', 'show']);
    expect(guestLinks.stdOut).toMatch(new RegExp(`eth1:.*link/ether ${red.mac}`));
    expect(guestLinks.stdOut).toMatch(new RegExp(`eth2:.*link/ether ${blue.mac}`));
  });

  it('reaches the guest from the node on the pod network and on net1', async () => {
    await pingFromNode('10.244.0.50');
    await pingFromNode(red.podIp);
  });

  it('leaves net2 pure L2: no DHCP server, yet frames pass both ways', async () => {
    expect(pod.stderr).toMatch(/"interface":"blue".*no DHCP server \(pure L2\)/);
    expect(guestConsole.text()).not.toMatch(/dhcp-bound \{[^\n]*"interface":"eth2"/);
    // Addresses the DHCP server never knew about, set by hand on both ends.
    expect((await inGuest('/bin/ip', ['addr', 'add', `${blue.guestIp}/24`, 'dev', 'eth2'])).exitCode).toBe(0);
    const r = await sb.execNode(['ip', 'addr', 'add', `${blue.nodeIp}/24`, 'dev', 'veth-net2']);
    expect(r.code, r.stderr).toBe(0);
    await pingFromNode(blue.guestIp);
  });

  it('goes down cleanly on SIGTERM', async () => {
    process.kill(pid1, 'SIGTERM');
    expect((await pod.wait(90_000)).code, pod.output()).toBe(0);
  });
});
