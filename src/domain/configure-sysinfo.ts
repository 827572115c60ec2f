import type { Configurator } from './configurator.js';
import type { SysinfoEntry } from './domain-types.js';

/** §6.4: SMBIOS system entries from the firmware and the handler's SMBios options; chassis. */
export const configureSysinfo: Configurator = (vmi, ctx, domain) => {
  const { firmware } = vmi.spec.domain;
  const system: SysinfoEntry[] = [];
  const add = (name: string, value: string | undefined) => {
    if (value) system.push({ name, value });
  };
  add('uuid', firmware.uuid);
  add('serial', firmware.serial);
  add('manufacturer', ctx.smbios.manufacturer);
  add('family', ctx.smbios.family);
  add('product', ctx.smbios.product);
  add('sku', ctx.smbios.sku);
  add('version', ctx.smbios.version);
  const chassis: SysinfoEntry[] = [];
  const c = vmi.spec.domain.chassis ?? {};
  for (const name of ['manufacturer', 'version', 'serial', 'asset', 'sku'] as const) {
    const value = c[name];
    if (value) chassis.push({ name, value });
  }
  domain.sysinfo = { system, bios: [], baseBoard: [], chassis };
};
