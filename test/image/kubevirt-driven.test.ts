import { chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGuest, type DhcpLease, type Guest } from '../helpers/guest.js';
import { withDeadline } from '../helpers/qemu-process.js';
import { createSandbox, type Sandbox, waitForFile } from '../helpers/sandbox.js';
import { kernelBootVmi } from '../helpers/test-vmi.js';
import {
  type CmdTestClient,
  connectCmd,
  controllerArgs,
  type NotifyTestServer,
  startNotifyServer,
  vmiRequest,
} from '../helpers/virt-handler.js';
import {
  buildImage,
  type Container,
  IMAGE,
  NON_ROOT_SETPRIV,
  NON_ROOT_USER,
  nonRootPhase1,
  podman,
  podmanOk,
  podVolumes,
  removeContainer,
  runContainer,
  waitForConsole,
} from './podman.js';

// The image as an unmodified KubeVirt runs it: the non-root compute container (uid 107, only
// NET_BIND_SERVICE, after virt-handler's phase 1 as root) whose command is virt-launcher-monitor
// with virt-controller's arguments, and a test virt-handler on the node that knows only the
// .proto files. It reaches the launcher through the pod's public emptyDir, as the real one does
// through the kubelet's pod directory: launcher-sock in it, its own notify socket beside it. The
// handler syncs the VMI, the guest boots with the pod's IP, `kubectl exec … vmpod status` (here
// `podman exec`, as the image's user) tells the truth, and a pod deletion runs KubeVirt's
// termination path: SIGTERM, the graceful-shutdown mark, Shutdown, Shutoff, Kill, Delete, exit 0.

interface DomainJson {
  ObjectMeta: { name: string; namespace: string; deletionTimestamp?: string };
  Spec: { Metadata: { KubeVirt: { GracePeriod: { MarkedForGracefulShutdown?: boolean | null } | null } } };
  Status: { Status: string; Reason: string };
}

const name = 'imgkv';
const namespace = 'kubevirt-driven';
const uid = '7c3d4e5f-0000-4000-8000-0000000000b1';
const ip = '10.244.0.43';
const domainName = `${namespace}_${name}`;
const vmi = kernelBootVmi({
  name,
  namespace,
  uid,
  terminationGracePeriodSeconds: 30,
  status: { phase: 'Scheduled' },
});

const events = (n: NotifyTestServer) =>
  n.domainEvents.map((e) => ({ type: e.eventType, d: e.domain as DomainJson }));
const lastStatus = (n: NotifyTestServer) => events(n).at(-1)?.d.Status;

let guest: Guest;
let sb: Sandbox;
let dir: string;
let c: Container;
let handler: CmdTestClient;
let notify: NotifyTestServer;
let consoleFile: string;

beforeAll(async () => {
  await buildImage();
  guest = await buildGuest();
  sb = await createSandbox({ ip: `${ip}/24`, gateway: '10.244.0.1', hostname: name });
  dir = await mkdtemp(join(tmpdir(), 'vmpod-image-kv-'));
  const common = [
    '--network',
    `ns:/run/netns/${sb.podNetns}`,
    '--hostname',
    name,
    '--security-opt',
    'label=disable',
    '--device',
    '/dev/net/tun',
    ...(await podVolumes(dir, guest, true)),
  ];
  consoleFile = join(dir, 'private', uid, 'virt-serial0-log');
  await nonRootPhase1(dir, common);
  c = runContainer(`vmpod-image-${sb.name}`, [
    ...common,
    '--env',
    `POD_NAME=virt-launcher-${name}-abcde`,
    ...NON_ROOT_USER,
    IMAGE,
    ...NON_ROOT_SETPRIV,
    '/usr/bin/virt-launcher-monitor',
    ...controllerArgs({ name, namespace, uid, gracePeriodSeconds: 45, extra: ['--run-as-nonroot'] }),
  ]);
  const share = join(dir, 'public');
  await waitForFile(join(share, 'sockets/launcher-sock'), c, 90_000);
  notify = await startNotifyServer(join(share, 'domain-notify-pipe.sock'));
  // virt-handler hands a non-root launcher its notify socket (§10.3).
  await chown(join(share, 'domain-notify-pipe.sock'), 107, 107);
  handler = await connectCmd(join(share, 'sockets/launcher-sock'));
}, 600_000);

afterAll(async () => {
  handler?.close();
  await notify?.close();
  await removeContainer(c);
  await sb?.destroy();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the image driven by virt-handler (non-root, virt-controller’s arguments)', () => {
  it("syncs the VMI: the guest boots with the pod's IP, answers ping, and Running is notified", async () => {
    const synced = await handler.SyncVirtualMachine(vmiRequest(vmi));
    expect(synced, c.output()).toMatchObject({ success: true });
    const bound = await waitForConsole(consoleFile, c, 'dhcp-bound', 240_000);
    expect((bound as { lease: DhcpLease }).lease).toMatchObject({ ip, router: ['10.244.0.1'] });
    await notify.waitFor((n) => lastStatus(n)?.Status === 'Running', 30_000);
    expect(events(notify)[0]?.type).toBe('ADDED');
    expect(events(notify).at(-1)?.d.ObjectMeta).toMatchObject({ name, namespace });
    const got = await handler.GetDomain();
    expect((JSON.parse(String(got.domain)) as DomainJson).Status.Status).toBe('Running');
    let answered = false;
    for (let i = 0; i < 15 && !answered; i++) {
      answered = (await sb.execNode(['ping', '-c', '1', '-W', '2', ip])).code === 0;
    }
    expect(answered, c.output()).toBe(true);
  });

  it('answers `vmpod status --json` from a `kubectl exec` shell as the image’s user', async () => {
    // podman exec runs as the image's USER (107), as kubectl exec does.
    const status = JSON.parse(await podmanOk(['exec', c.name, 'vmpod', 'status', '--json'])) as {
      vmi: { name: string; namespace: string; uid: string };
      domain: { name: string; status: string };
    };
    expect(status.vmi).toEqual({ name, namespace, uid });
    expect(status.domain).toMatchObject({ name: domainName, status: 'Running' });
    expect((await podmanOk(['exec', c.name, 'id', '-u'])).trim()).toBe('107');
    // A non-root pod's libvirt is a session daemon on the pod's socket (libvirtd's on trixie).
    const uri = 'qemu+unix:///session?socket=/var/run/libvirt/libvirt-sock';
    const virsh = await podmanOk(['exec', c.name, 'virsh', '-c', uri, 'list']);
    expect(virsh).toMatch(new RegExp(`\\s${domainName}\\s+running`));
  });

  it('on pod deletion runs KubeVirt’s termination path and the container exits 0', async () => {
    // virt-handler's part: the graceful-shutdown mark brings Shutdown, Shutoff brings Kill and Delete.
    const marked = notify.waitFor(
      (n) =>
        events(n).some((e) => e.d.Spec.Metadata.KubeVirt.GracePeriod?.MarkedForGracefulShutdown === true),
      60_000,
    );
    await podmanOk(['kill', '--signal', 'TERM', c.name]);
    await marked;
    expect(await handler.ShutdownVirtualMachine(vmiRequest(vmi))).toMatchObject({ success: true });
    await waitForConsole(consoleFile, c, 'poweroff', 60_000);
    await notify.waitFor((n) => lastStatus(n)?.Status === 'Shutoff', 30_000);
    expect(lastStatus(notify)).toMatchObject({ Status: 'Shutoff', Reason: 'Shutdown' });
    expect(await handler.KillVirtualMachine(vmiRequest(vmi))).toMatchObject({ success: true });
    expect(await handler.DeleteVirtualMachine(vmiRequest(vmi))).toMatchObject({ success: true });
    await notify.waitFor(
      (n) => events(n).some((e) => e.d.ObjectMeta.deletionTimestamp !== undefined),
      20_000,
    );
    const gone = events(notify).find((e) => e.d.ObjectMeta.deletionTimestamp !== undefined);
    expect(gone?.d.Status).toMatchObject({ Status: 'NoState', Reason: 'NonExistent' });
    const code = await withDeadline(c.exited, 120_000, () => 'container exit after SIGTERM');
    expect(code, c.output()).toBe(0);
    expect((await podman(['inspect', '--format', '{{.State.ExitCode}}', c.name])).out.trim()).toBe('0');
  });
});
