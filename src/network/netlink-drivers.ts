import { readFileSync, writeFileSync } from 'node:fs';
import { VmpodError, errorCode } from '../errors.js';
import type { CreatableLinkKind, LinkDetails, LinkDriver, SysctlDriver } from './drivers.js';
import { NetlinkSocket, inNetns } from './netlink-socket.js';
import {
  AF_INET,
  AF_INET6,
  AF_UNSPEC,
  type LinkChange,
  type ParsedLink,
  RT_TABLE_MAIN,
  addressRequest,
  createLinkRequest,
  dumpAddressesRequest,
  dumpLinksRequest,
  dumpRoutesRequest,
  getLinkRequest,
  parseAddress,
  parseLink,
  parseRoute,
  setLearningRequest,
  setLinkRequest,
} from './rtnetlink.js';
import type { LinkAddress, LinkRoute } from './types.js';

// The link driver over rtnetlink (what `ip link`, `ip addr`, `ip route` and `bridge link` send),
// and sysctls through /proc/sys: the pod network is built in a few milliseconds, with no process
// started. Each call opens its own socket, so a driver needs no closing; with `netns` the socket
// is made inside that named namespace (tools and tests working from outside).

export function createNetlinkLinkDriver(netns?: string): LinkDriver {
  function find(s: NetlinkSocket, by: { name: string } | { index: number }): ParsedLink | undefined {
    try {
      const [m] = s.request(getLinkRequest(by), `get link ${'name' in by ? by.name : `#${by.index}`}`);
      return m ? parseLink(m.payload) : undefined;
    } catch (err) {
      if (errorCode(err) === 'NETLINK_ENODEV') return undefined;
      throw err;
    }
  }

  function must(s: NetlinkSocket, name: string): ParsedLink {
    const link = find(s, { name });
    if (!link)
      throw new VmpodError('NETLINK_ENODEV', `link ${name} does not exist`, { facts: { link: name, netns } });
    return link;
  }

  function details(s: NetlinkSocket, link: ParsedLink): LinkDetails {
    const { masterIndex, operState: _, ...rest } = link;
    const master = masterIndex === undefined ? undefined : find(s, { index: masterIndex })?.name;
    return { ...rest, master };
  }

  const change = (name: string, what: string, c: LinkChange) =>
    NetlinkSocket.use(netns, (s) => {
      s.request(setLinkRequest(must(s, name).index, c), `${what} of ${name}`);
    });

  return {
    async getLink(name) {
      return NetlinkSocket.use(netns, (s) => {
        const link = find(s, { name });
        return link ? details(s, link) : undefined;
      });
    },
    async getLinkByIndex(index) {
      return NetlinkSocket.use(netns, (s) => {
        const link = find(s, { index });
        return link ? details(s, link) : undefined;
      });
    },
    async listAddresses(name) {
      return NetlinkSocket.use(netns, (s) => {
        const { index } = must(s, name);
        return s.request(dumpAddressesRequest(AF_UNSPEC), 'list addresses').flatMap((m): LinkAddress[] => {
          const a = parseAddress(m.payload);
          return a && a.index === index
            ? [{ family: a.family, address: a.address, prefixLength: a.prefixLength, scope: a.scope }]
            : [];
        });
      });
    },
    async listRoutes(name) {
      // As `ip route show dev NAME`: the main table's routes that leave through the link.
      return NetlinkSocket.use(netns, (s) => {
        const { index } = must(s, name);
        return [AF_INET, AF_INET6].flatMap((family) =>
          s.request(dumpRoutesRequest(family), 'list routes').flatMap((m): LinkRoute[] => {
            const r = parseRoute(m.payload);
            return r && r.outIndex === index && r.table === RT_TABLE_MAIN
              ? [{ family: r.family, destination: r.destination, gateway: r.gateway }]
              : [];
          }),
        );
      });
    },
    async createLink(name, kind: CreatableLinkKind) {
      NetlinkSocket.use(netns, (s) => {
        try {
          s.request(createLinkRequest(name, kind), `create ${kind} ${name}`);
        } catch (err) {
          if (errorCode(err) !== 'NETLINK_EOPNOTSUPP') throw err;
          throw new VmpodError('NETWORK_LINK_KIND_UNSUPPORTED', `this kernel cannot create ${kind} links`, {
            cause: err,
            facts: { link: name, kind, netns },
          });
        }
      });
    },
    async rename(index, name) {
      NetlinkSocket.use(netns, (s) => {
        if (!find(s, { index })) {
          throw new VmpodError('NETLINK_ENODEV', `no link with index ${index}`, { facts: { index, netns } });
        }
        s.request(setLinkRequest(index, { name }), `rename link #${index} to ${name}`);
      });
    },
    async setMac(name, mac) {
      change(name, `set MAC ${mac}`, { mac });
    },
    async setMtu(name, mtu) {
      change(name, `set MTU ${mtu}`, { mtu });
    },
    async setUp(name, up) {
      change(name, up ? 'set up' : 'set down', { up });
    },
    async setMaster(name, master) {
      NetlinkSocket.use(netns, (s) => {
        const masterIndex = must(s, master).index;
        s.request(setLinkRequest(must(s, name).index, { masterIndex }), `enslave ${name} to ${master}`);
      });
    },
    async addAddress(name, cidr) {
      NetlinkSocket.use(netns, (s) => {
        s.request(addressRequest('add', must(s, name).index, cidr), `add address ${cidr} to ${name}`);
      });
    },
    async removeAddress(name, cidr) {
      NetlinkSocket.use(netns, (s) => {
        s.request(addressRequest('del', must(s, name).index, cidr), `remove address ${cidr} from ${name}`);
      });
    },
    async setLearning(name, learning) {
      NetlinkSocket.use(netns, (s) => {
        s.request(
          setLearningRequest(must(s, name).index, learning),
          `set learning ${learning ? 'on' : 'off'} on ${name}`,
        );
      });
    },
  };
}

/** A link and its addresses, as `ip -d addr` shows them. */
export interface LinkOverview {
  readonly name: string;
  readonly kind: string | undefined;
  readonly mac: string | undefined;
  readonly mtu: number;
  readonly up: boolean;
  readonly operState: string | undefined;
  readonly master: string | undefined;
  /** `address/prefix`, IPv4 first. */
  readonly addresses: readonly string[];
}

/** Every link of the namespace with its addresses: two dumps, no capability needed. */
export function listLinkOverviews(netns?: string): LinkOverview[] {
  return NetlinkSocket.use(netns, (s) => {
    const links = s.request(dumpLinksRequest(), 'list links').map((m) => parseLink(m.payload));
    const addresses = new Map<number, string[]>();
    for (const m of s.request(dumpAddressesRequest(AF_UNSPEC), 'list addresses')) {
      const a = parseAddress(m.payload);
      if (a) addresses.set(a.index, [...(addresses.get(a.index) ?? []), `${a.address}/${a.prefixLength}`]);
    }
    const names = new Map(links.map((l) => [l.index, l.name]));
    return links.map((l) => ({
      name: l.name,
      kind: l.kind,
      mac: l.mac === '' ? undefined : l.mac,
      mtu: l.mtu,
      up: l.up,
      operState: l.operState,
      master: l.masterIndex === undefined ? undefined : names.get(l.masterIndex),
      addresses: addresses.get(l.index) ?? [],
    }));
  });
}

/** `net.ipv4.conf.all.arp_ignore` → /proc/sys/net/ipv4/conf/all/arp_ignore. */
export function sysctlPath(key: string): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(key) || key.includes('..')) {
    throw new VmpodError('SYSCTL_INVALID_KEY', `not a sysctl key: ${JSON.stringify(key)}`);
  }
  return `/proc/sys/${key.replaceAll('.', '/')}`;
}

/**
 * Sysctls through /proc/sys, which shows the net.* keys of the namespace the opening thread is
 * in: inside `netns` when given.
 */
export function createProcSysctlDriver(netns?: string): SysctlDriver {
  const at = <T>(key: string, fn: (path: string) => T): T => {
    const path = sysctlPath(key);
    try {
      return inNetns(netns, () => fn(path));
    } catch (cause) {
      throw new VmpodError('SYSCTL_FAILED', `sysctl ${key}: ${errorCode(cause) ?? String(cause)}`, {
        cause,
        facts: { key, netns },
      });
    }
  };
  return {
    async get(key) {
      return at(key, (path) => readFileSync(path, 'utf8').trim());
    },
    async set(key, value) {
      at(key, (path) => writeFileSync(path, `${value}\n`));
    },
  };
}
