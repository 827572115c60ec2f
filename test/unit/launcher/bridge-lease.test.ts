import { describe, expect, it } from 'vitest';
import { bridgeLease } from '../../../src/launcher/bridge-lease.js';
import type { VifCache } from '../../../src/network/vif-cache.js';

const cache: VifCache = {
  name: 'eth0',
  ipamDisabled: false,
  ip: { address: '10.244.0.10', prefixLength: 24 },
  mac: '0a:58:0a:f4:00:0a',
  gateway: '10.244.0.1',
  routes: [
    { destination: 'default', gateway: '10.244.0.1' },
    { destination: '10.96.0.0/12', gateway: '10.244.0.1' },
  ],
  mtu: 1400,
  subdomain: '',
  advertisingIPAddr: undefined,
};
const resolv = {
  nameserversV4: ['10.96.0.10'],
  nameserversV6: ['fd00::10'],
  searchDomains: ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local'],
};

describe("the bridge binding's lease", () => {
  it("hands the guest the pod's own address, gateway, routes, MTU, DNS and hostname", () => {
    const lease = bridgeLease({
      cache,
      resolv,
      hostname: 'testvmi',
      guestMac: '0A:58:0A:F4:00:0A',
      serverId: '169.254.75.10',
    });
    expect(lease).toMatchObject({
      address: '10.244.0.10',
      prefixLength: 24,
      gateway: '10.244.0.1',
      serverId: '169.254.75.10',
      dns: ['10.96.0.10'],
      searchDomains: ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local'],
      domainName: 'default.svc.cluster.local',
      hostname: 'testvmi',
      mtu: 1400,
      leaseSeconds: 86_313_600,
      routes: [
        { destination: '0.0.0.0/0', gateway: '10.244.0.1' },
        { destination: '10.96.0.0/12', gateway: '10.244.0.1' },
      ],
    });
    expect([...(lease?.clientMac ?? [])]).toEqual([0x0a, 0x58, 0x0a, 0xf4, 0x00, 0x0a]);
  });

  it('prepends the subdomain to the service search domain (§8.1)', () => {
    const lease = bridgeLease({
      cache,
      resolv,
      subdomain: 'sub',
      hostname: 'h',
      guestMac: '02:00:00:00:00:01',
      serverId: '169.254.75.10',
    });
    expect(lease?.searchDomains[0]).toBe('sub.default.svc.cluster.local');
    expect(lease?.domainName).toBe('sub.default.svc.cluster.local');
  });

  it('carries the DHCP options of the VMI interface', () => {
    const lease = bridgeLease({
      cache,
      resolv,
      hostname: 'h',
      guestMac: '02:00:00:00:00:01',
      serverId: '169.254.75.10',
      dhcpOptions: {
        ntpServers: ['10.0.0.5'],
        bootFileName: 'pxe.0',
        privateOptions: [{ option: 240, value: 'x' }],
      },
    });
    expect(lease).toMatchObject({
      ntpServers: ['10.0.0.5'],
      bootFileName: 'pxe.0',
      privateOptions: [{ code: 240, value: 'x' }],
    });
  });

  it('gives no lease when the pod interface has no IPv4 address (pure L2)', () => {
    expect(
      bridgeLease({
        cache: { ...cache, ipamDisabled: true, ip: undefined },
        resolv,
        hostname: 'h',
        guestMac: '02:00:00:00:00:01',
        serverId: 'x',
      }),
    ).toBeUndefined();
  });
});
