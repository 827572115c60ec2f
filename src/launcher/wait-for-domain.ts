import { VmpodError, describeError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { type Domain, LifecycleEvent, type LibvirtClient } from '../libvirt/index.js';
import { TerminationSignal } from '../supervisor/termination.js';

// Step 14 of KubeVirt's start-up (KUBEVIRT.md §1.3.2): wait for a defined domain, re-checking on
// every DEFINED event and every 2 s (KubeVirt: 10 s; the early-exit check needs 2 s anyway), until --qemu-timeout. A termination signal ends the wait
// with no domain; the timeout is fatal, and so is the early-exit flag, looked at every 2 s.

const RECHECK_MS = 10_000;
const EARLY_EXIT_CHECK_MS = 2_000;

/** Set by SignalTargetPodCleanup (§1.4.2): its mere presence asks the launcher to leave. */
export const EARLY_EXIT_ENV = 'VIRT_LAUNCHER_TARGET_POD_EXIT_SIGNAL';
export const earlyExitRequested = (env: NodeJS.ProcessEnv = process.env) => env[EARLY_EXIT_ENV] !== undefined;

export async function waitForDomain(
  client: LibvirtClient,
  timeoutMs: number,
  abort: AbortSignal,
  log: Logger,
): Promise<Domain | undefined> {
  if (abort.aborted) return undefined;
  let wake: (() => void) | undefined;
  const sub = await client.subscribe('lifecycle', (e) => {
    if (e.event === LifecycleEvent.DEFINED) wake?.();
  });
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      if (earlyExitRequested()) {
        throw new VmpodError(
          'TARGET_POD_EXIT',
          `${EARLY_EXIT_ENV} is set: the target pod is being cleaned up`,
        );
      }
      let found: Domain | undefined;
      let recheckMs = RECHECK_MS;
      try {
        [found] = await client.listAllDomains();
      } catch (err) {
        // libvirt restarting: the client reconnects by itself; look again soon.
        log.warn({ reason: describeError(err) }, 'could not list domains; retrying');
        recheckMs = 1000;
      }
      if (found) {
        log.info({ domain: found.name, uuid: found.uuid }, 'domain defined');
        return found;
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new VmpodError(
          'DOMAIN_DEFINE_TIMEOUT',
          `timed out waiting for a domain to be defined (${timeoutMs} ms)`,
        );
      }
      const outcome = await new Promise<'check' | 'signal'>((resolve) => {
        const t = setTimeout(() => finish('check'), Math.min(recheckMs, left, EARLY_EXIT_CHECK_MS));
        const onAbort = () => finish('signal');
        function finish(how: 'check' | 'signal') {
          clearTimeout(t);
          abort.removeEventListener('abort', onAbort);
          wake = undefined;
          resolve(how);
        }
        wake = () => finish('check');
        if (abort.aborted) finish('signal');
        else abort.addEventListener('abort', onAbort, { once: true });
      });
      if (outcome === 'signal') {
        const reason: unknown = abort.reason;
        log.info(
          { signal: reason instanceof TerminationSignal ? reason.sig : undefined },
          'no domain: stopping',
        );
        return undefined;
      }
    }
  } finally {
    await sub.close().catch(() => undefined);
  }
}
