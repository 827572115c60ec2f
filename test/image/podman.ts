import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, chown, copyFile, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { type GuestEvent, type Guest, parseConsoleLine } from '../helpers/guest.js';
import { KERNEL_BOOT_DIR } from '../helpers/test-vmi.js';

// What the image tests share: podman with this testbed's settings, containers run in the
// foreground with their output kept, the image build, and the pod's volumes as KubeVirt mounts
// them into the compute container.

const root = resolve(import.meta.dirname, '../..');
export const IMAGE = process.env.VMPOD_IMAGE ?? 'localhost/vmpod:dev';
const PODMAN = ['--runtime', 'runc', '--cgroup-manager', 'cgroupfs'];
export const RUN_LIMITS = ['--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024'];

export function podman(args: readonly string[], timeoutMs = 120_000): Promise<{ code: number; out: string }> {
  return new Promise((done) => {
    execFile(
      'podman',
      [...PODMAN, ...args],
      { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        done({ code, out: `${stdout}${stderr}` });
      },
    );
  });
}

export async function podmanOk(args: readonly string[], timeoutMs?: number): Promise<string> {
  const r = await podman(args, timeoutMs);
  if (r.code !== 0) throw new Error(`podman ${args.join(' ')} failed (${r.code}):\n${r.out}`);
  return r.out;
}

/** scripts/build-image: builds the image, or finds every layer cached. Resolves with its size in bytes. */
export function buildImage(): Promise<number> {
  return new Promise((done, fail) => {
    execFile(
      join(root, 'scripts/build-image'),
      [],
      { timeout: 1_800_000, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, VMPOD_IMAGE: IMAGE } },
      (err, stdout, stderr) =>
        err
          ? fail(new Error(`build-image failed:\n${stdout}\n${stderr}`))
          : done(Number(/size (\d+) bytes/.exec(stdout)?.[1] ?? 0)),
    );
  });
}

export interface Container {
  readonly name: string;
  readonly child: ChildProcess;
  output(): string;
  readonly exited: Promise<number | null>;
}

/** `podman run` in the foreground, its output collected. */
export function runContainer(name: string, args: readonly string[]): Container {
  let out = '';
  const child = spawn('podman', [...PODMAN, 'run', '--name', name, ...RUN_LIMITS, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { name, child, output: () => out, exited };
}

/** The container's PID 1 as the host sees it. */
export async function containerPid(c: Container, timeoutMs: number): Promise<number> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const r = await podman(['inspect', '--format', '{{.State.Pid}}', c.name]);
    const pid = Number(r.out.trim());
    if (r.code === 0 && pid > 0) return pid;
    if (Date.now() > until || c.child.exitCode !== null) {
      throw new Error(`container ${c.name} never ran:\n${c.output()}`);
    }
    await new Promise((res) => setTimeout(res, 200));
  }
}

/** Removes the container whether it runs or not. */
export async function removeContainer(c: Container | undefined): Promise<void> {
  if (!c) return;
  if (c.child.exitCode === null) await podman(['rm', '-f', '-t', '0', c.name]);
  await podman(['rm', '-f', c.name]);
}

/** The first event of `kind` in the guest's serial console log (a file in the private emptyDir). */
export async function waitForConsole(
  file: string,
  c: Container,
  kind: GuestEvent['kind'],
  timeoutMs: number,
): Promise<GuestEvent> {
  const until = Date.now() + timeoutMs;
  const text = () => (existsSync(file) ? readFileSync(file, 'utf8') : '');
  for (;;) {
    const event = text()
      .split('\n')
      .map(parseConsoleLine)
      .find((e) => e?.kind === kind);
    if (event) return event;
    if (Date.now() > until || c.child.exitCode !== null) {
      throw new Error(`no "${kind}" on the guest console within ${timeoutMs} ms\n${text()}\n${c.output()}`);
    }
    await new Promise((res) => setTimeout(res, 250));
  }
}

/** The pod's emptyDirs (KUBEVIRT.md §2.1): host directory name under the test's dir → path in the pod. */
export const POD_VOLUMES: Readonly<Record<string, string>> = {
  private: '/run/kubevirt-private',
  public: '/run/kubevirt',
  ephemeral: '/run/kubevirt-ephemeral-disks',
  'libvirt-runtime': '/run/libvirt',
};

/**
 * Makes the pod's volumes under `dir` and returns their `-v` flags: the emptyDirs, and the
 * container-disks emptyDir holding what virt-handler mounts from a kernel-boot container. In
 * non-root mode they belong to qemu (107), as KubeVirt's fsGroup makes them.
 */
export async function podVolumes(dir: string, guest: Guest, nonRoot: boolean): Promise<string[]> {
  const mounts: string[] = [];
  for (const [host, inPod] of Object.entries(POD_VOLUMES)) {
    await mkdir(join(dir, host));
    if (nonRoot) await chown(join(dir, host), 107, 107);
    mounts.push('-v', `${join(dir, host)}:${inPod}`);
  }
  const disks = join(dir, 'container-disks');
  await mkdir(join(disks, 'kernel-boot'), { recursive: true });
  await copyFile(guest.kernel, join(disks, 'kernel-boot/vmlinuz'));
  await copyFile(guest.initrd, join(disks, 'kernel-boot/initrd.img'));
  if (nonRoot) for (const d of [disks, join(disks, 'kernel-boot')]) await chown(d, 107, 107);
  // The container-disks volume sits inside the public one, as in KubeVirt's pods.
  mounts.push('-v', `${disks}:${KERNEL_BOOT_DIR.replace('/kernel-boot', '')}`);
  await chmod(dir, 0o755);
  return mounts;
}

/** Phase 1 of the pod network writes the pod's network sysctls (arp_ignore, …) and needs NET_ADMIN. */
export const PHASE1_PRIVILEGES = ['--cap-add', 'NET_ADMIN', '--security-opt', 'unmask=/proc/sys'];

/**
 * virt-handler's phase 1 for a non-root pod, as root, in a container of its own sharing the pod's
 * network namespace and volumes (`common`); then what it left in the volumes goes to 107.
 */
export async function nonRootPhase1(dir: string, common: readonly string[]): Promise<void> {
  await podmanOk([
    'run',
    '--rm',
    ...RUN_LIMITS,
    ...common,
    '--user',
    '0:0',
    ...PHASE1_PRIVILEGES,
    '--entrypoint',
    '/usr/bin/vmpod',
    IMAGE,
    'pod-network',
    '--interface',
    'default',
    '--owner',
    '107',
    '--group',
    '107',
  ]);
  await new Promise<void>((done, fail) =>
    execFile('chown', ['-R', '107:107', ...Object.keys(POD_VOLUMES).map((v) => join(dir, v))], (err) =>
      err ? fail(err) : done(),
    ),
  );
}

/**
 * The non-root compute container's user and capabilities. podman hands a non-root process its
 * added capabilities as ambient ones; containerd and CRI-O (Kubernetes) leave them in the bounding
 * set only, so setpriv drops the rest first: NET_BIND_SERVICE must then come from the file
 * capability on /usr/bin/virt-launcher-monitor. Followed by the image, then setpriv's arguments
 * (see NON_ROOT_SETPRIV) and the monitor's command line.
 */
export const NON_ROOT_USER = [
  '--user',
  '107:107',
  '--cap-drop',
  'ALL',
  '--cap-add',
  'NET_BIND_SERVICE',
  '--env',
  'XDG_RUNTIME_DIR=/var/run',
  '--env',
  'XDG_CONFIG_HOME=/var/run/kubevirt-private',
  '--env',
  'XDG_CACHE_HOME=/var/run/kubevirt-private',
  '--entrypoint',
  '/usr/bin/setpriv',
];
export const NON_ROOT_SETPRIV = ['--inh-caps=-all', '--ambient-caps=-all', '--'];
