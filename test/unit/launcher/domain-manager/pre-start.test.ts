import { describe, expect, it } from 'vitest';
import { errorCode } from '../../../../src/errors.js';
import {
  contextFromOptions,
  diskSources,
  refuseCloudInitHooks,
} from '../../../../src/launcher/domain-manager/pre-start.js';
import { HookSidecars } from '../../../../src/launcher/hook-sidecars.js';
import { captureLog } from '../../../helpers/capture-log.js';
import type { VirtualMachineOptions } from '../../../../src/rpc/cmd-types.js';
import { applyDefaults, parseVmiObject } from '../../../../src/vmi/index.js';

describe("virt-handler's Sync options in the conversion", () => {
  it('take SMBIOS (empty values left out), balloon period, preallocated volumes and cluster config', () => {
    const options: VirtualMachineOptions = {
      VirtualMachineSMBios: {
        manufacturer: 'KubeVirt',
        product: 'None',
        version: '',
        sku: '',
        family: 'KubeVirt',
      },
      MemBalloonStatsPeriod: 0,
      PreallocatedVolumes: ['data'],
      DisksInfo: {},
      ExpandDisksEnabled: false,
      clusterConfig: {
        ExpandDisksEnabled: false,
        FreePageReportingDisabled: true,
        BochsDisplayForEFIGuests: false,
        SerialConsoleLogDisabled: true,
        PCINUMAAwareTopologyEnabled: false,
        VGPULiveMigrationEnabled: false,
        GraceIOVirtualizationEnabled: false,
      },
      interfaceDomainAttachment: {},
      interfaceMigration: {},
      pluginsJson: new Uint8Array(),
      GraceHostDeviceAliases: [],
    };
    expect(contextFromOptions(options)).toEqual({
      smbios: { manufacturer: 'KubeVirt', family: 'KubeVirt', product: 'None' },
      memBalloonStatsPeriod: 0,
      preallocatedVolumes: new Set(['data']),
      freePageReportingDisabled: true,
      bochsDisplayForEfiGuests: false,
      serialConsoleLog: false,
    });
  });
});

describe('the volumes prepared before define', () => {
  it('are container, empty, ephemeral and cloud-init disks; handler mounts are left alone', () => {
    const vmi = applyDefaults(
      parseVmiObject({
        metadata: { name: 'vm', namespace: 'ns', uid: 'u' },
        spec: {
          domain: {
            memory: { guest: '64Mi' },
            devices: {
              disks: [
                { name: 'root', disk: {} },
                { name: 'scratch', disk: {} },
                { name: 'host', disk: {} },
                { name: 'ci', disk: {} },
              ],
            },
          },
          volumes: [
            { name: 'root', containerDisk: { image: 'img' } },
            { name: 'scratch', emptyDisk: { capacity: '1Gi' } },
            { name: 'host', hostDisk: { path: '/x/disk.img', type: 'Disk' } },
            { name: 'ci', cloudInitNoCloud: { userData: '#cloud-config' } },
          ],
        },
      }),
    );
    expect(diskSources(vmi).map((s) => [s.kind, s.volumeName])).toEqual([
      ['containerDisk', 'root'],
      ['emptyDisk', 'scratch'],
      ['cloudInitNoCloud', 'ci'],
    ]);
  });
});

describe('hook sidecars at PreCloudInitIso', () => {
  const hooks = (points: string[]) =>
    new HookSidecars(
      [
        {
          socketPath: '/var/run/kubevirt-hooks/a/a.sock',
          name: 'ci-rewriter',
          version: 'v1alpha3',
          hookPoints: points.map((name) => ({ name, priority: 0 })),
        },
      ],
      captureLog().log,
    );
  const ci = {
    kind: 'cloudInitNoCloud',
    volumeName: 'ci',
    userData: '#cloud-config',
    metaData: { firmwareUuid: undefined, hostname: 'vm' },
  } as const;
  const root = { kind: 'containerDisk', volumeName: 'root', volumeIndex: 0 } as const;

  it('refuse a VMI with cloud-init, naming the sidecar, since vmpod does not run that hook', () => {
    let err: unknown;
    try {
      refuseCloudInitHooks([root, ci], hooks(['OnDefineDomain', 'PreCloudInitIso']));
    } catch (e) {
      err = e;
    }
    expect(errorCode(err)).toBe('NOT_SUPPORTED');
    expect(String(err)).toContain('hook sidecar ci-rewriter asks for PreCloudInitIso');
  });

  it('leave VMIs without cloud-init, and sidecars without that hook point, alone', () => {
    expect(() => refuseCloudInitHooks([root], hooks(['PreCloudInitIso']))).not.toThrow();
    expect(() => refuseCloudInitHooks([root, ci], hooks(['OnDefineDomain']))).not.toThrow();
  });
});
