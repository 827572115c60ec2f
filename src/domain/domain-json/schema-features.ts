// api.Features (with Hyper-V and KVM enlightenments), as KubeVirt's api package names them.
import { type GoStruct, empty, ptr, str, uintPtr } from './go-struct.js';

const FeatureState = (): GoStruct => ({ State: str('state') });

const FeatureHyperv: GoStruct = {
  Mode: str('mode'),
  Relaxed: ptr('relaxed', FeatureState),
  VAPIC: ptr('vapic', FeatureState),
  Spinlocks: ptr('spinlocks', () => ({ State: str('state'), Retries: uintPtr('retries') })),
  VPIndex: ptr('vpindex', FeatureState),
  Runtime: ptr('runtime', FeatureState),
  SyNIC: ptr('synic', FeatureState),
  SyNICTimer: ptr('stimer', () => ({ Direct: ptr('direct', FeatureState), State: str('state') })),
  Reset: ptr('reset', FeatureState),
  VendorID: ptr('vendor_id', () => ({ State: str('state'), Value: str('value') })),
  Frequencies: ptr('frequencies', FeatureState),
  Reenlightenment: ptr('reenlightenment', FeatureState),
  TLBFlush: ptr('tlbflush', FeatureState),
  IPI: ptr('ipi', FeatureState),
  EVMCS: ptr('evmcs', FeatureState),
};

export const Features: GoStruct = {
  ACPI: empty('acpi'),
  APIC: empty('apic'),
  Hyperv: ptr('hyperv', () => FeatureHyperv),
  SMM: empty('smm'),
  KVM: ptr('kvm', () => ({
    Hidden: ptr('hidden', FeatureState),
    HintDedicated: ptr('hint-dedicated', FeatureState),
  })),
  PVSpinlock: ptr('pvspinlock', FeatureState),
  PMU: ptr('pmu', FeatureState),
  VMPort: ptr('vmport', FeatureState),
};
