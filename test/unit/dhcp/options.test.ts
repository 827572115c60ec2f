import { describe, expect, it } from 'vitest';
import { encodeClasslessRoutes } from '../../../src/dhcp/classless-routes.js';
import type { Lease } from '../../../src/dhcp/lease.js';
import { INFINITE_LEASE_SECONDS, longestDomain } from '../../../src/dhcp/lease.js';
import { leaseOptions } from '../../../src/dhcp/options.js';
import { domainLabels, encodeDomainName, encodeSearchList } from '../../../src/dhcp/search-list.js';
import { golden, hex } from './helpers/golden.js';

const base: Lease = {
  address: '10.0.2.2',
  prefixLength: 24,
  serverId: '10.0.2.1',
  dns: [],
  searchDomains: [],
};
const option = (lease: Lease, code: number) => {
  const o = leaseOptions(lease).options.find((x) => x.code === code);
  return o && hex(o.data);
};
const labels = (d: string) => {
  const r = domainLabels(d);
  if ('invalid' in r) throw new Error(r.invalid);
  return r.labels;
};

describe('option encoders', () => {
  it('option 1: the prefix as a mask (RFC 2132 §3.3)', () => {
    expect(option({ ...base, prefixLength: 24 }, 1)).toBe('ffffff00');
    expect(option({ ...base, prefixLength: 19 }, 1)).toBe('ffffe000');
    expect(option({ ...base, prefixLength: 32 }, 1)).toBe('ffffffff');
    expect(option({ ...base, prefixLength: 0 }, 1)).toBe('00000000');
  });

  it('option 3: the router, omitted without a gateway', () => {
    expect(option({ ...base, gateway: '10.0.2.1' }, 3)).toBe('0a000201');
    expect(option(base, 3)).toBeUndefined();
  });

  it('option 6 and 42: addresses concatenated; no zero-length option 6', () => {
    expect(option({ ...base, dns: ['10.96.0.10', '8.8.8.8'] }, 6)).toBe('0a60000a08080808');
    expect(option(base, 6)).toBeUndefined();
    expect(option({ ...base, ntpServers: ['192.0.2.1'] }, 42)).toBe('c0000201');
  });

  it('a non-IPv4 name or NTP server fails the lease with DHCP_BAD_LEASE', () => {
    expect(() => leaseOptions({ ...base, ntpServers: ['fd00::1'] })).toThrow(
      expect.objectContaining({ code: 'DHCP_BAD_LEASE', facts: { field: 'ntpServers', value: 'fd00::1' } }),
    );
  });

  it('options 12, 15, 66, 67: text as raw bytes, omitted when empty', () => {
    const l = { ...base, hostname: 'vm', domainName: 'a.b', tftpServerName: 't', bootFileName: 'pxe.0' };
    expect(option(l, 12)).toBe(hex(golden('"vm"')));
    expect(option(l, 15)).toBe(hex(golden('"a.b"')));
    expect(option(l, 66)).toBe('74');
    expect(option(l, 67)).toBe(hex(golden('"pxe.0"')));
    expect(option({ ...base, hostname: '' }, 12)).toBeUndefined();
  });

  it('option 26: two bytes big-endian, 68 at least (RFC 2132 §5.1)', () => {
    expect(option({ ...base, mtu: 1500 }, 26)).toBe('05dc');
    expect(() => leaseOptions({ ...base, mtu: 67 })).toThrow(
      expect.objectContaining({ code: 'DHCP_BAD_LEASE' }),
    );
  });

  it('option 51: KubeVirt’s 999 days unless told otherwise; 54: the server id', () => {
    expect(INFINITE_LEASE_SECONDS).toBe(999 * 24 * 3600);
    expect(option(base, 51)).toBe('05250a80');
    expect(option({ ...base, leaseSeconds: 3600 }, 51)).toBe('00000e10');
    expect(option(base, 54)).toBe('0a000201');
    expect(option({ ...base, leaseSeconds: 0xffffffff }, 51)).toBe('ffffffff'); // RFC 2131: infinity
    expect(() => leaseOptions({ ...base, leaseSeconds: 2 ** 32 })).toThrow(
      expect.objectContaining({ code: 'DHCP_BAD_LEASE' }),
    );
  });

  it('options 224–254 carry private values; other codes are ignored with a warning', () => {
    const r = leaseOptions({
      ...base,
      privateOptions: [
        { code: 240, value: 'extra' },
        { code: 100, value: 'no' },
        { code: 254, value: '' },
      ],
    });
    expect(
      r.options.filter((o) => o.code >= 224).map((o) => [o.code, Buffer.from(o.data).toString()]),
    ).toEqual([
      [240, 'extra'],
      [254, ''],
    ]);
    expect(r.options.some((o) => o.code === 100)).toBe(false);
    expect(r.warnings).toEqual(['private option 100 ignored: only 224–254 are site-specific']);
  });

  it('an option over 255 bytes is dropped with a warning, never sent malformed', () => {
    const r = leaseOptions({ ...base, hostname: 'h'.repeat(256) });
    expect(r.options.some((o) => o.code === 12)).toBe(false);
    expect(r.warnings).toEqual(['option 12 dropped: 256 bytes, more than 255']);
  });

  it('lists options by code, so the lease alone fixes the bytes', () => {
    const codes = leaseOptions({ ...base, gateway: '10.0.2.1', hostname: 'x', dns: ['1.1.1.1'] }).options.map(
      (o) => o.code,
    );
    expect(codes).toEqual([...codes].sort((a, b) => a - b));
  });

  it('option 15 defaults (in the CLI and launcher) to the longest search domain', () => {
    expect(longestDomain(['a.b', 'svc.cluster.local', 'x.y'])).toBe('svc.cluster.local');
    expect(longestDomain([])).toBeUndefined();
  });
});

describe('RFC 3397 domain search (option 119)', () => {
  it('encodes a name as length-prefixed labels and a zero', () => {
    expect(hex(encodeDomainName(labels('eng.apple.com.')))).toBe(
      hex(golden('03 "eng" 05 "apple" 03 "com" 00')),
    );
  });

  it('compresses shared suffixes with pointers into the option (the RFC 3397 §3 example)', () => {
    const got = encodeSearchList([labels('eng.apple.com'), labels('marketing.apple.com')]);
    expect(hex(got)).toBe(
      hex(
        golden(`
          03 "eng" 05 "apple" 03 "com" 00   // eng.apple.com at 0; apple.com at 4
          09 "marketing" c0 04              // marketing + pointer to apple.com
        `),
      ),
    );
  });

  it('points at a whole earlier name when it repeats as a suffix', () => {
    expect(hex(encodeSearchList([labels('cluster.local'), labels('svc.cluster.local')]))).toBe(
      hex(golden('07 "cluster" 05 "local" 00  03 "svc" c0 00')),
    );
  });

  it('lower-cases names and drops invalid ones with a warning, never failing (KubeVirt #4541)', () => {
    const r = leaseOptions({
      ...base,
      searchDomains: ['Example.COM', 'bad..name', '-x.com', 'a_b.local', 'ok.'],
    });
    const data = r.options.find((o) => o.code === 119)?.data ?? new Uint8Array();
    expect(hex(data)).toBe(hex(golden('07 "example" 03 "com" 00  03 "a_b" 05 "local" 00  02 "ok" 00')));
    expect(r.warnings).toHaveLength(2);
    expect(r.warnings[0]).toMatch(/"bad..name" dropped/);
    expect(r.warnings[1]).toMatch(/"-x.com" dropped/);
  });

  it('drops the domains that would push the list past 255 bytes (KubeVirt #12615)', () => {
    const many = Array.from({ length: 20 }, (_, i) => `namespace-number-${i}.example-${i}.org`);
    const r = leaseOptions({ ...base, searchDomains: many });
    const data = r.options.find((o) => o.code === 119)?.data;
    expect(data?.length).toBeLessThanOrEqual(255);
    expect(r.warnings.length).toBeGreaterThan(0);
    expect(r.warnings.every((w) => w.includes('would exceed 255 bytes'))).toBe(true);
  });

  it('rejects a label over 63 bytes and a name over 255', () => {
    expect(domainLabels(`${'a'.repeat(64)}.com`)).toHaveProperty('invalid');
    expect(domainLabels(Array.from({ length: 50 }, () => 'abcde').join('.'))).toHaveProperty('invalid');
    expect(domainLabels('')).toHaveProperty('invalid');
  });
});

describe('RFC 3442 classless static routes (option 121)', () => {
  it('sends width, significant octets and router, default route last', () => {
    const got = encodeClasslessRoutes([
      { destination: '0.0.0.0/0', gateway: '10.0.0.1' },
      { destination: '10.17.0.0/16', gateway: '10.0.0.2' },
      { destination: '192.168.1.128/25' },
      { destination: '10.0.0.0/8', gateway: '10.0.0.3' },
      { destination: '1.2.3.4/32', gateway: '10.0.0.4' },
    ]);
    expect(hex(got)).toBe(
      hex(
        golden(`
          10 0a 11        0a 00 00 02   // 10.17.0.0/16 via 10.0.0.2
          19 c0 a8 01 80  00 00 00 00   // 192.168.1.128/25 on link
          08 0a           0a 00 00 03   // 10.0.0.0/8 via 10.0.0.3
          20 01 02 03 04  0a 00 00 04   // 1.2.3.4/32 via 10.0.0.4
          00              0a 00 00 01   // default via 10.0.0.1, last
        `),
      ),
    );
  });

  it('zeroes host bits beyond the width', () => {
    expect(hex(encodeClasslessRoutes([{ destination: '10.255.255.255/9', gateway: '1.1.1.1' }]))).toBe(
      '090a8001010101',
    );
  });

  it('is omitted when the lease has no routes', () => {
    expect(option({ ...base, routes: [] }, 121)).toBeUndefined();
  });
});
