// What `ip -d -j link` and `ip -j addr` print, as far as the network tests read it: iproute2 is
// the independent witness of what vmpod's drivers did to the kernel.

export interface IpJsonLink {
  ifindex: number;
  ifname: string;
  address: string;
  mtu: number;
  flags: string[];
  operstate?: string;
  master?: string;
  linkinfo?: { info_kind?: string; info_slave_data?: { learning?: boolean } };
}

export interface IpJsonAddr {
  ifname: string;
  addr_info: { family: string; local: string; prefixlen: number; scope: string }[];
}
