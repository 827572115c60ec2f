import { chmod, chown, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { errorCode } from '../errors.js';
import type {
  CreatableLinkKind,
  FileDriver,
  LinkDetails,
  LinkDriver,
  NetworkDrivers,
  SysctlDriver,
  TapDriver,
} from './drivers.js';
import { type CommandRunner, createCommandRunner } from './ip-command.js';
import { createNftDriver } from './nft-driver.js';
import type { IpFamily, LinkAddress, LinkRoute } from './types.js';

// Drivers over iproute2 (`ip -json`, `bridge`), procps `sysctl` and the file system. iproute2
// rather than a netlink binding: it also creates taps (an ioctl, not netlink), sets bridge-port
// flags, and can work in a named netns from outside, which the integration tests need.

interface IpJsonLink {
  ifindex: number;
  ifname: string;
  address?: string;
  mtu: number;
  flags?: string[];
  master?: string;
  linkinfo?: {
    info_kind?: string;
    info_slave_kind?: string;
    info_slave_data?: { learning?: boolean };
  };
}

interface IpJsonAddr {
  addr_info?: { family: string; local: string; prefixlen: number; scope: string }[];
}

interface IpJsonRoute {
  dst: string;
  gateway?: string;
}

function parseJson<T>(text: string): T[] {
  const trimmed = text.trim();
  return trimmed === '' ? [] : (JSON.parse(trimmed) as T[]);
}

export function createIpLinkDriver(runner: CommandRunner): LinkDriver {
  const ip = (args: string[]): Promise<string> => runner.run('ip', args);

  async function details(raw: IpJsonLink): Promise<LinkDetails> {
    const kind = raw.linkinfo?.info_kind;
    let tapOwner: LinkDetails['tapOwner'];
    if (kind === 'tun') {
      // `ip -d` prints owner names; sysfs has the numbers.
      const uid = Number((await runner.run('cat', [`/sys/class/net/${raw.ifname}/owner`])).trim());
      const gid = Number((await runner.run('cat', [`/sys/class/net/${raw.ifname}/group`])).trim());
      tapOwner = { uid, gid };
    }
    return {
      index: raw.ifindex,
      name: raw.ifname,
      mac: (raw.address ?? '').toLowerCase(),
      mtu: raw.mtu,
      up: raw.flags?.includes('UP') ?? false,
      kind,
      master: raw.master,
      learning:
        raw.linkinfo?.info_slave_kind === 'bridge' ? raw.linkinfo.info_slave_data?.learning : undefined,
      tapOwner,
    };
  }

  async function show(selector: string[]): Promise<LinkDetails | undefined> {
    try {
      const [raw] = parseJson<IpJsonLink>(await ip(['-d', '-j', 'link', 'show', ...selector]));
      return raw ? await details(raw) : undefined;
    } catch (err) {
      if (errorCode(err) === 'NETLINK_ENODEV') return undefined;
      throw err;
    }
  }

  async function routes(name: string, family: IpFamily): Promise<LinkRoute[]> {
    const out = await ip([`-${family}`, '-j', 'route', 'show', 'dev', name]);
    return parseJson<IpJsonRoute>(out).map((r) => ({
      family,
      destination: r.dst,
      gateway: r.gateway,
    }));
  }

  return {
    getLink: (name) => show(['dev', name]),
    async getLinkByIndex(index) {
      const all = parseJson<IpJsonLink>(await ip(['-d', '-j', 'link', 'show']));
      const raw = all.find((l) => l.ifindex === index);
      return raw ? details(raw) : undefined;
    },
    async listAddresses(name) {
      const [raw] = parseJson<IpJsonAddr>(await ip(['-j', 'addr', 'show', 'dev', name]));
      return (raw?.addr_info ?? []).flatMap((a): LinkAddress[] =>
        a.family === 'inet' || a.family === 'inet6'
          ? [
              {
                family: a.family === 'inet' ? 4 : 6,
                address: a.local,
                prefixLength: a.prefixlen,
                scope: a.scope,
              },
            ]
          : [],
      );
    },
    async listRoutes(name) {
      return [...(await routes(name, 4)), ...(await routes(name, 6))];
    },
    async createLink(name, kind: CreatableLinkKind) {
      await ip(['link', 'add', name, 'type', kind]);
    },
    async rename(index, name) {
      const link = await this.getLinkByIndex(index);
      if (!link) throw new Error(`no link with index ${index}`);
      await ip(['link', 'set', 'dev', link.name, 'name', name]);
    },
    async setMac(name, mac) {
      await ip(['link', 'set', 'dev', name, 'address', mac]);
    },
    async setMtu(name, mtu) {
      await ip(['link', 'set', 'dev', name, 'mtu', String(mtu)]);
    },
    async setUp(name, up) {
      await ip(['link', 'set', 'dev', name, up ? 'up' : 'down']);
    },
    async setMaster(name, master) {
      await ip(['link', 'set', 'dev', name, 'master', master]);
    },
    async addAddress(name, cidr) {
      await ip(['addr', 'add', cidr, 'dev', name]);
    },
    async removeAddress(name, cidr) {
      await ip(['addr', 'del', cidr, 'dev', name]);
    },
    async setLearning(name, learning) {
      await runner.run('bridge', ['link', 'set', 'dev', name, 'learning', learning ? 'on' : 'off']);
    },
  };
}

export function createIpTapDriver(runner: CommandRunner): TapDriver {
  return {
    async createTap(name, opts) {
      const args = ['tuntap', 'add', 'dev', name, 'mode', 'tap', 'user', String(opts.uid)];
      args.push('group', String(opts.gid));
      if (opts.queues > 1) args.push('multi_queue');
      await runner.run('ip', args);
    },
  };
}

export function createSysctlDriver(runner: CommandRunner): SysctlDriver {
  return {
    async get(key) {
      return (await runner.run('sysctl', ['-n', key])).trim();
    },
    async set(key, value) {
      await runner.run('sysctl', ['-q', '-w', `${key}=${value}`]);
    },
  };
}

export function createFileDriver(): FileDriver {
  return {
    async read(path) {
      try {
        return await readFile(path, 'utf8');
      } catch (err) {
        if (errorCode(err) === 'ENOENT') return undefined;
        throw err;
      }
    },
    async write(path, content, opts = {}) {
      await mkdir(dirname(path), { recursive: true });
      const tmp = `${path}.tmp-${process.pid}`;
      await writeFile(tmp, content);
      await chmod(tmp, opts.mode ?? 0o600); // not subject to the umask, unlike writeFile's mode
      if (opts.uid !== undefined && opts.gid !== undefined) await chown(tmp, opts.uid, opts.gid);
      await rename(tmp, path);
    },
  };
}

/** All drivers for the current namespace, or for the named netns `netns` (tests, tools). */
export function createIpDrivers(netns?: string): NetworkDrivers {
  const runner = createCommandRunner(netns);
  return {
    links: createIpLinkDriver(runner),
    taps: createIpTapDriver(runner),
    sysctls: createSysctlDriver(runner),
    files: createFileDriver(),
    nft: createNftDriver(netns),
  };
}
