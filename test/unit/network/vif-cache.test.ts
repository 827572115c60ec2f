import { describe, expect, it } from 'vitest';
import { decodeVifCache, encodeVifCache, type VifCache } from '../../../src/network/vif-cache.js';

// Go's encoding of KubeVirt's DHCPConfig (KUBEVIRT.md §7.5), indented by MarshalIndent.
const ZERO_ROUTE_TAIL = {
  MultiPath: null,
  Protocol: 0,
  Priority: 0,
  Family: 0,
  Table: 0,
  Type: 0,
  Tos: 0,
  Flags: 0,
  MPLSDst: null,
  NewDst: null,
  Encap: null,
  Via: null,
  Realm: 0,
  MTU: 0,
  Window: 0,
  Rtt: 0,
  RttVar: 0,
  Ssthresh: 0,
  Cwnd: 0,
  AdvMSS: 0,
  Reordering: 0,
  Hoplimit: 0,
  InitCwnd: 0,
  Features: 0,
  RtoMin: 0,
  InitRwnd: 0,
  QuickACK: 0,
  Congctl: '',
  FastOpenNoCookie: 0,
};
const ADDR_TAIL = {
  Label: '',
  Flags: 0,
  Scope: 0,
  Peer: null,
  Broadcast: '',
  PreferedLft: 0,
  ValidLft: 0,
  LinkIndex: 0,
};

// biome-ignore format: one field per line, the decoded value beside it
const GOLDEN = {
  Name: 'eth0',                                   // pod interface
  IP: {
    IP: '10.244.0.10',                            // pod IPv4, as text
    Mask: '////AA==',                             // base64 of ff ff ff 00 = /24
    ...ADDR_TAIL,
  },
  IPv6: ADDR_TAIL,                                // nil *IPNet: no IP/Mask keys at all
  MAC: 'ClgK9AAK',                                // base64 of 0a:58:0a:f4:00:0a
  AdvertisingIPAddr: '',                          // nil net.IP
  AdvertisingIPv6Addr: '',
  Routes: [
    {
      LinkIndex: 0, ILinkIndex: 0, Scope: 0,
      Dst: null,                                  // default route
      Src: '',
      Gw: '10.244.0.1',
      ...ZERO_ROUTE_TAIL,
    },
    {
      LinkIndex: 0, ILinkIndex: 0, Scope: 0,
      Dst: { IP: '10.96.0.0', Mask: '//AAAA==' }, // 10.96.0.0/12
      Src: '',
      Gw: '10.244.0.254',
      ...ZERO_ROUTE_TAIL,
    },
  ],
  Mtu: 0,                                         // the launcher fills it in, not the writer
  IPAMDisabled: false,
  Gateway: '10.244.0.1',
  Subdomain: '',
};

const CACHE: VifCache = {
  name: 'eth0',
  ipamDisabled: false,
  ip: { address: '10.244.0.10', prefixLength: 24 },
  mac: '0a:58:0a:f4:00:0a',
  gateway: '10.244.0.1',
  routes: [
    { destination: 'default', gateway: '10.244.0.1' },
    { destination: '10.96.0.0/12', gateway: '10.244.0.254' },
  ],
  mtu: 0,
  subdomain: '',
  advertisingIPAddr: undefined,
};

describe('vif cache', () => {
  it('encodes exactly as Go encodes KubeVirt DHCPConfig, indented', () => {
    const text = encodeVifCache(CACHE);
    expect(JSON.parse(text)).toEqual(GOLDEN);
    expect(text).toBe(JSON.stringify(GOLDEN, null, 2));
  });

  it('decodes what it encodes', () => {
    expect(decodeVifCache(encodeVifCache(CACHE))).toEqual(CACHE);
  });

  it('encodes a pod without IPv4 as IPAMDisabled with null MAC and Routes', () => {
    const text = encodeVifCache({
      ...CACHE,
      ipamDisabled: true,
      ip: undefined,
      mac: undefined,
      gateway: undefined,
      routes: [],
    });
    const doc = JSON.parse(text);
    expect(doc).toMatchObject({ IPAMDisabled: true, MAC: null, Routes: null, Gateway: '', IP: ADDR_TAIL });
    expect(doc.IP).not.toHaveProperty('IP');
  });

  it('reads a handler-written file with an MTU and subdomain', () => {
    const cache = decodeVifCache(JSON.stringify({ ...GOLDEN, Mtu: 1450, Subdomain: 'web' }));
    expect(cache).toMatchObject({ mtu: 1450, subdomain: 'web', ip: { prefixLength: 24 } });
  });

  it.each([
    ['not JSON', '{'],
    ['a MAC of the wrong length', JSON.stringify({ ...GOLDEN, MAC: 'AAAA' })],
    ['a mask that is not base64 text', JSON.stringify({ ...GOLDEN, IP: { IP: '10.0.0.1', Mask: 24 } })],
    ['Routes that are not an array', JSON.stringify({ ...GOLDEN, Routes: {} })],
    ['a root that is not an object', '[]'],
  ])('rejects %s with NETWORK_VIF_CACHE_MALFORMED', (_what, text) => {
    expect(() => decodeVifCache(text)).toThrow(
      expect.objectContaining({ code: 'NETWORK_VIF_CACHE_MALFORMED' }),
    );
  });
});
