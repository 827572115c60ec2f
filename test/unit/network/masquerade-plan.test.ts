import { describe, expect, it } from 'vitest';
import { planMasqueradeBinding } from '../../../src/network/masquerade-plan.js';
import { masqueradeRuleset } from '../../../src/network/nft-ruleset.js';
import type { LinkAddress } from '../../../src/network/types.js';
import { discovered } from './fixtures.js';

const iface = { name: 'default', masquerade: {} };
const V6: LinkAddress = { family: 6, address: 'fd00:10:244::a', prefixLength: 64, scope: 'global' };

describe('masquerade binding planner', () => {
  it('IPv4 pod: bridge with the first host of 10.0.2.0/24, sysctls, tap, one ip nat script', () => {
    const plan = planMasqueradeBinding(iface, discovered(), 0);
    expect(plan.steps.slice(0, 4)).toEqual([
      {
        op: 'masquerade-bridge',
        name: 'k6t-eth0',
        mac: '02:00:00:00:00:00',
        mtu: 1450,
        addresses: ['10.0.2.1/24'],
      },
      { op: 'sysctl', key: 'net.ipv4.conf.k6t-eth0.route_localnet', value: '1' },
      { op: 'sysctl', key: 'net.ipv4.ip_forward', value: '1' },
      { op: 'tap', name: 'tap0', uid: 107, gid: 107, queues: 0, mtu: 1450, bridge: 'k6t-eth0' },
    ]);
    expect(plan.steps.slice(4)).toEqual([
      {
        op: 'nft',
        family: 'ip',
        table: 'nat',
        script: masqueradeRuleset({
          family: 'ipv4',
          podIfaceName: 'eth0',
          bridge: 'k6t-eth0',
          guestAddress: '10.0.2.2',
          gatewayAddress: '10.0.2.1',
        }),
      },
    ]);
    expect(plan.network).toEqual({
      bridge: 'k6t-eth0',
      tap: 'tap0',
      mtu: 1450,
      v4: { guest: '10.0.2.2', gateway: '10.0.2.1', prefixLength: 24 },
    });
    // The pod interface itself is never a step.
    expect(JSON.stringify(plan.steps)).not.toMatch(/"name":"eth0"/);
  });

  it('dual stack: both addresses on the bridge, IPv6 forwarding, an ip6 nat script too', () => {
    const d = discovered();
    const plan = planMasqueradeBinding(iface, { ...d, addresses: [...d.addresses, V6] }, 0, {
      ownerId: 0,
      istio: true,
    });
    expect(
      plan.steps.map((s) => (s.op === 'sysctl' ? s.key : s.op === 'nft' ? `nft ${s.family}` : s.op)),
    ).toEqual([
      'masquerade-bridge',
      'net.ipv4.conf.k6t-eth0.route_localnet',
      'net.ipv4.ip_forward',
      'net.ipv6.conf.all.forwarding',
      'tap',
      'nft ip',
      'nft ip6',
    ]);
    expect(plan.steps[0]).toMatchObject({ addresses: ['10.0.2.1/24', 'fd10:0:2::1/120'] });
    expect(plan.steps[4]).toMatchObject({ op: 'tap', uid: 0, gid: 0 });
    // Istio puts the pod's IPv4 into the output DNAT set.
    expect(plan.steps[5]).toMatchObject({ script: expect.stringContaining('{ 127.0.0.1, 10.244.0.10 }') });
    expect(plan.network).toEqual({
      bridge: 'k6t-eth0',
      tap: 'tap0',
      mtu: 1450,
      v4: { guest: '10.0.2.2', gateway: '10.0.2.1', prefixLength: 24 },
      v6: { guest: 'fd10:0:2::2', gateway: 'fd10:0:2::1', prefixLength: 120 },
    });
  });

  it('IPv6-only pod: no IPv4 address, sysctl or table', () => {
    const plan = planMasqueradeBinding(iface, discovered({ addresses: [V6] }), 0);
    expect(plan.steps[0]).toMatchObject({ addresses: ['fd10:0:2::1/120'] });
    expect(plan.steps.filter((s) => s.op === 'nft').map((s) => s.op === 'nft' && s.family)).toEqual(['ip6']);
    expect(plan.network.v4).toBeUndefined();
  });

  it('custom CIDRs: first host and next, host bits of the CIDR ignored', () => {
    const d = discovered();
    const plan = planMasqueradeBinding(
      { ...iface, ports: [{ port: 8080 }] },
      { ...d, addresses: [...d.addresses, V6] },
      0,
      { vmNetworkCIDR: '192.168.77.5/30', vmIPv6NetworkCIDR: 'fd20:0:0:1::/64' },
    );
    expect(plan.steps[0]).toMatchObject({ addresses: ['192.168.77.5/30', 'fd20:0:0:1::1/64'] });
    expect(plan.network.v4).toEqual({ gateway: '192.168.77.5', guest: '192.168.77.6', prefixLength: 30 });
    expect(plan.network.v6).toEqual({ gateway: 'fd20:0:0:1::1', guest: 'fd20:0:0:1::2', prefixLength: 64 });
    const v4Script = plan.steps.find((s) => s.op === 'nft' && s.family === 'ip');
    expect(v4Script).toMatchObject({
      script: expect.stringContaining('KUBEVIRT_PREINBOUND tcp dport { 8080 } counter dnat to 192.168.77.6'),
    });
  });

  it('too small a CIDR is a typed error', () => {
    expect(() =>
      planMasqueradeBinding(iface, discovered(), 0, { vmNetworkCIDR: '10.0.2.0/31' }),
    ).toThrowError(expect.objectContaining({ code: 'NETWORK_VM_CIDR_INVALID' }));
    const d = discovered();
    expect(() =>
      planMasqueradeBinding(iface, { ...d, addresses: [...d.addresses, V6] }, 0, {
        vmIPv6NetworkCIDR: 'fd10:0:2::/127',
      }),
    ).toThrowError(expect.objectContaining({ code: 'NETWORK_VM_CIDR_INVALID' }));
    // A family the pod does not have is not checked.
    expect(() =>
      planMasqueradeBinding(iface, discovered(), 0, { vmIPv6NetworkCIDR: 'nonsense' }),
    ).not.toThrow();
  });

  it('a missing pod link is a typed error; a secondary network gets its own tap name', () => {
    expect(() => planMasqueradeBinding(iface, discovered({ link: undefined }), 0)).toThrowError(
      expect.objectContaining({ code: 'NETWORK_POD_LINK_MISSING' }),
    );
    const plan = planMasqueradeBinding(iface, { ...discovered(), name: 'pod16477688c0e' }, 1);
    expect(plan.network).toMatchObject({ bridge: 'k6t-16477688c0e', tap: 'tap16477688c0e' });
  });
});
