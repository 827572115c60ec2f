import type { FeatureState, HypervFeatures } from '../vmi/types.js';
import type { Configurator } from './configurator.js';
import type { HypervFeature, OnOff } from './domain-types.js';

const onOff = (s: FeatureState | undefined): OnOff => (s?.enabled === false ? 'off' : 'on');

// VMI key → libvirt element, in libvirt's order.
const HYPERV_NAMES: readonly [keyof HypervFeatures, string][] = [
  ['relaxed', 'relaxed'],
  ['vapic', 'vapic'],
  ['spinlocks', 'spinlocks'],
  ['vpindex', 'vpindex'],
  ['runtime', 'runtime'],
  ['synic', 'synic'],
  ['synictimer', 'stimer'],
  ['reset', 'reset'],
  ['vendorid', 'vendor_id'],
  ['frequencies', 'frequencies'],
  ['reenlightenment', 'reenlightenment'],
  ['tlbflush', 'tlbflush'],
  ['ipi', 'ipi'],
  ['evmcs', 'evmcs'],
];

function hyperv(h: HypervFeatures): HypervFeature[] {
  const out: HypervFeature[] = [];
  for (const [key, name] of HYPERV_NAMES) {
    const f = h[key];
    if (!f) continue;
    const feature: HypervFeature = { name, state: onOff(f) };
    if (key === 'spinlocks' && h.spinlocks?.spinlocks !== undefined && feature.state === 'on') {
      feature.attrs = { retries: String(h.spinlocks.spinlocks) };
    }
    if (key === 'vendorid' && h.vendorid?.vendorid !== undefined && feature.state === 'on') {
      feature.attrs = { value: h.vendorid.vendorid };
    }
    if (key === 'synictimer' && h.synictimer?.direct) {
      feature.children = [{ name: 'direct', state: onOff(h.synictimer.direct) }];
    }
    out.push(feature);
  }
  return out;
}

/** §6.4: `<features>` stays empty without spec.domain.features; otherwise ACPI unless disabled. */
export const configureFeatures: Configurator = (vmi, _ctx, domain) => {
  const f = vmi.spec.domain.features;
  if (!f) return;
  domain.features.acpi = f.acpi?.enabled !== false;
  if (f.apic && f.apic.enabled !== false) domain.features.apic = true;
  if (f.smm && f.smm.enabled !== false) domain.features.smm = true;
  if (f.hyperv) domain.features.hyperv = hyperv(f.hyperv);
  if (f.kvm) domain.features.kvmHidden = f.kvm.hidden ? 'on' : 'off';
  if (f.pvspinlock) domain.features.pvspinlock = onOff(f.pvspinlock);
  domain.features.vmport = 'off';
};
