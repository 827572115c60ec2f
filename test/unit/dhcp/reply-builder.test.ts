import { describe, expect, it } from 'vitest';
import { type DhcpMessage, decodeMessage } from '../../../src/dhcp/message.js';
import { buildReply, prepareLease, replyDestination } from '../../../src/dhcp/reply-builder.js';
import { DISCOVER, LEASE, REQUEST } from './helpers/fixtures.js';

const prepared = prepareLease(LEASE);
const discover = decodeMessage(DISCOVER);

function withType(type: number, over: Partial<DhcpMessage> = {}): DhcpMessage {
  return {
    ...discover,
    ...over,
    options: [{ code: 53, data: Uint8Array.of(type) }, ...discover.options.filter((o) => o.code !== 53)],
  };
}

describe('reply builder (KUBEVIRT.md §8.3)', () => {
  it('offers for DISCOVER and acks REQUEST', () => {
    expect(buildReply(discover, prepared)).toMatchObject({ kind: 'reply', type: 'OFFER' });
    expect(buildReply(decodeMessage(REQUEST), prepared)).toMatchObject({ kind: 'reply', type: 'ACK' });
  });

  it('acks the configured address whatever the client asked for, and never NAKs', () => {
    const req = decodeMessage(REQUEST);
    const asked = {
      ...req,
      ciaddr: '192.0.2.9',
      options: [...req.options.filter((o) => o.code !== 50), { code: 50, data: Uint8Array.of(192, 0, 2, 9) }],
    };
    const r = buildReply(asked, prepared);
    expect(r).toMatchObject({
      kind: 'reply',
      type: 'ACK',
      message: { yiaddr: '10.244.1.7', ciaddr: '0.0.0.0' },
    });
  });

  it.each([
    [4, 'DECLINE'],
    [7, 'RELEASE'],
    [8, 'INFORM'],
    [2, 'OFFER'],
    [42, 'unknown'],
  ])('stays silent for message type %i (%s)', (type) => {
    expect(buildReply(withType(type), prepared).kind).toBe('ignore');
  });

  it('stays silent without a valid option 53', () => {
    expect(buildReply({ ...discover, options: [] }, prepared)).toMatchObject({ kind: 'ignore' });
    const twoBytes = { ...discover, options: [{ code: 53, data: Uint8Array.of(1, 1) }] };
    expect(buildReply(twoBytes, prepared)).toMatchObject({ kind: 'ignore' });
  });

  it('replies only to the guest MAC', () => {
    const foreign = { ...discover, chaddr: Uint8Array.of(2, 0, 0, 0, 0, 0xbb, ...new Uint8Array(10)) };
    const r = buildReply(foreign, prepared);
    expect(r).toEqual({
      kind: 'ignore',
      reason: 'client 02:00:00:00:00:bb is not the guest 02:00:00:00:00:aa',
    });
    expect(buildReply({ ...discover, hlen: 7 }, prepared).kind).toBe('ignore');
  });

  it('answers any client when the lease names none (masquerade)', () => {
    const anyone = prepareLease({ ...LEASE, clientMac: undefined });
    const foreign = { ...discover, chaddr: Uint8Array.of(2, 0, 0, 0, 0, 0xbb, ...new Uint8Array(10)) };
    expect(buildReply(foreign, anyone)).toMatchObject({ kind: 'reply', type: 'OFFER' });
  });

  it('ignores BOOTREPLY packets (another server on the bridge)', () => {
    expect(buildReply({ ...discover, op: 2 }, prepared).kind).toBe('ignore');
  });

  it('copies xid, flags, giaddr and chaddr; zeroes ciaddr, siaddr, secs, hops', () => {
    const relayed = { ...discover, giaddr: '192.0.2.1', hops: 1, secs: 9, flags: 0 };
    const r = buildReply(relayed, prepared);
    if (r.kind !== 'reply') throw new Error('expected a reply');
    expect(r.message).toMatchObject({
      op: 2,
      htype: 1,
      xid: discover.xid,
      flags: 0,
      giaddr: '192.0.2.1',
      hops: 0,
      secs: 0,
      ciaddr: '0.0.0.0',
      siaddr: '0.0.0.0',
      yiaddr: '10.244.1.7',
    });
    expect(r.message.chaddr).toEqual(discover.chaddr);
  });

  it('starts with 53, 54, 51, follows the request list, then the rest by code, each once', () => {
    const prl = { code: 55, data: Uint8Array.of(12, 51, 1, 12, 200) };
    const r = buildReply({ ...discover, options: [{ code: 53, data: Uint8Array.of(1) }, prl] }, prepared);
    if (r.kind !== 'reply') throw new Error('expected a reply');
    expect(r.message.options.map((o) => o.code)).toEqual([53, 54, 51, 12, 1, 3, 6, 15, 26, 119, 121]);
  });
});

describe('reply destination (KUBEVIRT.md §8.3)', () => {
  const src = { address: '10.244.1.7', port: 68 };
  it('broadcasts when the client has no address yet', () => {
    expect(replyDestination({ ...discover, flags: 0 }, { address: '0.0.0.0', port: 68 })).toEqual({
      address: '255.255.255.255',
      port: 68,
    });
  });
  it('broadcasts when the client sets the broadcast flag, to its source port', () => {
    expect(replyDestination({ ...discover, flags: 0x8000 }, { ...src, port: 1068 })).toEqual({
      address: '255.255.255.255',
      port: 1068,
    });
  });
  it('unicasts back to a client that has an address and no broadcast flag', () => {
    expect(replyDestination({ ...discover, flags: 0 }, src)).toEqual(src);
  });
});
