import { describe, expect, it } from 'vitest';
import { renderConfigDriveMetaData, renderNoCloudMetaData } from '../../../src/disks/cloud-init-metadata.js';

const UUID = '5d307ca9-b3ef-428c-8861-06e72d69f223';
const vmi = { namespace: 'default', name: 'testvmi' };

describe('NoCloud meta-data', () => {
  it('holds only the instance id when nothing else is known', () => {
    expect(renderNoCloudMetaData({}, UUID)).toBe('{"instance-id":"5d307ca9-b3ef-428c-8861-06e72d69f223"}');
  });

  it('orders keys as KubeVirt’s NoCloudMetadata struct and sorts public keys as a Go map', () => {
    const golden = [
      '{',
      '"instance-type":"u1.small",', //                         instancetype annotation
      '"instance-id":"5d307ca9-b3ef-428c-8861-06e72d69f223",', // firmware UUID
      '"local-hostname":"testvmi",', //                        sanitized hostname
      '"public-keys":{"0":"ssh-ed25519 AAAA a@b","1":"ssh-rsa BBBB c@d"}', // map keys sorted
      '}',
    ].join('');
    expect(
      renderNoCloudMetaData(
        {
          instanceType: 'u1.small',
          hostname: 'testvmi',
          publicKeys: { '1': 'ssh-rsa BBBB c@d', '0': 'ssh-ed25519 AAAA a@b' },
        },
        UUID,
      ),
    ).toBe(golden);
  });

  it('omits empty optional fields as Go’s omitempty does', () => {
    expect(renderNoCloudMetaData({ instanceType: '', hostname: '', publicKeys: {} }, UUID)).toBe(
      `{"instance-id":"${UUID}"}`,
    );
  });

  it('escapes <, > and & as Go’s encoding/json does', () => {
    expect(renderNoCloudMetaData({ publicKeys: { '0': 'a<b>&c' } }, UUID)).toBe(
      `{"instance-id":"${UUID}","public-keys":{"0":"a\\u003cb\\u003e\\u0026c"}}`,
    );
  });
});

describe('ConfigDrive meta_data.json', () => {
  it('emits the legacy hyphenated keys, then the OpenStack ones', () => {
    const golden = [
      '{',
      '"instance-id":"testvmi.default",', //  legacy field, always present
      '"instance_id":"testvmi.default",', //  <name>.<namespace>
      '"hostname":"testvmi",',
      '"uuid":"5d307ca9-b3ef-428c-8861-06e72d69f223"', // firmware UUID
      '}',
    ].join('');
    expect(renderConfigDriveMetaData({ hostname: 'testvmi' }, vmi, UUID)).toBe(golden);
  });

  it('renders instance type, devices and public keys in struct order', () => {
    const golden = [
      '{',
      '"instance-type":"u1.small",',
      '"instance-id":"testvmi.default",',
      '"instance_type":"u1.small",',
      '"instance_id":"testvmi.default",',
      '"hostname":"testvmi",',
      `"uuid":"${UUID}",`,
      '"devices":[',
      '{"type":"nic","bus":"pci","address":"0000:01:00.0","mac":"02:00:00:00:00:01","tags":["nic1"]},',
      '{"type":"hostdev","bus":"pci","address":"0000:02:00.0","numaNode":1,"alignedCPUs":[2,3],"tags":null}', // nil tags → null
      '],',
      '"public_keys":{"0":"ssh-ed25519 AAAA a@b"}',
      '}',
    ].join('');
    expect(
      renderConfigDriveMetaData(
        {
          instanceType: 'u1.small',
          hostname: 'testvmi',
          publicKeys: { '0': 'ssh-ed25519 AAAA a@b' },
          devices: [
            { type: 'nic', bus: 'pci', address: '0000:01:00.0', mac: '02:00:00:00:00:01', tags: ['nic1'] },
            { type: 'hostdev', bus: 'pci', address: '0000:02:00.0', numaNode: 1, alignedCPUs: [2, 3] },
          ],
        },
        vmi,
        UUID,
      ),
    ).toBe(golden);
  });
});
