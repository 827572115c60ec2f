import { describe, expect, it } from 'vitest';
import { masqueradeRuleset } from '../../../src/network/nft-ruleset.js';

// Golden `nft -f -` scripts of the masquerade binding (KUBEVIRT.md §7.3): KubeVirt's MasqPod
// commands in its order, behind a header that declares and flushes only our chains.

const base = { podIfaceName: 'eth0', bridge: 'k6t-eth0' } as const;
const v4 = { ...base, family: 'ipv4', guestAddress: '10.0.2.2', gatewayAddress: '10.0.2.1' } as const;
const v6 = { ...base, family: 'ipv6', guestAddress: 'fd10:0:2::2', gatewayAddress: 'fd10:0:2::1' } as const;

function header(fam: 'ip' | 'ip6'): string[] {
  return [
    `add table ${fam} nat`,
    `add chain ${fam} nat prerouting { type nat hook prerouting priority -100; }`,
    `add chain ${fam} nat input { type nat hook input priority 100; }`,
    `add chain ${fam} nat output { type nat hook output priority -100; }`,
    `add chain ${fam} nat postrouting { type nat hook postrouting priority 100; }`,
    `add chain ${fam} nat KUBEVIRT_PREINBOUND`,
    `add chain ${fam} nat KUBEVIRT_POSTINBOUND`,
    `flush chain ${fam} nat prerouting`,
    `flush chain ${fam} nat input`,
    `flush chain ${fam} nat output`,
    `flush chain ${fam} nat postrouting`,
    `flush chain ${fam} nat KUBEVIRT_PREINBOUND`,
    `flush chain ${fam} nat KUBEVIRT_POSTINBOUND`,
  ];
}

const script = (fam: 'ip' | 'ip6', rules: string[]): string => [...header(fam), ...rules, ''].join('\n');

describe('masquerade nft ruleset', () => {
  it('IPv4 without ports: everything to the guest, loopback SNAT to the gateway', () => {
    expect(masqueradeRuleset(v4)).toBe(
      script('ip', [
        'add rule ip nat postrouting ip saddr 10.0.2.2 counter masquerade',
        'add rule ip nat prerouting iifname "eth0" counter jump KUBEVIRT_PREINBOUND',
        'add rule ip nat postrouting oifname "k6t-eth0" counter jump KUBEVIRT_POSTINBOUND',
        'add rule ip nat KUBEVIRT_PREINBOUND counter dnat to 10.0.2.2',
        'add rule ip nat KUBEVIRT_POSTINBOUND ip saddr { 127.0.0.1 } counter snat to 10.0.2.1',
        'add rule ip nat output ip daddr { 127.0.0.1 } counter dnat to 10.0.2.2',
      ]),
    );
  });

  it('IPv6 without ports: ip6 family and ::1 as loopback', () => {
    expect(masqueradeRuleset(v6)).toBe(
      script('ip6', [
        'add rule ip6 nat postrouting ip6 saddr fd10:0:2::2 counter masquerade',
        'add rule ip6 nat prerouting iifname "eth0" counter jump KUBEVIRT_PREINBOUND',
        'add rule ip6 nat postrouting oifname "k6t-eth0" counter jump KUBEVIRT_POSTINBOUND',
        'add rule ip6 nat KUBEVIRT_PREINBOUND counter dnat to fd10:0:2::2',
        'add rule ip6 nat KUBEVIRT_POSTINBOUND ip6 saddr { ::1 } counter snat to fd10:0:2::1',
        'add rule ip6 nat output ip6 daddr { ::1 } counter dnat to fd10:0:2::2',
      ]),
    );
  });

  it('with ports: one DNAT, SNAT and output rule per port, protocol default tcp, lower-cased', () => {
    const ports = [{ port: 8080 }, { port: 53, protocol: 'UDP' }];
    expect(masqueradeRuleset({ ...v4, ports })).toBe(
      script('ip', [
        'add rule ip nat postrouting ip saddr 10.0.2.2 counter masquerade',
        'add rule ip nat prerouting iifname "eth0" counter jump KUBEVIRT_PREINBOUND',
        'add rule ip nat postrouting oifname "k6t-eth0" counter jump KUBEVIRT_POSTINBOUND',
        'add rule ip nat KUBEVIRT_PREINBOUND tcp dport { 8080 } counter dnat to 10.0.2.2',
        'add rule ip nat KUBEVIRT_POSTINBOUND tcp dport 8080 ip saddr { 127.0.0.1 } counter snat to 10.0.2.1',
        'add rule ip nat output ip daddr { 127.0.0.1 } tcp dport 8080 counter dnat to 10.0.2.2',
        'add rule ip nat KUBEVIRT_PREINBOUND udp dport { 53 } counter dnat to 10.0.2.2',
        'add rule ip nat KUBEVIRT_POSTINBOUND udp dport 53 ip saddr { 127.0.0.1 } counter snat to 10.0.2.1',
        'add rule ip nat output ip daddr { 127.0.0.1 } udp dport 53 counter dnat to 10.0.2.2',
      ]),
    );
    expect(masqueradeRuleset({ ...v6, ports: [{ port: 8080 }] })).toBe(
      script('ip6', [
        'add rule ip6 nat postrouting ip6 saddr fd10:0:2::2 counter masquerade',
        'add rule ip6 nat prerouting iifname "eth0" counter jump KUBEVIRT_PREINBOUND',
        'add rule ip6 nat postrouting oifname "k6t-eth0" counter jump KUBEVIRT_POSTINBOUND',
        'add rule ip6 nat KUBEVIRT_PREINBOUND tcp dport { 8080 } counter dnat to fd10:0:2::2',
        'add rule ip6 nat KUBEVIRT_POSTINBOUND tcp dport 8080 ip6 saddr { ::1 } counter snat to fd10:0:2::1',
        'add rule ip6 nat output ip6 daddr { ::1 } tcp dport 8080 counter dnat to fd10:0:2::2',
      ]),
    );
  });

  const istioReserved = '{ 15000, 15001, 15004, 15006, 15008, 15009, 15020, 15021, 15053, 15090 }';

  it('Istio without ports: reserved ports skipped, only ssh DNAT-ed, 127.0.0.6 and the pod IP in the sets', () => {
    expect(masqueradeRuleset({ ...v4, istio: true, podIPv4: '10.244.0.10' })).toBe(
      script('ip', [
        'add rule ip nat postrouting ip saddr 10.0.2.2 counter masquerade',
        'add rule ip nat prerouting iifname "eth0" counter jump KUBEVIRT_PREINBOUND',
        'add rule ip nat postrouting oifname "k6t-eth0" counter jump KUBEVIRT_POSTINBOUND',
        `add rule ip nat output tcp dport ${istioReserved} ip saddr 127.0.0.1 counter return`,
        `add rule ip nat KUBEVIRT_POSTINBOUND tcp dport ${istioReserved} ip saddr 127.0.0.1 counter return`,
        'add rule ip nat KUBEVIRT_PREINBOUND tcp dport { 22 } counter dnat to 10.0.2.2',
        'add rule ip nat KUBEVIRT_POSTINBOUND ip saddr { 127.0.0.1, 127.0.0.6 } counter snat to 10.0.2.1',
        'add rule ip nat output ip daddr { 127.0.0.1, 10.244.0.10 } counter dnat to 10.0.2.2',
      ]),
    );
  });

  it('Istio with ports: only a listed ssh port is DNAT-ed; IPv6 keeps loopback alone', () => {
    const ports = [{ port: 22 }, { port: 8080 }];
    expect(masqueradeRuleset({ ...v4, istio: true, podIPv4: '10.244.0.10', ports })).toBe(
      script('ip', [
        'add rule ip nat postrouting ip saddr 10.0.2.2 counter masquerade',
        'add rule ip nat prerouting iifname "eth0" counter jump KUBEVIRT_PREINBOUND',
        'add rule ip nat postrouting oifname "k6t-eth0" counter jump KUBEVIRT_POSTINBOUND',
        'add rule ip nat KUBEVIRT_PREINBOUND tcp dport { 22 } counter dnat to 10.0.2.2',
        'add rule ip nat KUBEVIRT_POSTINBOUND tcp dport 22 ip saddr { 127.0.0.1, 127.0.0.6 } counter snat to 10.0.2.1',
        'add rule ip nat output ip daddr { 127.0.0.1, 10.244.0.10 } tcp dport 22 counter dnat to 10.0.2.2',
        'add rule ip nat KUBEVIRT_POSTINBOUND tcp dport 8080 ip saddr { 127.0.0.1, 127.0.0.6 } counter snat to 10.0.2.1',
        'add rule ip nat output ip daddr { 127.0.0.1, 10.244.0.10 } tcp dport 8080 counter dnat to 10.0.2.2',
      ]),
    );
    expect(masqueradeRuleset({ ...v6, istio: true, podIPv4: '10.244.0.10' })).toBe(
      script('ip6', [
        'add rule ip6 nat postrouting ip6 saddr fd10:0:2::2 counter masquerade',
        'add rule ip6 nat prerouting iifname "eth0" counter jump KUBEVIRT_PREINBOUND',
        'add rule ip6 nat postrouting oifname "k6t-eth0" counter jump KUBEVIRT_POSTINBOUND',
        `add rule ip6 nat output tcp dport ${istioReserved} ip6 saddr ::1 counter return`,
        `add rule ip6 nat KUBEVIRT_POSTINBOUND tcp dport ${istioReserved} ip6 saddr ::1 counter return`,
        'add rule ip6 nat KUBEVIRT_PREINBOUND tcp dport { 22 } counter dnat to fd10:0:2::2',
        'add rule ip6 nat KUBEVIRT_POSTINBOUND ip6 saddr { ::1 } counter snat to fd10:0:2::1',
        'add rule ip6 nat output ip6 daddr { ::1 } counter dnat to fd10:0:2::2',
      ]),
    );
  });

  it('with port ranges: one rule per chain for each range, beside single ports; ranges of one port collapse', () => {
    const portRanges = [
      { start: 1000, end: 2000 },
      { start: 1000, end: 2000, protocol: 'UDP' },
      { start: 3000, end: 3000 },
    ];
    expect(masqueradeRuleset({ ...v6, portRanges })).toBe(
      script('ip6', [
        'add rule ip6 nat postrouting ip6 saddr fd10:0:2::2 counter masquerade',
        'add rule ip6 nat prerouting iifname "eth0" counter jump KUBEVIRT_PREINBOUND',
        'add rule ip6 nat postrouting oifname "k6t-eth0" counter jump KUBEVIRT_POSTINBOUND',
        'add rule ip6 nat KUBEVIRT_PREINBOUND tcp dport { 1000-2000 } counter dnat to fd10:0:2::2',
        'add rule ip6 nat KUBEVIRT_POSTINBOUND tcp dport 1000-2000 ip6 saddr { ::1 } counter snat to fd10:0:2::1',
        'add rule ip6 nat output ip6 daddr { ::1 } tcp dport 1000-2000 counter dnat to fd10:0:2::2',
        'add rule ip6 nat KUBEVIRT_PREINBOUND udp dport { 1000-2000 } counter dnat to fd10:0:2::2',
        'add rule ip6 nat KUBEVIRT_POSTINBOUND udp dport 1000-2000 ip6 saddr { ::1 } counter snat to fd10:0:2::1',
        'add rule ip6 nat output ip6 daddr { ::1 } udp dport 1000-2000 counter dnat to fd10:0:2::2',
        'add rule ip6 nat KUBEVIRT_PREINBOUND tcp dport { 3000 } counter dnat to fd10:0:2::2',
        'add rule ip6 nat KUBEVIRT_POSTINBOUND tcp dport 3000 ip6 saddr { ::1 } counter snat to fd10:0:2::1',
        'add rule ip6 nat output ip6 daddr { ::1 } tcp dport 3000 counter dnat to fd10:0:2::2',
      ]),
    );
  });

  it('Istio with a port range: only the non-proxied ssh port inside it is DNAT-ed', () => {
    const rules = (portRanges: { start: number; end: number }[]) =>
      masqueradeRuleset({ ...v4, istio: true, podIPv4: '10.244.0.10', portRanges })
        .split('\n')
        .filter((l) => l.includes('KUBEVIRT_PREINBOUND tcp'));
    expect(rules([{ start: 20, end: 30 }])).toEqual([
      'add rule ip nat KUBEVIRT_PREINBOUND tcp dport { 22 } counter dnat to 10.0.2.2',
    ]);
    expect(rules([{ start: 8000, end: 9000 }])).toEqual([]);
  });

  it('legacy migration transport: libvirt migration ports from loopback return, right after the jumps', () => {
    const text = masqueradeRuleset({ ...v4, migrationTransportUnix: false });
    const rules = text.split('\n').filter((l) => l.startsWith('add rule'));
    expect(rules.slice(3, 5)).toEqual([
      'add rule ip nat output tcp dport { 49152, 49153 } ip saddr 127.0.0.1 counter return',
      'add rule ip nat KUBEVIRT_POSTINBOUND tcp dport { 49152, 49153 } ip saddr 127.0.0.1 counter return',
    ]);
    expect(masqueradeRuleset({ ...v4, migrationTransportUnix: true })).toBe(masqueradeRuleset(v4));
  });

  it('rejects values that are not names, addresses, ports or protocols', () => {
    const cases = [
      { ...v4, podIfaceName: 'eth0"; flush ruleset' },
      { ...v4, bridge: 'k6t eth0' },
      { ...v4, guestAddress: 'fd10:0:2::2' },
      { ...v6, gatewayAddress: '10.0.2.1' },
      { ...v4, ports: [{ port: 0 }] },
      { ...v4, ports: [{ port: 80, protocol: 'icmp' }] },
      { ...v4, portRanges: [{ start: 2000, end: 1000 }] },
      { ...v4, portRanges: [{ start: 0, end: 10 }] },
      { ...v4, portRanges: [{ start: 10, end: 65536 }] },
      { ...v4, portRanges: [{ start: 1.5, end: 10 }] },
      { ...v4, istio: true },
      { ...v4, istio: true, podIPv4: '10.0.2.2\nflush ruleset' },
    ];
    for (const input of cases) {
      expect(() => masqueradeRuleset(input), JSON.stringify(input)).toThrowError(
        expect.objectContaining({ code: 'NETWORK_NFT_INPUT_INVALID' }),
      );
    }
  });
});
