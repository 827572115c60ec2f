import { describe, expect, it } from 'vitest';
import { launcherConfig } from '../../../src/config/launcher-config.js';
import { launcherDirectories, serialLogPath } from '../../../src/launcher/directories.js';
import {
  confString,
  libvirtLogFilters,
  renderDaemonConf,
  renderQemuConf,
} from '../../../src/launcher/libvirt-config.js';
import { libvirtLayout } from '../../../src/launcher/libvirt-paths.js';

describe('qemu.conf', () => {
  it('holds the keys of KubeVirt image and nothing conditional by default', () => {
    const text = renderQemuConf({
      hugepagesMounted: false,
      virtiofsdDebug: false,
      sharedFilesystemPaths: [],
    });
    for (const line of [
      'stdio_handler = "logd"',
      'vnc_listen = "0.0.0.0"',
      'vnc_tls = 0',
      'vnc_sasl = 0',
      'user = "qemu"',
      'group = "qemu"',
      'dynamic_ownership = 1',
      'remember_owner = 0',
      'namespaces = [ ]',
      'cgroup_controllers = [ ]',
    ]) {
      expect(text.split('\n')).toContain(line);
    }
    expect(text).not.toMatch(/hugetlbfs_mount|virtiofsd_debug|shared_filesystems/);
  });

  it('appends hugepages, virtiofsd debug and shared filesystems when asked', () => {
    const text = renderQemuConf({
      hugepagesMounted: true,
      virtiofsdDebug: true,
      sharedFilesystemPaths: ['/mnt/a', '/mnt/"b"'],
    });
    expect(text).toContain('hugetlbfs_mount = "/dev/hugepages"\n');
    expect(text).toContain('virtiofsd_debug = 1\n');
    expect(text).toContain('shared_filesystems = [ "/mnt/a", "/mnt/\\"b\\"" ]\n');
  });

  it('escapes strings so no value can end the quote', () => {
    expect(confString('a"b\\c')).toBe('"a\\"b\\\\c"');
  });
});

describe('daemon configuration and debug filters', () => {
  it('has no network listener and logs to stderr', () => {
    const text = renderDaemonConf(undefined);
    expect(text).toContain('listen_tls = 0\n');
    expect(text).toContain('listen_tcp = 0\n');
    expect(text).toContain('log_outputs = "1:stderr"\n');
    expect(text).toContain('max_client_requests = 64\n');
    expect(text).not.toContain('log_filters');
  });

  it('writes filters only when debug logging is on', () => {
    expect(libvirtLogFilters('', undefined, false)).toBeUndefined();
    expect(libvirtLogFilters('', 4, false)).toBeUndefined();
    expect(libvirtLogFilters('1:qemu', 2, false)).toBe('1:qemu');
    expect(renderDaemonConf('1:qemu')).toContain('log_filters="1:qemu"\n');
  });

  it('maps verbosity to the categories held at warning level', () => {
    expect(libvirtLogFilters('', 5, false)).toBe(
      '3:remote 3:util.json 3:util.object 3:util.dbus 3:util.netlink 3:node_device 3:rpc 3:access ' +
        '3:util.threadjob 3:cpu.cpu 3:qemu.qemu_monitor 3:qemu.qemu_monitor_json 3:conf.domain_addr 4:event 1:*',
    );
    expect(libvirtLogFilters('', 6, false)).toBe(
      '3:remote 3:util.json 3:util.object 3:util.dbus 3:util.netlink 3:node_device 3:rpc 3:access ' +
        '3:util.threadjob 3:cpu.cpu 3:qemu.qemu_monitor 4:event 1:*',
    );
    expect(libvirtLogFilters('', 7, false)).toBe(
      '3:remote 3:util.json 3:util.object 3:util.dbus 3:util.netlink 3:node_device 3:rpc 3:access ' +
        '3:util.threadjob 3:cpu.cpu 4:event 1:*',
    );
    const v8 =
      '3:remote 3:util.json 3:util.object 3:util.dbus 3:util.netlink 3:node_device 3:rpc 3:access 4:event 1:*';
    expect(libvirtLogFilters('', 9, false)).toBe(v8);
    // LIBVIRT_DEBUG_LOGS below verbosity 5 counts as verbosity 10.
    expect(libvirtLogFilters('', 2, true)).toBe(v8);
    expect(libvirtLogFilters('', undefined, true)).toBe(v8);
  });
});

describe('libvirt layout per mode', () => {
  it('uses the system URI and /etc/libvirt in root mode', () => {
    const l = libvirtLayout({ nonRoot: false, hasVirtqemud: true });
    expect(l).toMatchObject({
      socket: '/var/run/libvirt/virtqemud-sock',
      uri: 'qemu:///system',
      qemuConf: '/etc/libvirt/qemu.conf',
      daemonConf: '/var/run/libvirt/virtqemud.conf',
      pidDir: '/run/libvirt/qemu',
      qemuLogDir: '/var/log/libvirt/qemu',
    });
  });

  it('uses the session and the private config dir in non-root mode', () => {
    const l = libvirtLayout({ nonRoot: true, hasVirtqemud: true });
    expect(l).toMatchObject({
      uri: 'qemu:///session',
      qemuConf: '/var/run/kubevirt-private/libvirt/qemu.conf',
      pidDir: '/run/libvirt/qemu/run',
      qemuLogDir: '/var/run/kubevirt-private/libvirt/qemu/log',
    });
  });

  it('falls back to libvirtd and its socket where virtqemud is absent', () => {
    const l = libvirtLayout({ nonRoot: false, hasVirtqemud: false });
    expect(l).toMatchObject({
      flavour: 'libvirtd',
      daemonBinary: '/usr/sbin/libvirtd',
      daemonConf: '/var/run/libvirt/libvirtd.conf',
      socket: '/var/run/libvirt/libvirt-sock',
    });
  });
});

describe('launcher directories', () => {
  it('creates the per-VMI dir and the qemu-owned 0750 dirs of KubeVirt', () => {
    const cfg = launcherConfig(['--uid', 'u-1', '--ephemeral-disk-dir', '/e'], {});
    const dirs = launcherDirectories(cfg);
    expect(dirs).toContainEqual({ path: '/var/run/kubevirt-private/u-1', mode: 0o755, qemuOwned: true });
    expect(dirs).toContainEqual({ path: '/e/cloud-init-data', mode: 0o755, qemuOwned: false });
    expect(dirs).toContainEqual({ path: '/e/ignition-data', mode: 0o755, qemuOwned: false });
    for (const sub of ['vm-disks', 'config-map-disks', 'secret-disks', 'downwardmetrics-channel']) {
      expect(dirs).toContainEqual({ path: `/var/run/kubevirt-private/${sub}`, mode: 0o750, qemuOwned: true });
    }
    expect(serialLogPath(cfg)).toBe('/var/run/kubevirt-private/u-1/virt-serial0-log');
  });

  it('skips the per-VMI dir without a uid', () => {
    const cfg = launcherConfig([], {});
    expect(launcherDirectories(cfg).some((d) => d.path === '/var/run/kubevirt-private/')).toBe(false);
    expect(serialLogPath(cfg)).toBeUndefined();
  });
});
