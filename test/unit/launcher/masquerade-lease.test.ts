import { describe, expect, it } from 'vitest';
import { masqueradeLease } from '../../../src/launcher/masquerade-lease.js';
import { parseResolvConf } from '../../../src/network/resolv-conf.js';

const resolv = parseResolvConf(
  'search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\nnameserver fd00::a\n',
);

describe('masqueradeLease', () => {
  it('hands out the VM network address behind the gateway, to any client, without routes', () => {
    const lease = masqueradeLease({
      guest: '10.0.2.2',
      gateway: '10.0.2.1',
      prefixLength: 24,
      mtu: 1450,
      resolv,
      hostname: 'vmi-masquerade',
    });
    expect(lease).toMatchObject({
      address: '10.0.2.2',
      prefixLength: 24,
      serverId: '10.0.2.1',
      gateway: '10.0.2.1',
      dns: ['10.96.0.10'],
      domainName: 'default.svc.cluster.local',
      hostname: 'vmi-masquerade',
      mtu: 1450,
      leaseSeconds: 86_313_600,
    });
    expect(lease.clientMac).toBeUndefined();
    expect(lease.routes).toBeUndefined();
  });

  it('prepends the subdomain to the service search domain and passes DHCP options', () => {
    const lease = masqueradeLease({
      guest: '10.11.0.2',
      gateway: '10.11.0.1',
      prefixLength: 28,
      mtu: 1500,
      resolv,
      subdomain: 'sub',
      hostname: 'h',
      dhcpOptions: { ntpServers: ['10.0.0.5'], privateOptions: [{ option: 240, value: 'x' }] },
    });
    expect(lease.searchDomains[0]).toBe('sub.default.svc.cluster.local');
    expect(lease.domainName).toBe('sub.default.svc.cluster.local');
    expect(lease.ntpServers).toEqual(['10.0.0.5']);
    expect(lease.privateOptions).toEqual([{ code: 240, value: 'x' }]);
  });
});
