import type { LauncherConfig } from '../config/launcher-config.js';
import type { Logger } from '../log/logger.js';
import type { Domain, LibvirtClient } from '../libvirt/index.js';
import type { Vmi } from '../vmi/index.js';
import { DomainManager } from './domain-manager/index.js';
import type { LibvirtLayout } from './libvirt-paths.js';
import { MetadataCache } from './metadata-cache.js';
import type { PhaseClock } from './phases.js';
import type { PodNetwork } from './pod-network.js';

// "Make it so" for a VMI handed over in standalone mode (STANDALONE_VMI, `vmpod run`): the domain
// manager's Sync with every step a logged phase (domain-type, vmi-directories, network, disks,
// convert, define, start; KUBEVIRT.md §4.2, §11 step 5). The DHCP servers it starts are the
// caller's to close.

export interface SyncResult {
  readonly domain: Domain;
  readonly networks: readonly PodNetwork[];
  readonly manager: DomainManager;
}

export async function syncStandalone(args: {
  readonly vmi: Vmi;
  readonly cfg: LauncherConfig;
  readonly client: LibvirtClient;
  readonly layout: LibvirtLayout;
  readonly clock: PhaseClock;
  readonly log: Logger;
  readonly metadata?: MetadataCache;
}): Promise<SyncResult> {
  const manager = new DomainManager({
    client: args.client,
    cfg: args.cfg,
    layout: args.layout,
    metadata: args.metadata ?? new MetadataCache(args.vmi.metadata.uid),
    log: args.log,
    clock: args.clock,
  });
  const domain = await manager.sync(args.vmi);
  return { domain, networks: manager.networks, manager };
}
