import { describe, expect, it } from 'vitest';
import { dnsSettings, parseResolvConf } from '../../../src/network/resolv-conf.js';

describe('resolv.conf', () => {
  it('reads a Kubernetes pod resolv.conf', () => {
    const conf = parseResolvConf(
      [
        'search default.svc.cluster.local svc.cluster.local Cluster.Local',
        'nameserver 10.96.0.10',
        'nameserver fd00:10:96::a',
        'options ndots:5',
      ].join('\n'),
    );
    expect(conf).toEqual({
      nameserversV4: ['10.96.0.10'],
      nameserversV6: ['fd00:10:96::a'],
      searchDomains: ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local'],
    });
  });

  it('falls back to 8.8.8.8 and cluster.local when nothing usable is there', () => {
    const fallback = { nameserversV4: ['8.8.8.8'], nameserversV6: [], searchDomains: ['cluster.local'] };
    expect(parseResolvConf('')).toEqual(fallback);
    expect(parseResolvConf('nameserver\nnameserver 1.2.3.4 extra\nnameserver banana\n# c\n')).toEqual(
      fallback,
    );
  });

  it('keeps IPv6-only servers without adding the IPv4 default', () => {
    expect(parseResolvConf('nameserver 2001:db8::53').nameserversV4).toEqual([]);
  });

  it('survives any input without throwing', () => {
    let seed = 7;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    const alphabet = 'nameserver search 0123456789.:abcdef \t\r\n#;\u0000\uffff';
    for (let i = 0; i < 500; i++) {
      let text = '';
      const len = rand() % 200;
      for (let j = 0; j < len; j++) text += alphabet[rand() % alphabet.length];
      const conf = parseResolvConf(text);
      expect(conf.searchDomains.length).toBeGreaterThan(0);
      expect(conf.nameserversV4.length + conf.nameserversV6.length).toBeGreaterThan(0);
    }
  });

  it('prepends the subdomain to the longest .svc. domain and picks the longest as domain name', () => {
    const conf = parseResolvConf('search default.svc.cluster.local svc.cluster.local cluster.local\n');
    expect(dnsSettings(conf, 'web')).toEqual({
      searchDomains: [
        'web.default.svc.cluster.local',
        'default.svc.cluster.local',
        'svc.cluster.local',
        'cluster.local',
      ],
      domainName: 'web.default.svc.cluster.local',
    });
    expect(dnsSettings(conf, undefined).domainName).toBe('default.svc.cluster.local');
  });
});
