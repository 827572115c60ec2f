// A private libvirtd for tests and benchmarks: its own mount namespace with tmpfs over libvirt's
// directories (TESTBED.md: two libvirtds collide on /var/run/libvirt), so it never touches the
// machine's. A holder process keeps the namespace (and its tmpfs) alive, so libvirtd can be killed
// and restarted into the same state; the socket is reached through /proc/<pid>/root.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Static text: values reach it only as positional arguments ($1), never by interpolation.
const HOLDER_SCRIPT = `set -eu
for d in /run/libvirt /var/lib/libvirt /var/log/libvirt /var/cache/libvirt /etc/libvirt; do
  mkdir -p "$d"
  mount -t tmpfs tmpfs "$d"
done
mkdir -p /var/lib/libvirt/qemu /var/log/libvirt/qemu
cp "$1/libvirtd.conf" "$1/qemu.conf" /etc/libvirt/
echo ready
exec cat >/dev/null
`;

const LIBVIRTD_CONF = [
  'listen_tcp = 0',
  'listen_tls = 0',
  'log_outputs = "1:stderr"',
  'auth_unix_rw = "none"',
  'auth_unix_ro = "none"',
];

const QEMU_CONF = [
  'user = "root"',
  'group = "root"',
  'namespaces = [ ]',
  'cgroup_controllers = [ ]',
  'stdio_handler = "file"',
  'security_driver = "none"',
];

const STDERR_KEEP = 64 * 1024;

export interface PrivateLibvirtdOptions {
  /** Extra libvirtd.conf lines, e.g. `keepalive_interval = 1`. */
  libvirtdConf?: string[];
  startTimeoutMs?: number;
}

export class PrivateLibvirtd {
  private daemon: ChildProcess | undefined;
  private stderrText = '';
  private readonly startTimeoutMs: number;

  private constructor(
    private readonly holder: ChildProcess,
    private readonly configDir: string,
    options: PrivateLibvirtdOptions,
  ) {
    this.startTimeoutMs = options.startTimeoutMs ?? 30_000;
  }

  /** Makes the namespace and starts libvirtd in it; resolves once its socket accepts connections. */
  static async start(options: PrivateLibvirtdOptions = {}): Promise<PrivateLibvirtd> {
    const configDir = mkdtempSync(join(tmpdir(), 'vmpod-libvirtd-'));
    writeFileSync(
      join(configDir, 'libvirtd.conf'),
      `${[...LIBVIRTD_CONF, ...(options.libvirtdConf ?? [])].join('\n')}\n`,
    );
    writeFileSync(join(configDir, 'qemu.conf'), `${QEMU_CONF.join('\n')}\n`);
    const holder = spawn(
      'unshare',
      [
        '--mount',
        '--propagation',
        'private',
        '--',
        '/bin/sh',
        '-c',
        HOLDER_SCRIPT,
        'vmpod-libvirtd-ns',
        configDir,
      ],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    const self = new PrivateLibvirtd(holder, configDir, options);
    try {
      await self.waitForHolder();
      await self.startDaemon();
    } catch (err) {
      await self.stop();
      throw err;
    }
    return self;
  }

  get pid(): number {
    const pid = this.daemon?.pid;
    if (pid === undefined) throw new Error('libvirtd is not running');
    return pid;
  }

  /**
   * The read-write socket, as seen from outside the namespace. It goes through the holder's
   * /proc root, which shares libvirtd's mounts and, unlike libvirtd's pid, survives restart().
   */
  get socketPath(): string {
    return `/proc/${this.holder.pid}/root/run/libvirt/libvirt-sock`;
  }

  /** What libvirtd wrote to stderr (the last 64 KiB), for failure messages. */
  get stderr(): string {
    return this.stderrText;
  }

  /** SIGSTOP: libvirtd keeps its socket but answers nothing, like a hung daemon. */
  freeze(): void {
    this.daemon?.kill('SIGSTOP');
  }

  /** SIGKILL, as a crash: the namespace and its state survive for restart(). */
  async kill(timeoutMs = 10_000): Promise<void> {
    const d = this.daemon;
    if (!d || d.exitCode !== null || d.signalCode !== null) return;
    d.kill('SIGKILL');
    await exited(d, timeoutMs, 'libvirtd after SIGKILL');
  }

  /** Starts libvirtd again in the same namespace (after kill()). */
  async restart(): Promise<void> {
    await this.kill();
    await this.startDaemon();
  }

  /** Stops libvirtd (SIGTERM, then SIGKILL at the deadline), kills whatever else runs in the namespace (qemu), ends the namespace. */
  async stop(timeoutMs = 15_000): Promise<void> {
    const d = this.daemon;
    if (d && d.exitCode === null && d.signalCode === null) {
      d.kill('SIGCONT');
      d.kill('SIGTERM');
      await exited(d, timeoutMs, 'libvirtd after SIGTERM').catch(() => this.kill());
    }
    await killNamespace(this.holder.pid, timeoutMs);
    this.holder.stdin?.end();
    if (this.holder.exitCode === null && this.holder.signalCode === null) {
      this.holder.kill('SIGKILL');
      await exited(this.holder, timeoutMs, 'namespace holder').catch(() => undefined);
    }
    rmSync(this.configDir, { recursive: true, force: true });
  }

  private waitForHolder(): Promise<void> {
    return withDeadline(
      new Promise<void>((resolve, reject) => {
        let out = '';
        let err = '';
        this.holder.stdout?.on('data', (b: Buffer) => {
          out += b.toString();
          if (out.includes('ready\n')) resolve();
        });
        this.holder.stderr?.on('data', (b: Buffer) => {
          err += b.toString();
        });
        this.holder.once('exit', (code) => reject(new Error(`namespace holder exited (${code}): ${err}`)));
        this.holder.once('error', reject);
      }),
      this.startTimeoutMs,
      'namespace holder to mount its tmpfs',
    );
  }

  private async startDaemon(): Promise<void> {
    const holderPid = this.holder.pid;
    if (holderPid === undefined) throw new Error('namespace holder has no pid');
    this.stderrText = '';
    const daemon = spawn(
      'nsenter',
      [
        '--target',
        String(holderPid),
        '--mount',
        '--',
        '/usr/sbin/libvirtd',
        '-f',
        '/etc/libvirt/libvirtd.conf',
        '--pid-file',
        '/run/libvirt/libvirtd.pid',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    this.daemon = daemon;
    daemon.stderr?.on('data', (b: Buffer) => {
      this.stderrText = (this.stderrText + b.toString()).slice(-STDERR_KEEP);
    });
    const deadline = Date.now() + this.startTimeoutMs;
    for (;;) {
      if (daemon.exitCode !== null || daemon.signalCode !== null) {
        throw new Error(
          `libvirtd exited during start-up (${daemon.exitCode ?? daemon.signalCode}):\n${this.stderrText}`,
        );
      }
      if (await accepts(this.socketPath)) return;
      if (Date.now() > deadline) {
        throw new Error(`libvirtd socket not ready within ${this.startTimeoutMs} ms:\n${this.stderrText}`);
      }
      await sleep(50);
    }
  }
}

function accepts(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ path });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** SIGKILLs every process in the holder's mount namespace (libvirtd, qemu) and waits for them. */
async function killNamespace(holderPid: number | undefined, timeoutMs: number): Promise<void> {
  if (holderPid === undefined) return;
  let ns: string;
  try {
    ns = readlinkSync(`/proc/${holderPid}/ns/mnt`);
  } catch {
    return;
  }
  const members = (): number[] =>
    readdirSync('/proc')
      .filter((e) => /^\d+$/.test(e))
      .map(Number)
      .filter((pid) => pid !== holderPid && pid !== process.pid && mountNs(pid) === ns);
  for (const pid of members()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  const deadline = Date.now() + timeoutMs;
  while (members().length > 0) {
    if (Date.now() > deadline)
      throw new Error(`processes still in the libvirtd namespace: ${members().join(', ')}`);
    await sleep(20);
  }
}

function mountNs(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/mnt`);
  } catch {
    return undefined;
  }
}

function exited(child: ChildProcess, timeoutMs: number, what: string): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return withDeadline(new Promise<void>((resolve) => child.once('exit', () => resolve())), timeoutMs, what);
}

function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
