import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonLogLines } from '../helpers/sandbox.js';
import { sendRawCmd, vmiRequest } from '../helpers/virt-handler.js';
import { type ChaosPod, type DomainJson, startChaosPod, startFailingPod, until } from './chaos-pod.js';
import { type ChaosRow, printTable, row } from './table.js';

// The fault-injection suite (`npm run chaos`): each fault is done to a running guest in a pod
// sandbox, with the pod driven as KubeVirt drives it; each test fills one row of the table printed
// at the end: the fault, what must happen, what did, whether the guest still answers, and whether
// virt-handler ended up not knowing the domain's current state.

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

afterAll(() => printTable());

const sameState = (a: DomainJson['Status'] | undefined, b: DomainJson['Status'] | undefined) =>
  a !== undefined && b !== undefined && a.Status === b.Status && a.Reason === b.Reason;

/** Launcher log lines (JSON) the pod printed so far. */
const logLines = (p: ChaosPod) => jsonLogLines(p.pod.stderr);

/** After a fault: does the guest answer ping, and does the handler know the domain's current state? */
async function observe(r: ChaosRow, p: ChaosPod): Promise<void> {
  r.guestReachable = (await p.ping()) ? 'yes' : 'no';
  r.notificationsLost = sameState(p.lastNotified(), await p.actual()) ? 0 : 1;
}

function finish(r: ChaosRow, checks: () => void): void {
  checks();
  r.ok = true;
}

describe('faults around a running guest', () => {
  let p: ChaosPod;
  let daemon: string;

  beforeAll(async () => {
    p = await startChaosPod({ index: 1 });
    daemon = p.pids('virtqemud').length > 0 ? 'virtqemud' : 'libvirtd';
  });
  afterAll(async () => {
    await p?.destroy();
  });

  it('kill -9 of the libvirt daemon', async () => {
    const r = row(
      `kill -9 ${daemon ?? 'virtqemud'}`,
      'restarted, client reconnects, reconciling notification, no ping lost',
    );
    const before = p.pids(daemon);
    expect(before).toHaveLength(1);
    const notes = p.notify.domainEvents.length;
    const pinger = p.pingWhile();
    await sleep(1000);
    const t0 = Date.now();
    process.kill(before[0] as number, 'SIGKILL');
    await until(() => p.pids(daemon).some((x) => !before.includes(x)), 30_000, `${daemon} restarted`);
    const restartedMs = Date.now() - t0;
    await until(() => p.pod.stderr.includes('Libvirt reconnected'), 30_000, 'libvirt client reconnected');
    await until(() => p.notify.domainEvents.length > notes, 30_000, 'a reconciling notification');
    await sleep(1000);
    const { sent, lost } = await pinger.stop();
    const actual = await p.actual();
    r.observed = `restarted after ${restartedMs} ms, reconnected, ${p.notify.domainEvents.length - notes} notification(s), ${lost}/${sent} pings lost`;
    r.guestReachable = (await p.ping()) ? 'yes' : 'no';
    r.notificationsLost = sameState(p.lastNotified(), actual) ? 0 : 1;
    finish(r, () => {
      expect(lost, r.observed).toBe(0);
      expect(actual?.Status).toBe('Running');
      expect(r.notificationsLost).toBe(0);
      expect(r.guestReachable).toBe('yes');
    });
  });

  it('the libvirt daemon crash-looping', async () => {
    const r = row(
      `kill -9 ${daemon ?? 'virtqemud'} 3× in a row`,
      'restarts back off (growing delays), crash loop reported, client reconnects, no ping lost',
    );
    const reconnects = () => p.pod.stderr.split('"msg":"Libvirt reconnected').length - 1;
    const reconnectsBefore = reconnects();
    const pinger = p.pingWhile();
    const delays: number[] = [];
    for (let i = 0; i < 3; i++) {
      const before = p.pids(daemon);
      expect(before).toHaveLength(1);
      const t0 = Date.now();
      process.kill(before[0] as number, 'SIGKILL');
      await until(() => p.pids(daemon).some((x) => !before.includes(x)), 60_000, `${daemon} restarted`);
      delays.push(Date.now() - t0);
    }
    await until(() => reconnects() > reconnectsBefore, 60_000, 'the client reconnected');
    await until(async () => (await p.actual())?.Status === 'Running', 60_000, 'GetDomain answers Running');
    const { sent, lost } = await pinger.stop();
    const loop = logLines(p).filter((o) => o.crashLoop === true).length;
    r.observed = `restarted after ${delays.join(', ')} ms; crash-loop reports: ${loop}; ${lost}/${sent} pings lost`;
    await observe(r, p);
    finish(r, () => {
      expect(delays[2]).toBeGreaterThan(delays[0] as number);
      expect(loop).toBeGreaterThan(0);
      expect(lost, r.observed).toBe(0);
      expect(r.notificationsLost).toBe(0);
    });
  });

  it('notify server absent for longer than a notification’s retry budget', async () => {
    const r = row(
      'notify server absent (25 s)',
      'commands answer at once; the current state arrives when it is back',
    );
    await p.notify.close();
    const t0 = Date.now();
    const paused = await p.handler.PauseVirtualMachine(vmiRequest(p.vmi));
    const pauseMs = Date.now() - t0;
    const ping = await p.handler.Ping();
    await sleep(25_000);
    const back = Date.now();
    await p.restartNotify();
    await until(() => p.lastNotified()?.Status === 'Paused', 60_000, 'the Paused state reaches the handler');
    const learnedMs = Date.now() - back;
    const actual = await p.actual();
    r.observed = `Pause answered in ${pauseMs} ms; handler learned Paused ${learnedMs} ms after it came back`;
    r.notificationsLost = sameState(p.lastNotified(), actual) ? 0 : 1;
    expect(await p.handler.UnpauseVirtualMachine(vmiRequest(p.vmi))).toMatchObject({ success: true });
    await until(() => p.lastNotified()?.Status === 'Running', 30_000, 'Running again');
    r.guestReachable = (await p.ping()) ? 'yes' : 'no';
    finish(r, () => {
      expect(paused).toMatchObject({ success: true });
      expect(ping).toMatchObject({ success: true });
      expect(actual?.Status).toBe('Paused');
      expect(r.notificationsLost).toBe(0);
      expect(r.guestReachable).toBe('yes');
    });
  });

  it('notify server hanging', async () => {
    const r = row('notify server hanging', 'commands answer at once; the state is resent once it answers');
    p.notify.reply = { hang: true };
    const t0 = Date.now();
    const paused = await p.handler.PauseVirtualMachine(vmiRequest(p.vmi));
    const pauseMs = Date.now() - t0;
    const pings = await Promise.all(Array.from({ length: 20 }, () => p.handler.Ping()));
    await sleep(7_000);
    const seen = p.notify.domainEvents.length;
    p.notify.reply = { success: true, message: '' };
    await until(
      () => p.notify.domainEvents.length > seen,
      40_000,
      'a notification after the handler answers again',
    );
    const actual = await p.actual();
    r.observed = `Pause answered in ${pauseMs} ms, 20 Pings answered; resent after the handler recovered`;
    r.notificationsLost = sameState(p.lastNotified(), actual) ? 0 : 1;
    expect(await p.handler.UnpauseVirtualMachine(vmiRequest(p.vmi))).toMatchObject({ success: true });
    await until(() => p.lastNotified()?.Status === 'Running', 30_000, 'Running again');
    r.guestReachable = (await p.ping()) ? 'yes' : 'no';
    finish(r, () => {
      expect(paused).toMatchObject({ success: true });
      expect(pings.every((x) => x.success === true)).toBe(true);
      expect(actual?.Status).toBe('Paused');
      expect(r.notificationsLost).toBe(0);
    });
  });

  it('notify server restarted', async () => {
    const r = row('notify server restarted', 'the next state reaches the new server');
    await p.restartNotify();
    const paused = await p.handler.PauseVirtualMachine(vmiRequest(p.vmi));
    await until(() => p.lastNotified()?.Status === 'Paused', 30_000, 'Paused at the new server');
    const actual = await p.actual();
    r.observed = `new server told ${p.lastNotified()?.Status}/${p.lastNotified()?.Reason}`;
    r.notificationsLost = sameState(p.lastNotified(), actual) ? 0 : 1;
    expect(await p.handler.UnpauseVirtualMachine(vmiRequest(p.vmi))).toMatchObject({ success: true });
    await until(() => p.lastNotified()?.Status === 'Running', 30_000, 'Running again');
    r.guestReachable = (await p.ping()) ? 'yes' : 'no';
    finish(r, () => {
      expect(paused).toMatchObject({ success: true });
      expect(r.notificationsLost).toBe(0);
      expect(r.guestReachable).toBe('yes');
    });
  });

  it('a flood of garbage at the DHCP server', async () => {
    const r = row(
      'DHCP flood (10,000 garbage datagrams)',
      'the server survives and still leases to the guest',
    );
    const launcher = p.pids('virt-launcher');
    // Broadcast from the node side: through the pod NIC onto the bridge, where the server listens.
    const py = [
      'import os, random, socket',
      'random.seed(7)',
      's = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)',
      's.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)',
      's.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"veth-pod")',
      'cookie = bytes([99, 130, 83, 99])',
      'for i in range(10000):',
      '    if i % 2:',
      '        b = os.urandom(random.randint(0, 700))',
      '    else:',
      '        b = bytes([1, 1, 6, 0]) + os.urandom(232) + cookie + os.urandom(random.randint(0, 300))',
      '    s.sendto(b, ("255.255.255.255", 67))',
    ].join('\n');
    const flood = await p.sb.execNode(['python3', '-c', py], { timeoutMs: 60_000 });
    expect(flood.code, flood.stderr).toBe(0);
    // Release the lease and ask again: a full DISCOVER/REQUEST exchange with the flooded server.
    const bound = () =>
      p.console
        .text()
        .split('\n')
        .filter((l) => l.includes('VMPOD-GUEST dhcp-bound')).length;
    const boundBefore = bound();
    const exec = await p.handler.Exec({
      domainName: p.domainName,
      Command: '/bin/sh',
      Args: ['-c', 'pid=$(pidof udhcpc) && kill -USR2 $pid && sleep 1 && kill -USR1 $pid'],
      timeoutSeconds: 10,
    });
    await until(() => bound() > boundBefore, 30_000, 'the guest took a new lease');
    r.observed = `launcher pid ${launcher.join()} → ${p.pids('virt-launcher').join()}; guest took a new lease`;
    await observe(r, p);
    finish(r, () => {
      expect(exec).toMatchObject({ exitCode: 0 });
      expect(p.pids('virt-launcher')).toEqual(launcher);
      expect(r.guestReachable).toBe('yes');
    });
  });

  it('a flood of garbage at the command socket', async () => {
    const r = row(
      'gRPC flood (1,000 garbage requests)',
      'each answered or refused; Ping and GetDomain still work',
    );
    const launcher = p.pids('virt-launcher');
    const methods = ['SyncVirtualMachine', 'PauseVirtualMachine', 'Exec', 'GetDomain', 'Ping', 'GuestPing'];
    const socket = `${p.share}/sockets/launcher-sock`;
    let answered = 0;
    let refused = 0;
    for (let i = 0; i < 1000; i += 25) {
      const batch = Array.from({ length: 25 }, (_, j) =>
        sendRawCmd(
          socket,
          methods[(i + j) % methods.length] as string,
          randomBytes((i * 7 + j * 13) % 300),
        ).then(
          () => answered++,
          () => refused++,
        ),
      );
      await Promise.all(batch);
    }
    const ping = await p.handler.Ping();
    const got = await p.handler.GetDomain();
    r.observed = `${answered} answered, ${refused} refused with a gRPC status; launcher pid unchanged: ${
      p.pids('virt-launcher').join() === launcher.join()
    }`;
    await observe(r, p);
    finish(r, () => {
      expect(answered + refused).toBe(1000);
      expect(ping).toMatchObject({ success: true });
      expect(got.response).toMatchObject({ success: true });
      expect(p.pids('virt-launcher')).toEqual(launcher);
    });
  });

  it('kill -9 of virtlogd', async () => {
    const r = row('kill -9 virtlogd', 'restarted, guest keeps running, no ping lost');
    const before = p.pids('virtlogd');
    expect(before).toHaveLength(1);
    const pinger = p.pingWhile();
    const t0 = Date.now();
    process.kill(before[0] as number, 'SIGKILL');
    await until(() => p.pids('virtlogd').some((x) => !before.includes(x)), 30_000, 'virtlogd restarted');
    const restartedMs = Date.now() - t0;
    await sleep(1000);
    const { sent, lost } = await pinger.stop();
    const actual = await p.actual();
    // qemu's serial output reaches the log through a pipe virtlogd held: say whether it still does.
    const marker = `chaos-marker-${Date.now()}`;
    await p.handler.Exec({
      domainName: p.domainName,
      Command: '/bin/sh',
      Args: ['-c', `echo ${marker} >/dev/console`],
      timeoutSeconds: 10,
    });
    await sleep(1000);
    const consoleLogged = p.console.text().includes(marker);
    r.observed = `restarted after ${restartedMs} ms, domain ${actual?.Status}, ${lost}/${sent} pings lost, console log ${
      consoleLogged ? 'continues' : 'stopped (its pipe died with virtlogd)'
    }`;
    r.guestReachable = (await p.ping()) ? 'yes' : 'no';
    r.notificationsLost = sameState(p.lastNotified(), actual) ? 0 : 1;
    finish(r, () => {
      expect(lost, r.observed).toBe(0);
      expect(actual?.Status).toBe('Running');
      expect(r.notificationsLost).toBe(0);
    });
  });

  it('SIGTERM while running', async () => {
    const r = row(
      'SIGTERM while running',
      'guest shut down (agent or ACPI), domain gone notified, pod exits 0',
    );
    const t0 = Date.now();
    process.kill(p.pid1, 'SIGTERM');
    const statuses = () => p.notify.domainEvents.map((e) => (e.domain as DomainJson).Status);
    await until(
      () => statuses().some((st) => st.Status === 'Shutoff' && st.Reason === 'Shutdown'),
      60_000,
      'Shutoff/Shutdown notified',
    );
    const acpiMs = Date.now() - t0;
    const exit = await p.pod.wait(90_000);
    const exitMs = Date.now() - t0;
    const gone = p.notify.domainEvents.some((e) => (e.domain as DomainJson).ObjectMeta.deletionTimestamp);
    const final = logLines(p).find((o) => o.msg === 'final notification wait ended')?.outcome;
    r.observed = `guest shut itself down after ${acpiMs} ms, pod exited ${exit.code} after ${exitMs} ms, final notification ${final}`;
    r.notificationsLost = gone ? 0 : 1;
    finish(r, () => {
      expect(exit.code, p.pod.output()).toBe(0);
      expect(gone).toBe(true);
      expect(final).toBe('sent');
    });
  });
});

describe('qemu killed', () => {
  let p: ChaosPod;
  beforeAll(async () => {
    p = await startChaosPod({ index: 2 });
  });
  afterAll(async () => {
    await p?.destroy();
  });

  it('kill -9 of qemu', async () => {
    const r = row('kill -9 qemu', 'Shutoff/Crashed notified at once, domain gone notified, pod exits 0');
    const qemu = p.pids('qemu-system-x86');
    expect(qemu).toHaveLength(1);
    const seen = p.notify.domainEvents.length;
    const t0 = Date.now();
    process.kill(qemu[0] as number, 'SIGKILL');
    const statuses = () => p.notify.domainEvents.slice(seen).map((e) => (e.domain as DomainJson).Status);
    await until(() => statuses().some((st) => st.Status === 'Shutoff'), 30_000, 'Shutoff notified');
    const notifiedMs = Date.now() - t0;
    const state = statuses().find((st) => st.Status === 'Shutoff');
    const exit = await p.pod.wait(90_000);
    const gone = p.notify.domainEvents.some((e) => (e.domain as DomainJson).ObjectMeta.deletionTimestamp);
    const crashed = statuses().some((st) => st.Status === 'Shutoff' && st.Reason === 'Crashed');
    r.observed = `${state?.Status}/${state?.Reason} notified after ${notifiedMs} ms, pod exited ${exit.code} after ${Date.now() - t0} ms`;
    r.notificationsLost = crashed && gone ? 0 : 1;
    finish(r, () => {
      expect(crashed, JSON.stringify(statuses())).toBe(true);
      expect(gone).toBe(true);
      expect(exit.code, p.pod.output()).toBe(0);
    });
  });
});

describe('the launcher killed', () => {
  let p: ChaosPod;
  beforeAll(async () => {
    p = await startChaosPod({ index: 3 });
  });
  afterAll(async () => {
    await p?.destroy();
  });

  it('kill -9 of virt-launcher', async () => {
    const r = row(
      'kill -9 virt-launcher',
      'the monitor reports a dirty exit, stops qemu, pod exits non-zero',
    );
    const launcher = p.pids('virt-launcher');
    expect(launcher).toHaveLength(1);
    const t0 = Date.now();
    process.kill(launcher[0] as number, 'SIGKILL');
    const exit = await p.pod.wait(60_000);
    const lines = logLines(p);
    const dirty = lines.some((o) => o.msg === 'dirty virt-launcher shutdown');
    const qemuStopped = lines.some((o) => String(o.msg).startsWith('qemu outlived the launcher'));
    r.observed = `monitor saw a dirty exit: ${dirty}, sent qemu SIGTERM: ${qemuStopped}, pod exited ${exit.code} after ${Date.now() - t0} ms`;
    finish(r, () => {
      expect(dirty).toBe(true);
      expect(qemuStopped).toBe(true);
      expect(exit.code).not.toBe(0);
    });
  });
});

describe('SIGTERM before and during start-up', () => {
  it('SIGTERM before any VMI arrived', async () => {
    const r = row('SIGTERM before the VMI is synced', 'no domain, pod exits 0 at once');
    const p = await startChaosPod({ index: 4, boot: false });
    try {
      const t0 = Date.now();
      process.kill(p.pid1, 'SIGTERM');
      const exit = await p.pod.wait(60_000);
      r.observed = `pod exited ${exit.code} after ${Date.now() - t0} ms`;
      finish(r, () => {
        expect(exit.code, p.pod.output()).toBe(0);
        expect(p.pod.stderr).toMatch(
          /"msg":"(no domain: stopping|termination signal before any domain existed)"/,
        );
      });
    } finally {
      await p.destroy();
    }
  });

  it('SIGTERM while the domain is being started', async () => {
    const r = row(
      'SIGTERM during start-up (Sync)',
      'no half-started VM left, pod exits 0 within the grace period (30 s)',
    );
    const p = await startChaosPod({ index: 5, boot: false });
    try {
      const sync = p.handler.SyncVirtualMachine(vmiRequest(p.vmi)).catch((e: unknown) => e);
      await until(() => p.pod.stderr.includes('"msg":"DHCP server listening"'), 30_000, 'Sync under way');
      const t0 = Date.now();
      process.kill(p.pid1, 'SIGTERM');
      const exit = await p.pod.wait(90_000);
      await sync;
      const exitMs = Date.now() - t0;
      r.observed = `pod exited ${exit.code} after ${exitMs} ms; qemu left: ${p.pids('qemu-system-x86').length}`;
      finish(r, () => {
        expect(exitMs).toBeLessThan(35_000);
        expect(exit.code, p.pod.output()).toBe(0);
        expect(p.pids('qemu-system-x86')).toEqual([]);
      });
    } finally {
      await p.destroy();
    }
  });
});

describe('signals while running', () => {
  it('SIGTERM twice', async () => {
    const r = row('SIGTERM twice', 'only the first counts: one ACPI shutdown, pod exits 0');
    const p = await startChaosPod({ index: 6 });
    try {
      process.kill(p.pid1, 'SIGTERM');
      await sleep(200);
      process.kill(p.pid1, 'SIGTERM');
      const exit = await p.pod.wait(90_000);
      const again = p.pod.stderr.includes('again: already shutting down');
      const shutdowns = logLines(p).filter((o) => o.msg === 'received SIGTERM: shutting down').length;
      r.observed = `second signal ignored: ${again}, shutdowns begun: ${shutdowns}, pod exited ${exit.code}`;
      finish(r, () => {
        expect(again).toBe(true);
        expect(shutdowns).toBe(1);
        expect(exit.code, p.pod.output()).toBe(0);
      });
    } finally {
      await p.destroy();
    }
  });

  it('a guest that ignores ACPI and agent shutdown', async () => {
    const grace = 8;
    const r = row(
      `guest ignores shutdown (grace ${grace} s)`,
      `destroyed when the grace period ends (${grace} s), not later; pod exits 0`,
    );
    const p = await startChaosPod({
      index: 7,
      kernelArgs: 'vmpod.shutdown=ignore',
      gracePeriodSeconds: grace,
    });
    try {
      const t0 = Date.now();
      process.kill(p.pid1, 'SIGTERM');
      await until(() => p.pids('qemu-system-x86').length === 0, 60_000, 'qemu gone');
      const goneMs = Date.now() - t0;
      const exit = await p.pod.wait(90_000);
      const destroyed = p.pod.stderr.includes('grace period over: destroying the domain');
      r.observed = `qemu destroyed after ${goneMs} ms (grace ${grace * 1000} ms), pod exited ${exit.code}`;
      finish(r, () => {
        expect(destroyed).toBe(true);
        expect(goneMs).toBeGreaterThanOrEqual(grace * 1000);
        expect(goneMs).toBeLessThan(grace * 1000 + 5000);
        expect(exit.code, p.pod.output()).toBe(0);
        expect(p.console.text()).not.toContain('VMPOD-GUEST poweroff');
      });
    } finally {
      await p.destroy();
    }
  });
});

describe('a failed start-up', () => {
  it('says what failed and where to look, and with --keep-after-failure the pod stays up', async () => {
    const r = row(
      'start-up fails (--simulate-crash), --keep-after-failure',
      'last lines name phase, cause, where to look; report file kept; pod stays up',
    );
    const p = await startFailingPod(8, ['--simulate-crash', '--keep-after-failure']);
    try {
      await p.pod.waitForLine((l) => l.includes('keeping the pod alive after a failure'), 60_000);
      const lines = jsonLogLines(p.pod.stderr);
      const hint = lines.find((o) => String(o.msg).startsWith('what to look at:'));
      const report = JSON.parse(
        readFileSync(`/proc/${p.pid1}/root/run/kubevirt-private/vmpod/failure.json`, 'utf8'),
      ) as { phase: string; code: string; causes: string[] };
      await sleep(2000);
      const alive = p.pod.child.exitCode === null;
      r.observed = `phase ${String(hint?.phase)}, code ${report.code}, report kept, pod alive after the failure: ${alive}`;
      finish(r, () => {
        expect(hint).toMatchObject({ phase: 'simulate-crash', code: 'SIMULATED_CRASH' });
        expect(report).toMatchObject({ phase: 'simulate-crash', code: 'SIMULATED_CRASH' });
        expect(alive).toBe(true);
      });
    } finally {
      await p.sb.destroy();
    }
  });
});
