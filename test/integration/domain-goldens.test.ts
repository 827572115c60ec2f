import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LibvirtClient } from '../../src/libvirt/index.js';
import { PrivateLibvirtd } from '../helpers/libvirtd.js';
import requireRoot from '../helpers/require-root.js';
import { goldenDir, goldenInputs } from '../unit/domain/golden-context.js';

// Every golden domain is valid against libvirt's own schema (virt-xml-validate) and is accepted
// by a real libvirtd (Debian's 9.0, type qemu). Define does not open disks or firmware files, so
// the pod paths need not exist here.

requireRoot();

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  isArray: (name) => ['disk', 'interface', 'entry', 'controller'].includes(name),
});

const UNIT: Record<string, number> = { b: 1, KiB: 1024, MiB: 2 ** 20, GiB: 2 ** 30 };

type Node = Record<string, unknown> & { '#text'?: string };

/** What must survive libvirt's parse: the facts the guest and vmpod depend on. */
function fingerprint(xml: string): unknown {
  const d = parser.parse(xml).domain as Record<string, Node>;
  const dev = d.devices as Record<string, Node[] | undefined>;
  const mem = d.memory as Node;
  const os = d.os as Record<string, Node | string | undefined>;
  const loader = os.loader as Node | undefined;
  const sysinfo = d.sysinfo as Record<string, Record<string, Node[]>> | undefined;
  return {
    name: d.name,
    memoryBytes: Number(mem['#text']) * (UNIT[String(mem.unit ?? 'KiB')] ?? Number.NaN),
    vcpu: (d.vcpu as Node)['#text'],
    // libvirt adds dies="1" and expands the q35 alias to a versioned machine.
    topology: (({ sockets, cores, threads }) => ({ sockets, cores, threads }))(
      (d.cpu as Record<string, Node>).topology as Node,
    ),
    machineFamily: String((os.type as Node).machine).includes('q35') ? 'q35' : (os.type as Node).machine,
    loader: loader?.['#text'],
    kernel: os.kernel,
    cmdline: os.cmdline,
    uuid: sysinfo?.system?.entry?.find((e) => e.name === 'uuid')?.['#text'],
    // libvirt orders disks by target and leaves out the default tray state.
    disks: (dev.disk ?? [])
      .map((x) => {
        const { tray, ...target } = x.target as Node;
        return {
          device: x.device,
          target: tray === 'closed' ? target : { ...target, tray },
          alias: (x.alias as Node).name,
          source: x.source,
        };
      })
      .sort((a, b) => String(a.target.dev).localeCompare(String(b.target.dev))),
    interfaces: (dev.interface ?? []).map((x) => ({
      alias: (x.alias as Node).name,
      target: (x.target as Node | undefined)?.dev,
      mac: (x.mac as Node | undefined)?.address,
      mtu: (x.mtu as Node | undefined)?.size,
      model: (x.model as Node).type,
    })),
  };
}

let daemon: PrivateLibvirtd;
let client: LibvirtClient;

beforeAll(async () => {
  daemon = await PrivateLibvirtd.start();
  client = await LibvirtClient.connect({ socketPath: daemon.socketPath, uri: 'qemu:///system' });
});

afterAll(async () => {
  if (client) await client.close({ timeoutMs: 2_000 });
  if (daemon) await daemon.stop();
});

describe('golden domain XML against libvirt', () => {
  for (const { name } of goldenInputs()) {
    const file = join(goldenDir, `${name}.xml`);

    it(`${name} validates against libvirt's domain schema`, () => {
      // Exits non-zero (and execFileSync throws) on any schema violation.
      const out = execFileSync('virt-xml-validate', [file, 'domain'], { encoding: 'utf8', stdio: 'pipe' });
      expect(out).not.toContain('fails to validate');
    });

    it(`${name} is defined by libvirtd and undefined again`, async () => {
      const xml = readFileSync(file, 'utf8');
      const domainName = /<name>([^<]+)<\/name>/.exec(xml)?.[1];
      // VIR_DOMAIN_DEFINE_VALIDATE: libvirtd checks the XML against its schema too.
      const dom = await client.defineXML(xml, 1);
      try {
        expect(dom.name).toBe(domainName);
        // libvirt understood what vmpod meant: the same disks, NICs, firmware, sizes.
        expect(fingerprint(await dom.xml())).toEqual(fingerprint(xml));
      } finally {
        await dom.undefine();
      }
      await expect(client.lookupDomain(dom.name)).rejects.toThrow();
    });
  }
});
