import { VmpodError, describeError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { type Domain, LifecycleEvent, type LibvirtClient } from '../libvirt/index.js';
import { TerminationSignal } from '../supervisor/termination.js';

// Step 14 of KubeVirt's start-up (KUBEVIRT.md §1.3.2): wait for a defined domain, re-checking on
// every DEFINED event and every 10 s, until --qemu-timeout. A termination signal ends the wait
// with no domain; the timeout is fatal.

const RECHECK_MS = 10_000;

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
        const t = setTimeout(() => finish('check'), Math.min(recheckMs, left));
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
