// virDomainGetGuestInfo's typed parameters (as a field → value record) → snapshot parts. The field
// names are libvirt's: user.N.*, os.*, timezone.*, hostname, if.N.*, load.*. Total: a wrongly
// typed field is a VmpodError('AGENT_GUEST_INFO_MALFORMED') naming it; absent ones read as empty. Pure.
import type { InterfaceStatusJson, OsInfoJson } from '../../domain/domain-json/model.js';
import { VmpodError } from '../../errors.js';
import type { TypedParamScalar } from '../../libvirt/index.js';
import type { AgentLoad, AgentTimezone, AgentUser } from './snapshot.js';

/** VIR_DOMAIN_GUEST_INFO_* bits. */
export const GuestInfoType = {
  USERS: 1,
  OS: 2,
  TIMEZONE: 4,
  HOSTNAME: 8,
  FILESYSTEM: 16,
  DISKS: 32,
  INTERFACES: 64,
  LOAD: 128,
} as const;

export type GuestInfoParams = Readonly<Record<string, TypedParamScalar>>;

function malformed(field: string, detail: string): VmpodError {
  return new VmpodError('AGENT_GUEST_INFO_MALFORMED', `guest info field ${field}: ${detail}`, {
    facts: { field },
  });
}

function str(p: GuestInfoParams, field: string): string {
  const v = p[field];
  if (v === undefined) return '';
  if (typeof v !== 'string') throw malformed(field, 'not a string');
  return v;
}

function num(p: GuestInfoParams, field: string): number | undefined {
  const v = p[field];
  if (v === undefined) return undefined;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v !== 'number' || !Number.isFinite(v)) throw malformed(field, 'not a number');
  return v;
}

/** A `<prefix>.count` field: a non-negative integer no larger than sanity allows. */
function count(p: GuestInfoParams, field: string): number {
  const n = num(p, field) ?? 0;
  if (!Number.isInteger(n) || n < 0 || n > 65_536) throw malformed(field, `bad count ${n}`);
  return n;
}

export function osFromParams(p: GuestInfoParams): OsInfoJson {
  return {
    Name: str(p, 'os.name'),
    KernelRelease: str(p, 'os.kernel-release'),
    Version: str(p, 'os.version'),
    PrettyName: str(p, 'os.pretty-name'),
    VersionId: str(p, 'os.version-id'),
    KernelVersion: str(p, 'os.kernel-version'),
    Machine: str(p, 'os.machine'),
    Id: str(p, 'os.id'),
  };
}

export function hostnameFromParams(p: GuestInfoParams): string {
  return str(p, 'hostname');
}

export function timezoneFromParams(p: GuestInfoParams): AgentTimezone | undefined {
  const zone = str(p, 'timezone.name');
  const offset = num(p, 'timezone.offset');
  if (zone === '' && offset === undefined) return undefined;
  return { zone, offsetSeconds: offset ?? 0 };
}

export function usersFromParams(p: GuestInfoParams): AgentUser[] {
  const users: AgentUser[] = [];
  const n = count(p, 'user.count');
  for (let i = 0; i < n; i++) {
    const ms = num(p, `user.${i}.login-time`) ?? 0;
    users.push({
      userName: str(p, `user.${i}.name`),
      domain: str(p, `user.${i}.domain`),
      loginTime: ms / 1000,
    });
  }
  return users;
}

/** Interfaces as the domain status carries them: Ip is the first IPv4 address, else the first one. */
export function interfacesFromParams(p: GuestInfoParams): InterfaceStatusJson[] | null {
  if (p['if.count'] === undefined) return null;
  const out: InterfaceStatusJson[] = [];
  const n = count(p, 'if.count');
  for (let i = 0; i < n; i++) {
    const ips: string[] = [];
    let firstV4: string | undefined;
    const addrs = count(p, `if.${i}.addr.count`);
    for (let j = 0; j < addrs; j++) {
      const addr = str(p, `if.${i}.addr.${j}.addr`);
      if (addr === '') continue;
      ips.push(addr);
      if (firstV4 === undefined && str(p, `if.${i}.addr.${j}.type`) === 'ipv4') firstV4 = addr;
    }
    out.push({
      Mac: str(p, `if.${i}.hwaddr`),
      Ip: firstV4 ?? ips[0] ?? '',
      IPs: ips.length > 0 ? ips : null,
      InterfaceName: str(p, `if.${i}.name`),
    });
  }
  return out;
}

export function loadFromParams(p: GuestInfoParams): AgentLoad | undefined {
  const one = num(p, 'load.1m');
  if (one === undefined) return undefined;
  return { load1m: one, load5m: num(p, 'load.5m') ?? 0, load15m: num(p, 'load.15m') ?? 0 };
}
