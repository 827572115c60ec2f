import { describe, expect, it } from 'vitest';
import { configureClock } from '../../../src/domain/configure-clock.js';
import { configureFeatures } from '../../../src/domain/configure-features.js';
import { configureOs } from '../../../src/domain/configure-os.js';
import { configureSysinfo } from '../../../src/domain/configure-sysinfo.js';
import { run, vmiWith } from './fixtures.js';

describe('os', () => {
  it('uses q35 and SMBIOS sysinfo mode by default, without firmware files', () => {
    expect(run(configureOs, vmiWith()).os).toEqual({ arch: 'x86_64', machine: 'q35', smbiosMode: 'sysinfo' });
  });
  it('adds a boot menu for a Paused start and BIOS serial output', () => {
    const d = run(
      configureOs,
      vmiWith({ firmware: { bootloader: { bios: { useSerial: true } } } }, { startStrategy: 'Paused' }),
    );
    expect(d.os.bootMenu).toEqual({ enable: 'yes', timeoutMs: 10000 });
    expect(d.os.biosUseSerial).toBe(true);
  });
  it('boots EFI with Secure Boot firmware from --ovmf-path and a per-VMI NVRAM', () => {
    const d = run(configureOs, vmiWith({ firmware: { bootloader: { efi: {} } } }), {
      ovmfPath: '/fw',
      nvramDir: '/nv',
    });
    expect(d.os.loader).toEqual({
      path: '/fw/OVMF_CODE.secboot.fd',
      readonly: 'yes',
      secure: 'yes',
      type: 'pflash',
    });
    expect(d.os.nvram).toEqual({ template: '/fw/OVMF_VARS.secboot.fd', path: '/nv/vm_VARS.fd' });
  });
  it('uses the plain OVMF files without Secure Boot', () => {
    const d = run(configureOs, vmiWith({ firmware: { bootloader: { efi: { secureBoot: false } } } }), {
      ovmfPath: '/fw',
    });
    expect(d.os.loader?.path).toBe('/fw/OVMF_CODE.fd');
    expect(d.os.loader?.secure).toBe('no');
    expect(d.os.nvram?.template).toBe('/fw/OVMF_VARS.fd');
  });
  it('points kernel boot at the kernel-boot container-disk directory', () => {
    const d = run(
      configureOs,
      vmiWith({
        firmware: {
          kernelBoot: {
            kernelArgs: 'console=ttyS0',
            container: { image: 'i', kernelPath: '/boot/vmlinuz', initrdPath: '/b/initrd.img' },
          },
        },
      }),
    );
    expect(d.os.kernel).toBe('/var/run/kubevirt/container-disks/kernel-boot/vmlinuz');
    expect(d.os.initrd).toBe('/var/run/kubevirt/container-disks/kernel-boot/initrd.img');
    expect(d.os.cmdline).toBe('console=ttyS0');
  });
});

describe('sysinfo', () => {
  it('copies the chassis entries that are set', () => {
    const d = run(configureSysinfo, vmiWith({ chassis: { manufacturer: 'Acme', asset: 'A-1' } }));
    expect(d.sysinfo?.chassis).toEqual([
      { name: 'manufacturer', value: 'Acme' },
      { name: 'asset', value: 'A-1' },
    ]);
  });
  it('lists uuid, serial, then the SMBios options, skipping empty ones', () => {
    const vmi = vmiWith({ firmware: { uuid: '5d307ca9-b3ef-428c-8861-06e72d69f223', serial: 'S1' } });
    const d = run(configureSysinfo, vmi, {
      smbios: { manufacturer: 'M', family: '', product: 'P', version: 'V' },
    });
    expect(d.sysinfo?.system).toEqual([
      { name: 'uuid', value: '5d307ca9-b3ef-428c-8861-06e72d69f223' },
      { name: 'serial', value: 'S1' },
      { name: 'manufacturer', value: 'M' },
      { name: 'product', value: 'P' },
      { name: 'version', value: 'V' },
    ]);
  });
});

describe('features', () => {
  it('stays empty (no ACPI) when the VMI has no features', () => {
    expect(run(configureFeatures, vmiWith()).features).toEqual({});
  });
  it('adds ACPI unless disabled, with vmport off on x86', () => {
    expect(run(configureFeatures, vmiWith({ features: { apic: {} } })).features).toEqual({
      acpi: true,
      apic: true,
      vmport: 'off',
    });
    expect(run(configureFeatures, vmiWith({ features: { acpi: { enabled: false } } })).features.acpi).toBe(
      false,
    );
  });
  it('maps Hyper-V enlightenments one to one, unspecified state on', () => {
    const d = run(
      configureFeatures,
      vmiWith({
        features: {
          hyperv: {
            relaxed: {},
            vapic: { enabled: false },
            spinlocks: { spinlocks: 4096 },
            synictimer: { direct: { enabled: false } },
            vendorid: { vendorid: 'abc' },
          },
        },
      }),
    );
    expect(d.features.hyperv).toEqual([
      { name: 'relaxed', state: 'on' },
      { name: 'vapic', state: 'off' },
      { name: 'spinlocks', state: 'on', attrs: { retries: '4096' } },
      { name: 'stimer', state: 'on', children: [{ name: 'direct', state: 'off' }] },
      { name: 'vendor_id', state: 'on', attrs: { value: 'abc' } },
    ]);
  });
  it('hides KVM and sets pvspinlock and SMM as asked', () => {
    const d = run(
      configureFeatures,
      vmiWith({ features: { kvm: { hidden: true }, pvspinlock: { enabled: false }, smm: {} } }),
    );
    expect(d.features).toMatchObject({ kvmHidden: 'on', pvspinlock: 'off', smm: true });
  });
});

describe('clock', () => {
  it('is absent without spec.domain.clock', () => {
    expect(run(configureClock, vmiWith()).clock).toBeUndefined();
  });
  it('uses utc with adjustment reset, or the offset', () => {
    expect(run(configureClock, vmiWith({ clock: { utc: {} } })).clock).toEqual({
      offset: 'utc',
      adjustment: 'reset',
      timers: [],
    });
    expect(run(configureClock, vmiWith({ clock: { utc: { offsetSeconds: -60 } } })).clock?.adjustment).toBe(
      '-60',
    );
  });
  it('uses a timezone and maps timers with present yes/no', () => {
    const d = run(
      configureClock,
      vmiWith({
        clock: {
          timezone: 'America/New_York',
          timer: {
            hpet: { present: false },
            kvm: {},
            hyperv: {},
            rtc: { tickPolicy: 'catchup', track: 'wall' },
          },
        },
      }),
    );
    expect(d.clock).toEqual({
      offset: 'timezone',
      timezone: 'America/New_York',
      timers: [
        { name: 'rtc', present: 'yes', tickpolicy: 'catchup', track: 'wall' },
        { name: 'kvmclock', present: 'yes' },
        { name: 'hpet', present: 'no' },
        { name: 'hypervclock', present: 'yes' },
      ],
    });
  });
});
