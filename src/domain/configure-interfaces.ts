import type { Configurator } from './configurator.js';
import { vcpuCount, virtioModel } from './configurator.js';
import type { DomainInterface } from './domain-types.js';

// §6.6: bridge and masquerade attach through a tap: `<interface type="ethernet">`, with the tap
// name, MAC and MTU from network phase 2 (ctx.interfaces) when the caller has them.

const MAX_QUEUES = 256;

export const configureInterfaces: Configurator = (vmi, ctx, domain) => {
  const { devices } = vmi.spec.domain;
  for (const iface of devices.interfaces) {
    if (iface.state === 'absent') continue;
    const virtio = !iface.model || iface.model === 'virtio';
    const phase2 = ctx.interfaces.get(iface.name);
    const out: DomainInterface = {
      type: 'ethernet',
      alias: `ua-${iface.name}`,
      model: virtio ? virtioModel(vmi) : (iface.model as string),
    };
    const mac = phase2?.mac ?? iface.macAddress;
    if (mac) out.mac = mac;
    if (phase2) {
      out.target = { dev: phase2.targetDevice, managed: 'no' };
      out.mtu = phase2.mtu;
    }
    if (virtio && devices.networkInterfaceMultiqueue) {
      out.driver = { name: 'vhost', queues: Math.min(vcpuCount(vmi), MAX_QUEUES) };
    }
    if (iface.bootOrder !== undefined) out.bootOrder = iface.bootOrder;
    else out.romEnabled = 'no';
    if (iface.state === 'linkDown') out.linkState = 'down';
    if (iface.acpiIndex !== undefined) out.acpiIndex = iface.acpiIndex;
    if (iface.pciAddress) {
      const [dom = '0', bus = '0', slotFn = '0.0'] = iface.pciAddress.split(':');
      const [slot = '0', fn = '0'] = slotFn.split('.');
      out.pciAddress = { domain: `0x${dom}`, bus: `0x${bus}`, slot: `0x${slot}`, function: `0x${fn}` };
    }
    domain.devices.interfaces.push(out);
  }
};
