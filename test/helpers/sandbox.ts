// Typed wrapper around scripts/pod-sandbox for tests: pod-like sandboxes (a "node" and a "pod"
// network namespace joined by a veth, the pod's command as PID 1 of its own PID namespace with the
// pod's private mounts). Every call passes argument arrays, never shell strings; every wait has a
// deadline and fails with a message that carries the output captured so far.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';

export const POD_SANDBOX = fileURLToPath(new URL('../../scripts/pod-sandbox', import.meta.url));
export const SANDBOX_STATE_ROOT = '/run/vmpod-sandbox';
/** The pod's interface (in NAME-pod) and its veth peer holding the gateway (in NAME-node). */
export const POD_INTERFACE = 'eth0';
export const NODE_INTERFACE = 'veth-pod';
/** Exit code of `run`/`exec` when the sandbox itself failed (not running, bad arguments, …). */
export const SANDBOX_FAILURE = 125;

const DEFAULT_CLI_TIMEOUT_MS = 30_000;
const DEFAULT_PID1_TIMEOUT_MS = 30_000;
const OUTPUT_IN_MESSAGES = 4000;

export interface SandboxOptions {
  /** Defaults to a unique `t` + random name; must match [a-z0-9][a-z0-9-]{0,11}. */
  name?: string;
  /** Pod address with prefix length, e.g. `10.244.0.10/24`. */
  ip?: string;
  gateway?: string;
  mac?: string;
  mtu?: number;
  hostname?: string;
  dnsServers?: string[];
  search?: string[];
  /** Pod IPv6 address with prefix length; needs `gateway6`. */
  ipv6?: string;
  gateway6?: string;
}

export interface PodAddress {
  /** The address alone, e.g. `10.244.0.10`. */
  ip: string;
  prefixLength: number;
  /** Address/prefix, e.g. `10.244.0.10/24`. */
  cidr: string;
  gateway: string;
}

export interface PodNetwork extends PodAddress {
  mac: string;
  mtu: number;
  ipv6?: PodAddress;
}

export interface SecondaryInterface {
  /** The pod's name for it: `net1`, or a hashed `pod<hash>`. */
  podName: string;
  /** Its peer in the node namespace (≤15 characters). */
  nodeName: string;
  mac?: string;
  mtu?: number;
  /** The pod side's address with prefix, e.g. `192.168.100.10/24`; none for pure L2. */
  podIp?: string;
  /** The node side's address with prefix, e.g. `192.168.100.1/24`. */
  nodeIp?: string;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ExecResult {
  /** The command's exit code; 128+N when it died of signal N (as a shell reports it). */
  code: number;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  env?: Record<string, string>;
  /** Given: passed as stdin (`exec -i`); otherwise stdin is empty. */
  input?: string;
  timeoutMs?: number;
}

export interface StartOptions {
  env?: Record<string, string>;
  /** `pipe` makes `child.stdin` writable; default: no stdin. */
  stdin?: 'ignore' | 'pipe';
}

export interface OutputLine {
  stream: 'stdout' | 'stderr';
  line: string;
}

export interface SandboxProcess {
  /** The `run` process: the direct parent of the pod's PID 1; signals sent to it are relayed. */
  readonly child: ChildProcess;
  /** Everything written so far. */
  readonly stdout: string;
  readonly stderr: string;
  readonly lines: readonly OutputLine[];
  /** Past and future lines, ending when the process has exited. */
  lineStream(): AsyncIterableIterator<OutputLine>;
  onLine(listener: (line: OutputLine) => void): () => void;
  /** Resolves with the first line (past or future) the predicate accepts. */
  waitForLine(
    predicate: (line: string, stream: OutputLine['stream']) => boolean,
    timeoutMs?: number,
  ): Promise<string>;
  /** Host PID of the sandbox's PID 1, once the pod's mounts are in place. */
  pid1(timeoutMs?: number): Promise<number>;
  /** Resolves (never rejects) when `run` has exited and its output is complete. */
  readonly exited: Promise<ExitStatus>;
  /** `exited` with a deadline. */
  wait(timeoutMs?: number): Promise<ExitStatus>;
  /** Signals the `run` process (TERM, INT, HUP, QUIT, USR1, USR2 are relayed to PID 1). */
  kill(signal?: NodeJS.Signals): boolean;
  /** stdout and stderr, for messages. */
  output(): string;
}

export interface Sandbox {
  readonly name: string;
  readonly podNetns: string;
  readonly nodeNetns: string;
  readonly stateDir: string;
  readonly hostname: string;
  readonly dns: { servers: readonly string[]; search: readonly string[] };
  readonly pod: PodNetwork;
  /** Runs `cmd` as the pod's PID 1 (`pod-sandbox run`). One at a time per sandbox. */
  start(cmd: readonly string[], opts?: StartOptions): SandboxProcess;
  /** `kubectl exec` into the running pod (`pod-sandbox exec`). Resolves whatever the exit code. */
  exec(cmd: readonly string[], opts?: ExecOptions): Promise<ExecResult>;
  /** `exec` that throws unless the command exits 0; resolves with its stdout. */
  execOk(cmd: readonly string[], opts?: ExecOptions): Promise<string>;
  /** Runs `cmd` on the "node" side: in NAME-node, where the gateway address lives. */
  execNode(cmd: readonly string[], opts?: ExecOptions): Promise<ExecResult>;
  /**
   * What Multus does for a secondary network: one more veth pair, `podName` in the pod and
   * `nodeName` in the node namespace, each with its address if given (none = an L2-only network).
   * Call before the pod's command starts; the namespaces' removal cleans it up.
   */
  addInterface(spec: SecondaryInterface): Promise<void>;
  /** Kills everything, removes namespaces and state; waits for started processes to exit. */
  destroy(): Promise<void>;
}

const live = new Set<Sandbox>();

/** A fresh sandbox name: `t` + 10 hex digits (fits the 12-character limit). */
export function uniqueSandboxName(): string {
  return `t${randomBytes(5).toString('hex')}`;
}

function tail(text: string): string {
  return text.length > OUTPUT_IN_MESSAGES ? `…${text.slice(-OUTPUT_IN_MESSAGES)}` : text;
}

function describeOutput(stdout: string, stderr: string): string {
  return `\n--- stdout ---\n${tail(stdout)}\n--- stderr ---\n${tail(stderr)}`;
}

function envFlags(env: Record<string, string> | undefined): string[] {
  return Object.entries(env ?? {}).flatMap(([k, v]) => ['--env', `${k}=${v}`]);
}

/** Runs a program with an argument array; resolves with its exit code and output, rejects on deadline. */
export function runCommand(
  file: string,
  args: readonly string[],
  opts: { input?: string; timeoutMs?: number } = {},
): Promise<ExecResult> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_CLI_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const child = spawn(file, [...args], {
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    if (opts.input !== undefined && child.stdin) {
      child.stdin.on('error', () => {});
      child.stdin.end(opts.input);
    }
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `${file} ${args.join(' ')}: no exit within ${timeoutMs} ms${describeOutput(stdout, stderr)}`,
        ),
      );
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`${file} ${args.join(' ')}: ${err.message}`, { cause: err }));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const signo = signal ? signalNumber(signal) : 0;
      resolve({ code: code ?? 128 + signo, signal, stdout, stderr });
    });
  });
}

function signalNumber(signal: NodeJS.Signals): number {
  return constants.signals[signal] ?? 0;
}

async function cli(
  args: readonly string[],
  opts: { input?: string; timeoutMs?: number } = {},
): Promise<ExecResult> {
  return runCommand(POD_SANDBOX, args, opts);
}

async function cliOk(args: readonly string[], timeoutMs?: number): Promise<string> {
  const r = await cli(args, timeoutMs === undefined ? {} : { timeoutMs });
  if (r.code !== 0) {
    throw new Error(`pod-sandbox ${args.join(' ')}: exit ${r.code}${describeOutput(r.stdout, r.stderr)}`);
  }
  return r.stdout;
}

function parseCidr(cidr: string, what: string): { ip: string; prefixLength: number } {
  const slash = cidr.lastIndexOf('/');
  const prefixLength = Number.parseInt(cidr.slice(slash + 1), 10);
  if (slash <= 0 || !Number.isInteger(prefixLength)) throw new Error(`${what}: not address/prefix: ${cidr}`);
  return { ip: cidr.slice(0, slash), prefixLength };
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Creates a sandbox (`pod-sandbox create`) with the script's defaults for what is not given. */
export async function createSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const name = opts.name ?? uniqueSandboxName();
  const cidr = opts.ip ?? '10.244.0.10/24';
  const gateway = opts.gateway ?? '10.244.0.1';
  const mac = (opts.mac ?? '0a:58:0a:f4:00:0a').toLowerCase();
  const mtu = opts.mtu ?? 1500;
  const hostname = opts.hostname ?? name;
  const servers = opts.dnsServers ?? ['10.96.0.10'];
  const search = opts.search ?? ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local'];
  if ((opts.ipv6 === undefined) !== (opts.gateway6 === undefined)) {
    throw new Error('createSandbox: ipv6 and gateway6 go together');
  }
  const args = ['create', name, '--ip', cidr, '--gateway', gateway, '--mac', mac, '--mtu', String(mtu)];
  args.push('--hostname', hostname, '--search', search.join(' '));
  for (const s of servers) args.push('--dns-server', s);
  if (opts.ipv6 !== undefined && opts.gateway6 !== undefined) {
    args.push('--ipv6', opts.ipv6, '--gateway6', opts.gateway6);
  }
  await cliOk(args);

  const v4 = parseCidr(cidr, 'ip');
  const pod: PodNetwork = { ...v4, cidr, gateway, mac, mtu };
  if (opts.ipv6 !== undefined && opts.gateway6 !== undefined) {
    pod.ipv6 = { ...parseCidr(opts.ipv6, 'ipv6'), cidr: opts.ipv6, gateway: opts.gateway6 };
  }
  const stateDir = `${SANDBOX_STATE_ROOT}/${name}`;
  const started: SandboxProcess[] = [];

  const exec = (cmd: readonly string[], o: ExecOptions = {}): Promise<ExecResult> => {
    const flags = [...(o.input === undefined ? [] : ['-i']), ...envFlags(o.env)];
    const callOpts: { input?: string; timeoutMs?: number } = {};
    if (o.input !== undefined) callOpts.input = o.input;
    if (o.timeoutMs !== undefined) callOpts.timeoutMs = o.timeoutMs;
    return cli(['exec', name, ...flags, '--', ...cmd], callOpts);
  };

  const sandbox: Sandbox = {
    name,
    podNetns: `${name}-pod`,
    nodeNetns: `${name}-node`,
    stateDir,
    hostname,
    dns: { servers, search },
    pod,
    start(cmd, o = {}) {
      const proc = startProcess(
        name,
        stateDir,
        ['run', name, ...envFlags(o.env), '--', ...cmd],
        o.stdin ?? 'ignore',
      );
      started.push(proc);
      return proc;
    },
    exec,
    async execOk(cmd, o = {}) {
      const r = await exec(cmd, o);
      if (r.code !== 0) {
        throw new Error(
          `exec in ${name}: ${cmd.join(' ')}: exit ${r.code}${describeOutput(r.stdout, r.stderr)}`,
        );
      }
      return r.stdout;
    },
    execNode(cmd, o = {}) {
      const callOpts: { input?: string; timeoutMs?: number } = {};
      if (o.input !== undefined) callOpts.input = o.input;
      if (o.timeoutMs !== undefined) callOpts.timeoutMs = o.timeoutMs;
      const envArgs = Object.entries(o.env ?? {}).map(([k, v]) => `${k}=${v}`);
      const prefix = envArgs.length > 0 ? ['env', ...envArgs] : [];
      return runCommand('ip', ['netns', 'exec', `${name}-node`, ...prefix, ...cmd], callOpts);
    },
    async addInterface(spec) {
      const podNs = `${name}-pod`;
      const nodeNs = `${name}-node`;
      await ipOk([
        '-n',
        podNs,
        'link',
        'add',
        spec.podName,
        'type',
        'veth',
        'peer',
        'name',
        spec.nodeName,
        'netns',
        nodeNs,
      ]);
      if (spec.mac) await ipOk(['-n', podNs, 'link', 'set', spec.podName, 'address', spec.mac]);
      for (const [ns, dev] of [
        [podNs, spec.podName],
        [nodeNs, spec.nodeName],
      ] as const) {
        if (spec.mtu) await ipOk(['-n', ns, 'link', 'set', dev, 'mtu', String(spec.mtu)]);
      }
      if (spec.podIp) await ipOk(['-n', podNs, 'addr', 'add', spec.podIp, 'dev', spec.podName]);
      if (spec.nodeIp) await ipOk(['-n', nodeNs, 'addr', 'add', spec.nodeIp, 'dev', spec.nodeName]);
      await ipOk(['-n', podNs, 'link', 'set', spec.podName, 'up']);
      await ipOk(['-n', nodeNs, 'link', 'set', spec.nodeName, 'up']);
    },
    async destroy() {
      live.delete(sandbox);
      await cliOk(['destroy', name]);
      for (const p of started) {
        if (p.child.exitCode === null && p.child.signalCode === null) {
          await p.wait(10_000);
        }
      }
    },
  };
  live.add(sandbox);
  return sandbox;
}

async function ipOk(args: readonly string[]): Promise<void> {
  const r = await runCommand('ip', args);
  if (r.code !== 0)
    throw new Error(`ip ${args.join(' ')}: exit ${r.code}${describeOutput(r.stdout, r.stderr)}`);
}

/** Destroys every sandbox this process created and has not destroyed yet (for afterAll). */
export async function destroyAllSandboxes(): Promise<void> {
  const errors: unknown[] = [];
  for (const sb of [...live]) {
    await sb.destroy().catch((e: unknown) => errors.push(e));
  }
  if (errors.length > 0) throw new AggregateError(errors, 'destroying sandboxes failed');
}

/** Names of existing sandboxes (`pod-sandbox list`). */
export async function listSandboxes(): Promise<string[]> {
  const out = await cliOk(['list']);
  return out.split('\n').filter((l) => l.length > 0);
}

function startProcess(
  name: string,
  stateDir: string,
  args: readonly string[],
  stdin: 'ignore' | 'pipe',
): SandboxProcess {
  const child = spawn(POD_SANDBOX, [...args], { stdio: [stdin, 'pipe', 'pipe'] });
  const text = { stdout: '', stderr: '' };
  const partial = { stdout: '', stderr: '' };
  const lines: OutputLine[] = [];
  const listeners = new Set<(line: OutputLine) => void>();
  const endListeners = new Set<() => void>();
  let ended = false;

  const emit = (line: OutputLine): void => {
    lines.push(line);
    for (const l of [...listeners]) l(line);
  };
  const feed = (stream: OutputLine['stream'], chunk: string): void => {
    text[stream] += chunk;
    const parts = (partial[stream] + chunk).split('\n');
    partial[stream] = parts.pop() ?? '';
    for (const line of parts) emit({ stream, line });
  };
  child.stdout?.setEncoding('utf8').on('data', (d: string) => feed('stdout', d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => feed('stderr', d));
  child.stdin?.on('error', () => {});

  const output = (): string => describeOutput(text.stdout, text.stderr);

  const exited = new Promise<ExitStatus>((resolve) => {
    let spawnError: Error | undefined;
    child.on('error', (err) => {
      spawnError = err;
      text.stderr += `\n[spawn error: ${err.message}]`;
      if (child.pid === undefined) finish(null, null);
    });
    const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (ended) return;
      for (const stream of ['stdout', 'stderr'] as const) {
        if (partial[stream] !== '') {
          emit({ stream, line: partial[stream] });
          partial[stream] = '';
        }
      }
      ended = true;
      for (const l of [...endListeners]) l();
      resolve({ code: spawnError && code === null && signal === null ? SANDBOX_FAILURE : code, signal });
    };
    child.on('close', (code, signal) => finish(code, signal));
  });

  const wait = async (timeoutMs = 30_000): Promise<ExitStatus> => {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`sandbox ${name}: run did not exit within ${timeoutMs} ms${output()}`)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([exited, deadline]);
    } finally {
      clearTimeout(timer);
    }
  };

  const waitForLine = (
    predicate: (line: string, stream: OutputLine['stream']) => boolean,
    timeoutMs = 30_000,
  ): Promise<string> => {
    const seen = lines.find((l) => predicate(l.line, l.stream));
    if (seen) return Promise.resolve(seen.line);
    return new Promise((resolve, reject) => {
      const cleanup = (): void => {
        clearTimeout(timer);
        listeners.delete(onLine);
        endListeners.delete(onEnd);
      };
      const onLine = (l: OutputLine): void => {
        if (predicate(l.line, l.stream)) {
          cleanup();
          resolve(l.line);
        }
      };
      const onEnd = (): void => {
        cleanup();
        reject(
          new Error(
            `sandbox ${name}: run exited (code ${child.exitCode}, signal ${child.signalCode}) before the awaited line${output()}`,
          ),
        );
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`sandbox ${name}: awaited line not seen within ${timeoutMs} ms${output()}`));
      }, timeoutMs);
      if (ended) {
        onEnd();
        return;
      }
      listeners.add(onLine);
      endListeners.add(onEnd);
    });
  };

  const pid1 = async (timeoutMs = DEFAULT_PID1_TIMEOUT_MS): Promise<number> => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const text = await readFile(`${stateDir}/pid1`, 'utf8').catch(() => '');
      const pid = Number.parseInt(text.trim(), 10);
      if (pid > 0) {
        // The file is emptied when PID 1 is gone; check the process too, in case it just went.
        const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
        if (stat !== '' && !/\) [ZX] /.test(stat)) return pid;
      }
      if (ended) {
        throw new Error(
          `sandbox ${name}: run exited (code ${child.exitCode}, signal ${child.signalCode}) without a running PID 1${output()}`,
        );
      }
      if (Date.now() > until) throw new Error(`sandbox ${name}: no PID 1 within ${timeoutMs} ms${output()}`);
      await delay(5);
    }
  };

  async function* lineStream(): AsyncIterableIterator<OutputLine> {
    let next = 0;
    for (;;) {
      while (next < lines.length) {
        const l = lines[next++];
        if (l) yield l;
      }
      if (ended) return;
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          listeners.delete(wake);
          endListeners.delete(wake);
          resolve();
        };
        listeners.add(wake);
        endListeners.add(wake);
      });
    }
  }

  return {
    child,
    get stdout() {
      return text.stdout;
    },
    get stderr() {
      return text.stderr;
    },
    lines,
    lineStream,
    onLine(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    waitForLine,
    pid1,
    exited,
    wait,
    kill(signal: NodeJS.Signals = 'SIGTERM') {
      return child.kill(signal);
    },
    output,
  };
}

/** Resolves once `path` exists; fails at the deadline or when the pod (or container) has exited. */
export async function waitForFile(
  path: string,
  pod: Pick<SandboxProcess, 'child' | 'output'>,
  timeoutMs: number,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!existsSync(path)) {
    if (Date.now() > until || pod.child.exitCode !== null) {
      throw new Error(`${path} did not appear within ${timeoutMs} ms\n${pod.output()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The JSON log lines in a process's output (anything else, or a torn line, is skipped). */
export function jsonLogLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
}
