import type { LinkState, VmiInterface } from './types.js';

// Phase 2 (KUBEVIRT.md §7.4): what the guest's <interface type='ethernet'> needs from the pod,
// as a value for the domain converter. Pure: the caller looks the links up.

export interface GuestInterfaceSpec {
  /** `ua-<name>`. */
  readonly alias: string;
  /** `<target dev=… managed='no'/>`. */
  readonly targetDevice: string;
  readonly managed: false;
  readonly mac: string;
  readonly mtu: number;
}

export interface GuestInterfaceInputs {
  readonly iface: VmiInterface;
  /** The MAC recorded in `vmi.status.interfaces[]`, if any. */
  readonly statusMac?: string | undefined;
  readonly podIfaceName: string;
  /** The link named like the pod interface: the placeholder in bridge binding, the NIC in masquerade. */
  readonly podLink: LinkState;
  /** The derived tap, when it exists. */
  readonly tap: LinkState | undefined;
}

/** MAC: spec `macAddress` > status MAC > the pod link's; tap name if the tap exists, else the pod interface. */
export function guestInterfaceSpec(inputs: GuestInterfaceInputs): GuestInterfaceSpec {
  const mac = inputs.iface.macAddress || inputs.statusMac || inputs.podLink.mac;
  return {
    alias: `ua-${inputs.iface.name}`,
    targetDevice: inputs.tap ? inputs.tap.name : inputs.podIfaceName,
    managed: false,
    mac: mac.toLowerCase(),
    mtu: inputs.podLink.mtu,
  };
}
