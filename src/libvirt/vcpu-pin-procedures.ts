// virDomainGetVcpuPinInfo (remote_protocol.x, REMOTE_PROC_DOMAIN_GET_VCPU_PIN_INFO) and the
// decoding of its packed CPU maps into one boolean row per vCPU. Pure but for the one RPC call.
import type { CallOptions, RpcCaller } from './procedure.js';
import { remoteProc } from './procedure.js';
import { type DomainRef, nonnullDomain } from './remote-types.js';
import { int, opaque, struct, uint } from './xdr-types.js';

/** REMOTE_CPUMAPS_MAX: the largest packed map array a reply may carry. */
export const REMOTE_CPUMAPS_MAX = 8_388_608;
/** REMOTE_VCPUINFO_MAX: the most vCPUs one call may ask about. */
export const REMOTE_VCPUINFO_MAX = 16_384;

export const domainGetVcpuPinInfo = remoteProc(
  'DOMAIN_GET_VCPU_PIN_INFO',
  230,
  struct({ dom: nonnullDomain, ncpumaps: int, maplen: int, flags: uint }),
  struct({ cpumaps: opaque(REMOTE_CPUMAPS_MAX), num: int }),
);

/** Bytes per vCPU map for `maxCpus` host CPUs (VIR_CPU_MAPLEN). */
export function cpuMapLen(maxCpus: number): number {
  return Math.ceil(maxCpus / 8);
}

/** Unpacks `rows` maps of `maplen` bytes into `maxCpus` booleans each (bit i of byte i/8, LSB first). */
export function unpackCpuMaps(maps: Uint8Array, rows: number, maxCpus: number): boolean[][] {
  const maplen = cpuMapLen(maxCpus);
  const out: boolean[][] = [];
  for (let v = 0; v < rows; v++) {
    const row: boolean[] = [];
    for (let c = 0; c < maxCpus; c++) row.push(((maps[v * maplen + (c >> 3)] ?? 0) & (1 << (c & 7))) !== 0);
    out.push(row);
  }
  return out;
}

/**
 * The pinning of each vCPU: row i is vCPU i, column j says whether it may run on host CPU j.
 * `vcpus` is how many vCPUs to ask about, `maxCpus` the host's CPU count; flags are
 * VIR_DOMAIN_AFFECT_* (0 = current).
 */
export async function vcpuPinInfo(
  rpc: RpcCaller,
  dom: DomainRef,
  vcpus: number,
  maxCpus: number,
  flags = 0,
  options?: CallOptions,
): Promise<boolean[][]> {
  const ncpumaps = Math.min(Math.max(0, vcpus), REMOTE_VCPUINFO_MAX);
  const maplen = cpuMapLen(maxCpus);
  const ret = await rpc.call(domainGetVcpuPinInfo, { dom, ncpumaps, maplen, flags }, options);
  const rows = Math.max(0, Math.min(ret.num, ncpumaps, Math.floor(ret.cpumaps.length / Math.max(1, maplen))));
  return unpackCpuMaps(ret.cpumaps, rows, maxCpus);
}
