import type { LinkAddress, LinkRoute, LinkState } from './types.js';

// One tiny driver per side effect (STYLE.md, after KubeVirt's pkg/network/driver): links and
// addresses, taps, sysctls, files. The apply logic talks only to these interfaces; production
// uses rtnetlink, /proc/sys and /dev/net/tun (system-drivers.ts), unit tests the in-memory kernel
// (fake-drivers.ts).

export type CreatableLinkKind = 'bridge' | 'dummy' | 'veth';

export interface LinkDetails extends LinkState {
  /** Bridge-port MAC learning, when the link is a bridge port. */
  readonly learning: boolean | undefined;
  /** Owner of a tap device. */
  readonly tapOwner: { readonly uid: number; readonly gid: number } | undefined;
}

export interface LinkDriver {
  getLink(name: string): Promise<LinkDetails | undefined>;
  getLinkByIndex(index: number): Promise<LinkDetails | undefined>;
  listAddresses(name: string): Promise<LinkAddress[]>;
  listRoutes(name: string): Promise<LinkRoute[]>;
  /** Throws NETWORK_LINK_KIND_UNSUPPORTED when the kernel lacks the kind (e.g. no dummy). */
  createLink(name: string, kind: CreatableLinkKind): Promise<void>;
  rename(index: number, name: string): Promise<void>;
  setMac(name: string, mac: string): Promise<void>;
  setMtu(name: string, mtu: number): Promise<void>;
  setUp(name: string, up: boolean): Promise<void>;
  setMaster(name: string, master: string): Promise<void>;
  addAddress(name: string, cidr: string): Promise<void>;
  removeAddress(name: string, cidr: string): Promise<void>;
  setLearning(name: string, learning: boolean): Promise<void>;
}

export interface TapOptions {
  readonly uid: number;
  readonly gid: number;
  /** 0 or 1: single queue; more: a multi-queue tap. */
  readonly queues: number;
}

export interface TapDriver {
  createTap(name: string, opts: TapOptions): Promise<void>;
}

export interface SysctlDriver {
  /** `net.ipv4.conf.all.arp_ignore` style keys. */
  get(key: string): Promise<string>;
  set(key: string, value: string): Promise<void>;
}

export interface FileDriver {
  /** The file's text, or undefined when it does not exist. */
  read(path: string): Promise<string | undefined>;
  /** Replaces the file atomically (write, then rename). */
  write(path: string, content: string, opts?: { mode?: number; uid?: number; gid?: number }): Promise<void>;
}

/** nftables through the `nft` CLI (masquerade binding). */
export interface NftDriver {
  /** Runs a script as `nft -f -` (text on stdin): one atomic transaction. */
  apply(script: string): Promise<void>;
  /** `nft list table <family> <name>`, or undefined when there is no such table. */
  listTable(family: 'ip' | 'ip6', name: string): Promise<string | undefined>;
}

export interface NetworkDrivers {
  readonly links: LinkDriver;
  readonly taps: TapDriver;
  readonly sysctls: SysctlDriver;
  readonly files: FileDriver;
  /** Needed by the masquerade binding only. */
  readonly nft?: NftDriver;
}
