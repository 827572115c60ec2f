import { describe, expect, it } from 'vitest';
import {
  configureControllers,
  configureGraphics,
  configureGuestAgentChannel,
  configureInputs,
  configureMemBalloon,
  configureRng,
  configureSerialConsole,
  configureWatchdog,
} from '../../../src/domain/configure-devices.js';
import { configureInterfaces } from '../../../src/domain/configure-interfaces.js';
import { emptyDomain } from '../../../src/domain/domain-types.js';
import { defaultContext } from '../../../src/domain/context.js';
import type { GuestInterfaceSpec } from '../../../src/network/index.js';
import { run, vmiWith } from './fixtures.js';

/** The first interface on the pod network, the others on multus networks. */
function podNet(ifaces: Record<string, unknown>[]) {
  const networks = ifaces.map((iface, i) =>
    i === 0 ? { name: iface.name, pod: {} } : { name: iface.name, multus: { networkName: 'n' } },
  );
  return vmiWith({ devices: { interfaces: ifaces } }, { networks });
}

const tap: GuestInterfaceSpec = {
  alias: 'ua-default',
  targetDevice: 'tap0',
  managed: false,
  mac: '02:00:00:aa:bb:cc',
  mtu: 1400,
};

describe('interfaces', () => {
  it('attaches bridge and masquerade as ethernet with the phase-2 tap, MAC and MTU', () => {
    const d = run(configureInterfaces, podNet([{ name: 'default', masquerade: {} }]), {
      interfaces: new Map([['default', tap]]),
    });
    expect(d.devices.interfaces).toEqual([
      {
        type: 'ethernet',
        alias: 'ua-default',
        model: 'virtio-non-transitional',
        mac: '02:00:00:aa:bb:cc',
        target: { dev: 'tap0', managed: 'no' },
        mtu: 1400,
        romEnabled: 'no',
      },
    ]);
  });
  it('without a phase-2 spec keeps the spec MAC and leaves target and MTU to phase 2', () => {
    const d = run(
      configureInterfaces,
      podNet([{ name: 'default', bridge: {}, macAddress: '02:00:00:00:00:09' }]),
    );
    expect(d.devices.interfaces[0]).toEqual({
      type: 'ethernet',
      alias: 'ua-default',
      model: 'virtio-non-transitional',
      mac: '02:00:00:00:00:09',
      romEnabled: 'no',
    });
  });
  it('copies model, boot order, link state, ACPI index and PCI address; skips absent interfaces', () => {
    const d = run(
      configureInterfaces,
      podNet([
        {
          name: 'default',
          bridge: {},
          model: 'e1000',
          bootOrder: 1,
          state: 'linkDown',
          acpiIndex: 2,
          pciAddress: '0000:01:00.0',
        },
        { name: 'gone', bridge: {}, state: 'absent' },
      ]),
    );
    expect(d.devices.interfaces).toEqual([
      {
        type: 'ethernet',
        alias: 'ua-default',
        model: 'e1000',
        bootOrder: 1,
        linkState: 'down',
        acpiIndex: 2,
        pciAddress: { domain: '0x0000', bus: '0x01', slot: '0x00', function: '0x0' },
      },
    ]);
  });
  it('gives virtio vhost queues = vCPUs with networkInterfaceMultiqueue', () => {
    const vmi = vmiWith(
      {
        cpu: { sockets: 2, cores: 2 },
        devices: { networkInterfaceMultiqueue: true, interfaces: [{ name: 'default', bridge: {} }] },
      },
      { networks: [{ name: 'default', pod: {} }] },
    );
    expect(run(configureInterfaces, vmi).devices.interfaces[0]?.driver).toEqual({ name: 'vhost', queues: 4 });
  });
});

describe('devices', () => {
  it('adds a logged unix serial console, a pty console and the virtio-serial controller', () => {
    const d = run(configureSerialConsole, vmiWith());
    expect(d.devices.serials).toEqual([
      {
        socketPath: '/var/run/kubevirt-private/u-1/virt-serial0',
        logFile: '/var/run/kubevirt-private/u-1/virt-serial0-log',
      },
    ]);
    expect(d.devices.consoles).toEqual([{ type: 'pty', targetType: 'serial', port: 0 }]);
    expect(d.devices.controllers).toEqual([
      { type: 'virtio-serial', index: 0, model: 'virtio-non-transitional' },
    ]);
  });
  it('drops the serial log when logging is off, and the console when not autoattached', () => {
    expect(
      run(configureSerialConsole, vmiWith(), { serialConsoleLog: false }).devices.serials[0]?.logFile,
    ).toBeUndefined();
    expect(
      run(configureSerialConsole, vmiWith({ devices: { logSerialConsole: true } }), {
        serialConsoleLog: false,
      }).devices.serials[0]?.logFile,
    ).toBeDefined();
    expect(
      run(configureSerialConsole, vmiWith({ devices: { autoattachSerialConsole: false } })).devices.serials,
    ).toEqual([]);
  });
  it('adds VNC on a socket with VGA, bochs for EFI guests, nothing when not autoattached', () => {
    const d = run(configureGraphics, vmiWith());
    expect(d.devices.graphics).toEqual({ vncSocket: '/var/run/kubevirt-private/u-1/virt-vnc' });
    expect(d.devices.video).toEqual({ model: 'vga', heads: 1, vram: 16384 });
    expect(run(configureGraphics, vmiWith({ firmware: { bootloader: { efi: {} } } })).devices.video).toEqual({
      model: 'bochs',
      heads: 1,
    });
    expect(
      run(configureGraphics, vmiWith({ devices: { autoattachGraphicsDevice: false } })).devices.graphics,
    ).toBeUndefined();
  });
  it('always adds the guest agent channel', () => {
    expect(run(configureGuestAgentChannel, vmiWith()).devices.channels).toEqual([
      { name: 'org.qemu.guest_agent.0' },
    ]);
  });
  it('adds a balloon with stats and free page reporting, or model none', () => {
    expect(run(configureMemBalloon, vmiWith()).devices.memballoon).toEqual({
      model: 'virtio-non-transitional',
      statsPeriod: 10,
      freePageReporting: 'on',
    });
    expect(
      run(configureMemBalloon, vmiWith(), { memBalloonStatsPeriod: 0, freePageReportingDisabled: true })
        .devices.memballoon,
    ).toEqual({
      model: 'virtio-non-transitional',
      freePageReporting: 'off',
    });
    expect(
      run(configureMemBalloon, vmiWith({ devices: { autoattachMemBalloon: false } })).devices.memballoon,
    ).toEqual({ model: 'none' });
  });
  it('adds RNG only when asked', () => {
    expect(run(configureRng, vmiWith()).devices.rngs).toEqual([]);
    expect(run(configureRng, vmiWith({ devices: { rng: {} } })).devices.rngs).toEqual([
      { model: 'virtio-non-transitional', backend: '/dev/urandom' },
    ]);
  });
  it('adds an i6300esb watchdog with the defaulted action', () => {
    expect(
      run(configureWatchdog, vmiWith({ devices: { watchdog: { name: 'w', i6300esb: {} } } })).devices
        .watchdogs,
    ).toEqual([{ model: 'i6300esb', action: 'reset', alias: 'ua-w' }]);
  });
  it('adds tablets, virtio ones with model virtio', () => {
    const d = run(
      configureInputs,
      vmiWith({
        devices: {
          inputs: [
            { name: 'a', type: 'tablet' },
            { name: 'b', type: 'tablet', bus: 'virtio' },
          ],
        },
      }),
    );
    expect(d.devices.inputs).toEqual([
      { type: 'tablet', bus: 'usb', alias: 'ua-a' },
      { type: 'tablet', bus: 'virtio', model: 'virtio', alias: 'ua-b' },
    ]);
  });
  it('uses qemu-xhci only when something is on USB, and always a virtio SCSI controller', () => {
    const domain = emptyDomain('kvm', 'x');
    configureControllers(vmiWith(), defaultContext(), domain);
    expect(domain.devices.controllers).toEqual([
      { type: 'usb', index: 0, model: 'none' },
      { type: 'scsi', index: 0, model: 'virtio-non-transitional' },
    ]);
    const withTablet = emptyDomain('kvm', 'x');
    withTablet.devices.inputs.push({ type: 'tablet', bus: 'usb', alias: 'ua-t' });
    configureControllers(vmiWith(), defaultContext(), withTablet);
    expect(withTablet.devices.controllers[0]?.model).toBe('qemu-xhci');
  });
});
