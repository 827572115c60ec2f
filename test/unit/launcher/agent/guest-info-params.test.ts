import { describe, expect, it } from 'vitest';
import { VmpodError } from '../../../../src/errors.js';
import {
  hostnameFromParams,
  interfacesFromParams,
  loadFromParams,
  osFromParams,
  timezoneFromParams,
  usersFromParams,
} from '../../../../src/launcher/agent/guest-info-params.js';

// What libvirt 9 hands back for virDomainGetGuestInfo(USERS|OS|TIMEZONE|HOSTNAME|INTERFACES).
const params = {
  'user.count': 2,
  'user.0.name': 'root',
  'user.0.login-time': 1_700_000_000_500n,
  'user.1.name': 'alice',
  'user.1.domain': 'CORP',
  'user.1.login-time': 1_700_000_001_000n,
  'os.id': 'vmpod-guest',
  'os.name': 'vmpod-guest',
  'os.pretty-name': 'vmpod test guest',
  'os.version': '1 (busybox)',
  'os.version-id': '1',
  'os.kernel-release': '6.1.0-56-amd64',
  'os.kernel-version': '#1 SMP PREEMPT_DYNAMIC Debian 6.1.192-2',
  'os.machine': 'x86_64',
  'timezone.name': 'UTC',
  'timezone.offset': 0,
  hostname: 'vmpod-guest',
  'if.count': 2,
  'if.0.name': 'lo',
  'if.0.hwaddr': '00:00:00:00:00:00',
  'if.0.addr.count': 2,
  'if.0.addr.0.type': 'ipv4',
  'if.0.addr.0.addr': '127.0.0.1',
  'if.0.addr.0.prefix': 8,
  'if.0.addr.1.type': 'ipv6',
  'if.0.addr.1.addr': '::1',
  'if.0.addr.1.prefix': 128,
  'if.1.name': 'eth0',
  'if.1.hwaddr': '52:54:00:7e:57:01',
  'if.1.addr.count': 2,
  'if.1.addr.0.type': 'ipv6',
  'if.1.addr.0.addr': 'fe80::5054:ff:fe7e:5701',
  'if.1.addr.0.prefix': 64,
  'if.1.addr.1.type': 'ipv4',
  'if.1.addr.1.addr': '10.0.2.15',
  'if.1.addr.1.prefix': 24,
};

describe('virDomainGetGuestInfo parameters', () => {
  it('gives the OS info', () => {
    expect(osFromParams(params)).toEqual({
      Name: 'vmpod-guest',
      KernelRelease: '6.1.0-56-amd64',
      Version: '1 (busybox)',
      PrettyName: 'vmpod test guest',
      VersionId: '1',
      KernelVersion: '#1 SMP PREEMPT_DYNAMIC Debian 6.1.192-2',
      Machine: 'x86_64',
      Id: 'vmpod-guest',
    });
    expect(osFromParams({}).Id).toBe('');
  });

  it('gives hostname and timezone', () => {
    expect(hostnameFromParams(params)).toBe('vmpod-guest');
    expect(timezoneFromParams(params)).toEqual({ zone: 'UTC', offsetSeconds: 0 });
    expect(timezoneFromParams({ 'timezone.name': 'CET', 'timezone.offset': 3600 })).toEqual({
      zone: 'CET',
      offsetSeconds: 3600,
    });
    expect(timezoneFromParams({})).toBeUndefined();
  });

  it('gives users with login times in seconds', () => {
    expect(usersFromParams(params)).toEqual([
      { userName: 'root', domain: '', loginTime: 1_700_000_000.5 },
      { userName: 'alice', domain: 'CORP', loginTime: 1_700_000_001 },
    ]);
    expect(usersFromParams({})).toEqual([]);
  });

  it('gives interfaces with the first IPv4 address as Ip', () => {
    expect(interfacesFromParams(params)).toEqual([
      { Mac: '00:00:00:00:00:00', Ip: '127.0.0.1', IPs: ['127.0.0.1', '::1'], InterfaceName: 'lo' },
      {
        Mac: '52:54:00:7e:57:01',
        Ip: '10.0.2.15',
        IPs: ['fe80::5054:ff:fe7e:5701', '10.0.2.15'],
        InterfaceName: 'eth0',
      },
    ]);
    expect(
      interfacesFromParams({
        'if.count': 1,
        'if.0.name': 'eth1',
        'if.0.addr.count': 1,
        'if.0.addr.0.addr': 'fd00::1',
        'if.0.addr.0.type': 'ipv6',
      }),
    ).toEqual([{ Mac: '', Ip: 'fd00::1', IPs: ['fd00::1'], InterfaceName: 'eth1' }]);
    expect(interfacesFromParams({ 'if.count': 1, 'if.0.name': 'eth2' })).toEqual([
      { Mac: '', Ip: '', IPs: null, InterfaceName: 'eth2' },
    ]);
    expect(interfacesFromParams({})).toBeNull();
  });

  it('gives load averages when present', () => {
    expect(loadFromParams({ 'load.1m': 0.5, 'load.5m': 0.25, 'load.15m': 0.1 })).toEqual({
      load1m: 0.5,
      load5m: 0.25,
      load15m: 0.1,
    });
    expect(loadFromParams({})).toBeUndefined();
  });

  it.each([
    ['a string count', () => usersFromParams({ 'user.count': 'two' })],
    ['a negative count', () => interfacesFromParams({ 'if.count': -1 })],
    ['a huge count', () => interfacesFromParams({ 'if.count': 1e9 })],
    ['a numeric name', () => osFromParams({ 'os.name': 5 })],
    ['a boolean offset', () => timezoneFromParams({ 'timezone.offset': true })],
  ])('%s is a typed error', (_, fn) => {
    try {
      fn();
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(VmpodError);
      expect((err as VmpodError).code).toBe('AGENT_GUEST_INFO_MALFORMED');
    }
  });
});
