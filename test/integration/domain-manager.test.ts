import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { cpus } from 'node:os';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { launcherConfig } from '../../src/config/launcher-config.js';
import type { DomainJson, KubevirtMetadata } from '../../src/domain/domain-json/model.js';
import { DomainManager } from '../../src/launcher/domain-manager/index.js';
import { libvirtLayout } from '../../src/launcher/libvirt-paths.js';
import { MetadataCache } from '../../src/launcher/metadata-cache.js';
import { PhaseClock } from '../../src/launcher/phases.js';
import { Domain, LibvirtClient } from '../../src/libvirt/index.js';
import type { CmdHandlers, CmdResponse } from '../../src/rpc/cmd-types.js';
import { PrivateLibvirtd } from '../helpers/libvirtd.js';
import requireRoot from '../helpers/require-root.js';

// The domain manager against a real libvirtd (Debian's 9.0) with a TCG guest that has no disks and
// no interfaces (so no pod network is needed): Sync's idempotence and its state table, the
// lifecycle calls, GetDomain/GetDomainStats, the lock, and VMIs for another domain.

requireRoot();

const suffix = randomBytes(3).toString('hex');
const ns = 'dm-it';
const name = `vm-${suffix}`;
const uid = `dm-it-uid-${suffix}`;
const domainName = `${ns}_${name}`;
const log = pino({ level: 'silent' });
const layout = libvirtLayout({ nonRoot: false, hasVirtqemud: false });

function vmiObject(overrides: { name?: string; phase?: string; uid?: string } = {}) {
  return {
    metadata: { name: overrides.name ?? name, namespace: ns, uid: overrides.uid ?? uid },
    spec: {
      terminationGracePeriodSeconds: 12,
      domain: {
        memory: { guest: '64Mi' },
        devices: { autoattachPodInterface: false, autoattachGraphicsDevice: false },
      },
    },
    status: overrides.phase ? { phase: overrides.phase } : {},
  };
}

const request = (vmi: unknown) => ({ vmi: { vmiJson: new TextEncoder().encode(JSON.stringify(vmi)) } });

let daemon: PrivateLibvirtd;
let client: LibvirtClient;
let metadata: MetadataCache;
let manager: DomainManager;
let h: Required<Pick<CmdHandlers, 'SyncVirtualMachine'>> & CmdHandlers;
let clock: PhaseClock;
const managers: DomainManager[] = [];

function newManager(opts: { cfgName?: string; cfgNamespace?: string; clock?: PhaseClock } = {}) {
  const cfg = {
    ...launcherConfig(['--allow-emulation'], {}),
    name: opts.cfgName ?? '',
    namespace: opts.cfgNamespace ?? '',
  };
  const m = new DomainManager({
    client,
    cfg,
    layout,
    metadata: new MetadataCache(),
    log,
    ...(opts.clock ? { clock: opts.clock } : {}),
    chooseDomainType: async () => 'qemu',
  });
  managers.push(m);
  return m;
}

async function state(): Promise<string> {
  return (await client.domain(domainName).kubevirtState()).status;
}

async function getDomain(handlers: CmdHandlers = h) {
  const r = await handlers.GetDomain?.({});
  expect(r?.response).toEqual({ success: true, message: '' });
  return r?.domain ? (JSON.parse(r.domain) as DomainJson) : undefined;
}

function ok(r: CmdResponse | undefined) {
  expect(r).toEqual({ success: true, message: '' });
}

beforeAll(async () => {
  daemon = await PrivateLibvirtd.start();
  client = await LibvirtClient.connect({ socketPath: daemon.socketPath, uri: 'qemu:///system' });
  clock = new PhaseClock(log);
  const cfg = launcherConfig(['--allow-emulation'], {});
  metadata = new MetadataCache();
  manager = new DomainManager({
    client,
    cfg,
    layout,
    metadata,
    log,
    clock,
    chooseDomainType: async () => 'qemu',
  });
  managers.push(manager);
  h = manager.handlers() as typeof h;
});

afterAll(async () => {
  for (const m of managers) await m.close();
  if (client) {
    for (const d of await client.listAllDomains().catch(() => [])) {
      await d.destroy().catch(() => undefined);
      await d.undefine().catch(() => undefined);
    }
    await client.close({ timeoutMs: 2_000 });
  }
  if (daemon) await daemon.stop();
  for (const u of [uid, `${uid}-2`])
    rmSync(`/var/run/kubevirt-private/${u}`, { recursive: true, force: true });
});

describe('domain manager against a real libvirtd', () => {
  it('answers Ping and GetQemuVersion, and GetDomain with no domain', async () => {
    ok(await h.Ping?.({}));
    const v = await h.GetQemuVersion?.({});
    expect(v?.response?.success).toBe(true);
    expect(v?.version).toMatch(/^QEMU \d+\.\d+\.\d+$/);
    expect(await getDomain()).toBeUndefined();
  });

  it('Sync defines and starts once; a second Sync changes nothing', async () => {
    const define = vi.spyOn(client, 'defineXML');
    const create = vi.spyOn(Domain.prototype, 'create');
    try {
      ok(await h.SyncVirtualMachine(request(vmiObject())));
      expect(await state()).toBe('Running');
      ok(await h.SyncVirtualMachine(request(vmiObject({ phase: 'Running' }))));
      ok(await h.SyncVirtualMachine(request(vmiObject())));
      expect(define).toHaveBeenCalledTimes(1);
      expect(create).toHaveBeenCalledTimes(1);
    } finally {
      define.mockRestore();
      create.mockRestore();
    }
    expect(manager.domainName).toBe(domainName);
    // Standalone's phases, each once.
    expect(clock.timings.map((t) => t.phase)).toEqual([
      'domain-type',
      'vmi-directories',
      'network',
      'disks',
      'convert',
      'define',
      'start',
    ]);
    const meta: KubevirtMetadata = metadata.get();
    expect(meta.UID).toBe(uid);
    expect(meta.GracePeriod).toEqual({
      DeletionGracePeriodSeconds: 12,
      DeletionTimestamp: null,
      MarkedForGracefulShutdown: null,
    });
  });

  it('GetDomain gives the running domain with the metadata cache, without a uid', async () => {
    const d = await getDomain();
    expect(d?.kind).toBe('Domain');
    expect(d?.ObjectMeta).toMatchObject({ name, namespace: ns });
    expect(d?.ObjectMeta.uid).toBeUndefined();
    expect(d?.Status).toMatchObject({ Status: 'Running' });
    expect(d?.Spec.Name).toBe(domainName);
    expect(d?.Spec.Metadata.KubeVirt.UID).toBe(uid);
  });

  it('GetDomainStats gives JSON with Name and UUID', async () => {
    const r = await h.GetDomainStats?.({});
    expect(r?.response).toEqual({ success: true, message: '' });
    const stats = JSON.parse(r?.domainStats ?? '{}');
    expect(stats.Name).toBe(domainName);
    expect(stats.UUID).toMatch(/^[0-9a-f-]{36}$/);
    expect(stats.Cpu.TimeSet).toBe(true);
    expect(stats.Vcpu).toHaveLength(1);
    expect(stats.CPUMapSet).toBe(true);
    expect(stats.CPUMap).toEqual([Array(cpus().length).fill(true)]);
  });

  it('Pause suspends and Sync leaves it paused; Unpause resumes', async () => {
    ok(await h.PauseVirtualMachine?.(request(vmiObject({ phase: 'Running' }))));
    expect(await state()).toBe('Paused');
    ok(await h.SyncVirtualMachine(request(vmiObject({ phase: 'Running' }))));
    expect(await state()).toBe('Paused');
    ok(await h.PauseVirtualMachine?.(request(vmiObject({ phase: 'Running' }))));
    ok(await h.UnpauseVirtualMachine?.(request(vmiObject({ phase: 'Running' }))));
    expect(await state()).toBe('Running');
  });

  it('Sync resumes a domain paused behind its back', async () => {
    await client.domain(domainName).suspend();
    expect(await state()).toBe('Paused');
    ok(await h.SyncVirtualMachine(request(vmiObject({ phase: 'Running' }))));
    expect(await state()).toBe('Running');
  });

  it('refuses a VMI for another domain, naming both', async () => {
    const r = await h.PauseVirtualMachine?.(request(vmiObject({ name: 'other' })));
    expect(r?.success).toBe(false);
    expect(r?.message).toContain(`${ns}/other`);
    expect(r?.message).toContain(domainName);
    const s = await h.SyncVirtualMachine(request(vmiObject({ name: 'other' })));
    expect(s.success).toBe(false);
    const named = newManager({ cfgName: 'elsewhere', cfgNamespace: ns }).handlers();
    const k = await named.KillVirtualMachine?.(request(vmiObject()));
    expect(k?.success).toBe(false);
    expect(k?.message).toBe(`VMI ${ns}/${name} is not the VMI of this launcher (${ns}/elsewhere)`);
    expect(await state()).toBe('Running');
  });

  it('answers an unparseable VMI in-band', async () => {
    const r = await h.PauseVirtualMachine?.({ vmi: { vmiJson: new TextEncoder().encode('{nope') } });
    expect(r).toEqual({ success: false, message: 'No valid vmi object present in command server request' });
  });

  it('Shutdown asks the guest and sets DeletionTimestamp only the first time', async () => {
    const changes: unknown[] = [];
    const off = metadata.onChange((m) => changes.push(m.GracePeriod?.DeletionTimestamp));
    ok(await h.ShutdownVirtualMachine?.(request(vmiObject({ phase: 'Running' }))));
    const first = metadata.get().GracePeriod?.DeletionTimestamp;
    expect(first).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    await new Promise((r) => setTimeout(r, 1100));
    ok(await h.ShutdownVirtualMachine?.(request(vmiObject({ phase: 'Running' }))));
    expect(metadata.get().GracePeriod?.DeletionTimestamp).toBe(first);
    expect(changes).toEqual([first]);
    off();
  });

  it('Kill destroys; Sync for a Running VMI does not restart it', async () => {
    ok(await h.KillVirtualMachine?.(request(vmiObject({ phase: 'Running' }))));
    expect(await client.domain(domainName).kubevirtState()).toEqual({
      status: 'Shutoff',
      reason: 'Destroyed',
    });
    ok(await h.SyncVirtualMachine(request(vmiObject({ phase: 'Running' }))));
    expect(await state()).toBe('Shutoff');
    ok(await h.KillVirtualMachine?.(request(vmiObject({ phase: 'Running' }))));
    expect((await getDomain())?.Status).toMatchObject({ Status: 'Shutoff', Reason: 'Destroyed' });
  });

  it('Delete undefines; afterwards GetDomain has no domain and the calls on it behave', async () => {
    ok(await h.DeleteVirtualMachine?.(request(vmiObject({ phase: 'Running' }))));
    expect(await client.domain(domainName).kubevirtState()).toEqual({
      status: 'NoState',
      reason: 'NonExistent',
    });
    expect(await getDomain()).toBeUndefined();
    ok(await h.DeleteVirtualMachine?.(request(vmiObject({ phase: 'Running' }))));
    ok(await h.KillVirtualMachine?.(request(vmiObject({ phase: 'Running' }))));
    ok(await h.ShutdownVirtualMachine?.(request(vmiObject({ phase: 'Running' }))));
    expect(await h.PauseVirtualMachine?.(request(vmiObject({ phase: 'Running' })))).toEqual({
      success: false,
      message: 'Domain not found.',
    });
    // Once the 3.25 s stats cache has run out, no running or paused domain is an error.
    await new Promise((r) => setTimeout(r, 3300));
    const stats = await h.GetDomainStats?.({});
    expect(stats?.response?.success).toBe(false);
    expect(stats?.response?.message).not.toBe('');
  });

  it('serialises a Pause sent while Sync is still defining and starting', async () => {
    const m = newManager();
    const mh = m.handlers();
    const vmi = vmiObject({ uid: `${uid}-2` });
    const [synced, paused] = await Promise.all([
      mh.SyncVirtualMachine?.(request(vmi)),
      mh.PauseVirtualMachine?.(request(vmi)),
    ]);
    // Without the lock, Pause would have found no domain ("Domain not found.").
    ok(synced);
    ok(paused);
    expect(await state()).toBe('Paused');
    // Paused by request: a Sync keeps it so.
    ok(await mh.SyncVirtualMachine?.(request(vmiObject({ uid: `${uid}-2`, phase: 'Running' }))));
    expect(await state()).toBe('Paused');
  });
});
