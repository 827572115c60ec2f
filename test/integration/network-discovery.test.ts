// Discovery against the real kernel: what a pod sandbox's CNI and kubelet set up (eth0's MAC, MTU,
// addresses and routes; resolv.conf) is read back exactly, and the layout keeps IPv6 too.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createNetworkDrivers,
  discoverPodInterface,
  readResolvConf,
  setUpBridgeBinding,
} from '../../src/network/index.js';
import { createSandbox, destroyAllSandboxes, runCommand } from '../helpers/sandbox.js';

afterAll(async () => {
  await destroyAllSandboxes();
});

describe('pod interface discovery', () => {
  it('reads eth0 and resolv.conf as the sandbox made them', async () => {
    const sb = await createSandbox({
      ip: '10.244.3.7/24',
      gateway: '10.244.3.1',
      mac: '0a:58:0a:f4:03:07',
      mtu: 1450,
      ipv6: 'fd10:244::7/64',
      gateway6: 'fd10:244::1',
      dnsServers: ['10.96.0.10', 'fd00:96::a'],
      search: ['ns1.svc.cluster.local', 'svc.cluster.local', 'cluster.local'],
    });
    const d = await discoverPodInterface('eth0', createNetworkDrivers(sb.podNetns).links);
    expect(d.link).toMatchObject({
      name: 'eth0',
      mac: '0a:58:0a:f4:03:07',
      mtu: 1450,
      up: true,
      kind: 'veth',
    });
    expect(d.addresses.filter((a) => a.scope === 'global')).toEqual([
      { family: 4, address: '10.244.3.7', prefixLength: 24, scope: 'global' },
      { family: 6, address: 'fd10:244::7', prefixLength: 64, scope: 'global' },
    ]);
    expect(d.routes).toEqual(
      expect.arrayContaining([
        { family: 4, destination: 'default', gateway: '10.244.3.1' },
        { family: 4, destination: '10.244.3.0/24', gateway: undefined },
        { family: 6, destination: 'default', gateway: 'fd10:244::1' },
      ]),
    );
    expect([d.bridge, d.nic, d.tap]).toEqual([undefined, undefined, undefined]);

    const conf = await readResolvConf(createNetworkDrivers().files, join(sb.stateDir, 'resolv.conf'));
    expect(conf).toEqual({
      nameserversV4: ['10.96.0.10'],
      nameserversV6: ['fd00:96::a'],
      searchDomains: ['ns1.svc.cluster.local', 'svc.cluster.local', 'cluster.local'],
    });

    // The placeholder keeps the pod's IPv6 address as well; the IPv6 route does not enter the DHCP cache.
    const privateDir = await mkdtemp(join(tmpdir(), 'vmpod-net-'));
    try {
      const r = await setUpBridgeBinding({
        iface: { name: 'default', bridge: {} },
        index: 0,
        podIfaceName: 'eth0',
        drivers: createNetworkDrivers(sb.podNetns),
        options: { privateDir },
      });
      expect(r.plan.kind === 'build' && r.plan.vifCache.routes).toEqual([
        { destination: 'default', gateway: '10.244.3.1' },
      ]);
      const out = await runCommand('ip', ['-n', sb.podNetns, '-j', 'addr', 'show', 'dev', 'eth0']);
      const [eth0] = JSON.parse(out.stdout) as { addr_info: { local: string; prefixlen: number }[] }[];
      expect(eth0?.addr_info.map((a) => `${a.local}/${a.prefixlen}`)).toEqual(
        expect.arrayContaining(['10.244.3.7/24', 'fd10:244::7/64']),
      );
    } finally {
      await rm(privateDir, { recursive: true, force: true });
    }
  });
});
