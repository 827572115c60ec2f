import { describe, expect, it } from 'vitest';
import { launcherConfig } from '../../../src/config/launcher-config.js';
import { monitorConfig } from '../../../src/config/monitor-config.js';
import { errorCode } from '../../../src/errors.js';

// The argument list virt-controller renders for the compute container (KUBEVIRT.md §1.4.1).
const controllerArgs = [
  '--qemu-timeout',
  '287s',
  '--name',
  'testvmi',
  '--uid',
  '9f2c7d7e-1111-2222-3333-444455556666',
  '--namespace',
  'default',
  '--kubevirt-share-dir',
  '/var/run/kubevirt',
  '--ephemeral-disk-dir',
  '/var/run/kubevirt-ephemeral-disks',
  '--container-disk-dir',
  '/var/run/kubevirt/container-disks',
  '--grace-period-seconds',
  '45',
  '--hook-sidecars',
  '0',
  '--ovmf-path',
  '/usr/share/OVMF',
  '--disk-memory-limit',
  '2097152000',
  '--hypervisor',
  'kvm',
  '--run-as-nonroot',
  '--allow-emulation',
];

describe('launcher configuration', () => {
  it('accepts exactly what virt-controller passes', () => {
    const cfg = launcherConfig(controllerArgs, {});
    expect(cfg).toMatchObject({
      qemuTimeoutMs: 287_000,
      name: 'testvmi',
      namespace: 'default',
      uid: '9f2c7d7e-1111-2222-3333-444455556666',
      gracePeriodSeconds: 45,
      hookSidecars: 0,
      ovmfPath: '/usr/share/OVMF',
      diskMemoryLimit: 2_097_152_000,
      runAsNonroot: true,
      allowEmulation: true,
      hypervisor: 'kvm',
    });
    expect(Object.isFrozen(cfg)).toBe(true);
  });

  it('has KubeVirt defaults', () => {
    const cfg = launcherConfig([], {});
    expect(cfg.qemuTimeoutMs).toBe(180_000);
    expect(cfg.gracePeriodSeconds).toBe(30);
    expect(cfg.hotplugDiskDir).toBe('/var/run/kubevirt/hotplug-disks/');
    expect(cfg.agentIntervalsMs).toEqual({
      sys: 120_000,
      file: 300_000,
      user: 10_000,
      version: 300_000,
      fsfreeze: 5000,
    });
  });

  it('fails on the monitor-only flag, which the monitor must strip', () => {
    expect(errorCode(catchErr(() => launcherConfig(['--keep-after-failure'], {})))).toBe('FLAG_UNKNOWN');
  });

  it('lets VIRT_LAUNCHER_LOG_VERBOSITY override -v only when it is an integer', () => {
    expect(launcherConfig(['-v', '3'], { VIRT_LAUNCHER_LOG_VERBOSITY: '7' }).verbosity).toBe(7);
    expect(launcherConfig(['-v', '3'], { VIRT_LAUNCHER_LOG_VERBOSITY: 'loud' }).verbosity).toBe(3);
  });

  it('reads the environment facts of the compute container', () => {
    const cfg = launcherConfig([], {
      LIBVIRT_DEBUG_LOGS: '1',
      VIRTIOFSD_DEBUG_LOGS: '1',
      SHARED_FILESYSTEM_PATHS: '/a:/b::/c',
      STANDALONE_VMI: '{}',
    });
    expect(cfg.env).toMatchObject({
      libvirtDebugLogs: true,
      virtiofsdDebugLogs: true,
      sharedFilesystemPaths: ['/a', '/b', '/c'],
      standaloneVmi: '{}',
    });
  });

  it('rejects relative directories and negative grace periods', () => {
    expect(errorCode(catchErr(() => launcherConfig(['--kubevirt-share-dir', 'rel'], {})))).toBe(
      'FLAG_BAD_VALUE',
    );
    expect(errorCode(catchErr(() => launcherConfig(['--grace-period-seconds', '-1'], {})))).toBe(
      'FLAG_BAD_VALUE',
    );
  });
});

describe('monitor configuration', () => {
  it('ignores the launcher flags and strips every --keep-after-failure', () => {
    const cfg = monitorConfig(
      ['--keep-after-failure', ...controllerArgs, '--keep-after-failure', '--container-disk-dir', '/x'],
      {},
    );
    expect(cfg.keepAfterFailure).toBe(true);
    expect(cfg.containerDiskDir).toBe('/x');
    expect(cfg.launcherArgs).not.toContain('--keep-after-failure');
    expect(cfg.launcherArgs).toEqual([...controllerArgs, '--container-disk-dir', '/x']);
  });
});

function catchErr(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}
