import type { Configurator } from './configurator.js';
import { virtioModel } from './configurator.js';

// §6.7: console, graphics, channels, balloon, RNG, watchdog, inputs and the controllers they need.

const PRIVATE = '/var/run/kubevirt-private';

export const configureSerialConsole: Configurator = (vmi, ctx, domain) => {
  const { devices } = vmi.spec.domain;
  if (devices.autoattachSerialConsole === false) return;
  const socketPath = `${PRIVATE}/${vmi.metadata.uid}/virt-serial0`;
  const log = devices.logSerialConsole ?? ctx.serialConsoleLog;
  domain.devices.serials.push(log ? { socketPath, logFile: `${socketPath}-log` } : { socketPath });
  domain.devices.consoles.push({ type: 'pty', targetType: 'serial', port: 0 });
  domain.devices.controllers.push({ type: 'virtio-serial', index: 0, model: virtioModel(vmi) });
};

export const configureGraphics: Configurator = (vmi, ctx, domain) => {
  if (vmi.spec.domain.devices.autoattachGraphicsDevice === false) return;
  domain.devices.graphics = { vncSocket: `${PRIVATE}/${vmi.metadata.uid}/virt-vnc` };
  const efi = vmi.spec.domain.firmware.bootloader?.efi !== undefined;
  domain.devices.video =
    efi && ctx.bochsDisplayForEfiGuests
      ? { model: 'bochs', heads: 1 }
      : { model: 'vga', heads: 1, vram: 16384 };
};

export const configureGuestAgentChannel: Configurator = (_vmi, _ctx, domain) => {
  domain.devices.channels.push({ name: 'org.qemu.guest_agent.0' });
};

export const configureMemBalloon: Configurator = (vmi, ctx, domain) => {
  if (vmi.spec.domain.devices.autoattachMemBalloon === false) {
    domain.devices.memballoon = { model: 'none' };
    return;
  }
  const disabled =
    ctx.freePageReportingDisabled ||
    vmi.metadata.annotations['kubevirt.io/free-page-reporting-disabled'] === 'true';
  domain.devices.memballoon = {
    model: virtioModel(vmi),
    ...(ctx.memBalloonStatsPeriod > 0 ? { statsPeriod: ctx.memBalloonStatsPeriod } : {}),
    freePageReporting: disabled ? 'off' : 'on',
  };
};

export const configureRng: Configurator = (vmi, _ctx, domain) => {
  if (vmi.spec.domain.devices.rng)
    domain.devices.rngs.push({ model: virtioModel(vmi), backend: '/dev/urandom' });
};

export const configureWatchdog: Configurator = (vmi, _ctx, domain) => {
  const w = vmi.spec.domain.devices.watchdog;
  if (!w) return;
  domain.devices.watchdogs.push({
    model: 'i6300esb',
    action: w.i6300esb?.action ?? 'reset',
    alias: `ua-${w.name}`,
  });
};

export const configureInputs: Configurator = (vmi, _ctx, domain) => {
  for (const input of vmi.spec.domain.devices.inputs) {
    const bus = input.bus ?? 'usb';
    domain.devices.inputs.push({
      type: input.type,
      bus,
      ...(bus === 'virtio' ? { model: 'virtio' as const } : {}),
      alias: `ua-${input.name}`,
    });
  }
};

/** USB (xhci only when something sits on USB) and the SCSI controller hotplug needs. */
export const configureControllers: Configurator = (vmi, _ctx, domain) => {
  const usbNeeded =
    domain.devices.inputs.some((i) => i.bus === 'usb') ||
    domain.devices.disks.some((d) => d.target.bus === 'usb');
  domain.devices.controllers.push({ type: 'usb', index: 0, model: usbNeeded ? 'qemu-xhci' : 'none' });
  domain.devices.controllers.push({ type: 'scsi', index: 0, model: virtioModel(vmi) });
};
