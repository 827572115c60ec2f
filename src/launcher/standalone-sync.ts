import type { LauncherConfig } from '../config/launcher-config.js';
import { DEFAULT_DISK_DIRS, type DiskSource, createQemuImg, prepareDisks } from '../disks/index.js';
import { convertVmiToXml, defaultContext } from '../domain/index.js';
import { VmpodError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { Domain, LibvirtClient } from '../libvirt/index.js';
import type { GuestInterfaceSpec } from '../network/index.js';
import type { Vmi } from '../vmi/index.js';
import { chooseDomainType } from './domain-type.js';
import type { LibvirtLayout } from './libvirt-paths.js';
import type { PhaseClock } from './phases.js';
import { type PodNetwork, setUpPodNetwork } from './pod-network.js';
import { applyDirectories, ensureQemuFile } from './prepare.js';

// "Make it so" for a VMI handed over in standalone mode (STANDALONE_VMI, `vmpod run`): the pod
// network and its DHCP server first, then the disks, the domain XML, define and start
// (KUBEVIRT.md §4.2, §11 step 5). Each step is a logged phase.

const VIR_DOMAIN_START_PAUSED = 1;
const PRIVATE = '/var/run/kubevirt-private';

export interface SyncResult {
  readonly domain: Domain;
  readonly networks: readonly PodNetwork[];
}

export async function syncStandalone(args: {
  readonly vmi: Vmi;
  readonly cfg: LauncherConfig;
  readonly client: LibvirtClient;
  readonly layout: LibvirtLayout;
  readonly clock: PhaseClock;
  readonly log: Logger;
}): Promise<SyncResult> {
  const { vmi, cfg, client, clock, log } = args;
  const domainType = await clock.run('domain-type', () => chooseDomainType(cfg.allowEmulation));
  await clock.run('vmi-directories', () => {
    // The serial console socket and its log live in the VMI's own private directory.
    applyDirectories([{ path: `${PRIVATE}/${vmi.metadata.uid}`, mode: 0o755, qemuOwned: true }]);
    ensureQemuFile(`${PRIVATE}/${vmi.metadata.uid}/virt-serial0-log`);
  });
  const networks = await clock.run('network', () => setUpNetworks(vmi, log));
  const interfaces = new Map<string, GuestInterfaceSpec>(networks.map((n) => [n.name, n.net.guest]));
  const prepared = await clock.run('disks', () =>
    prepareDisks(diskSources(vmi), {
      vmi: { namespace: vmi.metadata.namespace, name: vmi.metadata.name },
      dirs: {
        ...DEFAULT_DISK_DIRS,
        ephemeralDiskDir: cfg.ephemeralDiskDir,
        containerDiskDir: cfg.containerDiskDir,
      },
      qemuImg: createQemuImg({ memoryLimitBytes: cfg.diskMemoryLimit }),
      ownership: { chownToQemu: process.getuid?.() === 0 },
      log,
    }),
  );
  const containerDiskFormats = new Map(
    prepared.flatMap((d) =>
      d.kind === 'containerDisk' && d.backing ? [[d.volumeName, d.backing.format]] : [],
    ),
  );
  const xml = await clock.run('convert', () =>
    convertVmiToXml(
      vmi,
      defaultContext({
        domainType,
        ovmfPath: cfg.ovmfPath,
        nvramDir: args.layout.nvramDir,
        interfaces,
        containerDiskFormats,
      }),
    ),
  );
  log.debug({ xml }, 'domain XML');
  const domain = await clock.run('define', () => client.defineXML(xml));
  const paused = vmi.spec.startStrategy === 'Paused';
  await clock.run('start', () => domain.create(paused ? VIR_DOMAIN_START_PAUSED : 0));
  log.info({ domain: domain.name, domainType, paused }, 'domain started');
  return { domain, networks: networks.map((n) => n.net) };
}

async function setUpNetworks(vmi: Vmi, log: Logger) {
  const out: { name: string; net: PodNetwork }[] = [];
  const ifaces = vmi.spec.domain.devices.interfaces ?? [];
  for (const [index, iface] of ifaces.entries()) {
    if (iface.state === 'absent') continue;
    const network = vmi.spec.networks.find((n) => n.name === iface.name);
    if (!network?.pod) {
      throw new VmpodError(
        'NOT_SUPPORTED',
        `interface ${iface.name}: only the pod network is supported by this build`,
        {
          facts: { path: `spec.domain.devices.interfaces[${index}]` },
        },
      );
    }
    const status = vmi.status.interfaces.find((s) => s.name === iface.name);
    const net = await setUpPodNetwork({
      iface: {
        name: iface.name,
        macAddress: iface.macAddress,
        bridge: iface.bridge,
        masquerade: iface.masquerade,
      },
      index,
      podIfaceName: 'eth0',
      statusMac: status?.mac,
      subdomain: vmi.spec.subdomain,
      log,
    });
    out.push({ name: iface.name, net });
  }
  return out;
}

/** The volumes that need files made before define; the rest are the handler's mounts. */
function diskSources(vmi: Vmi): DiskSource[] {
  const sources: DiskSource[] = [];
  for (const [index, v] of vmi.spec.volumes.entries()) {
    if (v.containerDisk) sources.push({ kind: 'containerDisk', volumeName: v.name, volumeIndex: index });
    else if (v.emptyDisk)
      sources.push({ kind: 'emptyDisk', volumeName: v.name, capacityBytes: v.emptyDisk.capacity });
    else if (v.ephemeral) {
      sources.push({
        kind: 'ephemeral',
        volumeName: v.name,
        backing: { path: `${PRIVATE}/vmi-disks/${v.name}/disk.img`, blockDevice: false },
      });
    } else if (v.cloudInitNoCloud) {
      sources.push({
        kind: 'cloudInitNoCloud',
        volumeName: v.name,
        ...cloudInitData(v.cloudInitNoCloud),
        metaData: {
          firmwareUuid: vmi.spec.domain.firmware?.uuid,
          hostname: vmi.spec.hostname ?? vmi.metadata.name,
        },
      });
    } else if (v.cloudInitConfigDrive) {
      sources.push({
        kind: 'cloudInitConfigDrive',
        volumeName: v.name,
        ...cloudInitData(v.cloudInitConfigDrive),
        metaData: {
          firmwareUuid: vmi.spec.domain.firmware?.uuid,
          hostname: vmi.spec.hostname ?? vmi.metadata.name,
        },
      });
    }
  }
  return sources;
}

function cloudInitData(src: NonNullable<Vmi['spec']['volumes'][number]['cloudInitNoCloud']>) {
  return {
    ...(src.userData !== undefined ? { userData: src.userData } : {}),
    ...(src.userDataBase64 !== undefined ? { userDataBase64: src.userDataBase64 } : {}),
    ...(src.userDataSecretRef ? { userDataSecretRef: src.userDataSecretRef.name } : {}),
    ...(src.networkData !== undefined ? { networkData: src.networkData } : {}),
    ...(src.networkDataBase64 !== undefined ? { networkDataBase64: src.networkDataBase64 } : {}),
    ...(src.networkDataSecretRef ? { networkDataSecretRef: src.networkDataSecretRef.name } : {}),
  };
}
