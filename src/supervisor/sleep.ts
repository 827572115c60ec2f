/** Waits `ms`, or rejects with the signal's reason as soon as `abort` fires. */
export function sleep(ms: number, abort?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (abort?.aborted) return reject(abort.reason);
    const onAbort = () => {
      clearTimeout(t);
      reject(abort?.reason);
    };
    const t = setTimeout(() => {
      abort?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    abort?.addEventListener('abort', onAbort, { once: true });
  });
}
