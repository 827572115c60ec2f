import { describe, expect, it } from 'vitest';
import { guestInterfaceSpec } from '../../../src/network/guest-interface.js';
import { POD_LINK } from './fixtures.js';

const placeholder = { ...POD_LINK, index: 9, kind: 'dummy', up: false };
const tap = { ...POD_LINK, index: 8, name: 'tap0', kind: 'tun', mac: '7e:00:00:00:00:01' };

describe('guest interface (phase 2)', () => {
  it('uses the tap, the placeholder MAC and the pod MTU', () => {
    expect(
      guestInterfaceSpec({ iface: { name: 'default' }, podIfaceName: 'eth0', podLink: placeholder, tap }),
    ).toEqual({
      alias: 'ua-default',
      targetDevice: 'tap0',
      managed: false,
      mac: POD_LINK.mac,
      mtu: 1450,
    });
  });

  it('takes the MAC from the spec, then from the status', () => {
    const base = { podIfaceName: 'eth0', podLink: placeholder, tap };
    const spec = guestInterfaceSpec({
      ...base,
      iface: { name: 'a', macAddress: '02:AB:00:00:00:01' },
      statusMac: '02:00:00:00:00:02',
    });
    const status = guestInterfaceSpec({ ...base, iface: { name: 'a' }, statusMac: '02:00:00:00:00:02' });
    expect(spec.mac).toBe('02:ab:00:00:00:01');
    expect(status.mac).toBe('02:00:00:00:00:02');
  });

  it('targets the pod interface itself when no tap exists', () => {
    const spec = guestInterfaceSpec({
      iface: { name: 'a' },
      podIfaceName: 'eth0',
      podLink: placeholder,
      tap: undefined,
    });
    expect(spec.targetDevice).toBe('eth0');
  });
});
