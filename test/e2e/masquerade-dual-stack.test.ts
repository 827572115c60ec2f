import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DhcpLease } from '../helpers/guest.js';
import { type MasqueradePod, NODE_IP, NODE_IP6, startMasqueradePod } from '../helpers/masquerade-pod.js';

// Masquerade on a dual-stack pod: besides 10.0.2.2, the guest gets fd10:0:2::2 from vmpod's DHCPv6
// server and, from vmpod's router advertisements, an IPv6 default route via the bridge — which
// KubeVirt leaves the guest without — so it reaches the node over IPv6 through NAT66 with no
// cloud-init network config.

let m: MasqueradePod;

beforeAll(async () => {
  m = await startMasqueradePod({
    name: 'masq6vmi',
    uid: '6a1b2c3d-0000-4000-8000-0000000000f2',
    podIp: '10.244.0.41',
    podIp6: 'fd00:10:244::29/64',
  });
});

afterAll(async () => {
  await m?.destroy();
});

describe('masquerade binding on a dual-stack pod', () => {
  it('gives the guest fd10:0:2::2 by DHCPv6 and an IPv6 default route by router advertisement', async () => {
    const v4 = (await m.console.waitFor('dhcp-bound', 180_000)) as { lease: DhcpLease };
    expect(v4.lease.ip).toBe('10.0.2.2');
    const v6 = (await m.console.waitFor('dhcp6-bound', 120_000)) as unknown as { ip6: string };
    expect(v6.ip6).toBe('fd10:0:2::2');
    const route = (await m.console.waitFor('ipv6-route', 60_000)) as unknown as { default: string };
    expect(route.default).toMatch(/^fe80:/);
  });

  it('reaches the node over IPv6 through NAT', async () => {
    await m.waitForAgent(120_000);
    const ping = await m.inGuest('/bin/ping6', ['-c', '1', '-W', '3', NODE_IP6]);
    expect(ping.exitCode, ping.stdOut).toBe(0);
    const ping4 = await m.inGuest('/bin/ping', ['-c', '1', '-W', '3', NODE_IP]);
    expect(ping4.exitCode, ping4.stdOut).toBe(0);
  });

  it('goes down cleanly on SIGTERM', async () => {
    process.kill(m.pid1, 'SIGTERM');
    expect((await m.pod.wait(90_000)).code, m.pod.output()).toBe(0);
  });
});
