import { XMLBuilder } from 'fast-xml-parser';
import { VmpodError } from '../errors.js';
import type { Domain, DomainDisk, DomainInterface, HypervFeature, Sysinfo } from './domain-types.js';

// Domain model → libvirt domain XML. The builder escapes every text and attribute value
// (& < > " '); strings carrying characters XML 1.0 cannot hold at all are refused here rather
// than handed to libvirt as a document it cannot parse.

type Node = Record<string, unknown>;

const builder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  textNodeName: '#text',
  format: true,
  indentBy: '  ',
  suppressEmptyNode: true,
  suppressBooleanAttributes: false,
  processEntities: true,
});

// XML 1.0 Char production, minus the discouraged-but-legal ranges we do not need to police.
const NOT_XML_CHAR =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function checkText(value: unknown, where: string): void {
  if (typeof value === 'string' && NOT_XML_CHAR.test(value)) {
    throw new VmpodError('DOMAIN_INVALID_TEXT', `${where}: contains a character XML cannot carry`, {
      facts: { where },
    });
  }
  if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) checkText(v, `${where}/${k}`);
  }
}

const attrs = (o: Record<string, string | number | undefined>): Node =>
  Object.fromEntries(
    Object.entries(o)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [`@_${k}`, String(v)]),
  );

const empty = '';

// KubeVirt writes empty <bios/>, <baseBoard/>, <chassis/>; libvirt's schema wants at least one
// entry in each and libvirt drops empty ones anyway, so they are left out.
function sysinfoNode(s: Sysinfo): Node {
  const entries = (list: Sysinfo['system']) =>
    list.length === 0
      ? undefined
      : { entry: list.map((e) => ({ ...attrs({ name: e.name }), '#text': e.value })) };
  return {
    ...attrs({ type: 'smbios' }),
    system: entries(s.system),
    bios: entries(s.bios),
    baseBoard: entries(s.baseBoard),
    chassis: entries(s.chassis),
  };
}

function hypervNode(list: HypervFeature[]): Node {
  const out: Node = {};
  for (const f of list) {
    const node: Node = attrs({ state: f.state, ...f.attrs });
    for (const c of f.children ?? []) node[c.name] = attrs({ state: c.state });
    out[f.name] = node;
  }
  return out;
}

function diskNode(d: DomainDisk): Node {
  return {
    ...attrs({ type: d.type, device: d.device, model: d.model }),
    driver: attrs({
      name: d.driver.name,
      type: d.driver.type,
      cache: d.driver.cache,
      io: d.driver.io,
      error_policy: d.driver.errorPolicy,
      discard: d.driver.discard,
      queues: d.driver.queues,
      iothread: d.driver.iothread,
    }),
    source: d.source ? attrs({ file: d.source.file, dev: d.source.dev, name: d.source.name }) : undefined,
    backingStore: d.backingStore
      ? {
          ...attrs({ type: d.backingStore.type }),
          format: attrs({ type: d.backingStore.format }),
          source: attrs(
            d.backingStore.type === 'file' ? { file: d.backingStore.path } : { dev: d.backingStore.path },
          ),
        }
      : undefined,
    target: attrs({ bus: d.target.bus, dev: d.target.dev, tray: d.target.tray }),
    readonly: d.readonly ? empty : undefined,
    shareable: d.shareable ? empty : undefined,
    serial: d.serial,
    boot: d.bootOrder === undefined ? undefined : attrs({ order: d.bootOrder }),
    alias: attrs({ name: d.alias }),
    address: d.driveAddress
      ? attrs({ type: 'drive', ...d.driveAddress })
      : d.pciAddress
        ? attrs({ type: 'pci', ...d.pciAddress })
        : undefined,
  };
}

function interfaceNode(i: DomainInterface): Node {
  return {
    ...attrs({ type: i.type }),
    source: empty,
    target: i.target ? attrs({ dev: i.target.dev, managed: i.target.managed }) : undefined,
    mac: i.mac ? attrs({ address: i.mac }) : undefined,
    mtu: i.mtu === undefined ? undefined : attrs({ size: i.mtu }),
    model: attrs({ type: i.model }),
    driver: i.driver ? attrs({ name: i.driver.name, queues: i.driver.queues }) : undefined,
    link: i.linkState ? attrs({ state: i.linkState }) : undefined,
    boot: i.bootOrder === undefined ? undefined : attrs({ order: i.bootOrder }),
    rom: i.romEnabled ? attrs({ enabled: i.romEnabled }) : undefined,
    acpi: i.acpiIndex === undefined ? undefined : attrs({ index: i.acpiIndex }),
    alias: attrs({ name: i.alias }),
    address: i.pciAddress ? attrs({ type: 'pci', ...i.pciAddress }) : undefined,
  };
}

function devicesNode(d: Domain['devices']): Node {
  return {
    disk: d.disks.map(diskNode),
    controller: d.controllers.map((c) => attrs({ type: c.type, index: c.index, model: c.model })),
    interface: d.interfaces.map(interfaceNode),
    serial: d.serials.map((s) => ({
      ...attrs({ type: 'unix' }),
      target: attrs({ port: 0 }),
      source: attrs({ mode: 'bind', path: s.socketPath }),
      log: s.logFile ? attrs({ file: s.logFile, append: 'on' }) : undefined,
    })),
    console: d.consoles.map((c) => ({
      ...attrs({ type: c.type }),
      target: attrs({ type: c.targetType, port: c.port }),
    })),
    channel: d.channels.map((c) => ({
      ...attrs({ type: 'unix' }),
      source: c.socketPath ? attrs({ mode: 'bind', path: c.socketPath }) : undefined,
      target: attrs({ type: 'virtio', name: c.name }),
    })),
    graphics: d.graphics
      ? { ...attrs({ type: 'vnc' }), listen: attrs({ type: 'socket', socket: d.graphics.vncSocket }) }
      : undefined,
    video: d.video
      ? { model: attrs({ type: d.video.model, heads: d.video.heads, vram: d.video.vram }) }
      : undefined,
    memballoon: {
      ...attrs({ model: d.memballoon.model, freePageReporting: d.memballoon.freePageReporting }),
      stats: d.memballoon.statsPeriod ? attrs({ period: d.memballoon.statsPeriod }) : undefined,
    },
    rng: d.rngs.map((r) => ({
      ...attrs({ model: r.model }),
      backend: { ...attrs({ model: 'random' }), '#text': r.backend },
    })),
    watchdog: d.watchdogs.map((w) => ({
      ...attrs({ model: w.model, action: w.action }),
      alias: attrs({ name: w.alias }),
    })),
    input: d.inputs.map((i) => ({
      ...attrs({ type: i.type, bus: i.bus, model: i.model }),
      alias: attrs({ name: i.alias }),
    })),
  };
}

function osNode(os: Domain['os']): Node {
  return {
    type: { ...attrs({ arch: os.arch, machine: os.machine }), '#text': 'hvm' },
    loader: os.loader
      ? {
          ...attrs({ readonly: os.loader.readonly, secure: os.loader.secure, type: os.loader.type }),
          '#text': os.loader.path,
        }
      : undefined,
    nvram: os.nvram ? { ...attrs({ template: os.nvram.template }), '#text': os.nvram.path } : undefined,
    kernel: os.kernel,
    initrd: os.initrd,
    cmdline: os.cmdline,
    bootmenu: os.bootMenu ? attrs({ enable: os.bootMenu.enable, timeout: os.bootMenu.timeoutMs }) : undefined,
    bios: os.biosUseSerial ? attrs({ useserial: 'yes' }) : undefined,
    smbios: os.smbiosMode ? attrs({ mode: os.smbiosMode }) : undefined,
  };
}

function featuresNode(f: Domain['features']): Node | string {
  const node: Node = {
    acpi: f.acpi ? empty : undefined,
    apic: f.apic ? empty : undefined,
    smm: f.smm ? empty : undefined,
    hyperv: f.hyperv && f.hyperv.length > 0 ? hypervNode(f.hyperv) : undefined,
    kvm: f.kvmHidden ? { hidden: attrs({ state: f.kvmHidden }) } : undefined,
    pvspinlock: f.pvspinlock ? attrs({ state: f.pvspinlock }) : undefined,
    vmport: f.vmport ? attrs({ state: f.vmport }) : undefined,
  };
  return Object.values(node).some((v) => v !== undefined) ? node : empty;
}

export function domainToNode(d: Domain): Node {
  return {
    domain: {
      ...attrs({ type: d.type, 'xmlns:qemu': 'http://libvirt.org/schemas/domain/qemu/1.0' }),
      name: d.name,
      metadata: { kubevirt: { ...attrs({ xmlns: 'http://kubevirt.io' }), uid: empty } },
      memory: { ...attrs({ unit: 'b' }), '#text': d.memoryBytes },
      vcpu: { ...attrs({ placement: 'static' }), '#text': d.vcpus },
      iothreads: d.iothreads,
      sysinfo: d.sysinfo ? sysinfoNode(d.sysinfo) : undefined,
      os: osNode(d.os),
      features: featuresNode(d.features),
      cpu: {
        ...attrs({ mode: d.cpu.mode }),
        model: d.cpu.model,
        topology: attrs({
          sockets: d.cpu.topology.sockets,
          cores: d.cpu.topology.cores,
          threads: d.cpu.topology.threads,
        }),
        feature: d.cpu.features.map((f) => attrs({ name: f.name, policy: f.policy })),
      },
      clock: d.clock
        ? {
            ...attrs({ offset: d.clock.offset, adjustment: d.clock.adjustment, timezone: d.clock.timezone }),
            timer: d.clock.timers.map((t) =>
              attrs({ name: t.name, present: t.present, tickpolicy: t.tickpolicy, track: t.track }),
            ),
          }
        : undefined,
      on_reboot: d.onReboot,
      devices: devicesNode(d.devices),
    },
  };
}

/** The domain as libvirt XML (no XML declaration, two-space indent, trailing newline). */
export function encodeDomainXml(d: Domain): string {
  const node = domainToNode(d);
  checkText(node, 'domain');
  return builder.build(node) as string;
}
