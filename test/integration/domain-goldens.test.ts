import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LibvirtClient } from '../../src/libvirt/index.js';
import { PrivateLibvirtd } from '../helpers/libvirtd.js';
import requireRoot from '../helpers/require-root.js';
import { goldenDir, goldenInputs } from '../unit/domain/golden-context.js';

// Every golden domain is valid against libvirt's own schema (virt-xml-validate) and is accepted
// by a real libvirtd (Debian's 9.0, type qemu). Define does not open disks or firmware files, so
// the pod paths need not exist here.

requireRoot();

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
      } finally {
        await dom.undefine();
      }
      await expect(client.lookupDomain(dom.name)).rejects.toThrow();
    });
  }
});
