import { constants, accessSync } from 'node:fs';
import { VmpodError } from '../errors.js';

// kvm or qemu (TCG) for <domain type> (KUBEVIRT.md §6.1). A pod gets /dev/kvm only when it asked
// for the device; with KubeVirt's useEmulation it does not, and the launcher runs TCG. vmpod
// reads --allow-emulation the same way: emulation was asked for, so it is used. Without it, KVM
// must be there.

export function chooseDomainType(allowEmulation: boolean, kvmDevice = '/dev/kvm'): 'kvm' | 'qemu' {
  if (allowEmulation) return 'qemu';
  try {
    accessSync(kvmDevice, constants.R_OK | constants.W_OK);
    return 'kvm';
  } catch (err) {
    throw new VmpodError('KVM_UNAVAILABLE', 'kvm not present and emulation is not allowed', {
      cause: err,
      facts: { device: kvmDevice },
    });
  }
}
