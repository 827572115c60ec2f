import { describe, expect, it } from 'vitest';
import type { Procedure } from '../../../src/libvirt/procedure.js';
import type { DomainRef } from '../../../src/libvirt/remote-types.js';
import {
  cpuMapLen,
  domainGetVcpuPinInfo,
  unpackCpuMaps,
  vcpuPinInfo,
} from '../../../src/libvirt/vcpu-pin-procedures.js';
import { decode, encode } from '../../../src/libvirt/xdr-types.js';

const dom: DomainRef = { name: 'ns_vm', uuid: new Uint8Array(16).fill(7), id: 1 };

describe('virDomainGetVcpuPinInfo', () => {
  it('is procedure 230 with args {dom, ncpumaps, maplen, flags} and reply {cpumaps, num}', () => {
    expect(domainGetVcpuPinInfo.procedure).toBe(230);
    const args = encode(domainGetVcpuPinInfo.args, { dom, ncpumaps: 2, maplen: 1, flags: 0 });
    // name (4 + 8 padded) + uuid 16 + id 4 + three ints 12
    expect(args.length).toBe(12 + 16 + 4 + 12);
    expect([...args.subarray(-12)]).toEqual([0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0]);
    const reply = Buffer.from([0, 0, 0, 2, 0b11, 0b10, 0, 0, 0, 0, 0, 2]);
    expect(decode(domainGetVcpuPinInfo.ret, reply)).toEqual({ cpumaps: new Uint8Array([3, 2]), num: 2 });
  });

  it('unpacks maps least significant bit first, one row per vCPU', () => {
    expect(cpuMapLen(1)).toBe(1);
    expect(cpuMapLen(8)).toBe(1);
    expect(cpuMapLen(9)).toBe(2);
    const rows = unpackCpuMaps(new Uint8Array([0b0000_0101, 0b1, 0b1000_0000, 0]), 2, 9);
    expect(rows).toEqual([
      [true, false, true, false, false, false, false, false, true],
      [false, false, false, false, false, false, false, true, false],
    ]);
  });

  it('asks for vcpus × maplen and keeps only the rows the server filled', async () => {
    const calls: unknown[] = [];
    const rpc = {
      call: async <A, R>(proc: Procedure<A, R>, args: A): Promise<R> => {
        calls.push({ name: proc.name, args });
        return { cpumaps: new Uint8Array([0b01, 0b10, 0, 0]), num: 2 } as R;
      },
    };
    const map = await vcpuPinInfo(rpc, dom, 4, 2);
    expect(calls).toEqual([
      { name: 'DOMAIN_GET_VCPU_PIN_INFO', args: { dom, ncpumaps: 4, maplen: 1, flags: 0 } },
    ]);
    expect(map).toEqual([
      [true, false],
      [false, true],
    ]);
  });
});
