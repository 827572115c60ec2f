import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  guestPanicInfoJson,
  guestPanicMessage,
  lastPanicInLog,
  parsePanicLine,
} from '../../../../src/launcher/events/guest-panic.js';
import { readLastPanic } from '../../../../src/launcher/events/panic-log.js';

const HYPERV =
  "2024-09-30 16:30:49.506+0000: panic hyper-v: arg1='0x5a', arg2='0x1', arg3='0xfffff80000000000', arg4='0x0', arg5='0xdeadbeef'";

describe('parsePanicLine', () => {
  it('reads a hyper-v panic with five hex arguments', () => {
    expect(parsePanicLine(HYPERV)).toEqual({
      type: 'hyper-v',
      args: [0x5an, 1n, 0xfffff80000000000n, 0n, 0xdeadbeefn],
    });
  });

  it('reads the type and whatever arguments there are', () => {
    expect(parsePanicLine("panic s390: core='0' psw-mask='0x0' psw-addr='0x0' reason='x'")).toEqual({
      type: 's390',
      args: [0n, 0n, 0n, 0n, 0n],
    });
    expect(parsePanicLine('panic foo: arg2=0x10 arg7=0x1 arg3="0X2"')).toEqual({
      type: 'foo',
      args: [0n, 16n, 0n, 0n, 0n],
    });
  });

  it('ignores lines without a panic and values beyond 64 bits', () => {
    expect(parsePanicLine('2024-09-30 qemu started')).toBeUndefined();
    expect(parsePanicLine('panicked without colon')).toBeUndefined();
    expect(parsePanicLine("panic x: arg1='0x1ffffffffffffffff'")?.args[0]).toBe(0n);
  });
});

describe('lastPanicInLog', () => {
  it('takes the last panic line', () => {
    const log = ['start', 'panic first: arg1=0x1', 'noise', 'panic second: arg1=0x2', 'more noise', ''].join(
      '\n',
    );
    expect(lastPanicInLog(log)?.type).toBe('second');
    expect(lastPanicInLog('nothing here\n')).toBeUndefined();
  });
});

describe('guestPanicMessage and guestPanicInfoJson', () => {
  it('formats hyper-v arguments in hex', () => {
    const p = parsePanicLine(HYPERV);
    expect(guestPanicMessage(p)).toBe(
      "GuestPanicked: '0x5a', '0x1', '0xfffff80000000000', '0x0', '0xdeadbeef'",
    );
    expect(guestPanicInfoJson(p)).toMatchObject({ Type: 'hyper-v', Arg1: 0x5a, Arg2: 1, Arg5: 0xdeadbeef });
  });

  it('names other types, and says when details are unavailable', () => {
    expect(guestPanicMessage({ type: 's390', args: [0n, 0n, 0n, 0n, 0n] })).toBe('GuestPanicked: type=s390');
    expect(guestPanicMessage(undefined)).toBe('GuestPanicked (details unavailable)');
    expect(guestPanicInfoJson(undefined)).toEqual({
      Type: 'unknown',
      Arg1: 0,
      Arg2: 0,
      Arg3: 0,
      Arg4: 0,
      Arg5: 0,
    });
  });
});

describe('readLastPanic', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  function logFile(text: string): string {
    dir = mkdtempSync(join(tmpdir(), 'vmpod-panic-'));
    const path = join(dir, 'qemu.log');
    writeFileSync(path, text);
    return path;
  }

  it('finds a panic line that straddles a 4 KiB chunk boundary, far from the end', async () => {
    // The panic line ends 12 230 bytes before the end: it crosses the third chunk's start (12 288).
    const tail = `${'x'.repeat(12_229)}\n`;
    const head = `${'y'.repeat(50)}\n`.repeat(10);
    const path = logFile(`${head}panic old: arg1=0x1\n${'z'.repeat(4090)}${HYPERV}\n${tail}`);
    expect((await readLastPanic(path))?.type).toBe('hyper-v');
  });

  it('reads a first line without newline, and reports no panic as undefined', async () => {
    expect((await readLastPanic(logFile("panic only: arg1='0x7'")))?.args[0]).toBe(7n);
    expect(await readLastPanic(logFile('qemu started\n'))).toBeUndefined();
    expect(await readLastPanic(logFile(''))).toBeUndefined();
  });

  it('fails on a missing file', async () => {
    await expect(readLastPanic('/nonexistent/vmpod/qemu.log')).rejects.toThrow();
  });
});
