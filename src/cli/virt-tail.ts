import { open, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { parseFlags } from '../config/go-flags.js';
import { describeError } from '../errors.js';

// KubeVirt's virt-tail (KUBEVIRT.md §2.4, §10.2): the `guest-console-log` sidecar runs
// `virt-tail --logfile /var/run/kubevirt-private/<uid>/virt-serial0-log` and the kubelet collects
// its stdout, so `kubectl logs <pod> -c guest-console-log` shows the guest's serial console. It
// copies the file to stdout from its start and follows it (also across virtlogd's rotation, which
// renames the file and starts a new one), and ends with exit 0 on SIGTERM/SIGINT, or once the
// serial console's socket (`virt-serial0` beside the log) has existed and is gone: qemu has ended,
// so nothing more will be written. Whatever was written before the end is copied first.

const FLAGS = [
  { name: 'logfile', type: 'string', default: '' },
  { name: 'v', type: 'int', default: 2, shorthand: true },
] as const;

export interface TailOptions {
  readonly logfile: string;
  /** The serial console's unix socket; its disappearance means qemu is gone. */
  readonly socketPath: string;
  readonly write: (chunk: Uint8Array) => void | Promise<void>;
  /** Aborting ends the follow after a last read (SIGTERM). */
  readonly signal?: AbortSignal;
  readonly pollMs?: number;
}

/** `virt-serial0-log` → `virt-serial0`, in the same directory. */
export function serialSocketFor(logfile: string): string {
  const name = basename(logfile);
  return join(dirname(logfile), name.endsWith('-log') ? name.slice(0, -'-log'.length) : 'virt-serial0');
}

/** Copies `logfile` to `write` and follows it until the socket has come and gone, or `signal` aborts. */
export async function followLog(opts: TailOptions): Promise<void> {
  const pollMs = opts.pollMs ?? 250;
  let ino: number | undefined;
  let offset = 0;
  let socketSeen = false;
  const buf = Buffer.alloc(64 * 1024);

  const drain = async (): Promise<void> => {
    const st = await stat(opts.logfile).catch(() => undefined);
    if (!st) return;
    if (st.ino !== ino) {
      // A new file (first sight, or virtlogd rotated the old one away): copy it from its start.
      ino = st.ino;
      offset = 0;
    } else if (st.size < offset) {
      offset = 0; // truncated in place
    }
    if (st.size === offset) return;
    const fh = await open(opts.logfile, 'r').catch(() => undefined);
    if (!fh) return;
    try {
      for (;;) {
        const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
        if (bytesRead === 0) break;
        offset += bytesRead;
        await opts.write(Uint8Array.prototype.slice.call(buf, 0, bytesRead));
      }
    } finally {
      await fh.close();
    }
  };

  for (;;) {
    await drain();
    if (opts.signal?.aborted) return;
    const present = await stat(opts.socketPath).then(
      (s) => s.isSocket(),
      () => false,
    );
    if (present) socketSeen = true;
    else if (socketSeen) {
      await drain();
      return;
    }
    await sleep(pollMs, opts.signal);
  }
}

/** Runs virt-tail with its command-line arguments; resolves to the process exit code. */
export async function runVirtTail(argv: readonly string[]): Promise<number> {
  let logfile: string;
  try {
    logfile = parseFlags(FLAGS, argv).values.logfile as string;
  } catch (err) {
    process.stderr.write(`virt-tail: ${describeError(err)}\n`);
    return 2;
  }
  if (!logfile) {
    process.stderr.write('virt-tail: --logfile is required\n');
    return 2;
  }
  const ac = new AbortController();
  const stop = (): void => ac.abort();
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  try {
    await followLog({
      logfile,
      socketPath: serialSocketFor(logfile),
      signal: ac.signal,
      write: (chunk) =>
        new Promise<void>((resolve, reject) =>
          process.stdout.write(chunk, (err) => (err ? reject(err) : resolve())),
        ),
    });
    return 0;
  } catch (err) {
    process.stderr.write(`virt-tail: ${describeError(err)}\n`);
    return 1;
  } finally {
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}
