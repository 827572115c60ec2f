import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { launcherConfig } from '../../../../src/config/launcher-config.js';
import { VmpodError } from '../../../../src/errors.js';
import { DomainManager } from '../../../../src/launcher/domain-manager/index.js';
import { libvirtLayout } from '../../../../src/launcher/libvirt-paths.js';
import { MetadataCache } from '../../../../src/launcher/metadata-cache.js';
import { type KubevirtState, LibvirtError, type LibvirtClient } from '../../../../src/libvirt/index.js';
import type { CmdHandlers } from '../../../../src/rpc/cmd-types.js';

// The lifecycle handlers over a fake libvirt: which libvirt call each makes with which flags, and
// what is answered in-band. Sync itself runs against a real libvirtd (integration).

const log = pino({ level: 'silent' });

function libvirtError(code: number, message: string): LibvirtError {
  return new LibvirtError({ code, domain: 10, message, level: 2 });
}

class FakeDomain {
  calls: string[] = [];
  status: KubevirtState = { status: 'Running', reason: 'Unknown' };
  freezeStatus = 'thawed';
  rebootError: Error | undefined;
  constructor(readonly name: string) {}
  async kubevirtState() {
    return this.status;
  }
  async suspend() {
    this.calls.push('suspend');
    this.status = { status: 'Paused', reason: 'User' };
  }
  async resume() {
    this.calls.push('resume');
    this.status = { status: 'Running', reason: 'Unpaused' };
  }
  async shutdown(flags: number) {
    this.calls.push(`shutdown(${flags})`);
  }
  async destroy(flags: number) {
    this.calls.push(`destroy(${flags})`);
  }
  async undefine(flags: number) {
    this.calls.push(`undefine(${flags})`);
  }
  async reset(flags: number) {
    this.calls.push(`reset(${flags})`);
  }
  async reboot(flags: number) {
    this.calls.push(`reboot(${flags})`);
    if (this.rebootError) throw this.rebootError;
  }
  async agentCommand(cmd: string) {
    this.calls.push(`agent ${cmd}`);
    return JSON.stringify({ return: this.freezeStatus });
  }
  async fsFreeze() {
    this.calls.push('fsFreeze');
    this.freezeStatus = 'frozen';
    return 1;
  }
  async fsThaw() {
    this.calls.push('fsThaw');
    this.freezeStatus = 'thawed';
    return 1;
  }
  async setTime() {
    this.calls.push('setTime');
    throw libvirtError(74, 'QEMU guest agent is not configured');
  }
}

function setUp(opts: { name?: string; namespace?: string; exists?: boolean } = {}) {
  const dom = new FakeDomain('ns1_vm1');
  const client = {
    domain: () => dom,
    listAllDomains: async () => (opts.exists === false ? [] : [dom]),
    getVersion: async () => 10_001_002n,
  } as unknown as LibvirtClient;
  const metadata = new MetadataCache('u-1');
  const cfg = { ...launcherConfig([], {}), name: opts.name ?? '', namespace: opts.namespace ?? '' };
  const manager = new DomainManager({
    client,
    cfg,
    layout: libvirtLayout({ nonRoot: false, hasVirtqemud: false }),
    metadata,
    log,
  });
  return { dom, manager, metadata, h: manager.handlers() as Required<CmdHandlers> };
}

const req = (vmi: Record<string, unknown> = {}) => ({
  vmi: {
    vmiJson: new TextEncoder().encode(
      JSON.stringify({ metadata: { name: 'vm1', namespace: 'ns1' }, ...vmi }),
    ),
  },
});
const OK = { success: true, message: '' };

let current: DomainManager | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
  delete process.env.POD_NAME;
  delete process.env.VIRT_LAUNCHER_TARGET_POD_EXIT_SIGNAL;
});

describe('domain manager lifecycle handlers', () => {
  it('Kill destroys gracefully, Delete undefines keeping NVRAM and dropping checkpoints, Reset resets', async () => {
    const { dom, h, manager } = setUp();
    current = manager;
    expect(await h.KillVirtualMachine(req())).toEqual(OK);
    expect(await h.DeleteVirtualMachine(req())).toEqual(OK);
    expect(await h.ResetVirtualMachine(req())).toEqual(OK);
    expect(dom.calls).toEqual(['destroy(1)', 'undefine(24)', 'reset(0)']);
  });

  it('Shutdown calls shutdown(0) on a running or paused domain only', async () => {
    const { dom, h, manager, metadata } = setUp();
    current = manager;
    expect(await h.ShutdownVirtualMachine(req())).toEqual(OK);
    dom.status = { status: 'Shutoff', reason: 'Shutdown' };
    expect(await h.ShutdownVirtualMachine(req())).toEqual(OK);
    expect(dom.calls).toEqual(['shutdown(0)']);
    expect(metadata.get().GracePeriod?.DeletionTimestamp).toMatch(/Z$/);
  });

  it('Pause and Unpause of a missing domain answer "Domain not found."', async () => {
    const { dom, h, manager } = setUp();
    current = manager;
    dom.status = { status: 'NoState', reason: 'NonExistent' };
    const notFound = { success: false, message: 'Domain not found.' };
    expect(await h.PauseVirtualMachine(req())).toEqual(notFound);
    expect(await h.UnpauseVirtualMachine(req())).toEqual(notFound);
  });

  it('Unpause tries to set the guest time once per launcher', async () => {
    const { dom, h, manager } = setUp();
    current = manager;
    for (let i = 0; i < 2; i++) {
      await h.PauseVirtualMachine(req());
      await h.UnpauseVirtualMachine(req());
    }
    await new Promise((r) => setTimeout(r, 1100));
    expect(dom.calls.filter((c) => c === 'setTime')).toEqual(['setTime']);
  });

  it('SoftReboot uses the agent when connected, ACPI otherwise, and refuses with neither', async () => {
    const { dom, h, manager } = setUp();
    current = manager;
    expect(
      await h.SoftRebootVirtualMachine(
        req({ status: { conditions: [{ type: 'AgentConnected', status: 'True' }] } }),
      ),
    ).toEqual(OK);
    expect(await h.SoftRebootVirtualMachine(req())).toEqual(OK);
    expect(dom.calls).toEqual(['reboot(2)', 'reboot(1)']);
    await expect(
      h.SoftRebootVirtualMachine(req({ spec: { domain: { features: { acpi: { enabled: false } } } } })),
    ).rejects.toMatchObject({ code: 'SOFT_REBOOT_UNAVAILABLE' });
  });

  it('SoftReboot ignores an unresponsive agent but passes other libvirt errors through', async () => {
    const { dom, h, manager } = setUp();
    current = manager;
    dom.rebootError = libvirtError(86, 'Guest agent is not responding');
    expect(await h.SoftRebootVirtualMachine(req())).toEqual(OK);
    dom.rebootError = libvirtError(55, 'domain is not running');
    await expect(h.SoftRebootVirtualMachine(req())).rejects.toBeInstanceOf(LibvirtError);
  });

  it('Freeze freezes once and thaws itself after unfreezeTimeoutSeconds', async () => {
    const { dom, h, manager } = setUp();
    current = manager;
    expect(await h.FreezeVirtualMachine({ ...req(), unfreezeTimeoutSeconds: 1 })).toEqual(OK);
    expect(await h.FreezeVirtualMachine({ ...req(), unfreezeTimeoutSeconds: 0 })).toEqual(OK);
    expect(dom.calls.filter((c) => !c.startsWith('agent'))).toEqual(['fsFreeze']);
    await new Promise((r) => setTimeout(r, 1200));
    expect(dom.calls.filter((c) => !c.startsWith('agent'))).toEqual(['fsFreeze', 'fsThaw']);
  });

  it('Unfreeze cancels the automatic thaw and thaws only a frozen guest', async () => {
    const { dom, h, manager } = setUp();
    current = manager;
    await h.FreezeVirtualMachine({ ...req(), unfreezeTimeoutSeconds: 1 });
    expect(await h.UnfreezeVirtualMachine(req())).toEqual(OK);
    expect(await h.UnfreezeVirtualMachine(req())).toEqual(OK);
    await new Promise((r) => setTimeout(r, 1200));
    expect(dom.calls.filter((c) => !c.startsWith('agent'))).toEqual(['fsFreeze', 'fsThaw']);
  });

  it('Freeze is refused during a migration', async () => {
    const { h, manager } = setUp();
    current = manager;
    await expect(
      h.FreezeVirtualMachine({
        ...req({ status: { migrationState: { startTimestamp: '2026-01-01T00:00:00Z' } } }),
        unfreezeTimeoutSeconds: 0,
      }),
    ).rejects.toMatchObject({ code: 'MIGRATION_IN_PROGRESS' });
  });

  it('SignalTargetPodCleanup sets the exit flag only for this pod', async () => {
    const { h, manager } = setUp();
    current = manager;
    process.env.POD_NAME = 'virt-launcher-vm1-xyz';
    const target = (pod: string) => req({ status: { migrationState: { targetPod: pod } } });
    expect(await h.SignalTargetPodCleanup(target('virt-launcher-vm1-other'))).toEqual(OK);
    expect(process.env.VIRT_LAUNCHER_TARGET_POD_EXIT_SIGNAL).toBeUndefined();
    expect(await h.SignalTargetPodCleanup(target('virt-launcher-vm1-xyz'))).toEqual(OK);
    expect(process.env.VIRT_LAUNCHER_TARGET_POD_EXIT_SIGNAL).toBe('true');
  });

  it('renders the QEMU version as KubeVirt does', async () => {
    const { h, manager } = setUp();
    current = manager;
    expect(await h.GetQemuVersion({})).toEqual({ response: OK, version: 'QEMU 10.1.2' });
  });

  it('answers GetDomain with an empty domain when libvirt has none', async () => {
    const { h, manager } = setUp({ exists: false });
    current = manager;
    expect(await h.GetDomain({})).toEqual({ response: OK, domain: '' });
  });

  it('refuses a VMI whose name differs from --name/--namespace, before touching libvirt', async () => {
    const { dom, h, manager } = setUp({ name: 'vm2', namespace: 'ns1' });
    current = manager;
    expect(manager.domainName).toBe('ns1_vm2');
    expect(await h.KillVirtualMachine(req())).toEqual({
      success: false,
      message: 'VMI ns1/vm1 is not the VMI of this launcher (ns1/vm2)',
    });
    expect(dom.calls).toEqual([]);
  });

  it('throws its own failures and libvirt errors for the command server to render', async () => {
    const { dom, h, manager } = setUp();
    current = manager;
    dom.reset = async () => {
      throw libvirtError(55, 'domain is not running');
    };
    const err = await h.ResetVirtualMachine(req()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VmpodError);
    expect((err as Error).message).toBe("LibvirtError(Code=55, Domain=10, Message='domain is not running')");
  });
});

describe('Sync request checks', () => {
  it('answers bad plugins JSON in-band, before syncing', async () => {
    const { h, manager } = setUp();
    current = manager;
    const vmi = {
      metadata: { name: 'vm1', namespace: 'ns1' },
      spec: { domain: { memory: { guest: '64Mi' } } },
    };
    const r = await h.SyncVirtualMachine({
      vmi: { vmiJson: new TextEncoder().encode(JSON.stringify(vmi)) },
      options: { pluginsJson: new TextEncoder().encode('{"not":"a list"}') } as never,
    });
    expect(r).toEqual({ success: false, message: 'failed to unmarshal plugins JSON: not an array' });
  });
});
