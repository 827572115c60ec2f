import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { probeKvm } from '../../src/launcher/kvm-probe.js';

// The KVM trial against the real qemu: the firmware must run to its debug-exit under TCG (which
// proves the trial itself works), an absent device is unusable without running anything, and the
// answer for this machine's /dev/kvm must agree with qemu booting the host CPU under KVM.
describe('probeKvm', () => {
  it('runs the probe firmware to its exit under TCG', async () => {
    const r = await probeKvm({ accel: 'tcg' });
    expect(r).toMatchObject({ usable: true });
  });

  it('reports an absent device without running qemu', async () => {
    const r = await probeKvm({ device: '/dev/no-such-kvm' });
    expect(r.usable).toBe(false);
    if (!r.usable) expect(r.reason).toContain('ENOENT');
  });

  it("agrees with qemu's own verdict on this machine's KVM", async () => {
    const r = await probeKvm();
    let qemuSaysUsable: boolean;
    try {
      // A second opinion: qemu with KVM and the host CPU, stopped before any guest code runs.
      execFileSync(
        'qemu-system-x86_64',
        [
          '-accel',
          'kvm',
          '-cpu',
          'host',
          '-machine',
          'pc',
          '-nodefaults',
          '-display',
          'none',
          '-S',
          '-monitor',
          'none',
          '-serial',
          'none',
          '-qmp',
          'stdio',
        ],
        {
          input: '{"execute":"qmp_capabilities"}\n{"execute":"cont"}\n{"execute":"quit"}\n',
          timeout: 10_000,
          stdio: ['pipe', 'ignore', 'ignore'],
        },
      );
      qemuSaysUsable = true;
    } catch {
      qemuSaysUsable = false;
    }
    expect(r.usable).toBe(qemuSaysUsable);
    if (!r.usable) expect(r.reason.length).toBeGreaterThan(0);
  });
});
