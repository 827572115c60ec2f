// Reading virConnectGetAllDomainStats typed parameters into KubeVirt's `<Field>Set`/`<Field>`
// pairs (§4.5). Pure.

export type StatValue = number | bigint | string | boolean;
export type StatParams = Readonly<Record<string, StatValue>>;

export type StatKind = 'number' | 'string';

function asNumber(v: StatValue): number {
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') return v;
  const n = Number(v);
  return Number.isFinite(n) ? n : 0;
}

/** Adds `<goName>Set` and `<goName>` to `out` from the parameter `key` (zero value when absent). */
export function setPair(
  out: Record<string, unknown>,
  goName: string,
  params: StatParams,
  key: string,
  kind: StatKind = 'number',
): void {
  const v = params[key];
  out[`${goName}Set`] = v !== undefined;
  out[goName] = kind === 'string' ? (v === undefined ? '' : String(v)) : v === undefined ? 0 : asNumber(v);
}

/** A struct of pairs: [Go field name, parameter key suffix] read under `prefix`. */
export function pairs(
  params: StatParams,
  prefix: string,
  fields: ReadonlyArray<readonly [string, string, StatKind?]>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [goName, key, kind] of fields) setPair(out, goName, params, `${prefix}${key}`, kind);
  return out;
}

/** More vCPUs, NICs or disks than any domain has (libvirt's own vCPU limit is 16384). */
export const MAX_GROUP_COUNT = 16_384;

/**
 * How many indexed entries a group has (`<group>.count`, or `vcpu.current` for vCPUs); when the
 * count is missing, one more than the highest index that carries any parameter.
 */
export function groupCount(params: StatParams, group: string, countKey: string): number {
  const declared = params[`${group}.${countKey}`];
  if (declared !== undefined) {
    // A corrupt count (2^32-1, Infinity) must not build billions of entries: every real entry
    // carries at least one parameter, so no genuine count exceeds the number of parameters.
    const n = Math.trunc(asNumber(declared));
    const bound = Math.min(MAX_GROUP_COUNT, Object.keys(params).length);
    return Number.isFinite(n) ? Math.min(Math.max(n, 0), bound) : 0;
  }
  const re = new RegExp(`^${group}\\.(\\d+)\\.`);
  let n = 0;
  for (const key of Object.keys(params)) {
    const m = re.exec(key);
    if (m?.[1] !== undefined) n = Math.max(n, Number(m[1]) + 1);
  }
  return n;
}
