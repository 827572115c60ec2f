import { buildReply, prepareLease } from '../../src/dhcp/reply-builder.js';
import { decodeMessage, encodeMessage } from '../../src/dhcp/message.js';
import { bridgeLease } from '../../src/launcher/bridge-lease.js';
import { decodeVifCache, encodeVifCache, type VifCache } from '../../src/network/vif-cache.js';
import { parseResolvConf } from '../../src/network/resolv-conf.js';
import { DISCOVER } from '../unit/dhcp/helpers/fixtures.js';
import { utf8 } from './harness.js';
import { mutateJson } from './json-mutator.js';
import { fuzzSuite } from './suite.js';

// `vif-cache-<iface>.json` as virt-handler writes it, through everything the bridge binding does
// with it: decode, build the guest's lease, and answer a DISCOVER with it. NETWORK_VIF_CACHE_MALFORMED
// or, for an address the cache decoder lets through, the lease's typed DHCP_* errors; nothing else.

const base: VifCache = {
  name: 'eth0',
  ipamDisabled: false,
  ip: { address: '10.244.0.10', prefixLength: 24 },
  mac: '0a:58:0a:f4:00:0a',
  gateway: '10.244.0.1',
  routes: [
    { destination: 'default', gateway: '10.244.0.1' },
    { destination: '10.244.0.0/24', gateway: undefined },
    { destination: '10.96.0.0/12', gateway: '10.244.0.254' },
  ],
  mtu: 1450,
  subdomain: 'sub',
  advertisingIPAddr: '10.244.0.10',
};

const seeds = [
  base,
  { ...base, ipamDisabled: true, ip: undefined, routes: [], gateway: undefined },
  {
    ...base,
    mac: undefined,
    subdomain: '',
    advertisingIPAddr: undefined,
    ip: { address: '192.168.1.2', prefixLength: 32 },
  },
].map((c) => utf8(encodeVifCache(c)));

const resolv = parseResolvConf('search default.svc.cluster.local svc.cluster.local\nnameserver 10.96.0.10\n');
const discover = decodeMessage(DISCOVER);

fuzzSuite(() => ({
  name: 'vif-cache',
  seeds,
  mutators: [mutateJson],
  dictionary: [
    '"IP"',
    '"Mask"',
    '"MAC"',
    '"Routes"',
    '"Dst"',
    '"Gw"',
    '"Mtu"',
    'null',
    '[]',
    '{}',
    '"////AA=="',
    '1e400',
  ].map(utf8),
  run(input) {
    const cache = decodeVifCache(Buffer.from(input).toString('utf8'));
    const lease = bridgeLease({
      cache,
      resolv,
      subdomain: cache.subdomain,
      hostname: 'vm-one',
      guestMac: '02:00:00:00:00:aa',
      serverId: '169.254.75.10',
    });
    if (!lease) return;
    const decision = buildReply(discover, prepareLease({ ...lease, clientMac: undefined }));
    if (decision.kind === 'reply') encodeMessage(decision.message);
  },
}));
