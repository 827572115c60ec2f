import { describe, expect, it } from 'vitest';
import { VmpodError } from '../../../src/errors.js';
import { planBridgeBinding } from '../../../src/network/bridge-binding-plan.js';
import { discovered, POD_LINK } from './fixtures.js';

const iface = { name: 'default', bridge: {} };

describe('bridge binding planner', () => {
  it('builds bridge, enslaved NIC, tap, placeholder and arp_ignore for a pod with one address', () => {
    const plan = planBridgeBinding(iface, discovered(), 0);
    if (plan.kind !== 'build') throw new Error('expected a build plan');
    expect(plan.steps.map((s) => s.op)).toEqual([
      'write-file',
      'bridge',
      'enslave-pod-nic',
      'tap',
      'placeholder',
      'sysctl',
    ]);
    expect(plan.steps.slice(1)).toEqual([
      { op: 'bridge', name: 'k6t-eth0', addresses: ['169.254.75.10/32'] },
      { op: 'enslave-pod-nic', index: 2, name: 'eth0-nic', bridge: 'k6t-eth0' },
      { op: 'tap', name: 'tap0', uid: 107, gid: 107, queues: 0, mtu: 1450, bridge: 'k6t-eth0' },
      {
        op: 'placeholder',
        name: 'eth0',
        mac: POD_LINK.mac,
        mtu: 1450,
        addresses: ['10.244.0.10/24'],
        podNicIndex: 2,
      },
      { op: 'sysctl', key: 'net.ipv4.conf.all.arp_ignore', value: '1' },
    ]);
    expect(plan.steps[0]).toMatchObject({
      op: 'write-file',
      path: '/var/run/kubevirt-private/vif-cache-eth0.json',
      mode: 0o604,
      uid: 107,
      gid: 107,
    });
    expect(plan.vifCache).toMatchObject({
      ipamDisabled: false,
      ip: { address: '10.244.0.10', prefixLength: 24 },
      mac: POD_LINK.mac,
      gateway: '10.244.0.1',
      routes: [{ destination: 'default', gateway: '10.244.0.1' }],
    });
  });

  it('concatenates the interface index onto the fake bridge address', () => {
    const plan = planBridgeBinding(iface, discovered(), 3);
    expect(plan.kind === 'build' && plan.steps[1]).toEqual({
      op: 'bridge',
      name: 'k6t-eth0',
      addresses: ['169.254.75.13/32'],
    });
  });

  it('keeps every route but the one to the own subnet, gateway from the first route', () => {
    const d = discovered({
      routes: [
        { family: 4, destination: 'default', gateway: '10.244.0.1' },
        { family: 4, destination: '10.244.0.0/24', gateway: undefined },
        { family: 4, destination: '10.96.0.0/12', gateway: '10.244.0.254' },
        { family: 4, destination: '192.168.7.0/24', gateway: '10.244.0.253' },
        { family: 6, destination: 'default', gateway: 'fd00::1' },
      ],
    });
    const plan = planBridgeBinding(iface, d, 0);
    if (plan.kind !== 'build') throw new Error('expected a build plan');
    expect(plan.vifCache.gateway).toBe('10.244.0.1');
    expect(plan.vifCache.routes).toEqual([
      { destination: 'default', gateway: '10.244.0.1' },
      { destination: '10.96.0.0/12', gateway: '10.244.0.254' },
      { destination: '192.168.7.0/24', gateway: '10.244.0.253' },
    ]);
  });

  it('prefers the spec MAC, then the status MAC, for the guest', () => {
    const spec = planBridgeBinding({ ...iface, macAddress: '02:00:00:AA:BB:CC' }, discovered(), 0, {
      status: { mac: '02:00:00:11:22:33' },
    });
    const status = planBridgeBinding(iface, discovered(), 0, { status: { mac: '02:00:00:11:22:33' } });
    expect(spec.kind === 'build' && spec.vifCache.mac).toBe('02:00:00:aa:bb:cc');
    expect(status.kind === 'build' && status.vifCache.mac).toBe('02:00:00:11:22:33');
  });

  it('disables IPAM, omits the fake address and arp_ignore when the pod has no IPv4', () => {
    const d = discovered({
      addresses: [{ family: 6, address: 'fd10:244::10', prefixLength: 64, scope: 'global' }],
      routes: [{ family: 6, destination: 'default', gateway: 'fd10:244::1' }],
    });
    const plan = planBridgeBinding(iface, d, 0);
    if (plan.kind !== 'build') throw new Error('expected a build plan');
    expect(plan.vifCache).toMatchObject({ ipamDisabled: true, ip: undefined, mac: undefined, routes: [] });
    expect(plan.steps.find((s) => s.op === 'bridge')).toEqual({
      op: 'bridge',
      name: 'k6t-eth0',
      addresses: [],
    });
    expect(plan.steps.some((s) => s.op === 'sysctl')).toBe(false);
    expect(plan.steps.find((s) => s.op === 'placeholder')).toMatchObject({ addresses: ['fd10:244::10/64'] });
  });

  it('treats a link-local IPv4 as no IPv4', () => {
    const d = discovered({
      addresses: [{ family: 4, address: '169.254.3.4', prefixLength: 16, scope: 'link' }],
    });
    const plan = planBridgeBinding(iface, d, 0);
    expect(plan.kind === 'build' && plan.vifCache.ipamDisabled).toBe(true);
  });

  it('only reads the cache when the layout is already built', () => {
    const d = discovered({
      link: { ...POD_LINK, index: 9, kind: 'dummy', up: false },
      routes: [],
      bridge: { ...POD_LINK, index: 7, name: 'k6t-eth0', kind: 'bridge' },
      nic: { ...POD_LINK, name: 'eth0-nic', master: 'k6t-eth0' },
    });
    expect(planBridgeBinding(iface, d, 0)).toEqual({
      kind: 'already-built',
      podIfaceName: 'eth0',
      vifCachePath: '/var/run/kubevirt-private/vif-cache-eth0.json',
    });
  });

  it('names secondary networks after the pod interface', () => {
    const d = discovered({ name: 'pod7a3f9c0e1b2' });
    const plan = planBridgeBinding(iface, d, 1, { isPodNetwork: false, queues: 4, ownerId: 0 });
    if (plan.kind !== 'build') throw new Error('expected a build plan');
    expect(plan.steps[2]).toMatchObject({ name: '7a3f9c0e1b2-nic', bridge: 'k6t-7a3f9c0e1b2' });
    expect(plan.steps[3]).toMatchObject({ name: 'tap7a3f9c0e1b2', uid: 0, queues: 4 });
  });

  it('fails with a typed error when the pod link is missing or has no IPv4 route', () => {
    expect(() => planBridgeBinding(iface, discovered({ link: undefined }), 0)).toThrow(
      expect.objectContaining({ code: 'NETWORK_POD_LINK_MISSING' }),
    );
    try {
      planBridgeBinding(iface, discovered({ routes: [] }), 0);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(VmpodError);
      expect((err as VmpodError).code).toBe('NETWORK_NO_GATEWAY');
    }
  });
});
