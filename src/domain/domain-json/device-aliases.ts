// target dev → device alias, for filling Net[].Alias and Block[].Alias in domain stats (§4.5).
import type { DomainSpecJson } from './model.js';

type Json = Record<string, unknown>;

function collect(out: Map<string, string>, devices: unknown, targetKey: string): void {
  if (!Array.isArray(devices)) return;
  for (const device of devices as Json[]) {
    const target = device.Target as Json | null | undefined;
    const dev = target?.[targetKey];
    const name = (device.Alias as Json | null | undefined)?.Name;
    if (typeof dev === 'string' && dev !== '' && typeof name === 'string') out.set(dev, name);
  }
}

/** target dev (e.g. "vda", "tap0") → alias name (without "ua-"), for disks and interfaces. */
export function deviceAliases(spec: DomainSpecJson): Map<string, string> {
  const out = new Map<string, string>();
  const devices = (spec.Devices ?? {}) as Json;
  collect(out, devices.Interfaces, 'Device');
  collect(out, devices.Disks, 'Device');
  return out;
}
