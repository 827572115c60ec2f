import { describe, expect, it } from 'vitest';
import { formatMac } from '../../../src/dhcp/ipv4.js';
import { decodeMessage, encodeMessage, optionData } from '../../../src/dhcp/message.js';
import { buildReply, prepareLease } from '../../../src/dhcp/reply-builder.js';
import { ACK, DISCOVER, LEASE, OFFER, REQUEST } from './helpers/fixtures.js';
import { hex } from './helpers/golden.js';

const prepared = prepareLease(LEASE);

function reply(request: Uint8Array) {
  const decision = buildReply(decodeMessage(request), prepared);
  if (decision.kind !== 'reply') throw new Error(`no reply: ${decision.reason}`);
  return decision;
}

describe('golden DHCP exchange', () => {
  it('decodes the DISCOVER field by field', () => {
    const m = decodeMessage(DISCOVER);
    expect(m).toMatchObject({ op: 1, htype: 1, hlen: 6, hops: 0, xid: 0x3903f326, flags: 0x8000 });
    expect(m.ciaddr).toBe('0.0.0.0');
    expect(formatMac(m.chaddr)).toBe('02:00:00:00:00:aa');
    expect(m.options.map((o) => o.code)).toEqual([53, 55, 61]);
    expect([...(optionData(m.options, 55) ?? [])]).toEqual([1, 3, 6, 15, 119, 121, 26]);
  });

  it('answers the DISCOVER with exactly the golden OFFER', () => {
    const r = reply(DISCOVER);
    expect(r.type).toBe('OFFER');
    expect(hex(encodeMessage(r.message))).toBe(hex(OFFER));
  });

  it('answers the REQUEST with exactly the golden ACK, options in the client’s order', () => {
    const r = reply(REQUEST);
    expect(r.type).toBe('ACK');
    expect(hex(encodeMessage(r.message))).toBe(hex(ACK));
  });

  it('decodes the golden OFFER and ACK back to what was encoded', () => {
    for (const [req, golden] of [
      [DISCOVER, OFFER],
      [REQUEST, ACK],
    ] as const) {
      const built = reply(req).message;
      const decoded = decodeMessage(golden);
      expect(decoded).toEqual({
        ...built,
        options: built.options.map((o) => ({ code: o.code, data: o.data })),
      });
      expect(hex(encodeMessage(decoded))).toBe(hex(golden));
    }
  });

  it('is byte-for-byte deterministic', () => {
    const first = hex(encodeMessage(reply(DISCOVER).message));
    const again = buildReply(decodeMessage(DISCOVER.slice()), prepareLease({ ...LEASE }));
    expect(again.kind === 'reply' && hex(encodeMessage(again.message))).toBe(first);
  });
});
