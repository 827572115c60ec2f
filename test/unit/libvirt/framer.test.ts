import { describe, expect, it } from 'vitest';
import { FRAME_MAX, Framer } from '../../../src/libvirt/framer.js';
import {
  MessageStatus,
  MessageType,
  REMOTE_PROGRAM,
  encodePacket,
} from '../../../src/libvirt/packet-header.js';

function message(serial: number, payloadBytes: number): Buffer {
  return encodePacket(
    {
      program: REMOTE_PROGRAM,
      version: 1,
      procedure: 212,
      type: MessageType.REPLY,
      serial,
      status: MessageStatus.OK,
    },
    (w) => w.fixedOpaque(new Uint8Array(payloadBytes).fill(serial & 0xff), payloadBytes),
  );
}

describe('framer', () => {
  const stream = Buffer.concat([message(1, 8), message(2, 0), message(3, 1000)]);

  it('yields each message whole when given the stream in one chunk', () => {
    const frames = new Framer().push(stream);
    expect(frames.map((f) => Buffer.from(f).toString('hex'))).toEqual(
      [message(1, 8), message(2, 0), message(3, 1000)].map((m) => m.toString('hex')),
    );
  });

  it('copes with the stream split at every single byte', () => {
    const framer = new Framer();
    const frames: Uint8Array[] = [];
    for (let i = 0; i < stream.length; i++) frames.push(...framer.push(stream.subarray(i, i + 1)));
    expect(Buffer.concat(frames).equals(stream)).toBe(true);
    expect(frames).toHaveLength(3);
    expect(framer.pending).toBe(0);
  });

  it('copes with a split inside the length word', () => {
    const framer = new Framer();
    expect(framer.push(stream.subarray(0, 2))).toEqual([]);
    expect(framer.push(stream.subarray(2))).toHaveLength(3);
  });

  it('keeps a partial message intact when the caller reuses its read buffer (retain)', () => {
    const framer = new Framer();
    const readBuffer = Buffer.alloc(stream.length);
    const frames: string[] = [];
    for (let at = 0; at < stream.length; at += 100) {
      const n = Math.min(100, stream.length - at);
      stream.copy(readBuffer, 0, at, at + n);
      for (const f of framer.push(readBuffer.subarray(0, n))) frames.push(Buffer.from(f).toString('hex'));
      framer.retain();
      readBuffer.fill(0xee); // the next read overwrites everything
    }
    expect(frames).toEqual([message(1, 8), message(2, 0), message(3, 1000)].map((m) => m.toString('hex')));
  });

  it('rejects a length shorter than a header, and stays failed', () => {
    const framer = new Framer();
    expect(() => framer.push(Buffer.from([0, 0, 0, 27]))).toThrow(
      expect.objectContaining({
        code: 'LIBVIRT_FRAME_TOO_SHORT',
        facts: expect.objectContaining({ length: 27 }),
      }),
    );
    expect(() => framer.push(message(1, 0))).toThrow(
      expect.objectContaining({ code: 'LIBVIRT_FRAME_TOO_SHORT' }),
    );
  });

  it('rejects a length over libvirt’s maximum before buffering it', () => {
    const framer = new Framer();
    const len = Buffer.alloc(4);
    len.writeUInt32BE(FRAME_MAX + 1);
    expect(() => framer.push(len)).toThrow(expect.objectContaining({ code: 'LIBVIRT_FRAME_TOO_LONG' }));
  });

  it('accepts a message of exactly the maximum length (length word only checked)', () => {
    const framer = new Framer();
    const len = Buffer.alloc(4);
    len.writeUInt32BE(FRAME_MAX);
    expect(framer.push(len)).toEqual([]);
    expect(framer.pending).toBe(4);
  });
});
