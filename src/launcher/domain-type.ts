import { VmpodError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { KvmProbeResult } from './kvm-probe.js';

// kvm or qemu (TCG) for <domain type> (KUBEVIRT.md §6.1). KVM is used whenever a trial says it
// works; otherwise the guest runs under TCG if emulation is allowed (--allow-emulation, KubeVirt's
// useEmulation), and the launcher fails with the trial's reason if it is not.

export function decideDomainType(allowEmulation: boolean, kvm: KvmProbeResult): 'kvm' | 'qemu' {
  if (kvm.usable) return 'kvm';
  if (allowEmulation) return 'qemu';
  throw new VmpodError('KVM_UNAVAILABLE', `KVM is not usable and emulation is not allowed: ${kvm.reason}`, {
    facts: { reason: kvm.reason },
  });
}

/** Tries KVM, decides, and logs the trial's outcome. */
export async function chooseDomainType(
  allowEmulation: boolean,
  opts: { log?: Logger; probe?: () => Promise<KvmProbeResult> } = {},
): Promise<'kvm' | 'qemu'> {
  const probe = opts.probe ?? (async () => (await import('./kvm-probe.js')).probeKvm());
  const kvm = await probe();
  const type = decideDomainType(allowEmulation, kvm);
  if (kvm.usable) opts.log?.info({ domainType: type, probeMs: kvm.ms }, 'KVM trial succeeded');
  else
    opts.log?.warn(
      { domainType: type, probeMs: kvm.ms, reason: kvm.reason },
      'KVM is not usable: software emulation',
    );
  return type;
}
