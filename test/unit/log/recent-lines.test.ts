import { openSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RecentLines, createLogger, forFile, levelFromText } from '../../../src/log/logger.js';
import { Ring } from '../../../src/log/ring.js';

describe('Ring', () => {
  it('keeps the last N items, oldest first, and counts all', () => {
    const r = new Ring<number>(3);
    expect(r.toArray()).toEqual([]);
    for (const i of [1, 2]) r.push(i);
    expect(r.toArray()).toEqual([1, 2]);
    for (const i of [3, 4, 5, 6, 7]) r.push(i);
    expect(r.toArray()).toEqual([5, 6, 7]);
    expect(r.total).toBe(7);
  });

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => new Ring(0)).toThrow(RangeError);
    expect(() => new Ring(1.5)).toThrow(RangeError);
  });
});

describe('RecentLines', () => {
  it('keeps warnings, errors and libvirt lines, and passes every line through unchanged', () => {
    const recent = new RecentLines(2, 2);
    const lines = [
      '{"level":"info","msg":"a"}\n',
      '{"level":"warning","msg":"b"}\n',
      '{"level":"error","msg":"c"}\n',
      '{"level":"fatal","msg":"d"}\n',
      '{"level":"info","subcomponent":"libvirt","msg":"e"}\n',
    ];
    for (const l of lines) expect(recent.tap(l)).toBe(l);
    expect(recent.problems.toArray()).toEqual(['{"level":"error","msg":"c"}', '{"level":"fatal","msg":"d"}']);
    expect(recent.libvirt.toArray()).toEqual(['{"level":"info","subcomponent":"libvirt","msg":"e"}']);
  });

  it('cuts very long lines', () => {
    const recent = new RecentLines();
    recent.tap(`{"level":"error","msg":"${'x'.repeat(10_000)}"}`);
    expect(recent.problems.toArray()[0]?.length).toBe(4096);
  });
});

describe('the launcher logger', () => {
  it("feeds RecentLines from every child's lines", () => {
    const recent = new RecentLines();
    const root = createLogger({ component: 'virt-launcher', verbosity: 2, recent, fd: devNull() });
    forFile(root.child({ subcomponent: 'libvirt' }), 'x.c').info('daemon says hi');
    forFile(root, 'a.ts').warn('careful');
    forFile(root, 'a.ts').info('fine');
    expect(recent.libvirt.toArray().map((l) => JSON.parse(l).msg)).toEqual(['daemon says hi']);
    expect(recent.problems.toArray().map((l) => JSON.parse(l).msg)).toEqual(['careful']);
  });

  it("changes every existing child's level when the root's changes", () => {
    const root = createLogger({ component: 'virt-launcher', verbosity: 2, fd: devNull() }).child({
      uid: 'u',
    });
    const file = forFile(root, 'a.ts');
    expect(file.isLevelEnabled('debug')).toBe(false);
    root.level = 'debug';
    expect(file.isLevelEnabled('debug')).toBe(true);
    expect(forFile(file, 'b.ts').isLevelEnabled('debug')).toBe(true);
    root.level = 'info';
    expect(file.isLevelEnabled('debug')).toBe(false);
  });
});

describe('levelFromText', () => {
  it.each([
    ['debug', 'debug'],
    ['DEBUG', 'debug'],
    ['warning', 'warn'],
    ['warn', 'warn'],
    ['error', 'error'],
    ['trace', 'trace'],
    ['2', 'info'],
    ['4', 'debug'],
    ['6', 'trace'],
    ['9', 'trace'],
  ])('%s is %s', (text, level) => expect(levelFromText(text)).toBe(level));

  it.each(['', 'loud', '10', '-1', 'silent'])('%s is not a level', (text) =>
    expect(levelFromText(text)).toBeUndefined(),
  );
});

function devNull(): number {
  // pino's sync destination wants an fd; /dev/null swallows the lines the tests do not read.
  return openSync('/dev/null', 'w');
}
