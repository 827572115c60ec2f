import { readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { VmpodError, errorCode } from '../../errors.js';

// `vmpod console`: the guest's serial console (qemu's unix socket, KubeVirt's
// /var/run/kubevirt-private/<vmi uid>/virt-serial0) on this terminal. With a TTY: raw mode, and
// Ctrl-] detaches, as telnet and virsh console do. Without one: a plain pipe both ways.

const PRIVATE = '/var/run/kubevirt-private';
/** Ctrl-] */
const DETACH = 0x1d;
/** Without a TTY, how long output is still read after stdin ended (`--linger`). */
const PIPE_LINGER_MS = 1000;

export function serialSocketPath(uid: string): string {
  return `${PRIVATE}/${uid}/virt-serial0`;
}

/** With no launcher to ask: the one VMI directory holding a serial socket, if exactly one does. */
export function findSerialSocket(dir: string = PRIVATE): string | undefined {
  let found: string[] = [];
  try {
    found = readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .flatMap((d) => {
        try {
          return readdirSync(`${dir}/${d.name}`).includes('virt-serial0')
            ? [`${dir}/${d.name}/virt-serial0`]
            : [];
        } catch {
          return [];
        }
      });
  } catch {
    return undefined;
  }
  return found.length === 1 ? found[0] : undefined;
}

export function attachConsole(
  path: string,
  io: { stdin: NodeJS.ReadStream; stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream },
  opts: { lingerMs?: number } = {},
): Promise<number> {
  return new Promise((resolve, reject) => {
    const tty = io.stdin.isTTY === true;
    const socket = connect(path);
    let done = false;
    const finish = (code: number) => {
      if (done) return;
      done = true;
      if (tty) io.stdin.setRawMode(false);
      io.stdin.pause();
      socket.destroy();
      resolve(code);
    };
    socket.on('error', (err) => {
      if (done) return;
      done = true;
      const code = errorCode(err);
      reject(
        new VmpodError(
          code === 'ENOENT' || code === 'ECONNREFUSED' ? 'CONSOLE_UNAVAILABLE' : 'CONSOLE_FAILED',
          `cannot attach to the serial console ${path}: ${err.message}`,
          { cause: err, facts: { socket: path } },
        ),
      );
    });
    socket.on('connect', () => {
      if (tty) {
        io.stderr.write(`attached to ${path}; detach with Ctrl-]\r\n`);
        io.stdin.setRawMode(true);
      }
      io.stdin.on('data', (chunk: Buffer) => {
        const at = tty ? chunk.indexOf(DETACH) : -1;
        if (at >= 0) {
          if (at > 0) socket.write(chunk.subarray(0, at));
          io.stderr.write('\r\ndetached\r\n');
          finish(0);
          return;
        }
        socket.write(chunk);
      });
      io.stdin.on('end', () => {
        if (!tty) setTimeout(() => finish(0), opts.lingerMs ?? PIPE_LINGER_MS);
      });
      io.stdin.resume();
      socket.pipe(io.stdout, { end: false });
    });
    socket.on('close', () => finish(0));
  });
}
