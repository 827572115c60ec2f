import { VmpodError } from '../../errors.js';
import { type Vmi, applyDefaults, parseVmiObject } from '../../vmi/index.js';

// The VMI inside a VMIRequest (KUBEVIRT.md §4.1, §4.3). Every VMI-taking call first decodes the
// JSON; only Sync needs the full, validated VMI. virt-freezer sends nothing but metadata.name and
// metadata.namespace, so the other calls need only those, and read the few other fields they use
// straight from the JSON.

/** KubeVirt's fixed in-band message for an unparseable vmiJson (§3.6). */
export const NO_VALID_VMI = 'No valid vmi object present in command server request';

export interface RequestVmi {
  readonly name: string;
  readonly namespace: string;
  /** Empty when the sender left it out (virt-freezer). */
  readonly uid: string;
  /** `<namespace>_<name>`. */
  readonly domainName: string;
  /** The decoded JSON, for the fields a call reads beyond the identity. */
  readonly raw: Readonly<Record<string, unknown>>;
}

export function domainNameFor(namespace: string, name: string): string {
  return `${namespace}_${name}`;
}

export function decodeRequestVmi(bytes: Uint8Array | undefined): RequestVmi {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes ?? new Uint8Array()));
  } catch (cause) {
    throw noValidVmi('vmiJson is not JSON', cause);
  }
  if (!isObject(raw)) throw noValidVmi('vmiJson is not a JSON object');
  const meta = raw.metadata;
  const name = isObject(meta) ? meta.name : undefined;
  if (typeof name !== 'string' || name === '') throw noValidVmi('metadata.name is missing');
  const namespace =
    isObject(meta) && typeof meta.namespace === 'string' && meta.namespace ? meta.namespace : 'default';
  const uid = isObject(meta) && typeof meta.uid === 'string' ? meta.uid : '';
  return { name, namespace, uid, domainName: domainNameFor(namespace, name), raw };
}

/** The full, validated and defaulted VMI (Sync); field-path errors from src/vmi pass through. */
export function fullVmi(req: RequestVmi): Vmi {
  return applyDefaults(parseVmiObject(req.raw));
}

/** VMI condition AgentConnected is True. */
export function agentConnected(raw: Readonly<Record<string, unknown>>): boolean {
  const conditions = at(raw, 'status', 'conditions');
  return (
    Array.isArray(conditions) &&
    conditions.some((c) => isObject(c) && c.type === 'AgentConnected' && c.status === 'True')
  );
}

/** spec.domain.features.acpi.enabled is explicitly false. */
export function acpiDisabled(raw: Readonly<Record<string, unknown>>): boolean {
  return at(raw, 'spec', 'domain', 'features', 'acpi', 'enabled') === false;
}

export function migrationTargetPod(raw: Readonly<Record<string, unknown>>): string | undefined {
  const pod = at(raw, 'status', 'migrationState', 'targetPod');
  return typeof pod === 'string' ? pod : undefined;
}

/** status.migrationState says a migration started and has neither completed nor failed. */
export function vmiMigrating(raw: Readonly<Record<string, unknown>>): boolean {
  const state = at(raw, 'status', 'migrationState');
  return isObject(state) && state.startTimestamp != null && state.completed !== true && state.failed !== true;
}

/**
 * Why this launcher must refuse a VMI, or undefined: a launcher started with --name/--namespace
 * serves only that VMI, and a launcher that has a domain serves only that domain.
 */
export function foreignVmiReason(
  vmi: Pick<RequestVmi, 'name' | 'namespace' | 'domainName'>,
  launcher: { readonly name: string; readonly namespace: string },
  existingDomain: string | undefined,
): string | undefined {
  const ours = `${vmi.namespace}/${vmi.name}`;
  if (
    (launcher.name !== '' && launcher.name !== vmi.name) ||
    (launcher.namespace !== '' && launcher.namespace !== vmi.namespace)
  ) {
    const theirs = `${launcher.namespace || '*'}/${launcher.name || '*'}`;
    return `VMI ${ours} is not the VMI of this launcher (${theirs})`;
  }
  if (existingDomain !== undefined && existingDomain !== vmi.domainName) {
    return `VMI ${ours} (domain ${vmi.domainName}) is not the VMI of this launcher: domain ${existingDomain} exists`;
  }
  return undefined;
}

function noValidVmi(detail: string, cause?: unknown): VmpodError {
  return new VmpodError('VMI_NO_VALID_OBJECT', NO_VALID_VMI, { cause, facts: { detail } });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function at(v: unknown, ...path: string[]): unknown {
  let cur = v;
  for (const key of path) {
    if (!isObject(cur)) return undefined;
    cur = cur[key];
  }
  return cur;
}
