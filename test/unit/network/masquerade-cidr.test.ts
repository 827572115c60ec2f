import { describe, expect, it } from 'vitest';
import { formatIPv6, parseIPv6, vmNetworkAddresses } from '../../../src/network/vm-network-cidr.js';

describe('masquerade VM network CIDR', () => {
  it('defaults: 10.0.2.1/.2 and fd10:0:2::1/::2', () => {
    expect(vmNetworkAddresses('10.0.2.0/24', 4)).toEqual({
      gateway: '10.0.2.1',
      guest: '10.0.2.2',
      prefixLength: 24,
    });
    expect(vmNetworkAddresses('fd10:0:2::/120', 6)).toEqual({
      gateway: 'fd10:0:2::1',
      guest: 'fd10:0:2::2',
      prefixLength: 120,
    });
  });

  it('needs at least 2 host addresses', () => {
    expect(vmNetworkAddresses('10.1.0.0/30', 4)).toMatchObject({ gateway: '10.1.0.1', guest: '10.1.0.2' });
    expect(vmNetworkAddresses('fd00::/126', 6)).toMatchObject({ gateway: 'fd00::1', guest: 'fd00::2' });
    for (const [cidr, family] of [
      ['10.1.0.0/31', 4],
      ['10.1.0.0/32', 4],
      ['fd00::/127', 6],
      ['10.1.0.0', 4],
      ['10.1.0.0/33', 4],
      ['fd00::/24', 4],
      ['10.0.2.0/24', 6],
      ['fd00:::/64', 6],
    ] as const) {
      expect(() => vmNetworkAddresses(cidr, family), cidr).toThrowError(
        expect.objectContaining({ code: 'NETWORK_VM_CIDR_INVALID' }),
      );
    }
  });

  it('prints IPv6 like Go and iproute2 (RFC 5952)', () => {
    const cases = ['::', '::1', 'fd10:0:2::1', '2001:db8::1:0:0:1', '2001:db8:0:1:1:1:1:1', 'fe80::a:0:0:1'];
    for (const text of cases) expect(formatIPv6(parseIPv6(text) ?? -1n)).toBe(text);
    expect(formatIPv6(parseIPv6('FD10:0000:0002:0:0:0:0:0001') ?? -1n)).toBe('fd10:0:2::1');
    expect(parseIPv6('1:2:3:4:5:6:7:8:9')).toBeUndefined();
    expect(parseIPv6('1::2::3')).toBeUndefined();
  });
});
