import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DOMAIN_JSON_BUILDERS as builders } from '../../../../src/launcher/events/index.js';
import { VmpodError } from '../../../../src/errors.js';
import {
  type EventPipeline,
  type PipelineOptions,
  createEventPipeline,
} from '../../../../src/launcher/events/pipeline.js';
import { MetadataCache } from '../../../../src/launcher/metadata-cache.js';
import {
  AgentLifecycleState,
  LifecycleEvent as E,
  type KubevirtState,
} from '../../../../src/libvirt/index.js';
import {
  FakeClient,
  type FakeDomain,
  FakePoller,
  type FakeSnapshot,
  RecordingNotifier,
  domainXml,
  settle,
  silentLog,
} from './helpers/fakes.js';

const NAME = 'ns1_vm1';
const UID = 'b7f0c6de-1111-4222-8333-444455556666';

let client: FakeClient;
let notifier: RecordingNotifier;
let metadata: MetadataCache;
let pipeline: EventPipeline<FakeSnapshot> | undefined;
let pollers: FakePoller[];

beforeEach(() => {
  client = new FakeClient();
  notifier = new RecordingNotifier();
  metadata = new MetadataCache(UID);
  pollers = [];
});

afterEach(async () => {
  await pipeline?.close();
  pipeline = undefined;
});

async function start(extra: Partial<PipelineOptions<FakeDomain, FakeSnapshot>> = {}) {
  pipeline = await createEventPipeline({
    client,
    notifier,
    metadata,
    uid: UID,
    log: silentLog,
    builders,
    agentPollerFactory: () => {
      const p = new FakePoller();
      pollers.push(p);
      return p;
    },
    agentFields: (s) => (s ? { OSInfo: { Name: s.os } } : {}),
    ...extra,
  });
  return pipeline;
}

function define(state: KubevirtState = { status: 'Shutoff', reason: 'Unknown' }, devices = '') {
  client.domains.set(NAME, { state, xml: domainXml(NAME, devices) });
}

describe('event pipeline: a domain from definition to undefinition', () => {
  it('notifies ADDED, Running, Shutoff and finally a MODIFIED with deletionTimestamp', async () => {
    const p = await start();
    define();
    client.lifecycle(NAME, E.DEFINED, 0);
    await expect(p.firstAdded).resolves.toBe(NAME);

    // The state is read when the input is processed, as libvirt's is: wait for each step.
    client.domains.get(NAME)!.state = { status: 'Running', reason: 'Unknown' };
    client.lifecycle(NAME, E.RESUMED, 0);
    client.lifecycle(NAME, E.STARTED, 0);
    await notifier.count(3);
    client.domains.get(NAME)!.state = { status: 'Shutoff', reason: 'Destroyed' };
    client.lifecycle(NAME, E.STOPPED, 2);
    await notifier.count(4);
    client.domains.delete(NAME);
    client.lifecycle(NAME, E.UNDEFINED, 0);
    await p.domainGone;

    expect(notifier.summary()).toEqual([
      'ADDED Shutoff/Unknown',
      'MODIFIED Running/Unknown',
      'MODIFIED Running/Unknown',
      'MODIFIED Shutoff/Destroyed',
      'MODIFIED NoState/NonExistent gone',
    ]);
    const added = notifier.sent[0]!.domain;
    expect(added.ObjectMeta).toEqual({ name: 'vm1', namespace: 'ns1', uid: UID, creationTimestamp: null });
    expect(added.Spec.Name).toBe(NAME);
    expect(added.Spec.Metadata.KubeVirt).toEqual(metadata.get());
    expect(added.kind).toBe('Domain');

    const gone = notifier.sent[4]!.domain;
    expect(gone.ObjectMeta.deletionTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(gone.ObjectMeta.uid).toBe(UID);
    expect(gone.Status).toMatchObject({ Status: 'NoState', Reason: 'NonExistent', PanicCount: 0 });
    expect(gone.Spec.Metadata.KubeVirt).toMatchObject({ UID, GracePeriod: null });
    expect(gone.Spec.Name).toBe('');
  });

  it('a persistent domain that stops keeps existing: no deletionTimestamp, domainGone stays pending', async () => {
    const p = await start();
    define({ status: 'Shutoff', reason: 'Shutdown' });
    client.lifecycle(NAME, E.STOPPED, 0);
    await notifier.count(1);
    expect(notifier.sent[0]!.domain.ObjectMeta.deletionTimestamp).toBeUndefined();
    const raced = await Promise.race([p.domainGone.then(() => 'gone'), settle(20).then(() => 'pending')]);
    expect(raced).toBe('pending');
  });

  it('a transient domain that stops and is gone is the domain-gone notification', async () => {
    const p = await start();
    client.lifecycle(NAME, E.STOPPED, 1);
    await p.domainGone;
    expect(notifier.summary()).toEqual(['MODIFIED NoState/NonExistent gone']);
  });

  it('anyNotification resolves for notifications sent at or after the given time', async () => {
    const p = await start();
    define();
    client.lifecycle(NAME, E.DEFINED, 0);
    await notifier.count(1);
    await p.anyNotification(0);
    const later = p.anyNotification(Date.now() + 60_000);
    await settle(2);
    const now = p.anyNotification(Date.now());
    const raced = await Promise.race([now.then(() => 'resolved'), settle(20).then(() => 'pending')]);
    expect(raced).toBe('pending');
    client.lifecycle(NAME, E.DEFINED, 1);
    await now;
    expect(await Promise.race([later.then(() => 'resolved'), settle(20).then(() => 'pending')])).toBe(
      'pending',
    );
  });
});

describe('event pipeline: the 10-slot queue', () => {
  it('drops libvirt events while 10 wait, and the producer never blocks', async () => {
    await start();
    define();
    let open: () => void = () => undefined;
    notifier.gate = new Promise<void>((r) => {
      open = r;
    });
    client.lifecycle(NAME, E.DEFINED, 0); // taken by the consumer at once, then held by the notifier
    await settle();
    for (let i = 0; i < 15; i++) client.lifecycle(NAME, E.DEFINED, 1);
    notifier.gate = undefined;
    open();
    await notifier.count(11);
    await settle(20);
    expect(notifier.sent).toHaveLength(11);
  });
});

describe('event pipeline: metadata changes', () => {
  it('drops a change before any libvirt event, notifies one after', async () => {
    await start();
    define({ status: 'Running', reason: 'Unknown' });
    metadata.markForGracefulShutdown();
    await settle(20);
    expect(notifier.sent).toHaveLength(0);

    client.lifecycle(NAME, E.STARTED, 0);
    await notifier.count(1);
    metadata.updateGracePeriod({ DeletionGracePeriodSeconds: 30 });
    await notifier.count(2);
    expect(notifier.sent[1]!.type).toBe('MODIFIED');
    expect(notifier.sent[1]!.domain.Spec.Metadata.KubeVirt).toMatchObject({
      GracePeriod: { MarkedForGracefulShutdown: true, DeletionGracePeriodSeconds: 30 },
    });
  });

  it('a change queued behind a libvirt event is merged into it', async () => {
    await start();
    define({ status: 'Running', reason: 'Unknown' });
    client.lifecycle(NAME, E.STARTED, 0);
    await notifier.count(1);
    let open: () => void = () => undefined;
    notifier.gate = new Promise<void>((r) => {
      open = r;
    });
    client.lifecycle(NAME, E.RESUMED, 0); // being sent
    await settle();
    client.lifecycle(NAME, E.RESUMED, 0); // waits, and will carry the metadata
    metadata.markForGracefulShutdown(); // waits behind it, and is dropped when it runs
    notifier.gate = undefined;
    open();
    await notifier.count(3);
    await settle(20);
    expect(notifier.sent).toHaveLength(3);
    expect(notifier.sent[2]!.domain.Spec.Metadata.KubeVirt).toMatchObject({
      GracePeriod: { MarkedForGracefulShutdown: true },
    });
  });
});

describe('event pipeline: reconnects and failures', () => {
  it('reconciles the cached domain after a libvirt reconnect, and not before any event', async () => {
    await start();
    client.emit('reconnected');
    await settle(20);
    expect(notifier.sent).toHaveLength(0);
    define({ status: 'Running', reason: 'Unknown' });
    client.lifecycle(NAME, E.STARTED, 0);
    await notifier.count(1);
    client.domains.get(NAME)!.state = { status: 'Paused', reason: 'User' };
    client.emit('reconnected');
    await notifier.count(2);
    expect(notifier.summary()[1]).toBe('MODIFIED Paused/User');
  });

  it('logs and skips an input whose lookup fails, and goes on', async () => {
    await start();
    define();
    client.domains.get(NAME)!.stateError = new VmpodError('LIBVIRT_TIMEOUT', 'slow');
    client.lifecycle(NAME, E.DEFINED, 0);
    await settle(20);
    expect(notifier.sent).toHaveLength(0);
    client.domains.get(NAME)!.stateError = undefined;
    client.domains.get(NAME)!.xmlError = new VmpodError('LIBVIRT_RPC', 'broken');
    client.lifecycle(NAME, E.DEFINED, 0);
    await settle(20);
    expect(notifier.sent).toHaveLength(0);
    client.domains.get(NAME)!.xmlError = undefined;
    client.lifecycle(NAME, E.DEFINED, 0);
    await notifier.count(1);
  });

  it('tolerates an operation-invalid XML fetch: state only, metadata not merged', async () => {
    await start();
    define({ status: 'Paused', reason: 'Migration' });
    client.domains.get(NAME)!.xmlError = new VmpodError('LIBVIRT_OPERATION_INVALID', 'migrating');
    metadata.updateGracePeriod({ DeletionGracePeriodSeconds: 5 });
    client.lifecycle(NAME, E.SUSPENDED, 2);
    await notifier.count(1);
    const d = notifier.sent[0]!.domain;
    expect(d.Status).toMatchObject({ Status: 'Paused', Reason: 'Migration' });
    expect(d.Spec.Metadata.KubeVirt).toMatchObject({ UID, GracePeriod: null });
  });

  it('survives a notifier that throws or drops', async () => {
    await start();
    define();
    notifier.throwOnSend = true;
    client.lifecycle(NAME, E.DEFINED, 0);
    await settle(20);
    notifier.throwOnSend = false;
    notifier.result = false;
    client.lifecycle(NAME, E.DEFINED, 1);
    await notifier.count(1);
    expect(notifier.summary()).toEqual(['MODIFIED Shutoff/Unknown']);
  });
});

describe('event pipeline: a virt-handler that is away', () => {
  it('sends the current state again until one gets through, then stops resending', async () => {
    await start({ resendInitialMs: 10, resendMaxMs: 40 });
    define({ status: 'Running', reason: 'Unknown' });
    notifier.result = false;
    client.lifecycle(NAME, E.STARTED, 0);
    await notifier.count(3);
    // While the handler is away the state changes; the next resend carries the new one.
    client.domains.get(NAME)!.state = { status: 'Paused', reason: 'User' };
    notifier.result = true;
    const before = notifier.sent.length;
    await notifier.count(before + 1);
    expect(notifier.summary().at(-1)).toBe('MODIFIED Paused/User');
    await settle(120);
    expect(notifier.sent.length).toBe(before + 1);
  });

  it('a delivered later notification cancels the pending resend', async () => {
    await start({ resendInitialMs: 50, resendMaxMs: 50 });
    define({ status: 'Running', reason: 'Unknown' });
    notifier.result = false;
    client.lifecycle(NAME, E.STARTED, 0);
    await notifier.count(1);
    notifier.result = true;
    client.lifecycle(NAME, E.RESUMED, 0);
    await notifier.count(2);
    await settle(120);
    expect(notifier.sent).toHaveLength(2);
  });

  it('a resent lifecycle keeps its notification type (a lost ADDED is sent as ADDED)', async () => {
    await start({ resendInitialMs: 10, resendMaxMs: 10 });
    define();
    notifier.result = false;
    client.lifecycle(NAME, E.DEFINED, 0);
    await notifier.count(1);
    notifier.result = true;
    await notifier.count(2);
    expect(notifier.summary().slice(0, 2)).toEqual(['ADDED Shutoff/Unknown', 'ADDED Shutoff/Unknown']);
  });
});

describe('event pipeline: guest panics and I/O errors', () => {
  const panicLine =
    "2024-09-30 16:30:49.506+0000: panic hyper-v: arg1='0x5a', arg2='0x1', arg3='0x2', arg4='0x3', arg5='0x4'";

  it('reports PANICKED once per launcher, with details from the qemu log, and keeps the count', async () => {
    const logs: string[] = [];
    const p = await start({
      qemuLogPath: (n) => `/logs/${n}.log`,
      readPanic: async (path) => {
        logs.push(path);
        const { parsePanicLine } = await import('../../../../src/launcher/events/guest-panic.js');
        return parsePanicLine(panicLine);
      },
      vmiRef: { namespace: 'ns1', name: 'vm1', uid: UID },
    });
    define({ status: 'Crashed', reason: 'Panicked' });
    client.lifecycle(NAME, E.CRASHED, 0);
    client.lifecycle(NAME, E.CRASHED, 0);
    await notifier.count(2);
    expect(logs).toEqual([`/logs/${NAME}.log`]);
    expect(notifier.k8s).toEqual([
      {
        type: 'Warning',
        reason: 'GuestPanicked',
        message: "GuestPanicked: '0x5a', '0x1', '0x2', '0x3', '0x4'",
        involvedObject: {
          kind: 'VirtualMachineInstance',
          apiVersion: 'kubevirt.io/v1',
          namespace: 'ns1',
          name: 'vm1',
          uid: UID,
        },
      },
    ]);
    for (const s of notifier.sent) {
      expect(s.domain.Status.GuestPanicInfo).toEqual({
        Type: 'hyper-v',
        Arg1: 0x5a,
        Arg2: 1,
        Arg3: 2,
        Arg4: 3,
        Arg5: 4,
      });
      expect(s.domain.Status.PanicCount).toBe(1);
    }
    expect(p).toBeDefined();
  });

  it('reports every CRASHLOADED (kdump) and counts them; without a log the details are unavailable', async () => {
    await start();
    define({ status: 'Running', reason: 'Unknown' });
    client.lifecycle(NAME, E.CRASHED, 1);
    client.lifecycle(NAME, E.CRASHED, 1);
    await notifier.count(2);
    expect(notifier.k8s.map((e) => e.message)).toEqual([
      'GuestPanicked (details unavailable)',
      'GuestPanicked (details unavailable)',
    ]);
    expect(notifier.k8s[0]!.involvedObject).toMatchObject({ namespace: 'ns1', name: 'vm1', uid: UID });
    expect(notifier.sent.map((s) => s.domain.Status.PanicCount)).toEqual([1, 2]);
    expect(notifier.sent[1]!.domain.Status.GuestPanicInfo?.Type).toBe('unknown');
  });

  it('sends one IOerror event per erroring disk when paused on an I/O error', async () => {
    await start();
    const disks = `<disk type='file' device='disk'>
      <source file='/var/run/kubevirt-private/vmi-disks/rootdisk/disk.img'/>
      <target dev='vda' bus='virtio'/>
      <alias name='ua-rootdisk'/>
    </disk>
    <disk type='file' device='disk'>
      <source file='/data/scratch.img'/>
      <target dev='vdb' bus='virtio'/>
      <alias name='ua-scratch'/>
    </disk>`;
    define({ status: 'Paused', reason: 'IOError' }, disks);
    client.domains.get(NAME)!.diskErrors = [
      { disk: 'vda', error: 1 },
      { disk: 'vdb', error: 2 },
      { disk: 'vdc', error: 0 },
    ];
    client.lifecycle(NAME, E.SUSPENDED, 2);
    await notifier.count(1);
    expect(notifier.k8s.map((e) => [e.type, e.reason, e.message])).toEqual([
      ['Warning', 'IOerror', 'VM Paused due to IO error at the volume: rootdisk'],
      ['Warning', 'IOerror', 'VM Paused due to not enough space on volume: scratch'],
    ]);
  });
});

describe('event pipeline: the guest-agent poller', () => {
  it('starts on CONNECTED, notifies agent data, stops on SUSPENDED, restarts on RESUMED, stops on DISCONNECTED', async () => {
    const p = await start();
    define({ status: 'Running', reason: 'Unknown' });
    expect(p.agentSnapshot()).toBeUndefined();
    client.fire('agentLifecycle', NAME, { state: AgentLifecycleState.CONNECTED, reason: 0 });
    await notifier.count(1);
    await settle();
    expect(pollers).toHaveLength(1);
    const poller = pollers[0]!;
    expect(poller.running).toBe(true);

    poller.change('Fedora');
    await notifier.count(2);
    expect(notifier.sent[1]!.domain.Status.OSInfo).toEqual({ Name: 'Fedora' });
    expect(p.agentSnapshot()).toEqual({ os: 'Fedora' });

    client.lifecycle(NAME, E.SUSPENDED, 0);
    await notifier.count(3);
    await settle();
    expect(poller.running).toBe(false);
    expect(notifier.sent[2]!.domain.Status.OSInfo).toEqual({ Name: 'Fedora' });
    client.lifecycle(NAME, E.RESUMED, 0);
    await notifier.count(4);
    await settle();
    expect(poller.running).toBe(true);
    client.fire('agentLifecycle', NAME, { state: AgentLifecycleState.DISCONNECTED, reason: 0 });
    await notifier.count(5);
    await settle();
    expect(poller.running).toBe(false);
    client.lifecycle(NAME, E.RESUMED, 0);
    await notifier.count(6);
    await settle();
    expect(poller.running).toBe(false);
    expect(pollers).toHaveLength(1);
    expect([poller.starts, poller.stops]).toEqual([2, 2]);
  });

  it('close() unsubscribes everything and stops the poller', async () => {
    const p = await start();
    expect([...client.handlers.keys()].sort()).toEqual([
      'agentLifecycle',
      'deviceAdded',
      'deviceRemoved',
      'jobCompleted',
      'lifecycle',
      'memoryDeviceSizeChange',
    ]);
    define({ status: 'Running', reason: 'Unknown' });
    client.fire('agentLifecycle', NAME, { state: AgentLifecycleState.CONNECTED, reason: 0 });
    await notifier.count(1);
    await settle();
    await p.close();
    pipeline = undefined;
    expect(client.handlers.size).toBe(0);
    expect(client.listenerCount('reconnected')).toBe(0);
    expect(pollers[0]!.running).toBe(false);
    expect(pollers[0]!.listenerCount).toBe(0);
    metadata.markForGracefulShutdown();
    client.emit('reconnected');
    await settle(20);
    expect(notifier.sent).toHaveLength(1);
  });

  it('device, memory and job events are plain refreshes; a BACKUP job is ADDED', async () => {
    await start();
    define({ status: 'Running', reason: 'Unknown' });
    client.fire('deviceAdded', NAME, { devAlias: 'ua-disk1' });
    client.fire('deviceRemoved', NAME, { devAlias: 'ua-disk1' });
    client.fire('memoryDeviceSizeChange', NAME, { alias: 'ua-mem', size: 1n });
    client.fire('jobCompleted', NAME, { params: [], operation: 9, success: true });
    client.fire('jobCompleted', NAME, { params: [], operation: 5, success: true });
    await notifier.count(5);
    expect(notifier.sent.map((s) => s.type)).toEqual([
      'MODIFIED',
      'MODIFIED',
      'MODIFIED',
      'ADDED',
      'MODIFIED',
    ]);
  });
});

describe('event pipeline: close', () => {
  it('waits a bounded time for the input in progress', async () => {
    const p = await start({ closeWaitMs: 50 });
    define();
    notifier.gate = new Promise<void>(() => undefined); // a handler that never answers
    client.lifecycle(NAME, E.DEFINED, 0);
    await settle();
    const t0 = Date.now();
    await p.close();
    pipeline = undefined;
    expect(Date.now() - t0).toBeLessThan(500);
  });
});

describe('event pipeline: the qemu log', () => {
  it('reads the panic type from the domain log named by qemuLogPath', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'vmpod-events-'));
    try {
      writeFileSync(
        join(dir, `${NAME}.log`),
        'qemu starting\n2024-01-01 00:00:00.000+0000: panic s390: core=0\n',
      );
      await start({ qemuLogPath: (n) => join(dir, `${n}.log`) });
      define({ status: 'Crashed', reason: 'Panicked' });
      client.lifecycle(NAME, E.CRASHED, 0);
      await notifier.count(1);
      expect(notifier.k8s.map((e) => e.message)).toEqual(['GuestPanicked: type=s390']);
      expect(notifier.sent[0]!.domain.Status.GuestPanicInfo?.Type).toBe('s390');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
