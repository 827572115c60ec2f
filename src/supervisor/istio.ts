import { request } from 'node:http';
import { errorCode } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { sleep } from './sleep.js';

// When an Istio sidecar shares the pod, the monitor asks envoy to quit so the pod can complete
// (KUBEVIRT.md §1.2.2 step 6). Nothing listening on the health port means there is no sidecar,
// so a refused connection ends the check at once instead of retrying for eight seconds.

const BACKOFF_MS = [50, 250, 1250, 6250];

export async function terminateIstioProxy(log: Logger): Promise<void> {
  const ready = await withRetries(
    () => httpCall('GET', 15021, '/healthz/ready'),
    (r) => r.kind === 'reset',
  );
  if (ready.kind !== 'response' || ready.server !== 'envoy') return;
  log.info('istio sidecar found: asking envoy to quit');
  const quit = await withRetries(
    () => httpCall('POST', 15020, '/quitquitquit'),
    (r) => r.kind === 'reset' || r.kind === 'refused' || (r.kind === 'response' && r.status === 503),
  );
  if (quit.kind !== 'response' || quit.status >= 300)
    log.warn({ result: quit }, 'envoy did not confirm quitting');
}

type CallResult =
  | { kind: 'response'; status: number; server: string | undefined }
  | { kind: 'refused' }
  | { kind: 'reset' }
  | { kind: 'failed'; code: string | undefined };

async function withRetries(call: () => Promise<CallResult>, retry: (r: CallResult) => boolean) {
  let r = await call();
  for (const wait of BACKOFF_MS) {
    if (!retry(r)) return r;
    await sleep(wait);
    r = await call();
  }
  return r;
}

function httpCall(method: 'GET' | 'POST', port: number, path: string): Promise<CallResult> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, method, timeout: 2000 }, (res) => {
      res.resume();
      const server = res.headers.server;
      resolve({
        kind: 'response',
        status: res.statusCode ?? 0,
        server: typeof server === 'string' ? server : undefined,
      });
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', (err) => {
      const code = errorCode(err);
      if (code === 'ECONNREFUSED') resolve({ kind: 'refused' });
      else if (code === 'ECONNRESET') resolve({ kind: 'reset' });
      else resolve({ kind: 'failed', code });
    });
    req.end();
  });
}
