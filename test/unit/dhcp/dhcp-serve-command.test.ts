import { describe, expect, it } from 'vitest';
import { parseServeArgs } from '../../../src/dhcp/dhcp-serve-command.js';
import { parseCommand } from '../../../src/cli/entry.js';

const required = ['--interface', 'k6t-eth0', '--mac', '02:00:00:00:00:AA', '--address', '10.244.1.7/24'];
const noAddress = () => undefined;

describe('vmpod dhcp serve flags', () => {
  it('is reached as `vmpod dhcp serve`', () => {
    expect(parseCommand('/usr/bin/vmpod', ['dhcp', 'serve', '--mtu', '1400'])).toEqual({
      kind: 'dhcp-serve',
      args: ['--mtu', '1400'],
    });
    expect(parseCommand('/usr/bin/vmpod', ['dhcp', 'nope']).kind).toBe('usage-error');
  });

  it('builds the lease from every flag', () => {
    const cfg = parseServeArgs(
      [
        ...required,
        '--gateway=10.244.1.1',
        '--dns',
        '10.96.0.10, 10.96.0.11',
        '--search',
        'default.svc.cluster.local,svc.cluster.local',
        '--hostname',
        'vm-one',
        '--mtu',
        '1400',
        '--route',
        '0.0.0.0/0 via 10.244.1.1',
        '--route',
        '10.200.0.0/16',
        'via',
        '10.244.1.254',
        '--route=192.0.2.0/24',
        '--server-id',
        '169.254.75.10',
        '--tap',
        'tap0',
      ],
      noAddress,
    );
    expect(cfg.interfaceName).toBe('k6t-eth0');
    expect(cfg.tapName).toBe('tap0');
    expect(cfg.port).toBe(67);
    expect(cfg.lease).toMatchObject({
      address: '10.244.1.7',
      prefixLength: 24,
      serverId: '169.254.75.10',
      gateway: '10.244.1.1',
      dns: ['10.96.0.10', '10.96.0.11'],
      searchDomains: ['default.svc.cluster.local', 'svc.cluster.local'],
      domainName: 'default.svc.cluster.local',
      hostname: 'vm-one',
      mtu: 1400,
      leaseSeconds: 86313600,
      routes: [
        { destination: '0.0.0.0/0', gateway: '10.244.1.1' },
        { destination: '10.200.0.0/16', gateway: '10.244.1.254' },
        { destination: '192.0.2.0/24', gateway: undefined },
      ],
    });
    expect([...(cfg.lease.clientMac ?? [])]).toEqual([2, 0, 0, 0, 0, 0xaa]);
  });

  it('takes the server id from the interface when not given', () => {
    expect(parseServeArgs(required, () => '169.254.75.10').lease.serverId).toBe('169.254.75.10');
    expect(parseServeArgs(required, () => '169.254.75.10').tapName).toBeUndefined();
    expect(() => parseServeArgs(required, noAddress)).toThrow(/server identifier/);
  });

  it.each([
    [['--mac', '02:00:00:00:00:aa', '--address', '10.0.0.2/24'], 'FLAG_BAD_VALUE'],
    [[...required, '--route', '10.0.0.0/8 by 1.1.1.1'], 'FLAG_BAD_VALUE'],
    [[...required, '--address', '10.0.0.2'], 'DHCP_BAD_ADDRESS'],
    [[...required, '--mac', 'zz'], 'DHCP_BAD_MAC'],
    [[...required, '--bogus'], 'FLAG_UNKNOWN'],
  ])('rejects bad flags with a typed error: %j', (args, code) => {
    expect(() => parseServeArgs(args, () => '10.0.0.1')).toThrow(expect.objectContaining({ code }));
  });
});
