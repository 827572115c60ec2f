import { mkdir } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { buildOnce } from '../helpers/build.js';
import { type Guest, buildGuest } from '../helpers/guest.js';
import { type TestSidecar, startTestSidecar } from '../helpers/hook-sidecar.js';
import { type Sandbox, type SandboxProcess, createSandbox, waitForFile } from '../helpers/sandbox.js';
import {
  type CmdTestClient,
  type NotifyTestServer,
  connectCmd,
  controllerArgs,
  startNotifyServer,
  vmiRequest,
} from '../helpers/virt-handler.js';

// A VM pod with a hook sidecar, as virt-controller renders one for the hooks.kubevirt.io/hookSidecars
// annotation: the sidecar container serves KubeVirt's hooks API on a socket below
// /var/run/kubevirt-hooks, and the launcher runs with --hook-sidecars 1. It must wait for the
// sidecar before starting libvirt, define the domain the sidecar's OnDefineDomain returned, and
// call its Shutdown once the VM is gone.

const root = resolve(import.meta.dirname, '../..');
const monitorBin = resolve(root, 'dist/bin/virt-launcher-monitor');
const example = resolve(root, '../shared/kubevirt-examples/vmi-ephemeral.yaml');
const name = 'vmi-hooked';
const namespace = 'default';
const uid = '7b2c3d4e-0000-4000-8000-0000000000f1';
const MARK = 'rewritten by the hook sidecar';

let guest: Guest;
let sb: Sandbox;
let pod: SandboxProcess;
let pid1: number;
let sidecar: TestSidecar;
let notify: NotifyTestServer;
let handler: CmdTestClient;
let vmiSeen: Record<string, unknown> | undefined;

beforeAll(async () => {
  await buildOnce();
  guest = await buildGuest();
  sb = await createSandbox({ ip: '10.244.0.41/24', gateway: '10.244.0.1', hostname: name });
  pod = sb.start(
    [
      'sh',
      '-c',
      'cp "$0" /run/kubevirt/container-disks/disk_0.img && exec "$@"',
      guest.disk,
      monitorBin,
      ...controllerArgs({ name, namespace, uid, gracePeriodSeconds: 2, extra: ['--hook-sidecars', '1'] }),
    ],
    { env: { POD_NAME: `virt-launcher-${name}-abcde` } },
  );
  pid1 = await pod.pid1();
  // The sidecar container comes up a little after the compute container, as in a real pod.
  await new Promise((r) => setTimeout(r, 1500));
  const hooksDir = `/proc/${pid1}/root/run/kubevirt-hooks`;
  await mkdir(`${hooksDir}/hook-sidecar-0`, { recursive: true });
  sidecar = await startTestSidecar({
    socketPath: `${hooksDir}/hook-sidecar-0/shim.sock`,
    name: 'test-shim',
    versions: ['v1alpha2', 'v1alpha3'],
    hookPoints: [
      { name: 'OnDefineDomain', priority: 0 },
      { name: 'Shutdown', priority: 0 },
    ],
    onDefineDomain: (xml, vmi) => {
      vmiSeen = vmi;
      return xml.replace(/<\/name>/, `</name><description>${MARK}</description>`);
    },
  });
  const share = `/proc/${pid1}/root/run/kubevirt`;
  await waitForFile(`${share}/sockets/launcher-sock`, pod, 60_000);
  notify = await startNotifyServer(`${share}/domain-notify-pipe.sock`);
  handler = await connectCmd(`${share}/sockets/launcher-sock`);
}, 180_000);

afterAll(async () => {
  handler?.close();
  await notify?.close();
  await sb?.destroy();
  await sidecar?.close();
});

describe('hook sidecars in a VM pod', () => {
  it('are waited for before libvirt starts, and asked what they implement', () => {
    const lines = pod.lines.map((l) => l.line);
    const registered = lines.findIndex((l) => l.includes('"msg":"hook sidecar registered"'));
    expect(registered, pod.output()).toBeGreaterThan(0);
    expect(lines[registered]).toMatch(/"sidecar":"test-shim".*"version":"v1alpha3"/);
    expect(lines.findIndex((l) => l.includes('"phase":"libvirt-start"'))).toBeGreaterThan(registered);
    expect(sidecar.calls[0]).toEqual({ method: 'Info', version: '' });
  });

  it('define the domain their OnDefineDomain returned, given the VMI as JSON', async () => {
    const vmi = parseYaml(readFileSync(example, 'utf8')) as Record<string, Record<string, unknown>>;
    const res = await handler.SyncVirtualMachine(
      vmiRequest({
        ...vmi,
        metadata: { ...vmi.metadata, name, namespace, uid },
        status: { phase: 'Scheduled' },
      }),
    );
    expect(res, String(res.message)).toMatchObject({ success: true });
    expect(sidecar.calls.filter((c) => c.method === 'OnDefineDomain')).toEqual([
      { method: 'OnDefineDomain', version: 'v1alpha3' },
    ]);
    expect(vmiSeen?.metadata).toMatchObject({ name, namespace, uid });
    const xml = await sb.execOk(['virsh', 'dumpxml', `${namespace}_${name}`]);
    expect(xml).toContain(`<description>${MARK}</description>`);
  });

  it('are told Shutdown once the VM is gone', async () => {
    // Pod deletion, with virt-handler's part cut short: Kill and Delete at once.
    process.kill(pid1, 'SIGTERM');
    const vmi = vmiRequest({ metadata: { name, namespace, uid } });
    expect(await handler.KillVirtualMachine(vmi)).toMatchObject({ success: true });
    expect(await handler.DeleteVirtualMachine(vmi)).toMatchObject({ success: true });
    const exit = await pod.wait(60_000);
    expect(exit.code, pod.output()).toBe(0);
    expect(sidecar.calls.filter((c) => c.method === 'Shutdown')).toEqual([
      { method: 'Shutdown', version: 'v1alpha3' },
    ]);
  });
});
