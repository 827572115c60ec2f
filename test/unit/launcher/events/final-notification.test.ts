import { describe, expect, it } from 'vitest';
import { VmpodError } from '../../../../src/errors.js';
import {
  domainKiller,
  waitForFinalNotification,
} from '../../../../src/launcher/events/final-notification.js';
import { silentLog } from './helpers/fakes.js';

const timings = { firstMs: 60, secondMs: 120 };

function gate(): { promise: Promise<void>; open: () => void } {
  let open: () => void = () => undefined;
  const promise = new Promise<void>((r) => {
    open = r;
  });
  return { promise, open };
}

describe('waitForFinalNotification (KUBEVIRT.md §1.3.5)', () => {
  it('returns as soon as the domain-gone notification is sent, without killing', async () => {
    const g = gate();
    let kills = 0;
    setTimeout(g.open, 10);
    const t0 = Date.now();
    const outcome = await waitForFinalNotification(
      { domainGone: g.promise },
      async () => {
        kills++;
      },
      silentLog,
      timings,
    );
    expect(outcome).toBe('sent');
    expect(kills).toBe(0);
    expect(Date.now() - t0).toBeLessThan(timings.firstMs);
  });

  it('kills after the first wait and returns when the notification follows', async () => {
    const g = gate();
    let killedAt = 0;
    const t0 = Date.now();
    const outcome = await waitForFinalNotification(
      { domainGone: g.promise },
      async () => {
        killedAt = Date.now() - t0;
        setTimeout(g.open, 10);
      },
      silentLog,
      timings,
    );
    expect(outcome).toBe('sent-after-kill');
    expect(killedAt).toBeGreaterThanOrEqual(timings.firstMs - 5);
    expect(Date.now() - t0).toBeLessThan(timings.firstMs + timings.secondMs);
  });

  it('gives up after both waits, even when the kill fails', async () => {
    let kills = 0;
    const t0 = Date.now();
    const outcome = await waitForFinalNotification(
      { domainGone: new Promise<void>(() => undefined) },
      async () => {
        kills++;
        throw new Error('libvirt is gone');
      },
      silentLog,
      timings,
    );
    const took = Date.now() - t0;
    expect(outcome).toBe('timed-out');
    expect(kills).toBe(1);
    expect(took).toBeGreaterThanOrEqual(timings.firstMs + timings.secondMs - 10);
    expect(took).toBeLessThan(timings.firstMs + timings.secondMs + 200);
  });
});

describe('domainKiller', () => {
  it('destroys gracefully; a missing or stopped domain is success; other errors fail', async () => {
    const flags: (number | undefined)[] = [];
    let error: Error | undefined;
    const kill = domainKiller({
      destroy: async (f) => {
        flags.push(f);
        if (error) throw error;
      },
    });
    await kill();
    error = new VmpodError('LIBVIRT_NO_DOMAIN', 'gone');
    await kill();
    error = new VmpodError('LIBVIRT_OPERATION_INVALID', 'domain is not running');
    await kill();
    error = new VmpodError('LIBVIRT_DISCONNECTED', 'no libvirt');
    await expect(kill()).rejects.toThrow('no libvirt');
    expect(flags).toEqual([1, 1, 1, 1]);
  });
});
