import { describe, expect, it } from 'vitest';
import { errorCode } from '../../../src/errors.js';
import { chooseDomainType, decideDomainType } from '../../../src/launcher/domain-type.js';
import { probeFirmware } from '../../../src/launcher/kvm-probe.js';

const works = { usable: true, ms: 40 } as const;
const broken = { usable: false, reason: 'qemu: exit code 134: kvm_buf_set_msrs: Assertion', ms: 30 } as const;

describe('decideDomainType', () => {
  it('uses KVM whenever the trial worked, even with emulation allowed', () => {
    expect(decideDomainType(false, works)).toBe('kvm');
    expect(decideDomainType(true, works)).toBe('kvm');
  });

  it('falls back to TCG only when emulation is allowed', () => {
    expect(decideDomainType(true, broken)).toBe('qemu');
  });

  it('fails with the trial reason when emulation is not allowed', () => {
    let caught: unknown;
    try {
      decideDomainType(false, broken);
    } catch (err) {
      caught = err;
    }
    expect(errorCode(caught)).toBe('KVM_UNAVAILABLE');
    expect(String((caught as Error).message)).toContain('kvm_buf_set_msrs');
  });

  it('chooseDomainType runs the injected trial', async () => {
    await expect(chooseDomainType(true, { probe: async () => broken })).resolves.toBe('qemu');
    await expect(chooseDomainType(false, { probe: async () => works })).resolves.toBe('kvm');
  });
});

describe('probeFirmware', () => {
  it('is 64 KiB with the debug-exit write at the reset vector', () => {
    const fw = probeFirmware();
    expect(fw.length).toBe(0x10000);
    expect([...fw.subarray(0xfff0, 0xfff7)]).toEqual([0xb0, 0x31, 0xe6, 0xf4, 0xf4, 0xeb, 0xfd]);
  });
});
