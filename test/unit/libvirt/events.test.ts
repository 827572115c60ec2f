import { describe, expect, it } from 'vitest';
import { EVENT_DECODERS, EVENT_ID_OF } from '../../../src/libvirt/events.js';
import { nonnullDomain } from '../../../src/libvirt/remote-types.js';
import { param, typedParams } from '../../../src/libvirt/typed-params.js';
import { XdrWriter } from '../../../src/libvirt/xdr-writer.js';

const vm = { name: 'default_vmi', uuid: new Uint8Array(16).fill(7), id: 3 };

function body(build: (w: XdrWriter) => void): Buffer {
  const w = new XdrWriter();
  build(w);
  return Buffer.from(w.finish());
}

function decodeEvent(procedure: number, bytes: Uint8Array) {
  const decoder = EVENT_DECODERS.get(procedure);
  if (!decoder) throw new Error(`no decoder for ${procedure}`);
  return decoder.decode(bytes);
}

describe('domain event messages', () => {
  it('every subscribed kind has an event id and a decoder', () => {
    const kinds = new Set([...EVENT_DECODERS.values()].map((d) => d.kind));
    expect([...kinds].sort()).toEqual(Object.keys(EVENT_ID_OF).sort());
    expect(EVENT_ID_OF).toEqual({
      lifecycle: 0,
      reboot: 1,
      deviceRemoved: 15,
      agentLifecycle: 18,
      deviceAdded: 19,
      jobCompleted: 21,
      memoryDeviceSizeChange: 26,
    });
  });

  it('reboot (319): callbackID, then the legacy message', () => {
    const b = body((w) => {
      w.int32(2);
      nonnullDomain.write(w, vm);
    });
    expect(decodeEvent(319, b)).toEqual({ kind: 'reboot', callbackID: 2, domain: vm });
  });

  it('device removed (333): callbackID, then dom and alias', () => {
    const b = body((w) => {
      w.int32(3);
      nonnullDomain.write(w, vm);
      w.string('ua-disk1', 100);
    });
    expect(decodeEvent(333, b)).toEqual({
      kind: 'deviceRemoved',
      callbackID: 3,
      domain: vm,
      devAlias: 'ua-disk1',
    });
  });

  it('device added (354)', () => {
    const b = body((w) => {
      w.int32(4);
      nonnullDomain.write(w, vm);
      w.string('net1', 100);
    });
    expect(decodeEvent(354, b)).toEqual({ kind: 'deviceAdded', callbackID: 4, domain: vm, devAlias: 'net1' });
  });

  it('agent lifecycle (348): state CONNECTED, reason CHANNEL', () => {
    const b = body((w) => {
      w.int32(5);
      nonnullDomain.write(w, vm);
      w.int32(1);
      w.int32(2);
    });
    expect(decodeEvent(348, b)).toEqual({
      kind: 'agentLifecycle',
      callbackID: 5,
      domain: vm,
      state: 1,
      reason: 2,
    });
  });

  it('job completed (363): typed params, with operation and success picked out', () => {
    const params = [
      param.int('operation', 9),
      param.boolean('success', true),
      param.ullong('time_elapsed', 12n),
    ];
    const b = body((w) => {
      w.int32(6);
      nonnullDomain.write(w, vm);
      typedParams(64).write(w, params);
    });
    expect(decodeEvent(363, b)).toEqual({
      kind: 'jobCompleted',
      callbackID: 6,
      domain: vm,
      params,
      operation: 9,
      success: true,
    });
  });

  it('memory device size change (438): alias and size', () => {
    const b = body((w) => {
      w.int32(7);
      nonnullDomain.write(w, vm);
      w.string('virtiomem0', 100);
      w.uint64(1n << 30n);
    });
    expect(decodeEvent(438, b)).toEqual({
      kind: 'memoryDeviceSizeChange',
      callbackID: 7,
      domain: vm,
      alias: 'virtiomem0',
      size: 1n << 30n,
    });
  });

  it('a truncated event is a typed error naming the message', () => {
    const b = body((w) => w.int32(1));
    expect(() => decodeEvent(318, b)).toThrow(
      expect.objectContaining({
        code: 'XDR_TRUNCATED',
        facts: { path: 'DOMAIN_EVENT_CALLBACK_LIFECYCLE.msg.dom.name', offset: 4 },
      }),
    );
  });
});
