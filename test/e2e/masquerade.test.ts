import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DhcpLease } from '../helpers/guest.js';
import { type MasqueradePod, NODE_IP, startMasqueradePod } from '../helpers/masquerade-pod.js';

// Masquerade, KubeVirt's default binding for the pod network: the guest lives on 10.0.2.0/24
// behind the bridge's 10.0.2.1, reaches the node through NAT, and the node reaches the guest only
// on the ports the VMI lists. The guest runs commands for the test through its agent (Exec on the
// command socket, as virt-probe would).

const podIp = '10.244.0.40';
let m: MasqueradePod;

/** An HTTP GET from the node namespace; the body, or undefined when nothing answered. */
async function fetchFromNode(url: string): Promise<string | undefined> {
  const py =
    'import sys, urllib.request\ntry:\n  print(urllib.request.urlopen(sys.argv[1], timeout=3).read().decode(), end="")\nexcept Exception as e:\n  print("ERR", e, file=sys.stderr); sys.exit(1)';
  const r = await m.sb.execNode(['python3', '-c', py, url]);
  return r.code === 0 ? r.stdout : undefined;
}

beforeAll(async () => {
  m = await startMasqueradePod({ name: 'masqvmi', uid: '6a1b2c3d-0000-4000-8000-0000000000f1', podIp });
});

afterAll(async () => {
  await m?.destroy();
});

describe('masquerade binding on an IPv4 pod', () => {
  it('gives the guest 10.0.2.2/24 behind 10.0.2.1 over DHCP, with the pod MTU', async () => {
    const bound = (await m.console.waitFor('dhcp-bound', 180_000)) as { lease: DhcpLease };
    expect(bound.lease).toMatchObject({
      ip: '10.0.2.2',
      prefix: 24,
      router: ['10.0.2.1'],
      serverId: '10.0.2.1',
      mtu: 1450,
      staticRoutes: [],
      hostname: 'masqvmi',
    });
    await m.console.waitFor('ready', 60_000);
  });

  it('lets the guest reach the node through NAT', async () => {
    await m.waitForAgent(120_000);
    // The node has no route to 10.0.2.0/24: an answer proves the pod masqueraded the guest.
    const ping = await m.inGuest('/bin/ping', ['-c', '1', '-W', '3', NODE_IP]);
    expect(ping.exitCode, ping.stdOut).toBe(0);
  });

  it('forwards the listed port to the guest, and no other', async () => {
    for (const port of ['8080', '8081']) {
      const r = await m.inGuest('/bin/httpd', ['-p', port, '-h', '/etc']);
      expect(r.exitCode).toBe(0);
    }
    // Both servers answer inside the guest…
    const local = await m.inGuest('/bin/wget', ['-qO-', 'http://127.0.0.1:8081/os-release']);
    expect(local.exitCode).toBe(0);
    expect(local.stdOut).toContain('ID=vmpod-guest');
    // …but from the node only the listed port reaches the guest.
    expect(await fetchFromNode(`http://${podIp}:8080/os-release`)).toContain('ID=vmpod-guest');
    expect(await fetchFromNode(`http://${podIp}:8081/os-release`)).toBeUndefined();
  });

  it('goes down cleanly on SIGTERM', async () => {
    process.kill(m.pid1, 'SIGTERM');
    expect((await m.pod.wait(90_000)).code, m.pod.output()).toBe(0);
  });
});
