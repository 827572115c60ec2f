import { readdirSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ConvertContext, defaultContext } from '../../../src/domain/index.js';
import { hashedPodInterfaceName, tapName } from '../../../src/network/names.js';
import type { GuestInterfaceSpec } from '../../../src/network/index.js';
import type { Vmi } from '../../../src/vmi/index.js';

/** The context the goldens are made with: type qemu (TCG here), phase-2 specs like a pod's. */
export function goldenContext(vmi: Vmi, overrides: Partial<ConvertContext> = {}): ConvertContext {
  const specs = new Map<string, GuestInterfaceSpec>();
  vmi.spec.domain.devices.interfaces.forEach((iface, i) => {
    const net = vmi.spec.networks.find((n) => n.name === iface.name);
    const isPod = net?.pod !== undefined;
    const podIface = isPod ? 'eth0' : hashedPodInterfaceName(iface.name);
    specs.set(iface.name, {
      alias: `ua-${iface.name}`,
      targetDevice: tapName(podIface, isPod),
      managed: false,
      mac: iface.macAddress ?? `02:00:00:00:00:${(i + 1).toString(16).padStart(2, '0')}`,
      mtu: 1450,
    });
  });
  const full = vmi.metadata.name === 'full';
  return defaultContext({
    domainType: 'qemu',
    interfaces: specs,
    ...(full
      ? {
          blockVolumes: new Set(['block', 'eph']),
          preallocatedVolumes: new Set(['data']),
          containerDiskFormats: new Map([['root', 'qcow2' as const]]),
          smbios: { manufacturer: 'Acme', family: 'Fam', product: 'Prod', sku: 'S1', version: 'v9' },
        }
      : {}),
    ...overrides,
  });
}

const here = dirname(fileURLToPath(import.meta.url));
/** KubeVirt's examples, shared by the team outside the repo (never copied in). */
export const examplesDir = resolve(here, '../../../../shared/kubevirt-examples');
export const goldenDir = join(here, 'golden');

/** Every KubeVirt example plus vmpod's own VMIs; golden file = `<goldenDir>/<name>.xml`. */
export function goldenInputs(): { name: string; file: string }[] {
  const ex = readdirSync(examplesDir)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => ({ name: basename(f, '.yaml'), file: join(examplesDir, f) }));
  const own = readdirSync(join(goldenDir, 'vmis'))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => ({ name: `vmpod-${basename(f, '.yaml')}`, file: join(goldenDir, 'vmis', f) }));
  return [...ex, ...own];
}
