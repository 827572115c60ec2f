import { describe, expect, it } from 'vitest';
import { contextFromOptions, diskSources } from '../../../../src/launcher/domain-manager/pre-start.js';
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
