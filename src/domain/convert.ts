import type { Vmi } from '../vmi/types.js';
import type { ConvertContext } from './context.js';
import type { Configurator } from './configurator.js';
import { configureClock } from './configure-clock.js';
import { configureCpu } from './configure-cpu.js';
import {
  configureControllers,
  configureGraphics,
  configureGuestAgentChannel,
  configureInputs,
  configureMemBalloon,
  configureRng,
  configureSerialConsole,
  configureWatchdog,
} from './configure-devices.js';
import { configureDisks } from './configure-disks.js';
import { configureFeatures } from './configure-features.js';
import { configureIdentity } from './configure-identity.js';
import { configureIoThreads } from './configure-iothreads.js';
import { configureInterfaces } from './configure-interfaces.js';
import { configureMemory } from './configure-memory.js';
import { configureOs } from './configure-os.js';
import { configureSysinfo } from './configure-sysinfo.js';
import { type Domain, emptyDomain } from './domain-types.js';
import { encodeDomainXml } from './domain-xml.js';

// VMI → domain, one section at a time, in KubeVirt's order (KUBEVIRT.md §6); the controllers
// come after the devices whose presence decides them.

export const CONFIGURATORS: readonly Configurator[] = [
  configureIdentity,
  configureInterfaces,
  configureGuestAgentChannel,
  configureClock,
  configureRng,
  configureInputs,
  configureMemBalloon,
  configureGraphics,
  configureWatchdog,
  configureSerialConsole,
  configureFeatures,
  configureSysinfo,
  configureOs,
  configureDisks,
  configureControllers,
  configureIoThreads,
  configureCpu,
  configureMemory,
];

/** Expects a defaulted VMI (vmi/applyDefaults). */
export function convertVmi(vmi: Vmi, ctx: ConvertContext): Domain {
  const domain = emptyDomain(ctx.domainType, '');
  for (const configure of CONFIGURATORS) configure(vmi, ctx, domain);
  return domain;
}

export function convertVmiToXml(vmi: Vmi, ctx: ConvertContext): string {
  return encodeDomainXml(convertVmi(vmi, ctx));
}
