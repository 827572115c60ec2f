import { describe, expect, it } from 'vitest';
import { VmpodError } from '../../../src/errors.js';
import { decodeMessage, encodeMessage } from '../../../src/dhcp/message.js';
import { buildReply, prepareLease } from '../../../src/dhcp/reply-builder.js';
import { DISCOVER, LEASE } from './helpers/fixtures.js';
import { prng } from '../../helpers/prng.js';

function decodeError(bytes: Uint8Array): VmpodError {
  try {
    decodeMessage(bytes);
  } catch (err) {
    if (err instanceof VmpodError) return err;
    throw err;
  }
  throw new Error('decoded without error');
}

const withOptions = (...bytes: number[]) => Uint8Array.from([...DISCOVER.subarray(0, 240), ...bytes]);

describe('malformed and truncated packets', () => {
  it('rejects a packet shorter than 240 bytes (§8.3)', () => {
    const e = decodeError(DISCOVER.subarray(0, 239));
    expect(e.code).toBe('DHCP_MALFORMED');
    expect(e.facts).toEqual({ field: 'header', offset: 239 });
    expect(decodeError(new Uint8Array()).facts).toEqual({ field: 'header', offset: 0 });
  });

  it('rejects hlen over 16, naming the field and offset', () => {
    const bad = DISCOVER.slice();
    bad[2] = 17;
    expect(decodeError(bad).facts).toEqual({ field: 'hlen', offset: 3 });
  });

  it('rejects a wrong magic cookie', () => {
    const bad = DISCOVER.slice();
    bad[239] = 0;
    expect(decodeError(bad).facts).toEqual({ field: 'magic cookie', offset: 236 });
  });

  it('names an option whose length runs past the end', () => {
    expect(decodeError(withOptions(53, 1, 1, 12, 10, 0x61)).facts).toEqual({
      field: 'option 12 data',
      offset: 245,
    });
  });

  it('names an option cut before its length byte', () => {
    expect(decodeError(withOptions(53, 1, 1, 61)).facts).toEqual({ field: 'option 61 length', offset: 244 });
  });

  it('accepts options without an end marker and skips pads', () => {
    const m = decodeMessage(withOptions(0, 0, 53, 1, 1));
    expect(m.options).toEqual([{ code: 53, data: Uint8Array.of(1) }]);
  });

  it('reads overloaded options from file and sname (RFC 2132 §9.3)', () => {
    const bytes = withOptions(52, 1, 3, 255);
    bytes[108] = 53; // file field: option 53 = DISCOVER
    bytes[109] = 1;
    bytes[110] = 1;
    bytes[111] = 255;
    bytes[44] = 12; // sname field: option 12 = "x"
    bytes[45] = 1;
    bytes[46] = 0x78;
    const m = decodeMessage(bytes);
    expect(m.options.map((o) => o.code)).toEqual([52, 53, 12]);
    expect(decodeError(Object.assign(withOptions(52, 1, 1), { 108: 53, 109: 200 })).facts).toEqual({
      field: 'option 53 data',
      offset: 110,
    });
  });

  it('joins a split option (RFC 3396) and splits one over 255 bytes when encoding', () => {
    const long = new Uint8Array(300).fill(7);
    const m = { ...decodeMessage(DISCOVER), options: [{ code: 224, data: long }] };
    const bytes = encodeMessage(m);
    expect([bytes[240], bytes[241], bytes[240 + 2 + 255], bytes[240 + 2 + 255 + 1]]).toEqual([
      224, 255, 224, 45,
    ]);
    const back = decodeMessage(bytes);
    expect(back.options.map((o) => o.data.length)).toEqual([255, 45]);
  });
});

describe('fuzz', () => {
  const prepared = prepareLease(LEASE);
  const mustBeTotal = (bytes: Uint8Array, seed: number) => {
    let msg: ReturnType<typeof decodeMessage>;
    try {
      msg = decodeMessage(bytes);
    } catch (err) {
      if (!(err instanceof VmpodError) || err.code !== 'DHCP_MALFORMED') {
        throw new Error(`seed ${seed}: not a typed error: ${String(err)}`);
      }
      expect(typeof err.facts['field']).toBe('string');
      expect(typeof err.facts['offset']).toBe('number');
      return;
    }
    const r = buildReply(msg, prepared);
    if (r.kind === 'reply') decodeMessage(encodeMessage(r.message));
  };

  it('random bytes decode to a message or DHCP_MALFORMED, never a crash (seed 4541)', () => {
    const rand = prng(4541);
    for (let i = 0; i < 3000; i++) {
      const bytes = Uint8Array.from({ length: Math.floor(rand() * 600) }, () => Math.floor(rand() * 256));
      if (rand() < 0.5 && bytes.length >= 240) bytes.set([0x63, 0x82, 0x53, 0x63], 236);
      mustBeTotal(bytes, 4541);
    }
  });

  it('mutations and truncations of a valid DISCOVER never crash (seed 12615)', () => {
    const rand = prng(12615);
    for (let i = 0; i < 5000; i++) {
      const bytes = DISCOVER.slice(0, 240 + Math.floor(rand() * (DISCOVER.length - 239)));
      const flips = 1 + Math.floor(rand() * 8);
      for (let f = 0; f < flips; f++) {
        const at =
          rand() < 0.7 ? 240 + Math.floor(rand() * (bytes.length - 240)) : Math.floor(rand() * bytes.length);
        bytes[at] = Math.floor(rand() * 256);
      }
      mustBeTotal(bytes, 12615);
    }
  });
});
