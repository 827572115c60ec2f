import { describe, expect, it } from 'vitest';
import {
  domainStatusAgentFields,
  guestAgentInfoJson,
  guestFilesystemsJson,
  guestUsersJson,
} from '../../../../src/launcher/agent/agent-json.js';
import { type AgentSnapshot, emptySnapshot } from '../../../../src/launcher/agent/snapshot.js';

function full(): AgentSnapshot {
  const s = emptySnapshot();
  s.version = '7.2.22';
  s.supportedCommands = [
    { name: 'guest-ping', enabled: true },
    { name: 'guest-get-devices', enabled: false },
  ];
  s.hostname = 'vm1';
  s.os = {
    Name: 'Fedora Linux',
    KernelRelease: '6.5.6',
    Version: '39',
    PrettyName: 'Fedora Linux 39',
    VersionId: '39',
    KernelVersion: '#1 SMP',
    Machine: 'x86_64',
    Id: 'fedora',
  };
  s.timezone = { zone: 'CET', offsetSeconds: 3600 };
  s.users = Array.from({ length: 12 }, (_, i) => ({
    userName: `u${i}`,
    domain: i === 0 ? 'CORP' : '',
    loginTime: i === 1 ? 0 : 1_700_000_000.25,
  }));
  s.filesystems = Array.from({ length: 11 }, (_, i) => ({
    diskName: `vda${i}`,
    mountPoint: `/m${i}`,
    fileSystemType: 'ext4',
    usedBytes: 10,
    totalBytes: 100,
    disk:
      i === 0
        ? [
            { serial: 'S1', busType: 'virtio' },
            { serial: '', busType: 'scsi' },
          ]
        : [],
  }));
  s.fsFreezeStatus = 'thawed';
  s.interfaces = [
    { Mac: '00:00:00:00:00:00', Ip: '127.0.0.1', IPs: ['127.0.0.1'], InterfaceName: 'lo' },
    { Mac: '52:54:00:00:00:01', Ip: '10.0.2.15', IPs: ['10.0.2.15', 'fe80::1'], InterfaceName: 'eth0' },
  ];
  return s;
}

describe('guest agent JSON', () => {
  it('GetGuestInfo: v1.VirtualMachineInstanceGuestAgentInfo with capped lists', () => {
    const info = JSON.parse(guestAgentInfoJson(full()));
    expect(info.guestAgentVersion).toBe('7.2.22');
    expect(info.supportedCommands).toEqual([
      { name: 'guest-ping', enabled: true },
      { name: 'guest-get-devices' },
    ]);
    expect(info.hostname).toBe('vm1');
    expect(info.os).toEqual({
      name: 'Fedora Linux',
      kernelRelease: '6.5.6',
      version: '39',
      prettyName: 'Fedora Linux 39',
      versionId: '39',
      kernelVersion: '#1 SMP',
      machine: 'x86_64',
      id: 'fedora',
    });
    expect(info.timezone).toBe('CET, 3600');
    expect(info.userList).toHaveLength(10);
    expect(info.userList[0]).toEqual({ userName: 'u0', domain: 'CORP', loginTime: 1_700_000_000.25 });
    expect(info.userList[1]).toEqual({ userName: 'u1' });
    expect(info.fsInfo.disks).toHaveLength(10);
    expect(info.fsInfo.disks[0]).toEqual({
      diskName: 'vda0',
      mountPoint: '/m0',
      fileSystemType: 'ext4',
      usedBytes: 10,
      totalBytes: 100,
      disk: [{ serial: 'S1', busType: 'virtio' }, { busType: 'scsi' }],
    });
    expect(info.fsInfo.disks[1]).not.toHaveProperty('disk');
    expect(info.fsFreezeStatus).toBe('thawed');
  });

  it('GetGuestInfo of an empty snapshot keeps only os and fsInfo', () => {
    expect(JSON.parse(guestAgentInfoJson(emptySnapshot()))).toEqual({ os: {}, fsInfo: { disks: [] } });
  });

  it('GetUsers and GetFilesystems list everything', () => {
    expect(JSON.parse(guestUsersJson(full()))).toHaveLength(12);
    expect(JSON.parse(guestFilesystemsJson(full()))).toHaveLength(11);
    expect(guestUsersJson(emptySnapshot())).toBe('[]');
    expect(guestFilesystemsJson(emptySnapshot())).toBe('[]');
  });

  it('domain status: interfaces without loopback, OS info and freeze status', () => {
    const f = domainStatusAgentFields(full());
    expect(f.Interfaces).toEqual([
      { Mac: '52:54:00:00:00:01', Ip: '10.0.2.15', IPs: ['10.0.2.15', 'fe80::1'], InterfaceName: 'eth0' },
    ]);
    expect(f.OSInfo.Id).toBe('fedora');
    expect(f.FSFreezeStatus).toEqual({ Status: 'thawed' });
  });

  it('domain status without agent data', () => {
    expect(domainStatusAgentFields(undefined)).toEqual({
      Interfaces: null,
      OSInfo: { Name: '' },
      FSFreezeStatus: { Status: '' },
    });
    const onlyLo = emptySnapshot();
    onlyLo.interfaces = [{ Mac: '', Ip: '127.0.0.1', IPs: ['127.0.0.1'], InterfaceName: 'lo' }];
    expect(domainStatusAgentFields(onlyLo).Interfaces).toBeNull();
  });
});
