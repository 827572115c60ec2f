import { VmpodError } from '../errors.js';
import type { CreatableLinkKind, LinkDetails, NetworkDrivers } from './drivers.js';
import type { LinkAddress, LinkRoute } from './types.js';

// An in-memory kernel behind the driver interfaces, for unit tests of the apply logic. It keeps
// the rules that matter to the plan: names are unique, a bridge with ports, renames only while
// down, addresses per link; it can lack dummy support like this project's test kernel.

interface FakeLink {
  index: number;
  name: string;
  mac: string;
  mtu: number;
  up: boolean;
  kind: string | undefined;
  master: string | undefined;
  learning: boolean | undefined;
  tapOwner: { uid: number; gid: number } | undefined;
  addresses: LinkAddress[];
  routes: LinkRoute[];
}

export interface FakeKernelOptions {
  readonly supportsDummy?: boolean;
}

export class FakeKernel {
  readonly links = new Map<number, FakeLink>();
  readonly sysctls = new Map<string, string>([['net.ipv4.conf.all.arp_ignore', '0']]);
  readonly files = new Map<
    string,
    { content: string; mode: number | undefined; uid?: number; gid?: number }
  >();
  /** nftables: `<family> <table>` → the last script that added it (ours flush what they fill). */
  readonly nftTables = new Map<string, string>();
  /** Every mutating call, in order: what a test asserts "changes nothing" with. */
  readonly calls: string[] = [];
  private nextIndex = 1;
  private macCounter = 1;
  private readonly supportsDummy: boolean;

  constructor(opts: FakeKernelOptions = {}) {
    this.supportsDummy = opts.supportsDummy ?? true;
  }

  addLink(link: Partial<FakeLink> & { name: string }): FakeLink {
    const full: FakeLink = {
      index: this.nextIndex++,
      mac: this.freshMac(),
      mtu: 1500,
      up: false,
      kind: undefined,
      master: undefined,
      learning: undefined,
      tapOwner: undefined,
      addresses: [],
      routes: [],
      ...link,
    };
    this.links.set(full.index, full);
    return full;
  }

  byName(name: string): FakeLink | undefined {
    for (const l of this.links.values()) if (l.name === name) return l;
    return undefined;
  }

  private freshMac(): string {
    const n = this.macCounter++;
    return `02:fa:ce:00:00:${n.toString(16).padStart(2, '0')}`;
  }

  private must(name: string): FakeLink {
    const l = this.byName(name);
    if (!l) throw new VmpodError('NETLINK_ENODEV', `Cannot find device "${name}"`);
    return l;
  }

  private view(l: FakeLink): LinkDetails {
    const { index, name, mac, mtu, up, kind, master, learning, tapOwner } = l;
    return { index, name, mac, mtu, up, kind, master, learning, tapOwner };
  }

  drivers(): NetworkDrivers {
    const k = this;
    const record = (call: string): void => {
      k.calls.push(call);
    };
    return {
      links: {
        getLink: async (name) => {
          const l = k.byName(name);
          return l ? k.view(l) : undefined;
        },
        getLinkByIndex: async (index) => {
          const l = k.links.get(index);
          return l ? k.view(l) : undefined;
        },
        listAddresses: async (name) => [...k.must(name).addresses],
        listRoutes: async (name) => {
          const l = k.must(name);
          return l.up ? [...l.routes] : [];
        },
        async createLink(name: string, kind: CreatableLinkKind) {
          record(`create ${kind} ${name}`);
          if (kind === 'dummy' && !k.supportsDummy) {
            throw new VmpodError('NETWORK_LINK_KIND_UNSUPPORTED', 'Unknown device type.');
          }
          if (k.byName(name)) throw new VmpodError('NETLINK_EEXIST', 'File exists');
          k.addLink({ name, kind });
          if (kind === 'veth') k.addLink({ name: `veth${k.nextIndex}`, kind });
        },
        async rename(index, name) {
          record(`rename ${index} ${name}`);
          const l = k.links.get(index);
          if (!l) throw new VmpodError('NETLINK_ENODEV', 'no such index');
          if (l.up) throw new VmpodError('NETLINK_EBUSY', 'Device or resource busy');
          if (k.byName(name)) throw new VmpodError('NETLINK_EEXIST', 'File exists');
          l.name = name;
        },
        async setMac(name, mac) {
          record(`mac ${name} ${mac}`);
          k.must(name).mac = mac;
        },
        async setMtu(name, mtu) {
          record(`mtu ${name} ${mtu}`);
          k.must(name).mtu = mtu;
        },
        async setUp(name, up) {
          record(`${up ? 'up' : 'down'} ${name}`);
          k.must(name).up = up;
        },
        async setMaster(name, master) {
          record(`master ${name} ${master}`);
          const l = k.must(name);
          if (k.must(master).kind !== 'bridge')
            throw new VmpodError('NETWORK_COMMAND_FAILED', 'not a bridge');
          l.master = master;
          l.learning = true;
        },
        async addAddress(name, cidr) {
          record(`addr add ${name} ${cidr}`);
          const l = k.must(name);
          const [address = '', prefix = '32'] = cidr.split('/');
          if (l.addresses.some((a) => a.address === address))
            throw new VmpodError('NETLINK_EEXIST', 'File exists');
          const family = address.includes(':') ? 6 : 4;
          l.addresses.push({ family, address, prefixLength: Number(prefix), scope: 'global' });
        },
        async removeAddress(name, cidr) {
          record(`addr del ${name} ${cidr}`);
          const l = k.must(name);
          const before = l.addresses.length;
          l.addresses = l.addresses.filter((a) => `${a.address}/${a.prefixLength}` !== cidr);
          if (l.addresses.length === before) throw new VmpodError('NETLINK_EADDRNOTAVAIL', 'no such address');
          l.routes = [];
        },
        async setLearning(name, learning) {
          record(`learning ${name} ${learning}`);
          const l = k.must(name);
          if (l.master === undefined) throw new VmpodError('NETWORK_COMMAND_FAILED', 'not a bridge port');
          l.learning = learning;
        },
      },
      taps: {
        async createTap(name, opts) {
          record(`tap ${name} ${opts.uid}/${opts.gid} q${opts.queues}`);
          if (k.byName(name)) throw new VmpodError('NETLINK_EEXIST', 'File exists');
          k.addLink({ name, kind: 'tun', tapOwner: { uid: opts.uid, gid: opts.gid } });
        },
      },
      sysctls: {
        get: async (key) => k.sysctls.get(key) ?? '0',
        async set(key, value) {
          record(`sysctl ${key}=${value}`);
          k.sysctls.set(key, value);
        },
      },
      nft: {
        async apply(script) {
          record(`nft -f ${script.split('\n', 1)[0]}`);
          // Enough of nft for the masquerade binding: the tables its script adds.
          for (const m of script.matchAll(/^add table (ip6?) (\S+)$/gm)) {
            k.nftTables.set(`${m[1]} ${m[2]}`, script);
          }
        },
        listTable: async (family, name) => k.nftTables.get(`${family} ${name}`),
      },
      files: {
        read: async (path) => k.files.get(path)?.content,
        async write(path, content, opts = {}) {
          k.files.set(path, { content, mode: opts.mode, uid: opts.uid, gid: opts.gid });
        },
      },
    };
  }
}
