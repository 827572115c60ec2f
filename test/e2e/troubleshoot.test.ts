import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  EventsReport,
  LogLevelReport,
  LogsReport,
  NetReport,
  StatusReport,
} from '../../src/launcher/control/protocol.js';
import { buildOnce } from '../helpers/build.js';
import { buildGuest, type DhcpLease, type Guest } from '../helpers/guest.js';
import { type PodConsole, podConsole } from '../helpers/pod-console.js';
import { createSandbox, type Sandbox, type SandboxProcess } from '../helpers/sandbox.js';
import { kernelBootVmi, withKernelBoot } from '../helpers/test-vmi.js';
import { connectCmd } from '../helpers/virt-handler.js';

// `kubectl exec <pod> -- vmpod status|net|events|logs|log-level` against a running standalone VM
// pod: every fact is checked against what the test set up (the pod's address as the lease, the
// domain running, the daemons alive in the pod), and `log-level debug` takes effect live.

const root = resolve(import.meta.dirname, '../..');
const vmpod = join(root, 'dist/bin/vmpod');
const uid = '6a1b2c3d-0000-4000-8000-0000000000c5';
const name = 'tsvmi';
const domainName = `default_${name}`;
const pod = { ip: '10.244.0.10/24', gateway: '10.244.0.1', hostname: name, mtu: 1450 };

let guest: Guest;
let dir: string;
let sb: Sandbox;
let h: SandboxProcess;
let guestConsole: PodConsole;
let lease: DhcpLease;

/**
 * Runs argv[2:] on a pseudo-terminal: waits for `vmpod console`'s banner, types argv[1] and Enter,
 * waits for the guest's console-input report of it, sends Ctrl-] and reports what happened as JSON.
 */
const PTY_DRIVER = `
import json, os, pty, select, sys, termios, time
typed = sys.argv[1].encode()
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
out = b''
def pump(seconds, want=None):
    global out
    until = time.time() + seconds
    while time.time() < until:
        if want is not None and want in out:
            return True
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                return False
            if not chunk:
                return False
            out += chunk
    return want is not None and want in out
def raw():
    lflag = termios.tcgetattr(fd)[3]
    return (lflag & termios.ICANON) == 0 and (lflag & termios.ECHO) == 0
banner = pump(20, b'detach with Ctrl-]')
raw_attached = raw()
os.write(fd, typed + b'\\r')
echoed = pump(30, b'VMPOD-GUEST console-input ' + typed)
os.write(fd, b'\\x1d')
pump(10)
_, status = os.waitpid(pid, 0)
cooked = not raw()
print(json.dumps({'banner': banner, 'rawWhileAttached': raw_attached, 'echoed': echoed,
                  'exitCode': os.waitstatus_to_exitcode(status), 'cookedAfter': cooked,
                  'output': out.decode('utf-8', 'replace')}))
`;

async function vmpodJson<T>(args: string[]): Promise<T> {
  const r = await sb.exec([vmpod, ...args, '--json']);
  if (r.code !== 0) throw new Error(`vmpod ${args.join(' ')}: exit ${r.code}\n${r.stdout}\n${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0] as string) as T;
}

beforeAll(async () => {
  await buildOnce();
  guest = await buildGuest();
  dir = await mkdtemp(join(tmpdir(), 'vmpod-e2e-'));
  await writeFile(join(dir, 'vmi.json'), JSON.stringify(kernelBootVmi({ name, uid })));
  sb = await createSandbox(pod);
  h = sb.start(withKernelBoot(guest, [vmpod, 'run', '--vmi', join(dir, 'vmi.json')]));
  guestConsole = podConsole(await h.pid1(), uid, h);
  await h.waitForLine((l) => l.includes('"msg":"standalone VMI started"'), 240_000);
  const bound = await guestConsole.waitFor('dhcp-bound', 180_000);
  lease = (bound as { lease: DhcpLease }).lease;
});

afterAll(async () => {
  await sb?.destroy();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('vmpod troubleshooting commands in a running VM pod', () => {
  it('status: the VMI, the running domain, every start-up phase, live children and the sockets', async () => {
    const s = await vmpodJson<StatusReport>(['status']);
    expect(s.vmi).toEqual({ namespace: 'default', name, uid });
    expect(s.domain).toMatchObject({ name: domainName, status: 'Running' });
    const phases = s.phases.map((p) => p.phase);
    for (const p of [
      'directories',
      'libvirt-start',
      'libvirt-connect',
      'cmd-server',
      'domain-events',
      'ready',
    ]) {
      expect(phases).toContain(p);
    }
    for (const p of ['network', 'disks', 'convert', 'define', 'start']) expect(phases).toContain(p);
    expect(s.monitor.pid).toBe(1);
    expect(s.launcher.logLevel).toBe('info');
    const names = s.children.map((c) => c.name);
    expect(names).toContain('virtlogd');
    expect(names).toContain('qemu');
    expect(names.some((n) => n === 'virtqemud' || n === 'libvirtd')).toBe(true);
    for (const c of s.children) {
      expect(c.alive, c.name).toBe(true);
      expect(c.restarts, c.name).toBe(0);
      // The pid is the pod's own view: the process is there under the expected name.
      const comm = (await sb.execOk(['cat', `/proc/${c.pid}/comm`])).trim();
      expect(c.name === 'qemu' ? comm.startsWith('qemu') : comm === c.name, `${c.name} is ${comm}`).toBe(
        true,
      );
    }
    const sockets = Object.fromEntries(s.sockets.map((k) => [k.name, k]));
    expect(sockets.libvirt?.exists).toBe(true);
    expect(sockets.cmd?.exists).toBe(true);
    expect(sockets.serial0).toEqual({
      name: 'serial0',
      path: `/var/run/kubevirt-private/${uid}/virt-serial0`,
      exists: true,
    });

    const human = await sb.execOk([vmpod, 'status']);
    expect(human).toContain(`${domainName}: Running`);
    expect(human).toMatch(/^\s+cmd-server\s+\d/m);
  });

  it("net: the pod's address as the lease, the exchanges that gave it, the tap as desired", async () => {
    const n = await vmpodJson<NetReport>(['net']);
    expect(n.interfaces).toHaveLength(1);
    const i = n.interfaces[0] as NetReport['interfaces'][number];
    expect(i.name).toBe('default');
    expect(i.dhcp?.lease).toMatchObject({
      address: '10.244.0.10',
      prefixLength: 24,
      gateway: '10.244.0.1',
      hostname: name,
      mtu: 1450,
    });
    expect(lease.ip).toBe(i.dhcp?.lease.address);
    expect(i.dhcp?.lease.serverId).toBe(lease.serverId);
    const exchanges = i.dhcp?.exchanges ?? [];
    expect(exchanges.length).toBeGreaterThanOrEqual(2);
    expect(exchanges.map((x) => `${x.request}->${x.reply}`)).toEqual(
      expect.arrayContaining(['DISCOVER->OFFER', 'REQUEST->ACK']),
    );
    expect(i.dhcp?.stats.replied).toBeGreaterThanOrEqual(2);
    expect(i.checks.length).toBeGreaterThan(0);
    for (const c of i.checks) expect(c.ok, `${c.what}: ${c.current} vs ${c.desired}`).toBe(true);
    expect(n.links.find((l) => l.name === i.desired.tap)?.mtu).toBe(1450);

    const human = await sb.execOk([vmpod, 'net']);
    expect(human).toContain('10.244.0.10/24');
    expect(human).toContain('REQUEST -> ACK');
  });

  it('events: the start as libvirt reported it and the notification of a running domain', async () => {
    const e = await vmpodJson<EventsReport>(['events']);
    expect(e.listening).toBe(true);
    expect(e.events.map((x) => x.what)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^lifecycle STARTED/)]),
    );
    expect(e.events.every((x) => x.domain === domainName && !x.dropped)).toBe(true);
    expect(e.notifications.some((x) => x.status === 'Running' && x.delivered)).toBe(true);
    expect(await sb.execOk([vmpod, 'events'])).toContain('lifecycle STARTED');
  });

  it("logs: the domain's qemu log and libvirt's lines, filtered by --grep and --tail", async () => {
    const l = await vmpodJson<LogsReport>(['logs']);
    expect(l.qemuLog.path).toBe(`/var/log/libvirt/qemu/${domainName}.log`);
    expect(l.qemuLog.lines.some((x) => x.includes(`guest=${domainName}`))).toBe(true);
    const grepped = await vmpodJson<LogsReport>(['logs', '--grep', 'guest=default_', '--tail', '1']);
    expect(grepped.qemuLog.lines).toHaveLength(1);
    expect(grepped.qemuLog.lines[0]).toContain(`guest=${domainName}`);
    const human = await sb.execOk([vmpod, 'logs', '--tail', '5']);
    expect(human).toContain(`== qemu log /var/log/libvirt/qemu/${domainName}.log`);
    expect(human).toContain('== libvirt daemon lines');
  });

  it('what the seeds run by hand shows the same: ps, ip a, virsh list', async () => {
    const ps = await sb.execOk(['ps', '-eo', 'pid=,comm=']);
    const comms = ps.split('\n').map((l) => l.trim().split(/\s+/)[1]);
    for (const c of ['virt-launcher-m', 'virt-launcher', 'qemu-system-x86']) expect(comms, ps).toContain(c);
    expect(comms.some((c) => c === 'virtqemud' || c === 'libvirtd')).toBe(true);
    const ip = await sb.execOk(['ip', 'a']);
    expect(ip).toMatch(/eth0-nic@\S+: .* master k6t-eth0/);
    expect(ip).toMatch(/tap0: .* master k6t-eth0/);
    const virsh = await sb.execOk(['virsh', '-c', 'qemu:///system', 'list']);
    expect(virsh).toMatch(new RegExp(`\\s${domainName}\\s+running`));
  });

  it("console: without a TTY, the guest's serial console comes out on stdout", async () => {
    const marker = `console-marker-${Date.now()}`;
    const attached = sb.exec([vmpod, 'console', '--linger', '10'], { input: '', timeoutMs: 60_000 });
    await new Promise((r) => setTimeout(r, 2000));
    // The guest writes to its console through its agent (Exec on the command socket).
    const handler = await connectCmd(`/proc/${await h.pid1()}/root/run/kubevirt/sockets/launcher-sock`);
    try {
      const r = await handler.Exec({
        domainName,
        Command: '/bin/sh',
        Args: ['-c', `echo ${marker} >/dev/console`],
        timeoutSeconds: 10,
      });
      expect(r).toMatchObject({ exitCode: 0 });
    } finally {
      handler.close();
    }
    const out = await attached;
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toContain(marker);
  });

  it('console: in a terminal, raw mode both ways, and Ctrl-] detaches', async () => {
    // A pseudo-terminal driven the way a person would: wait for the banner, type a line (the guest
    // echoes what it reads as a console-input report), then Ctrl-]. Raw mode shows in the pty's
    // termios: ICANON and ECHO off while attached, back on after detaching.
    const typed = `typed-${Date.now()}`;
    const r = await sb.exec(['/usr/bin/python3', '-c', PTY_DRIVER, typed, vmpod, 'console'], {
      timeoutMs: 90_000,
    });
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    const run = JSON.parse(r.stdout) as {
      banner: boolean;
      rawWhileAttached: boolean;
      echoed: boolean;
      exitCode: number | null;
      cookedAfter: boolean;
      output: string;
    };
    expect(run, run.output).toMatchObject({
      banner: true,
      rawWhileAttached: true,
      echoed: true,
      exitCode: 0,
      cookedAfter: true,
    });
    expect(run.output).toContain('detached');
    await guestConsole.waitFor(
      'console-input',
      10_000,
      (e) => e.kind === 'console-input' && e.text === typed,
    );
  });

  it('log-level debug: the launcher logs debug lines from then on, without a restart', async () => {
    const before = h.stderr.split('\n').filter((x) => x.includes('"level":"debug"')).length;
    expect(before).toBe(0);
    const r = await vmpodJson<LogLevelReport>(['log-level', 'debug']);
    expect(r).toEqual({ from: 'info', to: 'debug' });
    await h.waitForLine((x) => x.includes('log level changed from info to debug'), 10_000);
    // Any request is now logged at debug by the control socket.
    await sb.execOk([vmpod, 'status']);
    const line = await h.waitForLine(
      (x) => x.includes('"level":"debug"') && x.includes('control request'),
      10_000,
    );
    expect(JSON.parse(line)).toMatchObject({ component: 'virt-launcher', cmd: 'status', pos: 'control.ts' });
    expect((await vmpodJson<StatusReport>(['status'])).launcher.logLevel).toBe('debug');
    const bad = await sb.exec([vmpod, 'log-level', 'loud']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('CONTROL_BAD_LEVEL');
    await sb.execOk([vmpod, 'log-level', 'info']);
  });
});

describe('vmpod status with no launcher', () => {
  it('says the launcher is not running and exits 3; names the failure report when there is one', async () => {
    const empty = await createSandbox();
    try {
      const p = empty.start([vmpod, 'status']);
      const exit = await p.wait(30_000);
      expect(exit.code).toBe(3);
      expect(p.stderr.trim()).toBe(
        'vmpod: the launcher is not running in this container (no control socket answering)',
      );
      expect(p.stdout).toBe('');
      const q = empty.start([
        'sh',
        '-c',
        'mkdir -p /var/run/kubevirt-private/vmpod && echo {} >/var/run/kubevirt-private/vmpod/failure.json && exec "$0" status --json',
        vmpod,
      ]);
      expect((await q.wait(30_000)).code).toBe(3);
      expect(q.stderr).toContain('see /var/run/kubevirt-private/vmpod/failure.json');
    } finally {
      await empty.destroy();
    }
  });
});
