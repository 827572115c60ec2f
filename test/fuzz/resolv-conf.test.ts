import { buildReply, prepareLease } from '../../src/dhcp/reply-builder.js';
import { decodeMessage, encodeMessage } from '../../src/dhcp/message.js';
import { prepareV6Lease } from '../../src/dhcp/v6-reply-builder.js';
import { bridgeLease } from '../../src/launcher/bridge-lease.js';
import { dnsSettings, parseResolvConf } from '../../src/network/resolv-conf.js';
import type { VifCache } from '../../src/network/vif-cache.js';
import { DISCOVER } from '../unit/dhcp/helpers/fixtures.js';
import { utf8 } from './harness.js';
import { fuzzSuite } from './suite.js';

// The pod's /etc/resolv.conf is parsed totally (src/network/resolv-conf.ts: "no input can crash
// the launcher"), so nothing may throw here: not the parser, and not the DHCPv4 and DHCPv6 leases
// built from what it accepted (a name server it keeps must be one the DHCP servers can send).

const cache: VifCache = {
  name: 'eth0',
  ipamDisabled: false,
  ip: { address: '10.244.0.10', prefixLength: 24 },
  mac: undefined,
  gateway: '10.244.0.1',
  routes: [{ destination: 'default', gateway: '10.244.0.1' }],
  mtu: 1450,
  subdomain: '',
  advertisingIPAddr: undefined,
};
const discover = decodeMessage(DISCOVER);

const seeds = [
  'search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n',
  'nameserver fd00:10:96::a\nnameserver 10.96.0.10\nnameserver ::ffff:10.1.2.3\nsearch Example.COM.\n',
  '# comment\r\ndomain example.com\r\nnameserver 8.8.4.4\r\nnameserver fe80::1%eth0\r\nsearch a b c\r\n',
  '',
].map(utf8);

fuzzSuite(() => ({
  name: 'resolv-conf',
  seeds,
  allowed: () => false,
  dictionary: [
    'nameserver ',
    'search ',
    '\n',
    '::',
    '.',
    ':',
    '%',
    ' ',
    '\t',
    '255',
    '0',
    'ffff',
    '1.2.3.4',
    '.svc.',
  ].map(utf8),
  maxLength: 8192,
  regressions: [
    // Spread into push() once: 150k search domains overflowed the call stack.
    {
      name: '150k search domains',
      input: utf8(`search ${'a '.repeat(150_000)}\nnameserver 10.0.0.1\n`),
      maxMs: 3000,
    },
    { name: '150k name servers', input: utf8('nameserver 10.96.0.10\n'.repeat(150_000)), maxMs: 3000 },
  ],
  run(input) {
    const conf = parseResolvConf(Buffer.from(input).toString('utf8'));
    for (const subdomain of [undefined, 'sub']) dnsSettings(conf, subdomain);
    const lease = bridgeLease({
      cache,
      resolv: conf,
      subdomain: 'sub',
      hostname: 'vm',
      guestMac: '02:00:00:00:00:aa',
      serverId: '169.254.75.10',
    });
    if (lease) {
      const decision = buildReply(discover, prepareLease({ ...lease, clientMac: undefined }));
      if (decision.kind === 'reply') encodeMessage(decision.message);
    }
    prepareV6Lease({ address: 'fd10:0:2::2', dns: conf.nameserversV6, serverMac: new Uint8Array(6) });
  },
}));
