// libvirt's RPC packet (virnetprotocol.x): a 4-byte big-endian length that counts itself, a 24-byte
// header, then the XDR payload. Pure.
import { VmpodError } from '../errors.js';
import { XdrReader } from './xdr-reader.js';
import { XdrWriter } from './xdr-writer.js';

export const REMOTE_PROGRAM = 0x2000_8086;
export const QEMU_PROGRAM = 0x2000_8087;
export const KEEPALIVE_PROGRAM = 0x6b65_6570;
export const PROTOCOL_VERSION = 1;

export const KEEPALIVE_PROC_PING = 1;
export const KEEPALIVE_PROC_PONG = 2;

export const LENGTH_SIZE = 4;
export const HEADER_SIZE = 24;
/** VIR_NET_MESSAGE_MAX: the largest message after the length word. */
export const MESSAGE_MAX = 16_777_216;

export const MessageType = {
  CALL: 0,
  REPLY: 1,
  MESSAGE: 2,
  STREAM: 3,
  CALL_WITH_FDS: 4,
  REPLY_WITH_FDS: 5,
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

export const MessageStatus = { OK: 0, ERROR: 1, CONTINUE: 2 } as const;
export type MessageStatus = (typeof MessageStatus)[keyof typeof MessageStatus];

const messageTypes = new Set<number>(Object.values(MessageType));
const messageStatuses = new Set<number>(Object.values(MessageStatus));

export interface PacketHeader {
  program: number;
  version: number;
  procedure: number;
  type: MessageType;
  serial: number;
  status: MessageStatus;
}

export interface Packet {
  header: PacketHeader;
  /** The payload bytes (a view into the frame). */
  body: Uint8Array;
}

export function readHeader(r: XdrReader): PacketHeader {
  r.push('program');
  const program = r.uint32();
  r.pop();
  r.push('version');
  const version = r.uint32();
  r.pop();
  r.push('procedure');
  const procedure = r.int32();
  r.pop();
  r.push('type');
  const type = r.enumValue(messageTypes) as MessageType;
  r.pop();
  r.push('serial');
  const serial = r.uint32();
  r.pop();
  r.push('status');
  const status = r.enumValue(messageStatuses) as MessageStatus;
  r.pop();
  return { program, version, procedure, type, serial, status };
}

export function writeHeader(w: XdrWriter, h: PacketHeader): void {
  w.uint32(h.program);
  w.uint32(h.version);
  w.int32(h.procedure);
  w.int32(h.type);
  w.uint32(h.serial);
  w.int32(h.status);
}

/** Decodes one complete frame (length word included, as the framer yields it). */
export function decodePacket(frame: Uint8Array): Packet {
  const r = new XdrReader(frame, 0, frame.length, 'header');
  r.push('length');
  const length = r.uint32();
  if (length !== frame.length) {
    throw new VmpodError(
      'LIBVIRT_FRAME_BAD_LENGTH',
      `length word says ${length}, frame has ${frame.length} bytes`,
      {
        facts: { length, frameLength: frame.length },
      },
    );
  }
  r.pop();
  const header = readHeader(r);
  return { header, body: frame.subarray(LENGTH_SIZE + HEADER_SIZE) };
}

/**
 * Encodes a whole packet: header then whatever `writeBody` writes, with the length patched in at
 * the end so the body is serialised once, straight into the outgoing buffer.
 */
export function encodePacket(
  header: PacketHeader,
  writeBody?: (w: XdrWriter) => void,
  sizeHint = 256,
): Buffer {
  const w = new XdrWriter(sizeHint);
  w.uint32(0);
  writeHeader(w, header);
  if (writeBody) {
    w.push('body');
    writeBody(w);
    w.pop();
  }
  const len = w.length;
  if (len - LENGTH_SIZE > MESSAGE_MAX) {
    throw new VmpodError('LIBVIRT_FRAME_TOO_LONG', `message of ${len} bytes exceeds libvirt's maximum`, {
      facts: { length: len, max: MESSAGE_MAX + LENGTH_SIZE },
    });
  }
  w.patchUint32(0, len);
  return w.finish();
}
