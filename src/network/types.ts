// The data the network code passes around: what discovery found, what a VMI interface asks for,
// and the desired state of a bridge binding (KUBEVIRT.md §7). Types only, no behaviour.

export type IpFamily = 4 | 6;

/** An address on a link, e.g. 10.244.0.10/24 with scope global. */
export interface LinkAddress {
  readonly family: IpFamily;
  readonly address: string;
  readonly prefixLength: number;
  /** Kernel scope name as `ip` reports it: `global`, `link`, `host`. */
  readonly scope: string;
}

/** A route whose outgoing interface is the link; `destination` is `default` or `a.b.c.d/n`. */
export interface LinkRoute {
  readonly family: IpFamily;
  readonly destination: string;
  /** Next hop, or undefined for a directly connected route. */
  readonly gateway: string | undefined;
}

export interface LinkState {
  readonly index: number;
  readonly name: string;
  /** Lower-case colon notation. */
  readonly mac: string;
  readonly mtu: number;
  /** Administratively up (IFF_UP). */
  readonly up: boolean;
  /** `bridge`, `tun`, `veth`, `dummy`, … or undefined for a plain device. */
  readonly kind: string | undefined;
  /** Name of the bridge this link is enslaved to. */
  readonly master: string | undefined;
}

/** The pod interface and its neighbourhood as found in the pod's network namespace. */
export interface DiscoveredPodInterface {
  /** The pod interface name (`eth0`, `pod<hash>`, `net<N>`). */
  readonly name: string;
  readonly link: LinkState | undefined;
  readonly addresses: readonly LinkAddress[];
  readonly routes: readonly LinkRoute[];
  /** Links of a bridge layout that may already exist (built by virt-handler or a previous run). */
  readonly bridge: LinkState | undefined;
  readonly nic: LinkState | undefined;
  readonly tap: LinkState | undefined;
}

/** The parts of a KubeVirt v1 `Interface` (spec.domain.devices.interfaces[]) the network needs. */
export interface VmiInterface {
  readonly name: string;
  readonly macAddress?: string;
  readonly model?: string;
  readonly bridge?: Record<string, never> | object;
  readonly masquerade?: object;
  readonly state?: string;
}

/** The parts of a `vmi.status.interfaces[]` entry the network needs. */
export interface VmiInterfaceStatus {
  readonly name?: string;
  readonly mac?: string;
  readonly podInterfaceName?: string;
}
