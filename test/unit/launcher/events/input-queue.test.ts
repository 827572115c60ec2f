import { describe, expect, it } from 'vitest';
import { InputQueue } from '../../../../src/launcher/events/input-queue.js';

describe('InputQueue', () => {
  it('holds 10 libvirt events and drops the 11th', () => {
    const q = new InputQueue<number>();
    for (let i = 0; i < 10; i++) expect(q.pushEvent(i)).toBe(true);
    expect(q.pushEvent(10)).toBe(false);
    expect(q.size).toBe(10);
  });

  it('merges a signal into one of its kind already waiting; signals take no event slot', async () => {
    const q = new InputQueue<string>(2);
    q.pushSignal('metadata');
    q.pushEvent('a');
    q.pushSignal('metadata');
    q.pushSignal('reconnect');
    q.pushSignal('agent');
    expect(q.pushEvent('b')).toBe(true);
    expect(q.pushEvent('c')).toBe(false);
    const order = [];
    while (q.size > 0) order.push(await q.next());
    expect(order).toEqual([
      { kind: 'metadata' },
      { kind: 'libvirt', event: 'a' },
      { kind: 'reconnect' },
      { kind: 'agent' },
      { kind: 'libvirt', event: 'b' },
    ]);
    expect(q.pushEvent('d')).toBe(true);
  });

  it('discards a waiting signal on request', async () => {
    const q = new InputQueue<string>();
    q.pushSignal('metadata');
    q.pushEvent('a');
    q.discardSignal('metadata');
    expect(await q.next()).toEqual({ kind: 'libvirt', event: 'a' });
  });

  it('wakes a waiting consumer, and ends it on close', async () => {
    const q = new InputQueue<string>();
    const first = q.next();
    q.pushEvent('x');
    expect(await first).toEqual({ kind: 'libvirt', event: 'x' });
    const second = q.next();
    q.close();
    expect(await second).toBeUndefined();
    expect(q.pushEvent('y')).toBe(false);
  });
});
