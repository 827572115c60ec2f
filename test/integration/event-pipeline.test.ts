import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DomainJson } from '../../src/domain/domain-json/model.js';
import { type EventPipeline, startEventPipeline } from '../../src/launcher/events/index.js';
import type { K8sEvent, Notifier, NotificationType } from '../../src/launcher/events/ports.js';
import { MetadataCache } from '../../src/launcher/metadata-cache.js';
import { type Domain, LibvirtClient } from '../../src/libvirt/index.js';
import { pino } from 'pino';
import { PrivateLibvirtd } from '../helpers/libvirtd.js';
import requireRoot from '../helpers/require-root.js';

// The domain event pipeline against a real libvirtd (private mount namespace) and a small TCG
// domain: define, start, destroy, undefine, and the notifications virt-handler would receive.

requireRoot();

const vmName = `vm-${randomBytes(3).toString('hex')}`;
const name = `vmpod-it_${vmName}`;
const uid = '0f6c2e7a-8b1d-4c3e-9f00-123456789abc';
const domainXml = `<domain type='qemu'>
  <name>${name}</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices></devices>
</domain>`;

class Recorder implements Notifier {
  readonly sent: { type: NotificationType; domain: DomainJson }[] = [];
  readonly k8s: K8sEvent[] = [];
  async sendDomainEvent(json: string, type: NotificationType): Promise<boolean> {
    const domain = JSON.parse(json) as DomainJson;
    if (`${domain.ObjectMeta.namespace}_${domain.ObjectMeta.name}` === name) this.sent.push({ type, domain });
    return true;
  }
  async sendK8sEvent(event: K8sEvent): Promise<boolean> {
    this.k8s.push(event);
    return true;
  }
  summary(): string[] {
    return this.sent.map(
      (s) =>
        `${s.type} ${s.domain.Status.Status}/${s.domain.Status.Reason}${s.domain.ObjectMeta.deletionTimestamp ? ' gone' : ''}`,
    );
  }
}

let daemon: PrivateLibvirtd;
let client: LibvirtClient;
let pipeline: EventPipeline;
const recorder = new Recorder();
const metadata = new MetadataCache(uid);

async function until(what: string, cond: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}; notifications: ${JSON.stringify(recorder.summary())}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  daemon = await PrivateLibvirtd.start();
  client = await LibvirtClient.connect({ socketPath: daemon.socketPath, uri: 'qemu:///system' });
  pipeline = await startEventPipeline({
    client,
    notifier: recorder,
    metadata,
    uid,
    log: pino({ level: 'silent' }),
  });
});

afterAll(async () => {
  await pipeline?.close();
  if (client) {
    const d = client.domain(name);
    await d.destroy().catch(() => undefined);
    await d.undefine().catch(() => undefined);
    await client.close({ timeoutMs: 2_000 });
  }
  if (daemon) await daemon.stop();
});

describe('event pipeline against a real libvirtd', () => {
  let dom: Domain;

  it('notifies ADDED when the domain is defined, and signals firstAdded', async () => {
    dom = await client.defineXML(domainXml);
    await expect(pipeline.firstAdded).resolves.toBe(name);
    const added = recorder.sent[0];
    expect(added?.type).toBe('ADDED');
    expect(added?.domain.ObjectMeta).toMatchObject({ name: vmName, namespace: 'vmpod-it', uid });
    expect(added?.domain.Spec.Name).toBe(name);
    expect(added?.domain.Spec.Type).toBe('qemu');
    expect(added?.domain.Spec.Metadata.KubeVirt).toMatchObject({ UID: uid });
  });

  it('notifies MODIFIED Running when it starts', async () => {
    await dom.create();
    await until('Running', () => recorder.summary().includes('MODIFIED Running/Unknown'));
  });

  it('notifies a metadata change once events were seen', async () => {
    const before = recorder.sent.length;
    metadata.markForGracefulShutdown();
    await until('metadata notification', () =>
      recorder.sent
        .slice(before)
        .some(
          (s) =>
            (s.domain.Spec.Metadata.KubeVirt as { GracePeriod?: { MarkedForGracefulShutdown?: boolean } })
              .GracePeriod?.MarkedForGracefulShutdown === true,
        ),
    );
  });

  it('reconciles after libvirtd restarts: the client reconnects and the domain is notified again', async () => {
    const before = recorder.sent.length;
    const reconnected = new Promise<void>((r) => client.once('reconnected', () => r()));
    await daemon.restart();
    await reconnected;
    await until('reconciliation', () => recorder.sent.length > before);
    expect(recorder.summary().slice(before)[0]).toBe('MODIFIED Running/Unknown');
  });

  it('notifies MODIFIED Shutoff/Destroyed, still without deletionTimestamp, when destroyed', async () => {
    await dom.destroy();
    await until('Shutoff', () => recorder.summary().includes('MODIFIED Shutoff/Destroyed'));
    expect(recorder.sent.every((s) => s.domain.ObjectMeta.deletionTimestamp === undefined)).toBe(true);
  });

  it('notifies the domain gone when undefined, and signals domainGone', async () => {
    await dom.undefine();
    await pipeline.domainGone;
    const summary = recorder.summary();
    expect(summary.at(-1)).toBe('MODIFIED NoState/NonExistent gone');
    const order = ['ADDED Shutoff/Unknown', 'MODIFIED Running/Unknown', 'MODIFIED Shutoff/Destroyed'].map(
      (s) => summary.indexOf(s),
    );
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    const gone = recorder.sent.at(-1)?.domain;
    expect(gone?.ObjectMeta.deletionTimestamp).toMatch(/Z$/);
    expect(gone?.Spec.Metadata.KubeVirt).toMatchObject({ UID: uid, GracePeriod: null });
    expect(recorder.k8s).toEqual([]);
  });
});
