import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Libc } from '../../../src/native/libc.js';
import { watchProcessExit } from '../../../src/supervisor/process-exit.js';
import { captureLog } from '../../helpers/capture-log.js';

// The pidfd mechanism against an in-memory libc whose poll(2) completes when the test says so.

const POLLIN = 0x1;
const POLLNVAL = 0x20;

interface PendingPoll {
  fds: Buffer;
  nfds: number;
  timeoutMs: number;
  complete(result: number, pidfdRevents?: number, errno?: number): void;
}

class FakeLibc {
  pidfdResult = 40;
  pidfdErrno = 0;
  eventfdResult = 41;
  errnoNow = 0;
  readonly polls: PendingPoll[] = [];
  readonly closed: number[] = [];
  readonly writes: number[] = [];

  asLibc(): () => Libc {
    const poll = Object.assign(() => 0, {
      async: (...args: unknown[]) => {
        const [fds, nfds, timeoutMs, cb] = args as [Buffer, number, number, (e: unknown, r: number) => void];
        this.polls.push({
          fds,
          nfds,
          timeoutMs,
          complete: (result, pidfdRevents = 0, errno = 0) => {
            fds.writeInt16LE(pidfdRevents, 6);
            this.errnoNow = errno;
            cb(null, result);
            this.errnoNow = 0;
          },
        });
      },
    });
    const libc = {
      pidfd_open: () => {
        this.errnoNow = this.pidfdErrno;
        return this.pidfdResult;
      },
      eventfd: () => this.eventfdResult,
      write: (fd: number) => {
        this.writes.push(fd);
        // The wake-up ends the pending poll, as the kernel would.
        const p = this.polls.at(-1);
        queueMicrotask(() => p?.complete(1, 0));
        return 8;
      },
      close: (fd: number) => {
        this.closed.push(fd);
        return 0;
      },
      poll,
      errno: () => this.errnoNow,
    } as unknown as Libc;
    return () => libc;
  }
}

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function fakeProc(
  pid: number,
  state: string,
): Promise<{ root: string; set(state?: string): Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), 'vmpod-proc-'));
  dirs.push(root);
  const set = async (s?: string) => {
    if (s === undefined) await rm(join(root, String(pid)), { recursive: true, force: true });
    else {
      await mkdir(join(root, String(pid)), { recursive: true });
      await writeFile(join(root, String(pid), 'stat'), `${pid} (qemu-kvm) ${s} 1 ${pid} ${pid} 0 -1`);
    }
  };
  await set(state);
  return { root, set };
}

describe('watching a process exit through a pidfd', () => {
  it('resolves when the pidfd turns readable, and closes both fds', async () => {
    const fake = new FakeLibc();
    const { log } = captureLog();
    const w = watchProcessExit(123, { log, libc: fake.asLibc(), sliceMs: 2500 });
    expect(w.mechanism).toBe('pidfd');
    const p = fake.polls[0];
    expect(p).toMatchObject({ nfds: 2, timeoutMs: 2500 });
    expect(p?.fds.readInt32LE(0)).toBe(40);
    expect(p?.fds.readInt16LE(4)).toBe(POLLIN);
    expect(p?.fds.readInt32LE(8)).toBe(41);
    p?.complete(1, POLLIN);
    await expect(w.exited).resolves.toBe('exited');
    expect(fake.closed.sort()).toEqual([40, 41]);
  });

  it('re-arms the poll after a slice runs out or a signal interrupts it', async () => {
    const fake = new FakeLibc();
    const w = watchProcessExit(123, { log: captureLog().log, libc: fake.asLibc() });
    fake.polls[0]?.complete(0);
    fake.polls[1]?.complete(-1, 0, constants.errno.EINTR);
    expect(fake.polls).toHaveLength(3);
    expect(fake.closed).toEqual([]);
    fake.polls[2]?.complete(1, POLLIN);
    await expect(w.exited).resolves.toBe('exited');
  });

  it('treats a process already gone as exited at once', async () => {
    const fake = new FakeLibc();
    fake.pidfdResult = -1;
    fake.pidfdErrno = constants.errno.ESRCH;
    const w = watchProcessExit(123, { log: captureLog().log, libc: fake.asLibc() });
    await expect(w.exited).resolves.toBe('exited');
    expect(fake.polls).toHaveLength(0);
  });

  it('wakes the pending poll on close, and closes the fds only once it returned', async () => {
    const fake = new FakeLibc();
    const w = watchProcessExit(123, { log: captureLog().log, libc: fake.asLibc() });
    w.close();
    await expect(w.exited).resolves.toBe('closed');
    expect(fake.writes).toEqual([41]);
    await new Promise((r) => setImmediate(r));
    expect(fake.closed.sort()).toEqual([40, 41]);
    expect(fake.polls).toHaveLength(1);
  });

  it('rejects a pid that names no single process', () => {
    const fake = new FakeLibc();
    for (const pid of [0, -1, 1.5]) {
      expect(() => watchProcessExit(pid, { log: captureLog().log, libc: fake.asLibc() })).toThrow(
        expect.objectContaining({ code: 'INVALID_PID' }),
      );
    }
  });
});

describe('falling back to /proc', () => {
  it('says why when the kernel has no pidfd, then notices the exit in /proc', async () => {
    const fake = new FakeLibc();
    fake.pidfdResult = -1;
    fake.pidfdErrno = constants.errno.ENOSYS;
    const proc = await fakeProc(123, 'S');
    const { log, lines } = captureLog();
    const w = watchProcessExit(123, { log, libc: fake.asLibc(), procRoot: proc.root, pollMs: 5 });
    expect(w.mechanism).toBe('proc-poll');
    expect(lines).toContainEqual(
      expect.objectContaining({ mechanism: 'proc-poll', reason: 'pidfd_open: ENOSYS' }),
    );
    await proc.set(undefined);
    await expect(w.exited).resolves.toBe('exited');
  });

  it('counts a zombie as exited', async () => {
    const proc = await fakeProc(77, 'Z');
    const w = watchProcessExit(77, { log: captureLog().log, mechanism: 'proc-poll', procRoot: proc.root });
    await expect(w.exited).resolves.toBe('exited');
  });

  it('hands over from a pidfd that fails mid-way', async () => {
    const fake = new FakeLibc();
    const proc = await fakeProc(123, 'S');
    const { log, lines } = captureLog();
    const w = watchProcessExit(123, { log, libc: fake.asLibc(), procRoot: proc.root, pollMs: 5 });
    fake.polls[0]?.complete(1, POLLNVAL);
    expect(w.mechanism).toBe('proc-poll');
    expect(fake.closed.sort()).toEqual([40, 41]);
    expect(lines).toContainEqual(expect.objectContaining({ reason: 'poll: pidfd not valid' }));
    await proc.set('Z');
    await expect(w.exited).resolves.toBe('exited');
  });

  it('can be closed while polling', async () => {
    const proc = await fakeProc(9, 'S');
    const w = watchProcessExit(9, { log: captureLog().log, mechanism: 'proc-poll', procRoot: proc.root });
    w.close();
    await expect(w.exited).resolves.toBe('closed');
  });
});
