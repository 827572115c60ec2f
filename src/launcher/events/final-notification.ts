// The final notification wait after QEMU is gone (KUBEVIRT.md §1.3.5): up to 15 s for the
// "domain gone" notification; if it did not come, kill the domain (idempotent, a missing domain is
// fine) and wait up to another 30 s; then go on regardless.
//
// In KubeVirt the second wait reads the same channel as the first, which only ever carries the
// first ADDED (consumed long before, by the wait for the domain) and the first "gone"
// notification; so both waits here are on `domainGone`.
import { describeError, errorCode } from '../../errors.js';
import type { Logger } from '../../log/logger.js';

export interface FinalNotificationTimings {
  firstMs: number;
  secondMs: number;
}

export const FINAL_NOTIFICATION_TIMINGS: FinalNotificationTimings = { firstMs: 15_000, secondMs: 30_000 };

export type FinalNotificationOutcome = 'sent' | 'sent-after-kill' | 'timed-out';

export async function waitForFinalNotification(
  p: { readonly domainGone: Promise<void> },
  kill: () => Promise<void>,
  log: Logger,
  timings: FinalNotificationTimings = FINAL_NOTIFICATION_TIMINGS,
): Promise<FinalNotificationOutcome> {
  const t0 = Date.now();
  log.info('Waiting on final notifications to be sent to virt-handler.');
  if (await within(p.domainGone, timings.firstMs)) {
    log.info({ waitedMs: Date.now() - t0 }, 'final notification sent');
    return 'sent';
  }
  log.info(
    { waitedMs: Date.now() - t0 },
    'no domain-gone notification yet: killing the domain and waiting once more',
  );
  try {
    await kill();
  } catch (err) {
    log.warn({ reason: describeError(err) }, 'killing the domain failed; waiting anyway');
  }
  if (await within(p.domainGone, timings.secondMs)) {
    log.info({ waitedMs: Date.now() - t0 }, 'final notification sent after kill');
    return 'sent-after-kill';
  }
  log.warn({ waitedMs: Date.now() - t0 }, 'final notification never sent; going on');
  return 'timed-out';
}

/** true when `p` settles within `ms`. */
function within(p: Promise<void>, ms: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    p.then(
      () => {
        clearTimeout(t);
        resolve(true);
      },
      () => {
        clearTimeout(t);
        resolve(true);
      },
    );
  });
}

/** VIR_DOMAIN_DESTROY_GRACEFUL */
const DESTROY_GRACEFUL = 1;
const ALREADY_DEAD = new Set(['LIBVIRT_NO_DOMAIN', 'LIBVIRT_OPERATION_INVALID']);

/** KubeVirt's KillVMI for step 2: destroy, where a missing or already stopped domain is success. */
export function domainKiller(domain: { destroy(flags?: number): Promise<void> }): () => Promise<void> {
  return async () => {
    try {
      await domain.destroy(DESTROY_GRACEFUL);
    } catch (err) {
      if (ALREADY_DEAD.has(errorCode(err) ?? '')) return;
      throw err;
    }
  };
}
