import { VmpodError } from '../errors.js';
import type { Configurator } from './configurator.js';

// §6.4 `<iothreads>`: with ioThreadsPolicy `shared` (or any dedicatedIOThread disk) one shared
// thread serves every virtio disk, and each dedicated disk gets a thread of its own after it.
// Runs after the disks are built; `auto` and `supplementalPool` are not converted yet.

export const configureIoThreads: Configurator = (vmi, _ctx, domain) => {
  const { ioThreadsPolicy, devices } = vmi.spec.domain;
  if (ioThreadsPolicy !== undefined && ioThreadsPolicy !== 'shared') {
    throw new VmpodError(
      'NOT_SUPPORTED',
      `spec.domain.ioThreadsPolicy: "${ioThreadsPolicy}" is not supported by vmpod`,
      {
        facts: { path: 'spec.domain.ioThreadsPolicy' },
      },
    );
  }
  const dedicated = new Set(devices.disks.filter((d) => d.dedicatedIOThread).map((d) => d.name));
  if (ioThreadsPolicy === undefined && dedicated.size === 0) return;
  let next = 2;
  for (const disk of domain.devices.disks) {
    if (disk.target.bus !== 'virtio') continue;
    disk.driver.iothread = dedicated.has(disk.alias.slice('ua-'.length)) ? next++ : 1;
  }
  domain.iothreads = next - 1;
};
