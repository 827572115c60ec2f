import { describe, expect, it } from 'vitest';
import { DEFAULT_DISK_DIRS } from '../../../src/disks/paths.js';
import { planCloudInitIso } from '../../../src/disks/cloud-init-plan.js';
import { resolveCloudInitData } from '../../../src/disks/cloud-init-data.js';

const UUID = '5d307ca9-b3ef-428c-8861-06e72d69f223';
const vmi = { namespace: 'ns1', name: 'vm1' };
const noRandom = () => {
  throw new Error('a random UUID was drawn although the firmware UUID is known');
};
const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('cloud-init user and network data', () => {
  it('prefers inline data over base64', () => {
    expect(resolveCloudInitData({ userData: 'inline', userDataBase64: b64('encoded') })).toEqual({
      userData: 'inline',
      networkData: '',
    });
  });

  it('decodes base64 user and network data', () => {
    expect(
      resolveCloudInitData({
        userDataBase64: b64('#cloud-config\n'),
        networkDataBase64: b64('version: 2\n'),
      }),
    ).toEqual({ userData: '#cloud-config\n', networkData: 'version: 2\n' });
  });

  it('accepts network data alone', () => {
    expect(resolveCloudInitData({ networkData: 'version: 2\n' })).toEqual({
      userData: '',
      networkData: 'version: 2\n',
    });
  });

  it('refuses a volume with neither user nor network data', () => {
    expect(() => resolveCloudInitData({ userData: '' })).toThrow(
      expect.objectContaining({ code: 'CLOUD_INIT_NO_DATA' }),
    );
  });

  it.each(['abc', 'ab$=', 'YQ', 'YQ==='])('refuses malformed base64 %j as Go’s StdEncoding does', (bad) => {
    expect(() => resolveCloudInitData({ userDataBase64: bad })).toThrow(
      expect.objectContaining({ code: 'CLOUD_INIT_INVALID_BASE64', facts: { field: 'userDataBase64' } }),
    );
  });

  it('refuses secret references, which only virt-handler can resolve', () => {
    expect(() => resolveCloudInitData({ userDataSecretRef: 'my-secret' })).toThrow(
      expect.objectContaining({ code: 'NOT_SUPPORTED', facts: { field: 'secretRef', secret: 'my-secret' } }),
    );
    expect(() => resolveCloudInitData({ userData: 'x', networkDataSecretRef: 's' })).toThrow(
      expect.objectContaining({ code: 'NOT_SUPPORTED' }),
    );
  });
});

describe('cloud-init ISO plan', () => {
  it('lays out a NoCloud ISO labelled cidata', () => {
    const plan = planCloudInitIso(
      {
        kind: 'cloudInitNoCloud',
        volumeName: 'cloudinitdisk',
        userData: '#cloud-config\n',
        networkData: 'version: 2\n',
        metaData: { firmwareUuid: UUID, hostname: 'vm1' },
      },
      vmi,
      DEFAULT_DISK_DIRS,
      noRandom,
    );
    expect(plan).toEqual({
      isoPath: '/var/run/kubevirt-ephemeral-disks/cloud-init-data/ns1/vm1/noCloud.iso',
      dataDir: '/var/run/kubevirt-ephemeral-disks/cloud-init-data/ns1/vm1/data',
      volumeLabel: 'cidata',
      files: [
        { path: 'user-data', content: '#cloud-config\n' },
        { path: 'meta-data', content: `{"instance-id":"${UUID}","local-hostname":"vm1"}` },
        { path: 'network-config', content: 'version: 2\n' },
      ],
    });
  });

  it('lays out a ConfigDrive ISO labelled config-2 without network data when there is none', () => {
    const plan = planCloudInitIso(
      { kind: 'cloudInitConfigDrive', volumeName: 'cd', userData: 'u', metaData: { firmwareUuid: UUID } },
      vmi,
      DEFAULT_DISK_DIRS,
      noRandom,
    );
    expect(plan.volumeLabel).toBe('config-2');
    expect(plan.isoPath).toBe('/var/run/kubevirt-ephemeral-disks/cloud-init-data/ns1/vm1/configdrive.iso');
    expect(plan.files).toEqual([
      { path: 'openstack/latest/user_data', content: 'u' },
      {
        path: 'openstack/latest/meta_data.json',
        content: `{"instance-id":"vm1.ns1","instance_id":"vm1.ns1","uuid":"${UUID}"}`,
      },
    ]);
  });

  it('draws a random instance id when the VMI has no firmware UUID', () => {
    const plan = planCloudInitIso(
      { kind: 'cloudInitNoCloud', volumeName: 'c', userData: 'u', metaData: {} },
      vmi,
      DEFAULT_DISK_DIRS,
      () => 'random-uuid',
    );
    expect(plan.files[1]).toEqual({ path: 'meta-data', content: '{"instance-id":"random-uuid"}' });
  });
});
