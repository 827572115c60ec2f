import { domainStatsJson } from '../../src/domain/domain-json/domain-stats.js';
import * as connect from '../../src/libvirt/connect-procedures.js';
import * as domain from '../../src/libvirt/domain-procedures.js';
import { LibvirtError } from '../../src/libvirt/errors.js';
import { EVENT_DECODERS } from '../../src/libvirt/events.js';
import { Framer } from '../../src/libvirt/framer.js';
import {
  decodePacket,
  encodePacket,
  KEEPALIVE_PROGRAM,
  MessageStatus,
  MessageType,
  type PacketHeader,
  REMOTE_PROGRAM,
} from '../../src/libvirt/packet-header.js';
import type { Procedure } from '../../src/libvirt/procedure.js';
import * as qemu from '../../src/libvirt/qemu-procedures.js';
import { remoteError, uuidToString } from '../../src/libvirt/remote-types.js';
import * as stats from '../../src/libvirt/stats-procedures.js';
import { param, typedParamsToRecord } from '../../src/libvirt/typed-params.js';
import * as vcpuPin from '../../src/libvirt/vcpu-pin-procedures.js';
import { decode, encode } from '../../src/libvirt/xdr-types.js';
import { LIVE_STATS_PARAMS } from '../unit/domain/domain-json/fixtures.js';
import { below, prng, randomBytes, type Rng } from './harness.js';
import { fuzzSuite } from './suite.js';

// libvirtd's side of the RPC connection, as src/libvirt/rpc-connection.ts reads it: a byte stream
// split into frames (Framer), each frame's header (decodePacket), then the body: a reply through
// its procedure's typed decoder or remote_error (LibvirtError), an event through EVENT_DECODERS.
// Three decoders: the whole stream, a body alone against every typed reply/event decoder, and the
// bulk-stats reply through to KubeVirt's DomainStats JSON. XDR_*, LIBVIRT_FRAME_* only.

const procedures = [connect, domain, stats, qemu, vcpuPin]
  .flatMap((m) => Object.values(m))
  .filter((v): v is Procedure<unknown, unknown> => typeof v === 'object' && v !== null && 'procedure' in v);
const byNumber = new Map(procedures.map((p) => [`${p.program}/${p.procedure}`, p]));
const events = [...EVENT_DECODERS.entries()];

/** Random XDR-ish bytes: small words, short padded strings; decoded until one fits `decodeAs`. */
function validBody(rand: Rng, decodeAs: (b: Uint8Array) => unknown): Uint8Array | undefined {
  for (let attempt = 0; attempt < 4000; attempt++) {
    const words: number[] = [];
    for (let n = below(rand, 24); n > 0; n--) {
      const r = rand();
      if (r < 0.5) words.push(0, 0, 0, below(rand, 3));
      else if (r < 0.7)
        words.push(0, 0, 0, 4, 0x76, 0x64, 0x61, 0x30); // "vda0"
      else if (r < 0.8)
        words.push(...randomBytes(rand, 16)); // a UUID
      else words.push(0, 0, 0, below(rand, 8));
    }
    const body = Uint8Array.from(words);
    try {
      decodeAs(body);
      return body;
    } catch {
      // not this one
    }
  }
  return undefined;
}

const header = (
  procedure: number,
  type: MessageType,
  status: MessageStatus,
  program = REMOTE_PROGRAM,
): PacketHeader => ({
  program,
  version: 1,
  procedure,
  type,
  serial: 7,
  status,
});

const rand = prng(0x11b);
const error = encode(remoteError, {
  code: 42,
  domain: 10,
  message: "Domain not found: no domain with matching name 'default_vm'",
  level: 2,
  dom: { name: 'default_vm', uuid: new Uint8Array(16).fill(7), id: -1 },
  str1: 'x',
  str2: null,
  str3: null,
  int1: 0,
  int2: 0,
  net: null,
});
const replyBodies = procedures.flatMap((p) => {
  const body = validBody(rand, (b) => decode(p.ret, b));
  return body ? [{ p, body }] : [];
});
const eventBodies = events.flatMap(([no, d]) => {
  const body = validBody(rand, (b) => d.decode(b));
  return body ? [{ no, body }] : [];
});
const statsProc = connect.connectGetAllDomainStats;
const statsReply = encode(statsProc.ret, {
  retStats: [
    {
      dom: { name: 'default_vm', uuid: new Uint8Array(16).fill(1), id: 1 },
      params: Object.entries(LIVE_STATS_PARAMS).map(([k, v]) =>
        typeof v === 'string'
          ? param.string(k, v)
          : typeof v === 'bigint'
            ? param.ullong(k, v)
            : typeof v === 'boolean'
              ? param.boolean(k, v)
              : Number.isInteger(v)
                ? param.uint(k, v)
                : param.double(k, v),
      ),
    },
  ],
});

const packet = (h: ReturnType<typeof header>, body: Uint8Array) =>
  new Uint8Array(encodePacket(h, (w) => w.fixedOpaque(body, body.length)));

/** What the connection does with one frame (rpc-connection.ts onFrame/onReply/onMessage). */
function onFrame(frame: Uint8Array): void {
  const { header: h, body } = decodePacket(frame);
  if (h.type === MessageType.REPLY) {
    const proc = byNumber.get(`${h.program}/${h.procedure}`);
    if (!proc) return;
    if (h.status === MessageStatus.ERROR)
      void new LibvirtError(decode(remoteError, body, 'remote_error'), proc.name);
    else decode(proc.ret, body, proc.name);
  } else if (h.type === MessageType.MESSAGE && h.program !== KEEPALIVE_PROGRAM) {
    EVENT_DECODERS.get(h.procedure)?.decode(body);
  }
}

const frames = [
  ...replyBodies.map(({ p, body }) =>
    packet(header(p.procedure, MessageType.REPLY, MessageStatus.OK, p.program), body),
  ),
  ...eventBodies.map(({ no, body }) => packet(header(no, MessageType.MESSAGE, MessageStatus.OK), body)),
  packet(header(connect.connectGetAllDomainStats.procedure, MessageType.REPLY, MessageStatus.OK), statsReply),
  packet(header(domain.domainLookupByName.procedure, MessageType.REPLY, MessageStatus.ERROR), error),
  packet(header(1, MessageType.MESSAGE, MessageStatus.OK, KEEPALIVE_PROGRAM), new Uint8Array()),
];

fuzzSuite(() => ({
  name: 'libvirt-stream',
  // A few frames back to back, as one read may carry them.
  seeds: frames.map((f, i) => Uint8Array.from([...f, ...(frames[(i * 7 + 3) % frames.length] ?? [])])),
  dictionary: [
    Uint8Array.of(0x20, 0, 0x80, 0x86),
    Uint8Array.of(0, 0, 0, 1),
    Uint8Array.of(0, 0, 0, 2),
    Uint8Array.of(0, 0, 0, 0x1c),
  ],
  maxLength: 16 * 1024,
  run(input) {
    // The chunking is a function of the input, so a failure reproduces from the bytes alone.
    const framer = new Framer();
    let at = 0;
    let step = 1 + ((input[input.length - 1] ?? 0) % 61);
    while (at < input.length) {
      for (const frame of framer.push(input.subarray(at, at + step))) onFrame(frame);
      framer.retain();
      at += step;
      step = 1 + ((step * 31 + (input[at] ?? 0)) % 97);
    }
  },
}));

// --- a body alone, against every reply and event decoder ---

const bodyDecoders: ((b: Uint8Array) => unknown)[] = [
  ...procedures.map((p) => (b: Uint8Array) => decode(p.ret, b, p.name)),
  ...events.map(
    ([, d]) =>
      (b: Uint8Array) =>
        d.decode(b),
  ),
  (b) => new LibvirtError(decode(remoteError, b, 'remote_error')),
];

fuzzSuite(() => ({
  name: 'libvirt-bodies',
  // The first two bytes pick the decoder; the rest is the body.
  seeds: [
    ...replyBodies.map(({ body }, i) => Uint8Array.from([0, i, ...body])),
    ...eventBodies.map(({ body }, i) => Uint8Array.from([0, procedures.length + i, ...body])),
    Uint8Array.from([0, bodyDecoders.length - 1, ...error]),
  ],
  maxLength: 8 * 1024,
  run(input) {
    const which = (((input[0] ?? 0) << 8) | (input[1] ?? 0)) % bodyDecoders.length;
    bodyDecoders[which]?.(input.subarray(2));
  },
}));

// --- the bulk-stats reply through to DomainStats JSON (src/launcher/domain-manager/domain-stats.ts) ---

const aliases = new Map([
  ['vda', 'disk0'],
  ['tap0', 'default'],
]);

const COUNT_KEYS = ['net.count', 'block.count', 'vcpu.current', 'vcpu.maximum', 'net.0.name', 'block.1.name'];
const ODD_PARAMS = [
  param.uint('x', 0xffffffff),
  param.int('x', -1),
  param.int('x', 0x7fffffff),
  param.ullong('x', 2n ** 64n - 1n),
  param.llong('x', -(2n ** 63n)),
  param.double('x', Number.POSITIVE_INFINITY),
  param.double('x', Number.NaN),
  param.double('x', 1e300),
  param.double('x', 2.5),
  param.string('x', '1e12'),
  param.string('x', '__proto__'),
  param.boolean('x', true),
  param.uint('x', 3),
];

/** Re-encodes the reply with one parameter's name or value changed (counts above all). */
function mutateStats(r: Rng, seed: Uint8Array): Uint8Array {
  let reply: ReturnType<typeof statsProc.ret.read>;
  try {
    reply = decode(statsProc.ret, seed);
  } catch {
    return seed;
  }
  for (const record of reply.retStats) {
    for (let n = 1 + below(r, 3); n > 0 && record.params.length > 0; n--) {
      const i = below(r, record.params.length);
      const old = record.params[i];
      if (!old) continue;
      const odd = ODD_PARAMS[below(r, ODD_PARAMS.length)] ?? old;
      const field = r() < 0.6 ? (COUNT_KEYS[below(r, COUNT_KEYS.length)] ?? old.field) : old.field;
      record.params[i] = r() < 0.8 ? { field, value: odd.value } : { field: '__proto__', value: old.value };
    }
  }
  return new Uint8Array(encode(statsProc.ret, reply));
}

/** A one-record stats reply with these parameters. */
const statsWith = (...params: ReturnType<typeof param.uint>[]) =>
  new Uint8Array(
    encode(statsProc.ret, {
      retStats: [{ dom: { name: 'default_vm', uuid: new Uint8Array(16), id: 1 }, params }],
    }),
  );

fuzzSuite(() => ({
  name: 'libvirt-domain-stats',
  seeds: [statsReply],
  mutators: [mutateStats],
  regressions: [
    // A count taken as is once built an array of that many entries: minutes, then out of memory.
    { name: 'block.count 2^32-1', input: statsWith(param.uint('block.count', 0xffffffff)), maxMs: 1000 },
    {
      name: 'net.count Infinity',
      input: statsWith(param.double('net.count', Number.POSITIVE_INFINITY)),
      maxMs: 1000,
    },
    {
      name: 'vcpu.current 2^64-1',
      input: statsWith(param.ullong('vcpu.current', 2n ** 64n - 1n)),
      maxMs: 1000,
    },
    { name: 'net.count "1e12"', input: statsWith(param.string('net.count', '1e12')), maxMs: 1000 },
  ],
  dictionary: ['net.count', 'block.count', 'vcpu.current', 'block.0.name', 'vcpu.0.time'].map((k) =>
    Uint8Array.from([0, 0, 0, k.length, ...Buffer.from(k.padEnd(Math.ceil(k.length / 4) * 4, '\0'))]),
  ),
  maxLength: 32 * 1024,
  run(input) {
    const { retStats } = decode(statsProc.ret, input, statsProc.name);
    for (const record of retStats) {
      JSON.stringify(
        domainStatsJson({
          name: record.dom.name,
          uuid: uuidToString(record.dom.uuid),
          params: typedParamsToRecord(record.params),
          memoryStats: new Map([[4, 1024n]]),
          aliases,
        }),
      );
    }
  },
}));
