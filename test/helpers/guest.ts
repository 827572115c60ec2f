import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

// The test guest (images/guest/): build it, and read what it says on its serial console.
// Line formats are documented in images/guest/README.md.

const buildScript = fileURLToPath(new URL('../../images/guest/build', import.meta.url));

export interface GuestManifest {
  kernelVersion: string;
  kernelPackage: string;
  kernelPackageVersion: string;
  busyboxVersion: string;
  /** qemu-guest-agent's Debian version, and the shared libraries copied in with qemu-ga. */
  agentVersion: string;
  agentLibraries: string[];
  /** dhcpcd-base's Debian version (the guest's DHCPv6 client), and the libraries copied in for it. */
  dhcpcdVersion: string;
  dhcpcdLibraries: string[];
  inputHash: string;
  modules: string[];
  builtinModules: string[];
  vmlinuz: { file: string; sha256: string };
  initrd: { file: string; sha256: string };
  /** Raw MBR disk image: syslinux booting the same vmlinuz and initrd.img. */
  disk: { file: string; sha256: string; format: 'raw'; sizeBytes: number; bootloader: string };
}

export interface Guest {
  dir: string;
  kernel: string;
  initrd: string;
  /** disk.img, a raw bootable disk; attach it read-only or under a qcow2 overlay, never write it. */
  disk: string;
  manifest: GuestManifest;
}

/** Builds (or reuses the cached) guest; honours VMPOD_GUEST_DIR like the script does. */
export function buildGuest(): Promise<Guest> {
  return new Promise((resolve, reject) => {
    execFile(
      buildScript,
      [],
      { timeout: 300_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout: string, stderr: string) => {
        if (error) {
          reject(new Error(`${buildScript} failed: ${error.message}\n${stderr}`, { cause: error }));
          return;
        }
        const dir = stdout.trimEnd().split('\n').at(-1) ?? '';
        if (!dir.startsWith('/')) {
          reject(new Error(`${buildScript} printed no output directory:\n${stdout}\n${stderr}`));
          return;
        }
        readFile(join(dir, 'manifest.json'), 'utf8').then((text) => {
          const manifest = JSON.parse(text) as GuestManifest;
          resolve({
            dir,
            kernel: join(dir, manifest.vmlinuz.file),
            initrd: join(dir, manifest.initrd.file),
            disk: join(dir, manifest.disk.file),
            manifest,
          });
        }, reject);
      },
    );
  });
}

export interface StaticRoute {
  destination: string;
  gateway: string;
}

/** The options udhcpc decoded, typed; `options` on the event keeps every raw value. */
export interface DhcpLease {
  ip: string;
  prefix: number;
  subnet: string | undefined;
  router: string[];
  dns: string[];
  mtu: number | undefined;
  domain: string | undefined;
  search: string[];
  staticRoutes: StaticRoute[];
  leaseSeconds: number | undefined;
  serverId: string | undefined;
  hostname: string | undefined;
}

export type GuestEvent =
  | { kind: 'booted'; kernel: string }
  | { kind: 'dhcp-bound'; options: Record<string, string>; lease: DhcpLease }
  | { kind: 'dhcp-renew'; options: Record<string, string>; lease: DhcpLease }
  | {
      kind: 'dhcp-applied';
      interface: string;
      address: string;
      mtu: number;
      routes: string[];
      resolv: string[];
    }
  | { kind: 'dhcp-failed'; interface: string; reason: string; detail: string; message: string }
  | {
      kind: 'cloud-init';
      /** Every file reported, by name (user-data, meta-data, network-config, vendor-data). */
      files: Record<string, string>;
      userData: string | undefined;
      metaData: string | undefined;
      networkConfig: string | undefined;
    }
  | { kind: 'cloud-init-absent' }
  | { kind: 'ready' }
  | { kind: 'poweroff' }
  /** qemu-ga runs on /dev/virtio-ports/org.qemu.guest_agent.0. */
  | { kind: 'agent-started' }
  /** No guest-agent port (or qemu-ga would not start). */
  | { kind: 'agent-absent' }
  /** qemu-ga's guest-shutdown asked for a reboot (/sbin/shutdown -r); `reboot -f` follows. */
  | { kind: 'reboot' }
  /** dhcpcd bound a DHCPv6 address (IA_NA); prefix is the length the kernel holds it with. */
  | { kind: 'dhcp6-bound'; interface: string; ip6: string; prefix: number; dns6: string[]; search6: string[] }
  /** An IPv6 default route (from a router advertisement) appeared. */
  | { kind: 'ipv6-route'; default: string; dev: string }
  /** No IPv6 default route within ~30 s of the IPv6 side starting. */
  | { kind: 'ipv6-route-absent' }
  /** A line typed on the serial console, as the guest read it. */
  | { kind: 'console-input'; text: string };

export type GuestEventKind = GuestEvent['kind'];

const marker = 'VMPOD-GUEST ';

function words(value: string | undefined): string[] {
  return value ? value.split(/\s+/).filter((w) => w !== '') : [];
}

function optionalNumber(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

function decodeLease(o: Record<string, string>): DhcpLease | undefined {
  const ip = o['ip'];
  const prefix = optionalNumber(o['mask']);
  if (!ip || prefix === undefined) return undefined;
  const pairs = words(o['staticroutes'] ?? o['msstaticroutes']);
  const staticRoutes: StaticRoute[] = [];
  for (let i = 0; i + 1 < pairs.length; i += 2) {
    staticRoutes.push({ destination: pairs[i]!, gateway: pairs[i + 1]! });
  }
  return {
    ip,
    prefix,
    subnet: o['subnet'],
    router: words(o['router']),
    dns: words(o['dns']),
    mtu: optionalNumber(o['mtu']),
    domain: o['domain'],
    search: words(o['search']),
    staticRoutes,
    leaseSeconds: optionalNumber(o['lease']),
    serverId: o['serverid'],
    hostname: o['hostname'],
  };
}

/** A JSON object whose values are strings or string arrays (the guest prints nothing else). */
function parseObject(text: string): Record<string, string | string[]> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === 'string') out[k] = v;
    else if (Array.isArray(v) && v.every((e) => typeof e === 'string')) out[k] = v as string[];
    else return undefined;
  }
  return out;
}

/** A JSON object with values of any type (dhcp6-bound carries a numeric prefix). */
function parseLooseObject(text: string): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function stringsOnly(o: Record<string, string | string[]>): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(o)) {
    if (typeof v !== 'string') return undefined;
    out[k] = v;
  }
  return out;
}

function str(o: Record<string, string | string[]>, key: string): string {
  const v = o[key];
  return typeof v === 'string' ? v : '';
}

function list(o: Record<string, string | string[]>, key: string): string[] {
  const v = o[key];
  return Array.isArray(v) ? v : [];
}

/** One console line → its event, or undefined for anything that is not a well-formed report line. */
export function parseConsoleLine(line: string): GuestEvent | undefined {
  // Kernel output may precede the marker on the same line, so look for it anywhere.
  const at = line.indexOf(marker);
  if (at < 0) return undefined;
  const rest = line.slice(at + marker.length).replace(/\r$/, '');
  const space = rest.indexOf(' ');
  const kind = space < 0 ? rest.trimEnd() : rest.slice(0, space);
  const payload = space < 0 ? '' : rest.slice(space + 1).trim();
  switch (kind) {
    case 'booted': {
      const m = /^kernel=(\S+)$/.exec(payload);
      return m ? { kind, kernel: m[1]! } : undefined;
    }
    case 'dhcp-bound':
    case 'dhcp-renew': {
      const o = parseObject(payload);
      const options = o && stringsOnly(o);
      const lease = options && decodeLease(options);
      return options && lease ? { kind, options, lease } : undefined;
    }
    case 'dhcp-applied': {
      const o = parseObject(payload);
      const mtu = o && optionalNumber(str(o, 'mtu'));
      if (!o || mtu === undefined) return undefined;
      return {
        kind,
        interface: str(o, 'interface'),
        address: str(o, 'address'),
        mtu,
        routes: list(o, 'routes'),
        resolv: list(o, 'resolv'),
      };
    }
    case 'dhcp-failed': {
      const o = parseObject(payload);
      if (!o) return undefined;
      return {
        kind,
        interface: str(o, 'interface'),
        reason: str(o, 'reason'),
        detail: str(o, 'detail'),
        message: str(o, 'message'),
      };
    }
    case 'cloud-init': {
      const o = parseObject(payload);
      const files = o && stringsOnly(o);
      if (!files) return undefined;
      return {
        kind,
        files,
        userData: files['user-data'],
        metaData: files['meta-data'],
        networkConfig: files['network-config'],
      };
    }
    case 'dhcp6-bound': {
      const o = parseLooseObject(payload);
      const prefix = o?.['prefix'];
      const ip6 = o?.['ip6'];
      if (!o || typeof ip6 !== 'string' || typeof prefix !== 'number') return undefined;
      const strings = (key: string): string[] => {
        const v = o[key];
        return Array.isArray(v) ? v.filter((e): e is string => typeof e === 'string') : [];
      };
      return {
        kind,
        interface: typeof o['interface'] === 'string' ? o['interface'] : '',
        ip6,
        prefix,
        dns6: strings('dns6'),
        search6: strings('search6'),
      };
    }
    case 'ipv6-route': {
      const o = parseObject(payload);
      if (!o) return undefined;
      const via = str(o, 'default');
      return via === '' ? undefined : { kind, default: via, dev: str(o, 'dev') };
    }
    case 'console-input':
      return { kind, text: payload };
    case 'cloud-init-absent':
    case 'ipv6-route-absent':
    case 'ready':
    case 'poweroff':
    case 'agent-started':
    case 'agent-absent':
    case 'reboot':
      return payload === '' ? { kind } : undefined;
    default:
      return undefined;
  }
}

type EventOf<K extends GuestEventKind> = Extract<GuestEvent, { kind: K }>;

/** Collects a serial console stream into lines and events, and waits for events with deadlines. */
export class GuestConsole {
  readonly lines: string[] = [];
  readonly events: GuestEvent[] = [];
  #partial = '';
  #ended: string | undefined;
  readonly #listeners = new Set<() => void>();

  attach(stream: Readable): void {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => this.push(chunk));
  }

  push(text: string): void {
    const parts = (this.#partial + text).split('\n');
    this.#partial = parts.pop() ?? '';
    for (const raw of parts) {
      const line = raw.replace(/\r+$/, '');
      this.lines.push(line);
      const event = parseConsoleLine(line);
      if (event) this.events.push(event);
    }
    this.#notify();
  }

  /** No more output will come (the VM is gone): pending waits fail now instead of at their deadline. */
  end(reason: string): void {
    if (this.#partial !== '') this.push('\n');
    this.#ended ??= reason;
    this.#notify();
  }

  transcript(maxLines = 150): string {
    const all = this.#partial === '' ? this.lines : [...this.lines, this.#partial];
    const shown = all.slice(-maxLines);
    const skipped = all.length - shown.length;
    return (skipped > 0 ? `[… ${skipped} earlier lines]\n` : '') + shown.join('\n');
  }

  waitFor<K extends GuestEventKind>(
    kind: K,
    timeoutMs: number,
    match: (event: EventOf<K>) => boolean = () => true,
  ): Promise<EventOf<K>> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const found = this.events.find((e): e is EventOf<K> => e.kind === kind && match(e as EventOf<K>));
        if (found) {
          done();
          resolve(found);
        } else if (this.#ended !== undefined) {
          done();
          reject(this.#failure(kind, `the guest is gone (${this.#ended})`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(this.#failure(kind, `no such line within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.#listeners.delete(check);
      };
      this.#listeners.add(check);
      check();
    });
  }

  #failure(kind: string, why: string): Error {
    return new Error(
      `waiting for 'VMPOD-GUEST ${kind}': ${why}\n--- console so far ---\n${this.transcript()}`,
    );
  }

  #notify(): void {
    for (const listener of [...this.#listeners]) listener();
  }
}
