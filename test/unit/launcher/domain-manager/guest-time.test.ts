import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { VmpodError } from '../../../../src/errors.js';
import { syncGuestTime } from '../../../../src/launcher/domain-manager/guest-time.js';

const log = pino({ level: 'silent' });
const libvirtError = (code: string) => new VmpodError(code, code);

describe('setting the guest time after an unpause', () => {
  it('retries while the agent is unresponsive, then stops once set', async () => {
    const calls: [number, number][] = [];
    let failures = 2;
    const sync = syncGuestTime({
      setTime: async (s, ns) => {
        calls.push([s, ns]);
        if (failures-- > 0) throw libvirtError('LIBVIRT_AGENT_UNRESPONSIVE');
      },
      log,
      intervalMs: 2,
      now: () => 1_700_000_000_123,
    });
    expect(await sync.done).toBe('set');
    expect(calls).toHaveLength(3);
    expect(calls[0]).toEqual([1_700_000_000, 123_000_000]);
  });

  it.each(['LIBVIRT_ARGUMENT_UNSUPPORTED', 'LIBVIRT_OPERATION_UNSUPPORTED'])(
    'gives up at once on %s (no agent configured, or no support)',
    async (code) => {
      let calls = 0;
      const sync = syncGuestTime({
        setTime: async () => {
          calls++;
          throw libvirtError(code);
        },
        log,
        intervalMs: 1,
      });
      expect(await sync.done).toBe('unsupported');
      expect(calls).toBe(1);
    },
  );

  it('gives up at the deadline', async () => {
    let t = 0;
    const sync = syncGuestTime({
      setTime: async () => {
        t += 1000;
        throw libvirtError('LIBVIRT_AGENT_UNRESPONSIVE');
      },
      log,
      intervalMs: 1,
      deadlineMs: 5000,
      now: () => t,
    });
    expect(await sync.done).toBe('timeout');
  });

  it('can be cancelled', async () => {
    const sync = syncGuestTime({ setTime: async () => undefined, log, intervalMs: 10_000 });
    sync.cancel();
    expect(await sync.done).toBe('cancelled');
  });
});
