import { describeError, errorCode } from '../../errors.js';
import type { Logger } from '../../log/logger.js';

// After an unpause the guest's clock is behind by the pause: set it from the host's, through the
// guest agent (KUBEVIRT.md §4.3 UnpauseVirtualMachine). Tried every second for up to a minute,
// because the agent may need a moment to answer; given up at once when it can never work.

/** virDomainSetTime cannot work here: no agent channel configured, or no support at all. */
const HOPELESS = new Set(['LIBVIRT_ARGUMENT_UNSUPPORTED', 'LIBVIRT_OPERATION_UNSUPPORTED']);

export interface GuestTimeSync {
  /** Resolves when the loop ends: set, hopeless, or out of time. */
  readonly done: Promise<'set' | 'unsupported' | 'failed' | 'timeout' | 'cancelled'>;
  cancel(): void;
}

export function syncGuestTime(args: {
  readonly setTime: (seconds: number, nanoseconds: number) => Promise<void>;
  readonly log: Logger;
  readonly intervalMs?: number;
  readonly deadlineMs?: number;
  readonly now?: () => number;
}): GuestTimeSync {
  const intervalMs = args.intervalMs ?? 1000;
  const deadlineMs = args.deadlineMs ?? 60_000;
  const now = args.now ?? Date.now;
  const { log } = args;
  let timer: NodeJS.Timeout | undefined;
  let finish!: (how: 'set' | 'unsupported' | 'failed' | 'timeout' | 'cancelled') => void;
  let over = false;
  const done = new Promise<'set' | 'unsupported' | 'failed' | 'timeout' | 'cancelled'>((resolve) => {
    finish = (how) => {
      over = true;
      if (timer) clearTimeout(timer);
      resolve(how);
    };
  });
  const started = now();

  const attempt = async () => {
    if (over) return;
    const t = now();
    try {
      await args.setTime(Math.floor(t / 1000), (t % 1000) * 1_000_000);
      log.info('guest time synced with the host');
      finish('set');
      return;
    } catch (err) {
      const code = errorCode(err);
      if (code !== undefined && HOPELESS.has(code)) {
        log.warn({ reason: describeError(err) }, 'cannot set the guest time: no agent or no support');
        finish('unsupported');
        return;
      }
      if (code === undefined || !code.startsWith('LIBVIRT_')) {
        log.warn({ reason: describeError(err) }, 'failed to set the guest time');
        finish('failed');
        return;
      }
      log.debug({ reason: describeError(err) }, 'guest time not set yet');
    }
    if (over) return;
    if (now() - started + intervalMs > deadlineMs) {
      log.warn({ deadlineMs }, 'gave up setting the guest time');
      finish('timeout');
      return;
    }
    schedule();
  };
  const schedule = () => {
    timer = setTimeout(() => void attempt(), intervalMs);
    timer.unref();
  };
  schedule();
  return { done, cancel: () => !over && finish('cancelled') };
}
