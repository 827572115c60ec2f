import { parse as parseYaml } from 'yaml';
import { VmpodError } from '../errors.js';
import { Fields, invalid, notSupported } from './field-reader.js';
import { parseBytes, parseQuantity } from './quantity.js';
import {
  DISK_BUSES,
  type CloudInitSource,
  type Clock,
  type Cpu,
  type Devices,
  type Disk,
  type DomainSpec,
  type FeatureState,
  type Features,
  type Firmware,
  type HypervFeatures,
  type Interface,
  type Network,
  type Resources,
  type Timer,
  type Vmi,
  type Volume,
} from './types.js';

// A VMI from JSON or YAML text (or an already-decoded object) to the typed model, checking every
// field vmpod reads; sections vmpod cannot honour fail with NOT_SUPPORTED naming the field.

/**
 * etcd's default request size limit (1.5 MiB): no VMI a cluster stores is larger. Longer text is
 * refused before parsing, which also bounds the YAML parser's time and memory on damaged input.
 */
export const MAX_VMI_TEXT_BYTES = 1.5 * 1024 * 1024;

export function parseVmiText(text: string): Vmi {
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_VMI_TEXT_BYTES) {
    throw new VmpodError(
      'VMI_INVALID',
      `VMI text is ${bytes} bytes, over the ${MAX_VMI_TEXT_BYTES} bytes (1.5 MiB) etcd stores for one object`,
      { facts: { path: '', bytes } },
    );
  }
  let doc: unknown;
  try {
    // JSON is YAML 1.2, so one parser reads both; only the first document is a VMI.
    // logLevel error: warnings (an unresolved tag) would go to process.emitWarning, i.e. stderr.
    doc = parseYaml(text, { strict: true, uniqueKeys: true, prettyErrors: false, logLevel: 'error' });
  } catch (cause) {
    throw new VmpodError('VMI_INVALID', `VMI is neither JSON nor YAML: ${(cause as Error).message}`, {
      cause,
      facts: { path: '' },
    });
  }
  return parseVmiObject(doc);
}

export function parseVmiObject(doc: unknown): Vmi {
  const root = Fields.of(doc, '');
  const kind = root.str('kind');
  if (kind !== undefined && kind !== 'VirtualMachineInstance') {
    throw invalid('kind', `must be VirtualMachineInstance, got "${kind}"`);
  }
  const apiVersion = root.str('apiVersion');
  if (apiVersion !== undefined && apiVersion !== 'kubevirt.io/v1') {
    throw invalid('apiVersion', `must be kubevirt.io/v1, got "${apiVersion}"`);
  }
  const meta = root.obj('metadata');
  const name = meta.reqStr('name');
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name) || name.length > 253) {
    throw invalid('metadata.name', `"${name}" is not a DNS-1123 name`);
  }
  const spec = root.obj('spec');
  spec.only([
    'domain',
    'volumes',
    'networks',
    'hostname',
    'subdomain',
    'terminationGracePeriodSeconds',
    'startStrategy',
    'evictionStrategy',
    'nodeSelector',
    'affinity',
    'tolerations',
    'schedulerName',
    'priorityClassName',
    'readinessProbe',
    'livenessProbe',
    'dnsConfig',
    'dnsPolicy',
    'topologySpreadConstraints',
  ]);
  const startStrategy = spec.oneOf('startStrategy', ['Paused'] as const, 'start strategy');
  const vmi: Vmi = {
    metadata: {
      name,
      namespace: meta.str('namespace') || 'default',
      uid: meta.segment('uid') ?? '',
      labels: meta.stringMap('labels'),
      annotations: meta.stringMap('annotations'),
    },
    spec: {
      domain: parseDomain(spec.obj('domain')),
      volumes: spec.list('volumes').map(parseVolume),
      networks: spec.list('networks').map(parseNetwork),
      ...opt('hostname', spec.str('hostname')),
      ...opt('subdomain', spec.str('subdomain')),
      ...opt('terminationGracePeriodSeconds', spec.int('terminationGracePeriodSeconds')),
      ...opt('startStrategy', startStrategy),
    },
    status: parseStatus(root.obj('status')),
  };
  checkReferences(vmi);
  return vmi;
}

function opt<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function parseDomain(d: Fields): DomainSpec {
  d.only([
    'cpu',
    'memory',
    'resources',
    'machine',
    'firmware',
    'features',
    'clock',
    'devices',
    'ioThreadsPolicy',
    'chassis',
    'rebootPolicy',
  ]);
  const mem = d.obj('memory');
  mem.only(['guest']);
  const machine = d.obj('machine');
  machine.only(['type']);
  const chassis = d.optObj('chassis');
  const chassisFields = ['manufacturer', 'version', 'serial', 'asset', 'sku'] as const;
  chassis?.only(chassisFields);
  return {
    cpu: parseCpu(d.obj('cpu')),
    ...(chassis
      ? {
          chassis: Object.fromEntries(
            chassisFields.flatMap((k) => (chassis.has(k) ? [[k, chassis.str(k)]] : [])),
          ),
        }
      : {}),
    ...opt('rebootPolicy', d.oneOf('rebootPolicy', ['Reboot', 'Terminate'] as const, 'reboot policy')),
    memory: mem.has('guest') ? { guest: parseBytes(mem.raw('guest'), mem.at('guest')) } : {},
    resources: parseResources(d.obj('resources')),
    machine: { type: machine.str('type') ?? '' },
    firmware: parseFirmware(d.obj('firmware')),
    ...opt('features', d.has('features') ? parseFeatures(d.obj('features')) : undefined),
    ...opt('clock', d.has('clock') ? parseClock(d.obj('clock')) : undefined),
    devices: parseDevices(d.obj('devices')),
    ...opt('ioThreadsPolicy', d.oneOf('ioThreadsPolicy', ['shared', 'auto'] as const, 'ioThreadsPolicy')),
  };
}

function parseCpu(c: Fields): Cpu {
  c.only(['sockets', 'cores', 'threads', 'model', 'features']);
  const features = c.list('features').map((f) => {
    f.only(['name', 'policy']);
    const policy = f.oneOf(
      'policy',
      ['force', 'require', 'optional', 'disable', 'forbid'] as const,
      'CPU feature policy',
    );
    return { name: f.reqStr('name'), ...opt('policy', policy) };
  });
  return {
    ...opt('sockets', c.int('sockets', 0, 512)),
    ...opt('cores', c.int('cores', 0, 512)),
    ...opt('threads', c.int('threads', 0, 512)),
    ...opt('model', c.str('model')),
    ...(features.length > 0 ? { features } : {}),
  };
}

function parseResources(r: Fields): Resources {
  r.only(['requests', 'limits', 'overcommitGuestOverhead']);
  const side = (f: Fields): { memory?: number; cpu?: number } => {
    const out: { memory?: number; cpu?: number } = {};
    for (const k of f.keys()) {
      if (k === 'memory') out.memory = parseBytes(f.raw(k), f.at(k));
      else if (k === 'cpu') out.cpu = parseQuantity(f.raw(k), f.at(k));
    }
    return out;
  };
  return { requests: side(r.obj('requests')), limits: side(r.obj('limits')) };
}

function parseFirmware(f: Fields): Firmware {
  f.only(['uuid', 'serial', 'bootloader', 'kernelBoot']);
  const out: Firmware = {};
  const uuid = f.str('uuid');
  if (uuid !== undefined) {
    if (!/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(uuid)) {
      throw invalid(f.at('uuid'), `"${uuid}" is not a UUID`);
    }
    out.uuid = uuid.toLowerCase();
  }
  const serial = f.str('serial');
  if (serial !== undefined) out.serial = serial;
  const bl = f.optObj('bootloader');
  if (bl) {
    bl.only(['bios', 'efi']);
    if (bl.has('bios') && bl.has('efi')) throw invalid(bl.path, 'bios and efi are mutually exclusive');
    const bios = bl.optObj('bios');
    const efi = bl.optObj('efi');
    if (bios) bios.only(['useSerial']);
    if (efi) efi.only(['secureBoot']);
    out.bootloader = {
      ...(bios ? { bios: opt('useSerial', bios.bool('useSerial')) } : {}),
      ...(efi ? { efi: opt('secureBoot', efi.bool('secureBoot')) } : {}),
    };
  }
  const kb = f.optObj('kernelBoot');
  if (kb) {
    kb.only(['kernelArgs', 'container']);
    const c = kb.optObj('container');
    if (c) c.only(['image', 'kernelPath', 'initrdPath', 'imagePullPolicy', 'imagePullSecret']);
    if (c && !c.has('kernelPath') && !c.has('initrdPath')) {
      throw invalid(c.path, 'kernelPath or initrdPath is required');
    }
    if (!c && kb.has('kernelArgs')) throw invalid(kb.at('kernelArgs'), 'needs kernelBoot.container');
    out.kernelBoot = {
      ...opt('kernelArgs', kb.str('kernelArgs')),
      ...(c
        ? {
            container: {
              image: c.reqStr('image'),
              ...opt('kernelPath', c.filePath('kernelPath')),
              ...opt('initrdPath', c.filePath('initrdPath')),
            },
          }
        : {}),
    };
  }
  return out;
}

function state(f: Fields, key: string, extra: readonly string[] = []): FeatureState | undefined {
  const s = f.optObj(key);
  if (!s) return undefined;
  s.only(['enabled', ...extra]);
  return opt('enabled', s.bool('enabled'));
}

function parseFeatures(f: Fields): Features {
  f.only(['acpi', 'apic', 'smm', 'hyperv', 'kvm', 'pvspinlock']);
  const out: Features = {};
  for (const k of ['acpi', 'apic', 'smm', 'pvspinlock'] as const) {
    const s = state(f, k, k === 'apic' ? ['endOfInterrupt'] : []);
    if (s) out[k] = s;
  }
  const kvm = f.optObj('kvm');
  if (kvm) {
    kvm.only(['hidden']);
    out.kvm = opt('hidden', kvm.bool('hidden'));
  }
  const h = f.optObj('hyperv');
  if (h) {
    const simple = [
      'relaxed',
      'vapic',
      'vpindex',
      'runtime',
      'synic',
      'reset',
      'frequencies',
      'reenlightenment',
      'tlbflush',
      'ipi',
      'evmcs',
    ] as const;
    h.only([...simple, 'spinlocks', 'synictimer', 'vendorid']);
    const hv: HypervFeatures = {};
    for (const k of simple) {
      const s = state(h, k);
      if (s) hv[k] = s;
    }
    const sl = h.optObj('spinlocks');
    if (sl) {
      sl.only(['enabled', 'spinlocks']);
      hv.spinlocks = {
        ...opt('enabled', sl.bool('enabled')),
        ...opt('spinlocks', sl.int('spinlocks', 4095)),
      };
    }
    const st = h.optObj('synictimer');
    if (st) {
      st.only(['enabled', 'direct']);
      hv.synictimer = { ...opt('enabled', st.bool('enabled')), ...opt('direct', state(st, 'direct')) };
    }
    const v = h.optObj('vendorid');
    if (v) {
      v.only(['enabled', 'vendorid']);
      const id = v.str('vendorid');
      if (id !== undefined && id.length > 12) throw invalid(v.at('vendorid'), 'at most 12 characters');
      hv.vendorid = { ...opt('enabled', v.bool('enabled')), ...opt('vendorid', id) };
    }
    out.hyperv = hv;
  }
  return out;
}

function parseClock(c: Fields): Clock {
  c.only(['utc', 'timezone', 'timer']);
  if (c.has('utc') && c.has('timezone')) throw invalid(c.path, 'utc and timezone are mutually exclusive');
  const out: Clock = {};
  const utc = c.optObj('utc');
  if (utc) {
    utc.only(['offsetSeconds']);
    out.utc = opt('offsetSeconds', utc.int('offsetSeconds', -(2 ** 31), 2 ** 31));
  }
  const tz = c.str('timezone');
  if (tz !== undefined) {
    // An IANA zone name; KubeVirt checks it with time.LoadLocation, libvirt's schema by pattern.
    if (!/^[A-Za-z0-9_+-]+(\/[A-Za-z0-9_+-]+)*$/.test(tz))
      throw invalid(c.at('timezone'), `"${tz}" is not a time zone name`);
    out.timezone = tz;
  }
  const t = c.optObj('timer');
  if (t) {
    t.only(['hpet', 'kvm', 'pit', 'rtc', 'hyperv']);
    const timer: NonNullable<Clock['timer']> = {};
    for (const k of ['hpet', 'kvm', 'pit', 'rtc', 'hyperv'] as const) {
      const f = t.optObj(k);
      if (!f) continue;
      f.only(['present', 'tickPolicy', 'track']);
      const tickPolicy = f.oneOf(
        'tickPolicy',
        ['delay', 'catchup', 'merge', 'discard'] as const,
        'tick policy',
      );
      const track = f.oneOf('track', ['guest', 'wall'] as const, 'track');
      const v: Timer = {
        ...opt('present', f.bool('present')),
        ...opt('tickPolicy', tickPolicy),
        ...opt('track', track),
      };
      timer[k] = v;
    }
    out.timer = timer;
  }
  return out;
}

function parseDevices(d: Fields): Devices {
  d.only([
    'disks',
    'interfaces',
    'inputs',
    'watchdog',
    'rng',
    'autoattachPodInterface',
    'autoattachGraphicsDevice',
    'autoattachSerialConsole',
    'autoattachMemBalloon',
    'logSerialConsole',
    'networkInterfaceMultiqueue',
    'blockMultiQueue',
    'useVirtioTransitional',
  ]);
  const out: Devices = {
    disks: d.list('disks').map(parseDisk),
    interfaces: d.list('interfaces').map(parseInterface),
    inputs: d.list('inputs').map((i) => {
      i.only(['name', 'type', 'bus']);
      const type = i.oneOf('type', ['tablet'] as const, 'input type');
      if (type === undefined) throw invalid(i.at('type'), 'is required');
      return {
        name: i.label('name'),
        type,
        ...opt('bus', i.oneOf('bus', ['usb', 'virtio'] as const, 'input bus')),
      };
    }),
  };
  const w = d.optObj('watchdog');
  if (w) {
    w.only(['name', 'i6300esb']);
    const esb = w.optObj('i6300esb');
    if (!esb) throw invalid(w.path, 'i6300esb is required on x86_64');
    esb.only(['action']);
    const action = esb.oneOf(
      'action',
      ['poweroff', 'reset', 'shutdown', 'pause', 'none', 'dump'] as const,
      'watchdog action',
    );
    out.watchdog = { name: w.label('name'), i6300esb: opt('action', action) };
  }
  const rng = d.marker('rng');
  if (rng) out.rng = rng;
  for (const k of [
    'autoattachPodInterface',
    'autoattachGraphicsDevice',
    'autoattachSerialConsole',
    'autoattachMemBalloon',
    'logSerialConsole',
    'networkInterfaceMultiqueue',
    'blockMultiQueue',
    'useVirtioTransitional',
  ] as const) {
    const v = d.bool(k);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

function parseDisk(f: Fields): Disk {
  f.only([
    'name',
    'disk',
    'cdrom',
    'lun',
    'bootOrder',
    'serial',
    'cache',
    'io',
    'errorPolicy',
    'dedicatedIOThread',
    'shareable',
  ]);
  const kinds = ['disk', 'cdrom', 'lun'].filter((k) => f.has(k));
  if (kinds.length > 1)
    throw invalid(f.path, `only one of disk, cdrom, lun may be set, got ${kinds.join(', ')}`);
  const disk: Disk = { name: f.label('name') };
  const bus = (t: Fields) => opt('bus', t.oneOf('bus', DISK_BUSES, 'bus'));
  const dt = f.optObj('disk');
  if (dt) {
    dt.only(['bus', 'readonly', 'pciAddress']);
    disk.disk = {
      ...bus(dt),
      ...opt('readonly', dt.bool('readonly')),
      ...opt('pciAddress', dt.str('pciAddress')),
    };
  }
  const cd = f.optObj('cdrom');
  if (cd) {
    cd.only(['bus', 'readonly', 'tray']);
    if (cd.str('bus') === 'virtio') throw invalid(cd.at('bus'), 'a cdrom cannot use the virtio bus');
    disk.cdrom = {
      ...bus(cd),
      ...opt('readonly', cd.bool('readonly')),
      ...opt('tray', cd.oneOf('tray', ['open', 'closed'] as const, 'tray')),
    };
  }
  const lun = f.optObj('lun');
  if (lun) {
    lun.only(['bus', 'readonly', 'reservation']);
    disk.lun = {
      ...bus(lun),
      ...opt('readonly', lun.bool('readonly')),
      ...opt('reservation', lun.bool('reservation')),
    };
  }
  const bootOrder = f.int('bootOrder', 1);
  if (bootOrder !== undefined) disk.bootOrder = bootOrder;
  const serial = f.str('serial');
  if (serial !== undefined) {
    // KubeVirt's validation: the guest sees it as an ATA/virtio serial, so a short plain token.
    if (!/^[A-Za-z0-9_.+-]{1,20}$/.test(serial)) {
      throw invalid(f.at('serial'), `"${serial}" must be 1..20 of A-Z a-z 0-9 _ . + -`);
    }
    disk.serial = serial;
  }
  const cache = f.oneOf('cache', ['none', 'writethrough', 'writeback'] as const, 'cache mode');
  if (cache) disk.cache = cache;
  const io = f.oneOf('io', ['native', 'threads'] as const, 'io mode');
  if (io) disk.io = io;
  const ep = f.oneOf('errorPolicy', ['stop', 'ignore', 'report', 'enospace'] as const, 'error policy');
  if (ep) disk.errorPolicy = ep;
  if (f.bool('dedicatedIOThread')) disk.dedicatedIOThread = true;
  if (f.bool('shareable')) disk.shareable = true;
  return disk;
}

const MAC = /^([0-9a-fA-F]{2}[:-]){5}[0-9a-fA-F]{2}$/;
const PCI = /^[0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]$/;

function parseInterface(f: Fields): Interface {
  const bindings = ['bridge', 'masquerade', 'sriov', 'passtBinding', 'binding', 'slirp', 'macvtap', 'passt'];
  f.only([
    'name',
    ...bindings,
    'macAddress',
    'model',
    'bootOrder',
    'pciAddress',
    'acpiIndex',
    'state',
    'ports',
    'portRanges',
    'dhcpOptions',
  ]);
  const given = bindings.filter((b) => f.has(b));
  if (given.length > 1) throw invalid(f.path, `only one binding may be set, got ${given.join(', ')}`);
  for (const b of given) if (b !== 'bridge' && b !== 'masquerade') throw notSupported(f.at(b));
  if (f.has('dhcpOptions')) throw notSupported(f.at('dhcpOptions'));
  const iface: Interface = { name: f.label('name') };
  const bridge = f.marker('bridge');
  if (bridge) iface.bridge = bridge;
  const masq = f.marker('masquerade');
  if (masq) iface.masquerade = masq;
  if (!bridge && !masq) throw invalid(f.path, 'a binding (bridge or masquerade) is required');
  const mac = f.str('macAddress');
  if (mac !== undefined) {
    if (!MAC.test(mac)) throw invalid(f.at('macAddress'), `"${mac}" is not a MAC address`);
    iface.macAddress = mac.replaceAll('-', ':').toLowerCase();
  }
  const model = f.oneOf(
    'model',
    ['virtio', 'e1000', 'e1000e', 'igb', 'ne2k_pci', 'pcnet', 'rtl8139'] as const,
    'interface model',
  );
  if (model) iface.model = model;
  const bootOrder = f.int('bootOrder', 1);
  if (bootOrder !== undefined) iface.bootOrder = bootOrder;
  const pci = f.str('pciAddress');
  if (pci !== undefined) {
    if (!PCI.test(pci)) throw invalid(f.at('pciAddress'), `"${pci}" is not a PCI address (dddd:bb:ss.f)`);
    iface.pciAddress = pci.toLowerCase();
  }
  const acpiIndex = f.int('acpiIndex', 1, 16383);
  if (acpiIndex !== undefined) iface.acpiIndex = acpiIndex;
  const st = f.oneOf('state', ['up', 'linkDown', 'absent'] as const, 'interface state');
  if (st) iface.state = st;
  const ports = f.list('ports').map((p) => {
    p.only(['name', 'port', 'protocol']);
    const port = p.int('port', 1, 65535);
    if (port === undefined) throw invalid(p.at('port'), 'is required');
    return {
      ...opt('name', p.str('name')),
      port,
      ...opt('protocol', p.oneOf('protocol', ['TCP', 'UDP'] as const, 'protocol')),
    };
  });
  if (ports.length > 0) iface.ports = ports;
  const ranges = f.list('portRanges').map((r) => {
    r.only(['start', 'end', 'protocol']);
    const start = r.int('start', 1, 65535);
    const end = r.int('end', 1, 65535);
    if (start === undefined) throw invalid(r.at('start'), 'is required');
    if (end === undefined) throw invalid(r.at('end'), 'is required');
    if (start > end) throw invalid(r.path, `start ${start} is after end ${end}`);
    const protocol = r.oneOf('protocol', ['TCP', 'UDP'] as const, 'protocol');
    return { start, end, ...opt('protocol', protocol) };
  });
  if (ranges.length > 0) {
    if (!masq) throw invalid(f.at('portRanges'), 'port ranges need the masquerade binding');
    if (ports.length > 0) throw invalid(f.at('portRanges'), 'ports and portRanges cannot both be set');
    // Same-protocol ranges must not overlap; TCP and UDP ranges may.
    const sorted = [...ranges].sort((a, b) => a.start - b.start);
    for (const [i, a] of sorted.entries()) {
      const b = sorted.slice(i + 1).find((o) => (o.protocol ?? 'TCP') === (a.protocol ?? 'TCP'));
      if (b && b.start <= a.end) {
        throw invalid(f.at('portRanges'), `${a.start}-${a.end} and ${b.start}-${b.end} overlap`);
      }
    }
    iface.portRanges = ranges;
  }
  return iface;
}

const VOLUME_SOURCES = [
  'containerDisk',
  'emptyDisk',
  'hostDisk',
  'persistentVolumeClaim',
  'dataVolume',
  'cloudInitNoCloud',
  'cloudInitConfigDrive',
  'configMap',
  'secret',
  'serviceAccount',
  'downwardAPI',
  'ephemeral',
] as const;
const UNSUPPORTED_SOURCES = ['sysprep', 'downwardMetrics', 'memoryDump'];

function parseCloudInit(c: Fields): CloudInitSource {
  c.only([
    'userData',
    'userDataBase64',
    'networkData',
    'networkDataBase64',
    'userDataSecretRef',
    'networkDataSecretRef',
  ]);
  const out: CloudInitSource = {};
  for (const k of ['userData', 'userDataBase64', 'networkData', 'networkDataBase64'] as const) {
    const v = c.str(k);
    if (v !== undefined) out[k] = v;
  }
  for (const k of ['userDataSecretRef', 'networkDataSecretRef'] as const) {
    const r = c.optObj(k);
    if (r) out[k] = { name: r.reqStr('name') };
  }
  if (Object.keys(out).length === 0) throw invalid(c.path, 'user data or network data is required');
  return out;
}

function parseVolume(f: Fields): Volume {
  f.only(['name', ...VOLUME_SOURCES, ...UNSUPPORTED_SOURCES]);
  for (const k of UNSUPPORTED_SOURCES) if (f.has(k)) throw notSupported(f.at(k));
  const given = VOLUME_SOURCES.filter((k) => f.has(k));
  if (given.length !== 1) {
    throw invalid(
      f.path,
      given.length === 0
        ? 'a volume source is required'
        : `only one source may be set, got ${given.join(', ')}`,
    );
  }
  const v: Volume = { name: f.label('name') };
  const s = f.obj(given[0] as string);
  switch (given[0]) {
    case 'containerDisk':
      s.only(['image', 'path', 'imagePullPolicy', 'imagePullSecret']);
      v.containerDisk = { image: s.reqStr('image'), ...opt('path', s.str('path')) };
      break;
    case 'emptyDisk':
      s.only(['capacity']);
      if (!s.has('capacity')) throw invalid(s.at('capacity'), 'is required');
      v.emptyDisk = { capacity: parseBytes(s.raw('capacity'), s.at('capacity')) };
      break;
    case 'hostDisk': {
      s.only(['path', 'type', 'capacity', 'shared']);
      const type = s.oneOf('type', ['Disk', 'DiskOrCreate'] as const, 'hostDisk type');
      if (!type) throw invalid(s.at('type'), 'is required');
      if (type === 'DiskOrCreate' && !s.has('capacity'))
        throw invalid(s.at('capacity'), 'is required for DiskOrCreate');
      v.hostDisk = {
        path: s.filePath('path') ?? s.reqStr('path'),
        type,
        ...opt('capacity', s.has('capacity') ? parseBytes(s.raw('capacity'), s.at('capacity')) : undefined),
        ...opt('shared', s.bool('shared')),
      };
      break;
    }
    case 'persistentVolumeClaim':
      s.only(['claimName', 'readOnly', 'hotpluggable']);
      if (s.bool('hotpluggable')) throw notSupported(s.at('hotpluggable'));
      v.persistentVolumeClaim = { claimName: s.reqStr('claimName'), ...opt('readOnly', s.bool('readOnly')) };
      break;
    case 'dataVolume':
      s.only(['name', 'hotpluggable']);
      if (s.bool('hotpluggable')) throw notSupported(s.at('hotpluggable'));
      v.dataVolume = { name: s.reqStr('name') };
      break;
    case 'cloudInitNoCloud':
      v.cloudInitNoCloud = parseCloudInit(s);
      break;
    case 'cloudInitConfigDrive':
      v.cloudInitConfigDrive = parseCloudInit(s);
      break;
    case 'configMap':
      s.only(['name', 'optional', 'volumeLabel']);
      v.configMap = {
        name: s.reqStr('name'),
        ...opt('optional', s.bool('optional')),
        ...opt('volumeLabel', s.str('volumeLabel')),
      };
      break;
    case 'secret':
      s.only(['secretName', 'optional', 'volumeLabel']);
      v.secret = {
        secretName: s.reqStr('secretName'),
        ...opt('optional', s.bool('optional')),
        ...opt('volumeLabel', s.str('volumeLabel')),
      };
      break;
    case 'serviceAccount':
      s.only(['serviceAccountName']);
      v.serviceAccount = { serviceAccountName: s.reqStr('serviceAccountName') };
      break;
    case 'downwardAPI':
      s.only(['fields', 'volumeLabel']);
      v.downwardAPI = {
        fields: s.list('fields').map(() => ({})),
        ...opt('volumeLabel', s.str('volumeLabel')),
      };
      break;
    case 'ephemeral': {
      s.only(['persistentVolumeClaim']);
      const pvc = s.obj('persistentVolumeClaim');
      pvc.only(['claimName', 'readOnly']);
      v.ephemeral = {
        persistentVolumeClaim: {
          claimName: pvc.reqStr('claimName'),
          ...opt('readOnly', pvc.bool('readOnly')),
        },
      };
      break;
    }
  }
  return v;
}

function parseNetwork(f: Fields): Network {
  f.only(['name', 'pod', 'multus']);
  if (f.has('pod') === f.has('multus')) throw invalid(f.path, 'exactly one of pod, multus is required');
  const n: Network = { name: f.label('name') };
  const pod = f.optObj('pod');
  if (pod) {
    pod.only(['vmNetworkCIDR', 'vmIPv6NetworkCIDR']);
    n.pod = {
      ...opt('vmNetworkCIDR', pod.str('vmNetworkCIDR')),
      ...opt('vmIPv6NetworkCIDR', pod.str('vmIPv6NetworkCIDR')),
    };
  }
  const m = f.optObj('multus');
  if (m) {
    m.only(['networkName', 'default']);
    n.multus = { networkName: m.reqStr('networkName'), ...opt('default', m.bool('default')) };
  }
  return n;
}

function parseStatus(s: Fields): Vmi['status'] {
  const phase = s.str('phase');
  return {
    interfaces: s.list('interfaces').map((i) => ({
      ...opt('name', i.str('name')),
      ...opt('mac', i.str('mac')),
      ...opt('interfaceName', i.str('interfaceName')),
      ...opt('podInterfaceName', i.str('podInterfaceName')),
      ...opt('ipAddress', i.str('ipAddress')),
    })),
    volumeStatus: s.list('volumeStatus').map((v) => ({
      name: v.reqStr('name'),
      ...opt('target', v.str('target')),
      ...opt('phase', v.str('phase')),
      ...(v.has('hotplugVolume') ? { hotplugVolume: {} } : {}),
    })),
    ...opt('phase', phase),
    ...opt('migrationTransport', s.str('migrationTransport')),
  };
}

function unique(items: readonly { name: string }[], path: string): void {
  const seen = new Set<string>();
  items.forEach((item, i) => {
    if (seen.has(item.name)) throw invalid(`${path}[${i}].name`, `duplicate name "${item.name}"`);
    seen.add(item.name);
  });
}

function checkReferences(vmi: Vmi): void {
  const { devices } = vmi.spec.domain;
  unique(devices.disks, 'spec.domain.devices.disks');
  unique(devices.interfaces, 'spec.domain.devices.interfaces');
  unique(devices.inputs, 'spec.domain.devices.inputs');
  unique(vmi.spec.volumes, 'spec.volumes');
  unique(vmi.spec.networks, 'spec.networks');
  const volumes = new Map(vmi.spec.volumes.map((v) => [v.name, v]));
  devices.disks.forEach((d, i) => {
    const vol = volumes.get(d.name);
    if (!vol && !d.cdrom)
      throw invalid(`spec.domain.devices.disks[${i}].name`, `no volume named "${d.name}"`);
    if (d.lun && vol && !vol.persistentVolumeClaim && !vol.dataVolume) {
      throw invalid(
        `spec.domain.devices.disks[${i}].lun`,
        'a lun needs a persistentVolumeClaim or dataVolume volume',
      );
    }
  });
  const networks = new Set(vmi.spec.networks.map((n) => n.name));
  devices.interfaces.forEach((iface, i) => {
    if (!networks.has(iface.name)) {
      throw invalid(`spec.domain.devices.interfaces[${i}].name`, `no network named "${iface.name}"`);
    }
  });
  vmi.spec.networks.forEach((n, i) => {
    if (!devices.interfaces.some((iface) => iface.name === n.name)) {
      throw invalid(`spec.networks[${i}].name`, `no interface named "${n.name}"`);
    }
  });
  const pods = vmi.spec.networks.filter((n) => n.pod || n.multus?.default);
  if (pods.length > 1) throw invalid('spec.networks', 'more than one pod network');
  devices.interfaces.forEach((iface, i) => {
    const net = vmi.spec.networks.find((n) => n.name === iface.name);
    if (iface.masquerade && !net?.pod) {
      throw invalid(
        `spec.domain.devices.interfaces[${i}].masquerade`,
        'masquerade is only allowed on the pod network',
      );
    }
  });
}
