import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_DISK_MEMORY_LIMIT_BYTES,
  type DiskDirs,
  type PrepareDisksContext,
  createQemuImg,
  prepareDisks,
} from '../../src/disks/index.js';

// Real qemu-img, prlimit and xorrisofs against temp directories standing in for the pod's disk dirs.

const UUID = '5d307ca9-b3ef-428c-8861-06e72d69f223';
const MIB = 1024 * 1024;

let root: string;
let dirs: DiskDirs;
let ctx: PrepareDisksContext;

interface Info {
  format: string;
  'virtual-size': number;
  'backing-filename'?: string;
  'backing-filename-format'?: string;
}

async function info(path: string): Promise<Info> {
  const { stdout } = await execa('qemu-img', ['info', '--output=json', '-U', path]);
  return JSON.parse(stdout) as Info;
}

async function firstBytes(image: string, format: string, length: number): Promise<Buffer> {
  const out = join(root, `read-${Math.random().toString(36).slice(2)}.raw`);
  await execa('qemu-img', ['convert', '-f', format, '-O', 'raw', image, out]);
  const bytes = (await readFile(out)).subarray(0, length);
  await rm(out);
  return bytes;
}

async function readIso(iso: string): Promise<{ label: string; files: Record<string, string> }> {
  const { stdout } = await execa('xorriso', ['-indev', iso, '-pvd_info'], { stderr: 'ignore' });
  const label = /^Volume Id\s*:\s*(.*)$/m.exec(stdout)?.[1]?.trim() ?? '';
  const out = await mkdtemp(join(root, 'iso-'));
  await execa('xorriso', ['-osirrox', 'on', '-indev', iso, '-extract', '/', out]);
  const files: Record<string, string> = {};
  for (const entry of await readdir(out, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) {
      const full = join(entry.parentPath, entry.name);
      files[full.slice(out.length + 1)] = await readFile(full, 'utf8');
    }
  }
  return { label, files };
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'vmpod-disks-'));
  dirs = {
    ephemeralDiskDir: join(root, 'kubevirt-ephemeral-disks'),
    containerDiskDir: join(root, 'container-disks'),
    emptyDiskDir: join(root, 'empty-disks'),
  };
  await mkdir(dirs.containerDiskDir, { recursive: true });
  // disk_0: raw with a known first sector; disk_1: qcow2.
  await execa('qemu-img', ['create', '-q', '-f', 'raw', join(dirs.containerDiskDir, 'disk_0.img'), '4M']);
  await execa('qemu-io', [
    '-f',
    'raw',
    '-c',
    'write -P 0x11 0 4k',
    join(dirs.containerDiskDir, 'disk_0.img'),
  ]);
  await execa('qemu-img', ['create', '-q', '-f', 'qcow2', join(dirs.containerDiskDir, 'disk_1.img'), '8M']);
  ctx = {
    vmi: { namespace: 'ns1', name: 'vm1' },
    dirs,
    qemuImg: createQemuImg({ memoryLimitBytes: DEFAULT_DISK_MEMORY_LIMIT_BYTES }),
    ownership: { chownToQemu: true },
  };
});

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

describe('overlays', () => {
  it('puts a qcow2 overlay over raw and qcow2 container disks, owned by qemu, mode 0640', async () => {
    const prepared = await prepareDisks(
      [
        { kind: 'containerDisk', volumeName: 'rootdisk', volumeIndex: 0 },
        { kind: 'containerDisk', volumeName: 'datadisk', volumeIndex: 1 },
      ],
      ctx,
    );
    const raw = join(dirs.containerDiskDir, 'disk_0.img');
    const qcow = join(dirs.containerDiskDir, 'disk_1.img');
    expect(prepared).toEqual([
      {
        volumeName: 'rootdisk',
        kind: 'containerDisk',
        path: join(dirs.ephemeralDiskDir, 'disk-data/rootdisk/disk.qcow2'),
        backing: { path: raw, format: 'raw' },
        created: true,
      },
      {
        volumeName: 'datadisk',
        kind: 'containerDisk',
        path: join(dirs.ephemeralDiskDir, 'disk-data/datadisk/disk.qcow2'),
        backing: { path: qcow, format: 'qcow2' },
        created: true,
      },
    ]);
    for (const [disk, backing, format, size] of [
      [prepared[0]!, raw, 'raw', 4 * MIB],
      [prepared[1]!, qcow, 'qcow2', 8 * MIB],
    ] as const) {
      const i = await info(disk.path);
      expect(i.format).toBe('qcow2');
      expect(i['backing-filename']).toBe(backing);
      expect(i['backing-filename-format']).toBe(format);
      expect(i['virtual-size']).toBe(size);
      const st = await stat(disk.path);
      expect(st.mode & 0o777).toBe(0o640);
      expect([st.uid, st.gid]).toEqual([107, 107]);
    }
    // The guest sees the backing image through the overlay.
    expect((await firstBytes(prepared[0]!.path, 'qcow2', 4096)).every((b) => b === 0x11)).toBe(true);
    expect(await readdir(join(dirs.ephemeralDiskDir, 'disk-data/rootdisk'))).toEqual(['disk.qcow2']);
  });

  it('keeps an existing overlay and the guest’s writes in it on a second run', async () => {
    const overlay = join(dirs.ephemeralDiskDir, 'disk-data/rootdisk/disk.qcow2');
    await execa('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0x5a 0 4k', overlay]);
    const before = await stat(overlay);
    const [again] = await prepareDisks(
      [{ kind: 'containerDisk', volumeName: 'rootdisk', volumeIndex: 0 }],
      ctx,
    );
    expect(again?.created).toBe(false);
    const after = await stat(overlay);
    expect(after.ino).toBe(before.ino);
    expect(after.mtimeMs).toBe(before.mtimeMs);
    expect((await firstBytes(overlay, 'qcow2', 4096)).every((b) => b === 0x5a)).toBe(true);
    // The backing image never saw the write.
    const raw = join(dirs.containerDiskDir, 'disk_0.img');
    expect((await firstBytes(raw, 'raw', 4096)).every((b) => b === 0x11)).toBe(true);
  });

  it('overlays an ephemeral volume’s raw PVC image', async () => {
    const pvc = join(root, 'vmi-disks/pvc1/disk.img');
    await mkdir(join(root, 'vmi-disks/pvc1'), { recursive: true });
    await execa('qemu-img', ['create', '-q', '-f', 'raw', pvc, '2M']);
    const [disk] = await prepareDisks(
      [{ kind: 'ephemeral', volumeName: 'pvc1', backing: { path: pvc, blockDevice: false } }],
      ctx,
    );
    expect(disk?.backing).toEqual({ path: pvc, format: 'raw' });
    const i = await info(disk!.path);
    expect([i.format, i['backing-filename'], i['backing-filename-format']]).toEqual(['qcow2', pvc, 'raw']);
  });

  it('refuses a container disk that has a backing file of its own', async () => {
    const base = join(root, 'chain-base.raw');
    const middle = join(dirs.containerDiskDir, 'disk_5.img');
    await execa('qemu-img', ['create', '-q', '-f', 'raw', base, '1M']);
    await execa('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'raw', '-b', base, middle]);
    await expect(
      prepareDisks([{ kind: 'containerDisk', volumeName: 'chained', volumeIndex: 5 }], ctx),
    ).rejects.toMatchObject({
      code: 'DISK_BACKING_HAS_BACKING',
      facts: { path: middle, backingFilename: base },
    });
    await expect(stat(join(dirs.ephemeralDiskDir, 'disk-data/chained'))).rejects.toMatchObject({
      code: 'ENOENT',
    });
  });

  it('treats an ephemeral PVC as raw even when the guest wrote a qcow2 header into it', async () => {
    // A PVC holding qcow2 bytes that name a host file: probing would follow it; raw never does.
    const secret = join(root, 'host-secret.raw');
    const pvc = join(root, 'vmi-disks/forged/disk.img');
    await mkdir(join(root, 'vmi-disks/forged'), { recursive: true });
    await execa('qemu-img', ['create', '-q', '-f', 'raw', secret, '1M']);
    await execa('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'raw', '-b', secret, pvc]);
    const [disk] = await prepareDisks(
      [{ kind: 'ephemeral', volumeName: 'forged', backing: { path: pvc, blockDevice: false } }],
      ctx,
    );
    expect(disk?.backing).toEqual({ path: pvc, format: 'raw' });
    const i = await info(disk!.path);
    expect([i['backing-filename'], i['backing-filename-format']]).toEqual([pvc, 'raw']);
  });

  it('overlays an ephemeral block PVC', async () => {
    const file = join(root, 'block-pvc.raw');
    await execa('qemu-img', ['create', '-q', '-f', 'raw', file, '3M']);
    const { stdout: loop } = await execa('losetup', ['--find', '--show', file]);
    try {
      const [disk] = await prepareDisks(
        [{ kind: 'ephemeral', volumeName: 'blockpvc', backing: { path: loop, blockDevice: true } }],
        ctx,
      );
      const i = await info(disk!.path);
      expect([i.format, i['backing-filename'], i['backing-filename-format'], i['virtual-size']]).toEqual([
        'qcow2',
        loop,
        'raw',
        3 * MIB,
      ]);
      // A regular file named as a block device (or the reverse) is refused.
      await expect(
        prepareDisks(
          [{ kind: 'ephemeral', volumeName: 'wrong', backing: { path: file, blockDevice: true } }],
          ctx,
        ),
      ).rejects.toMatchObject({ code: 'DISK_BACKING_WRONG_TYPE' });
      await expect(
        prepareDisks(
          [{ kind: 'ephemeral', volumeName: 'wrong', backing: { path: loop, blockDevice: false } }],
          ctx,
        ),
      ).rejects.toMatchObject({ code: 'DISK_BACKING_WRONG_TYPE' });
    } finally {
      await execa('losetup', ['--detach', loop]);
    }
  });

  it('replaces what a launcher killed mid-build left behind', async () => {
    const partial = join(dirs.ephemeralDiskDir, 'disk-data/crashed/disk.qcow2.partial');
    await mkdir(join(dirs.ephemeralDiskDir, 'disk-data/crashed'), { recursive: true });
    await writeFile(partial, 'half an image');
    const [disk] = await prepareDisks(
      [{ kind: 'containerDisk', volumeName: 'crashed', volumeIndex: 0 }],
      ctx,
    );
    expect(disk?.created).toBe(true);
    expect((await info(disk!.path))['backing-filename']).toBe(join(dirs.containerDiskDir, 'disk_0.img'));
    expect(await readdir(join(dirs.ephemeralDiskDir, 'disk-data/crashed'))).toEqual(['disk.qcow2']);
  });

  it('refuses a missing backing image', async () => {
    await expect(
      prepareDisks([{ kind: 'containerDisk', volumeName: 'nothere', volumeIndex: 9 }], ctx),
    ).rejects.toMatchObject({ code: 'DISK_BACKING_MISSING' });
  });

  it('refuses to replace an overlay of a different backing image', async () => {
    // rootdisk's overlay backs onto disk_0.img; asking for disk_1.img under that name must not wipe it.
    await expect(
      prepareDisks([{ kind: 'containerDisk', volumeName: 'rootdisk', volumeIndex: 1 }], ctx),
    ).rejects.toMatchObject({ code: 'DISK_OVERLAY_CONFLICT' });
  });

  it('probes images under the address-space limit', async () => {
    const starved = createQemuImg({ memoryLimitBytes: 1 * MIB });
    await expect(starved.info(join(dirs.containerDiskDir, 'disk_0.img'))).rejects.toMatchObject({
      code: 'DISK_QEMU_IMG_FAILED',
      facts: expect.objectContaining({ command: 'prlimit' }),
    });
  });
});

describe('emptyDisk', () => {
  it('creates a qcow2 of the capacity rounded down to MiB, and keeps it on a second run', async () => {
    const source = { kind: 'emptyDisk' as const, volumeName: 'scratch', capacityBytes: 3 * MIB + 4097 };
    const [disk] = await prepareDisks([source], ctx);
    expect(disk).toEqual({
      volumeName: 'scratch',
      kind: 'emptyDisk',
      path: join(dirs.emptyDiskDir, 'scratch.qcow2'),
      created: true,
    });
    const i = await info(disk!.path);
    expect([i.format, i['virtual-size'], i['backing-filename']]).toEqual(['qcow2', 3 * MIB, undefined]);
    const st = await stat(disk!.path);
    expect([st.uid, st.gid]).toEqual([107, 107]);

    await execa('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0x5a 0 4k', disk!.path]);
    const [again] = await prepareDisks([source], ctx);
    expect(again?.created).toBe(false);
    expect((await stat(disk!.path)).ino).toBe(st.ino);
    expect((await firstBytes(disk!.path, 'qcow2', 4096)).every((b) => b === 0x5a)).toBe(true);
  });
});

describe('cloud-init ISOs', () => {
  it('builds a NoCloud ISO labelled cidata holding exactly user-data, meta-data and network-config', async () => {
    const [disk] = await prepareDisks(
      [
        {
          kind: 'cloudInitNoCloud',
          volumeName: 'cloudinitdisk',
          userDataBase64: Buffer.from('#cloud-config\npassword: fedora\n').toString('base64'),
          networkData: 'version: 2\nethernets:\n  eth0:\n    dhcp4: true\n',
          metaData: { firmwareUuid: UUID, hostname: 'vm1', publicKeys: { '0': 'ssh-ed25519 AAAA a@b' } },
        },
      ],
      ctx,
    );
    const iso = join(dirs.ephemeralDiskDir, 'cloud-init-data/ns1/vm1/noCloud.iso');
    expect(disk?.path).toBe(iso);
    const st = await stat(iso);
    expect([st.uid, st.gid]).toEqual([107, 107]);
    // Only the ISO remains: no staging file, no staged data files.
    expect(await readdir(join(dirs.ephemeralDiskDir, 'cloud-init-data/ns1/vm1'))).toEqual(['noCloud.iso']);
    expect(await readIso(iso)).toEqual({
      label: 'cidata',
      files: {
        'user-data': '#cloud-config\npassword: fedora\n',
        'meta-data': `{"instance-id":"${UUID}","local-hostname":"vm1","public-keys":{"0":"ssh-ed25519 AAAA a@b"}}`,
        'network-config': 'version: 2\nethernets:\n  eth0:\n    dhcp4: true\n',
      },
    });
  });

  it('builds a ConfigDrive ISO labelled config-2 under openstack/latest', async () => {
    const [disk] = await prepareDisks(
      [
        {
          kind: 'cloudInitConfigDrive',
          volumeName: 'cloudinitdisk',
          userData: '#!/bin/sh\necho hi\n',
          networkDataBase64: Buffer.from('{"links":[]}').toString('base64'),
          metaData: { firmwareUuid: UUID, hostname: 'vm1', instanceType: 'u1.small' },
        },
      ],
      ctx,
    );
    const iso = join(dirs.ephemeralDiskDir, 'cloud-init-data/ns1/vm1/configdrive.iso');
    expect(disk?.path).toBe(iso);
    expect(await readIso(iso)).toEqual({
      label: 'config-2',
      files: {
        'openstack/latest/user_data': '#!/bin/sh\necho hi\n',
        'openstack/latest/meta_data.json':
          '{"instance-type":"u1.small","instance-id":"vm1.ns1","instance_type":"u1.small",' +
          `"instance_id":"vm1.ns1","hostname":"vm1","uuid":"${UUID}"}`,
        'openstack/latest/network_data.json': '{"links":[]}',
      },
    });
  });

  it('ignores a stale staging ISO and staged data left by a crash', async () => {
    const vmiDir = join(dirs.ephemeralDiskDir, 'cloud-init-data/ns1/crashed');
    await mkdir(join(vmiDir, 'data'), { recursive: true });
    await writeFile(join(vmiDir, 'noCloud.iso.staging'), 'garbage');
    await writeFile(join(vmiDir, 'data/stale-file'), 'must not reach the ISO');
    await prepareDisks(
      [{ kind: 'cloudInitNoCloud', volumeName: 'c', userData: 'u', metaData: { firmwareUuid: UUID } }],
      {
        ...ctx,
        vmi: { namespace: 'ns1', name: 'crashed' },
      },
    );
    expect(await readdir(vmiDir)).toEqual(['noCloud.iso']);
    expect((await readIso(join(vmiDir, 'noCloud.iso'))).files).toEqual({
      'user-data': 'u',
      'meta-data': `{"instance-id":"${UUID}"}`,
    });
  });

  it('rebuilds the ISO in place on a second run with new data', async () => {
    const source = {
      kind: 'cloudInitNoCloud' as const,
      volumeName: 'cloudinitdisk',
      userData: 'second\n',
      metaData: { firmwareUuid: UUID },
    };
    await prepareDisks([source], ctx);
    const iso = join(dirs.ephemeralDiskDir, 'cloud-init-data/ns1/vm1/noCloud.iso');
    expect((await readIso(iso)).files).toEqual({
      'user-data': 'second\n',
      'meta-data': `{"instance-id":"${UUID}"}`,
    });
  });

  it('fails with a typed error and writes nothing when there is neither user nor network data', async () => {
    const vmi = { namespace: 'ns1', name: 'empty' };
    await expect(
      prepareDisks([{ kind: 'cloudInitNoCloud', volumeName: 'c', metaData: {} }], { ...ctx, vmi }),
    ).rejects.toMatchObject({ code: 'CLOUD_INIT_NO_DATA' });
    await expect(stat(join(dirs.ephemeralDiskDir, 'cloud-init-data/ns1/empty'))).rejects.toMatchObject({
      code: 'ENOENT',
    });
  });
});
