import type { LauncherConfig } from '../../config/launcher-config.js';
import { DEFAULT_DISK_DIRS, type DiskSource, createQemuImg, prepareDisks } from '../../disks/index.js';
import { type ConvertContext, convertVmiToXml, defaultContext } from '../../domain/index.js';
import { VmpodError } from '../../errors.js';
import { type Logger, forFile } from '../../log/logger.js';
import {
  createNetworkDrivers,
  findSecondaryPodInterface,
  type GuestInterfaceSpec,
} from '../../network/index.js';
import type { VirtualMachineOptions } from '../../rpc/cmd-types.js';
import type { Vmi } from '../../vmi/index.js';
import { HookPoint, type HookSidecars } from '../hook-sidecars.js';
import type { LibvirtLayout } from '../libvirt-paths.js';
import { type PodNetwork, setUpPodNetwork } from '../pod-network.js';
import { applyDirectories, ensureQemuFile } from '../prepare.js';

// The work before the first define (KUBEVIRT.md §4.2 step 4, "pre-start hook"): the VMI's private
// directory, network phase 2 with its DHCP servers, and the disks; then the conversion to domain
// XML. The manager runs the pre-start part once per launcher: a second DHCP server or recreated
// overlays would break a running guest.

const PRIVATE = '/var/run/kubevirt-private';

export type DomainType = 'kvm' | 'qemu';

/** Runs one step; with a PhaseClock it is a logged start-up phase. */
export type PhaseRunner = <T>(phase: string, fn: () => Promise<T> | T) => Promise<T>;

export interface PreStartResult {
  readonly domainType: DomainType;
  readonly interfaces: ReadonlyMap<string, GuestInterfaceSpec>;
  readonly containerDiskFormats: ReadonlyMap<string, 'raw' | 'qcow2'>;
  readonly networks: readonly PodNetwork[];
}

/**
 * The pre-start steps, each done once per launcher: a later Sync (the domain was deleted and is
 * defined again) reuses what the first one built.
 */
export class PreStart {
  private domainType: DomainType | undefined;
  private directoriesFor: string | undefined;
  private nets: { name: string; net: PodNetwork }[] | undefined;
  private diskFormats: Map<string, 'raw' | 'qcow2'> | undefined;

  constructor(
    private readonly cfg: LauncherConfig,
    private readonly log: Logger,
    private readonly chooseDomainType: () => Promise<DomainType>,
    private readonly hooks?: HookSidecars,
  ) {}

  /** The pod networks built so far (their DHCP servers belong to the caller to close). */
  get networks(): readonly PodNetwork[] {
    return (this.nets ?? []).map((n) => n.net);
  }

  async run(vmi: Vmi, phase: PhaseRunner): Promise<PreStartResult> {
    const { cfg, log } = this;
    this.domainType ??= await phase('domain-type', this.chooseDomainType);
    if (this.directoriesFor !== vmi.metadata.uid) {
      await phase('vmi-directories', () => {
        // The serial console socket and its log live in the VMI's own private directory.
        applyDirectories([{ path: `${PRIVATE}/${vmi.metadata.uid}`, mode: 0o755, qemuOwned: true }]);
        ensureQemuFile(`${PRIVATE}/${vmi.metadata.uid}/virt-serial0-log`);
      });
      this.directoriesFor = vmi.metadata.uid;
    }
    this.nets ??= await phase('network', () => setUpNetworks(vmi, log));
    this.diskFormats ??= await phase('disks', async () => {
      const sources = diskSources(vmi);
      if (this.hooks) refuseCloudInitHooks(sources, this.hooks);
      const prepared = await prepareDisks(sources, {
        vmi: { namespace: vmi.metadata.namespace, name: vmi.metadata.name },
        dirs: {
          ...DEFAULT_DISK_DIRS,
          ephemeralDiskDir: cfg.ephemeralDiskDir,
          containerDiskDir: cfg.containerDiskDir,
        },
        qemuImg: createQemuImg({ memoryLimitBytes: cfg.diskMemoryLimit }),
        ownership: { chownToQemu: process.getuid?.() === 0 },
        log,
      });
      return new Map(
        prepared.flatMap((d) =>
          d.kind === 'containerDisk' && d.backing ? [[d.volumeName, d.backing.format] as const] : [],
        ),
      );
    });
    return {
      domainType: this.domainType,
      interfaces: new Map(this.nets.map((n) => [n.name, n.net.guest])),
      containerDiskFormats: this.diskFormats,
      networks: this.networks,
    };
  }
}

export function convertDomain(
  vmi: Vmi,
  prepared: PreStartResult,
  cfg: LauncherConfig,
  layout: LibvirtLayout,
  options?: VirtualMachineOptions,
): string {
  return convertVmiToXml(
    vmi,
    defaultContext({
      domainType: prepared.domainType,
      ovmfPath: cfg.ovmfPath,
      nvramDir: layout.nvramDir,
      interfaces: new Map(prepared.interfaces),
      containerDiskFormats: new Map(prepared.containerDiskFormats),
      ...(options ? contextFromOptions(options) : {}),
    }),
  );
}

/** What virt-handler's Sync options decide about the domain (§4.1): SMBIOS, balloon, cluster config. */
export function contextFromOptions(options: VirtualMachineOptions): Partial<ConvertContext> {
  const smbios = options.VirtualMachineSMBios;
  const cluster = options.clusterConfig;
  return {
    ...(smbios
      ? {
          smbios: Object.fromEntries(
            (['manufacturer', 'family', 'product', 'sku', 'version'] as const)
              .filter((k) => smbios[k] !== '')
              .map((k) => [k, smbios[k]]),
          ),
        }
      : {}),
    memBalloonStatsPeriod: options.MemBalloonStatsPeriod,
    preallocatedVolumes: new Set(options.PreallocatedVolumes),
    ...(cluster
      ? {
          freePageReportingDisabled: cluster.FreePageReportingDisabled,
          bochsDisplayForEfiGuests: cluster.BochsDisplayForEFIGuests,
          serialConsoleLog: !cluster.SerialConsoleLogDisabled,
        }
      : {}),
  };
}

async function setUpNetworks(vmi: Vmi, log: Logger) {
  const out: { name: string; net: PodNetwork }[] = [];
  const ifaces = vmi.spec.domain.devices.interfaces ?? [];
  const links = createNetworkDrivers().links;
  // Multus networks are numbered among the secondary networks, in spec order (net1, net2, …).
  const secondary = vmi.spec.networks.filter((n) => n.multus && !n.multus.default).map((n) => n.name);
  for (const [index, iface] of ifaces.entries()) {
    if (iface.state === 'absent') continue;
    const network = vmi.spec.networks.find((n) => n.name === iface.name);
    const path = `spec.domain.devices.interfaces[${index}]`;
    if (!network) {
      throw new VmpodError('VMI_INVALID', `interface ${iface.name}: no network of that name`, {
        facts: { path },
      });
    }
    const status = vmi.status.interfaces.find((s) => s.name === iface.name);
    let podIfaceName = status?.podInterfaceName ?? 'eth0';
    if (!network.pod && !network.multus?.default) {
      if (!iface.bridge) {
        throw new VmpodError(
          'NOT_SUPPORTED',
          `interface ${iface.name}: a Multus network needs the bridge binding in this build of vmpod`,
          { facts: { path } },
        );
      }
      podIfaceName = await findSecondaryPodInterface(
        network.name,
        secondary.indexOf(network.name) + 1,
        links,
      );
    }
    const net = await setUpPodNetwork({
      iface: {
        name: iface.name,
        macAddress: iface.macAddress,
        bridge: iface.bridge,
        masquerade: iface.masquerade,
        ...(iface.ports ? { ports: iface.ports } : {}),
        ...(iface.portRanges ? { portRanges: iface.portRanges } : {}),
      },
      masquerade: {
        ...(network.pod?.vmNetworkCIDR ? { vmNetworkCIDR: network.pod.vmNetworkCIDR } : {}),
        ...(network.pod?.vmIPv6NetworkCIDR ? { vmIPv6NetworkCIDR: network.pod.vmIPv6NetworkCIDR } : {}),
        istio: vmi.metadata.annotations?.['sidecar.istio.io/inject'] === 'true',
        migrationTransportUnix:
          vmi.status.migrationTransport !== undefined ? vmi.status.migrationTransport === 'Unix' : true,
      },
      index,
      podIfaceName,
      statusMac: status?.mac,
      subdomain: vmi.spec.subdomain,
      log: forFile(log, 'pod-network.ts'),
    });
    out.push({ name: iface.name, net });
  }
  return out;
}

/**
 * KubeVirt lets PreCloudInitIso sidecars rewrite a VMI's cloud-init data before its ISO is made;
 * vmpod does not run that hook yet, so such a VMI fails here, naming the sidecar, rather than
 * booting with data its sidecar meant to change. Without cloud-init the hook is never called.
 */
export function refuseCloudInitHooks(sources: readonly DiskSource[], hooks: Pick<HookSidecars, 'at'>): void {
  const cloudInit = sources.find((d) => d.kind === 'cloudInitNoCloud' || d.kind === 'cloudInitConfigDrive');
  const rewriter = hooks.at(HookPoint.preCloudInitIso)[0];
  if (cloudInit && rewriter) {
    throw new VmpodError(
      'NOT_SUPPORTED',
      `hook sidecar ${rewriter.name} asks for PreCloudInitIso, which this build of vmpod does not run; the VMI has cloud-init volume ${cloudInit.volumeName}`,
      { facts: { sidecar: rewriter.name, volume: cloudInit.volumeName } },
    );
  }
}

/** The volumes that need files made before define; the rest are the handler's mounts. */
export function diskSources(vmi: Vmi): DiskSource[] {
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
