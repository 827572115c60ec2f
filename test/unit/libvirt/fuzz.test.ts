// Seeded fuzzing: random bytes through every decoder, and valid streams split at random points.
// A failure prints its seed; rerun with that seed to reproduce.
import { describe, expect, it } from 'vitest';
import { VmpodError } from '../../../src/errors.js';
import * as connect from '../../../src/libvirt/connect-procedures.js';
import * as domain from '../../../src/libvirt/domain-procedures.js';
import { EVENT_DECODERS } from '../../../src/libvirt/events.js';
import { Framer } from '../../../src/libvirt/framer.js';
import {
  MessageStatus,
  MessageType,
  REMOTE_PROGRAM,
  decodePacket,
  encodePacket,
} from '../../../src/libvirt/packet-header.js';
import type { Procedure } from '../../../src/libvirt/procedure.js';
import * as qemu from '../../../src/libvirt/qemu-procedures.js';
import { remoteError } from '../../../src/libvirt/remote-types.js';
import * as stats from '../../../src/libvirt/stats-procedures.js';
import { param, typedParams } from '../../../src/libvirt/typed-params.js';
import { decode, encode } from '../../../src/libvirt/xdr-types.js';
import { prng, randomBytes } from './helpers/hex.js';

const ITERATIONS = 1000;
const SEED = 0x5eed;

const procedures = [connect, domain, stats, qemu]
  .flatMap((m) => Object.values(m))
  .filter((v): v is Procedure<unknown, unknown> => typeof v === 'object' && v !== null && 'procedure' in v);

function totally(fn: () => unknown, seed: number): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof VmpodError)) throw new Error(`seed ${seed}: untyped error ${String(err)}`);
    expect(err.code, `seed ${seed}`).toMatch(/^(XDR_|LIBVIRT_FRAME_)/);
  }
}

describe('fuzz: random bytes never crash a decoder', () => {
  it('covers every procedure’s args and reply, every event, remote_error and the packet header', () => {
    const decoders: ((b: Uint8Array) => unknown)[] = [
      (b) => decodePacket(b),
      (b) => decode(remoteError, b),
      (b) => decode(typedParams(1 << 20), b),
      ...[...EVENT_DECODERS.values()].map((d) => (b: Uint8Array) => d.decode(b)),
      ...procedures.flatMap((p) => [
        (b: Uint8Array) => decode(p.args, b),
        (b: Uint8Array) => decode(p.ret, b),
      ]),
    ];
    expect(procedures.length).toBeGreaterThan(35);
    const rand = prng(SEED);
    for (let i = 0; i < ITERATIONS; i++) {
      const seed = SEED + i;
      const bytes = randomBytes(rand, Math.floor(rand() * 96));
      // Bias towards small counts and lengths so decoders get past the first field.
      if (bytes.length >= 4 && rand() < 0.5) bytes.writeUInt32BE(Math.floor(rand() * 8), 0);
      for (const d of decoders) totally(() => d(bytes), seed);
    }
  });

  it('mutated valid typed-parameter lists give values or typed errors', () => {
    const valid = encode(typedParams(64), [
      param.string('block.0.name', 'vda'),
      param.ullong('cpu.time', 5n),
    ]);
    const rand = prng(SEED + 1);
    for (let i = 0; i < ITERATIONS; i++) {
      const copy = Buffer.from(valid);
      copy[Math.floor(rand() * copy.length)] = Math.floor(rand() * 256);
      totally(() => decode(typedParams(64), copy), SEED + 1 + i);
    }
  });
});

describe('fuzz: valid streams split at random points', () => {
  it('always reassemble into the same messages', () => {
    const rand = prng(SEED + 2);
    for (let round = 0; round < 300; round++) {
      const messages = Array.from({ length: 1 + Math.floor(rand() * 6) }, (_, serial) =>
        encodePacket(
          {
            program: REMOTE_PROGRAM,
            version: 1,
            procedure: 23,
            type: MessageType.REPLY,
            serial,
            status: MessageStatus.OK,
          },
          (w) => w.string('x'.repeat(Math.floor(rand() * 300)), 1 << 20),
        ),
      );
      const stream = Buffer.concat(messages);
      const framer = new Framer();
      const out: Uint8Array[] = [];
      let at = 0;
      while (at < stream.length) {
        const n = 1 + Math.floor(rand() * 64);
        out.push(...framer.push(stream.subarray(at, at + n)));
        at += n;
      }
      expect(
        out.map((f) => Buffer.from(f).toString('hex')),
        `round ${round}`,
      ).toEqual(messages.map((m) => m.toString('hex')));
    }
  });

  it('random garbage streams only ever produce frames or a typed framing error', () => {
    const rand = prng(SEED + 3);
    for (let round = 0; round < 500; round++) {
      const framer = new Framer();
      const stream = randomBytes(rand, Math.floor(rand() * 256));
      totally(() => {
        for (let at = 0; at < stream.length; at += 7) {
          for (const frame of framer.push(stream.subarray(at, at + 7)))
            totally(() => decodePacket(frame), round);
        }
      }, round);
    }
  });
});
