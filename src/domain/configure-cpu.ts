import type { Configurator } from './configurator.js';
import { vcpuCount } from './configurator.js';

/** §6.3: topology, `<vcpu>`, mode/model and features. */
export const configureCpu: Configurator = (vmi, _ctx, domain) => {
  const { cpu } = vmi.spec.domain;
  domain.cpu.topology = { sockets: cpu.sockets ?? 1, cores: cpu.cores ?? 1, threads: cpu.threads ?? 1 };
  domain.vcpus = vcpuCount(vmi);
  const features = (cpu.features ?? []).map((f) => ({ name: f.name, policy: f.policy ?? 'require' }));
  if (!cpu.model || cpu.model === 'host-model') {
    domain.cpu.mode = 'host-model';
  } else if (cpu.model === 'host-passthrough') {
    domain.cpu.mode = 'host-passthrough';
  } else {
    domain.cpu.mode = 'custom';
    domain.cpu.model = cpu.model;
    // MPX is gone from current CPUs and QEMU; a custom model must not ask for it.
    if (!features.some((f) => f.name === 'mpx')) features.push({ name: 'mpx', policy: 'disable' });
  }
  domain.cpu.features = features;
};
