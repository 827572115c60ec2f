import type { Configurator } from './configurator.js';

const KERNEL_BOOT_DIR = '/var/run/kubevirt/container-disks/kernel-boot';

const basename = (path: string): string => path.slice(path.lastIndexOf('/') + 1);

/** §6.4: machine, SMBIOS mode, boot menu, BIOS serial, EFI loader + NVRAM, kernel boot. */
export const configureOs: Configurator = (vmi, ctx, domain) => {
  const { firmware, machine } = vmi.spec.domain;
  domain.os.machine = machine.type || 'q35';
  domain.os.smbiosMode = 'sysinfo';
  if (vmi.spec.startStrategy === 'Paused') domain.os.bootMenu = { enable: 'yes', timeoutMs: 10000 };
  if (firmware.bootloader?.bios?.useSerial) domain.os.biosUseSerial = true;
  const efi = firmware.bootloader?.efi;
  if (efi) {
    const secure = efi.secureBoot !== false;
    const suffix = secure ? '.secboot.fd' : '.fd';
    domain.os.loader = {
      path: `${ctx.ovmfPath}/OVMF_CODE${suffix}`,
      readonly: 'yes',
      secure: secure ? 'yes' : 'no',
      type: 'pflash',
    };
    domain.os.nvram = {
      template: `${ctx.ovmfPath}/OVMF_VARS${suffix}`,
      path: `${ctx.nvramDir}/${vmi.metadata.name}_VARS.fd`,
    };
  }
  const kb = firmware.kernelBoot;
  if (kb?.container) {
    if (kb.container.kernelPath) domain.os.kernel = `${KERNEL_BOOT_DIR}/${basename(kb.container.kernelPath)}`;
    if (kb.container.initrdPath) domain.os.initrd = `${KERNEL_BOOT_DIR}/${basename(kb.container.initrdPath)}`;
    if (kb.kernelArgs) domain.os.cmdline = kb.kernelArgs;
  }
};
