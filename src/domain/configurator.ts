import type { Vmi } from '../vmi/types.js';
import type { ConvertContext } from './context.js';
import type { Domain } from './domain-types.js';

/** One section of the domain (KUBEVIRT.md §6): reads the VMI and context, fills its part. */
export type Configurator = (vmi: Vmi, ctx: ConvertContext, domain: Domain) => void;

/** The model name KubeVirt gives virtio devices. */
export function virtioModel(vmi: Vmi): string {
  return vmi.spec.domain.devices.useVirtioTransitional ? 'virtio-transitional' : 'virtio-non-transitional';
}

/** Total vCPUs of the (defaulted) topology. */
export function vcpuCount(vmi: Vmi): number {
  const { sockets = 1, cores = 1, threads = 1 } = vmi.spec.domain.cpu;
  return sockets * cores * threads;
}
