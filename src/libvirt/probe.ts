import { createConnection } from 'node:net';
import { VmpodError } from '../errors.js';

// "Does libvirt answer?": connect to the daemon's socket and open a connection with one
// REMOTE_PROC_CONNECT_OPEN call. Used to gate start-up before the full client takes over.

const REMOTE_PROGRAM = 0x20008086;
const REMOTE_PROTOCOL_VERSION = 1;
const PROC_CONNECT_OPEN = 1;
const TYPE_CALL = 0;
const STATUS_OK = 0;

/** The call packet: length, header, then remote_connect_open_args { remote_string name; int flags }. */
export function connectOpenPacket(uri: string, serial: number): Buffer {
  const name = Buffer.from(uri, 'utf8');
  const padded = Math.ceil(name.length / 4) * 4;
  const body = Buffer.alloc(4 + 4 + padded + 4);
  body.writeUInt32BE(1, 0); // optional string present
  body.writeUInt32BE(name.length, 4);
  name.copy(body, 8);
  body.writeInt32BE(0, 8 + padded); // flags
  const header = Buffer.alloc(28);
  header.writeUInt32BE(28 + body.length, 0);
  header.writeUInt32BE(REMOTE_PROGRAM, 4);
  header.writeUInt32BE(REMOTE_PROTOCOL_VERSION, 8);
  header.writeInt32BE(PROC_CONNECT_OPEN, 12);
  header.writeInt32BE(TYPE_CALL, 16);
  header.writeUInt32BE(serial, 20);
  header.writeInt32BE(STATUS_OK, 24);
  return Buffer.concat([header, body]);
}

/** Resolves when libvirt opened `uri` on `socketPath`; rejects with a typed error otherwise. */
export function probeLibvirt(socketPath: string, uri: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock = createConnection(socketPath);
    let buf = Buffer.alloc(0);
    const fail = (code: string, message: string, cause?: unknown) => {
      sock.destroy();
      reject(new VmpodError(code, message, { cause, facts: { socket: socketPath, uri } }));
    };
    sock.setTimeout(timeoutMs, () =>
      fail('LIBVIRT_TIMEOUT', `libvirt did not answer within ${timeoutMs} ms`),
    );
    sock.once('error', (err) => fail('LIBVIRT_UNREACHABLE', `cannot reach libvirt at ${socketPath}`, err));
    sock.once('connect', () => sock.write(connectOpenPacket(uri, 1)));
    sock.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length < 28) return;
      const len = buf.readUInt32BE(0);
      if (len < 28 || len > 4 * 1024 * 1024) return fail('LIBVIRT_BAD_PACKET', `bad reply length ${len}`);
      if (buf.length < len) return;
      const status = buf.readInt32BE(24);
      sock.destroy();
      if (status === STATUS_OK) resolve();
      else
        reject(new VmpodError('LIBVIRT_ERROR', `libvirt refused to open ${uri}`, { facts: { uri, status } }));
    });
    sock.once('close', () => fail('LIBVIRT_DISCONNECTED', 'libvirt closed the connection before answering'));
  });
}
