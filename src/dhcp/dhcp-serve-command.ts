import { networkInterfaces } from 'node:os';
import { parseFlags } from '../config/go-flags.js';
import { VmpodError } from '../errors.js';
import { createLogger, forFile } from '../log/logger.js';
import type { StaticRoute } from './classless-routes.js';
import { parseCidr, parseIpv4, parseMac } from './ipv4.js';
import { type Lease, longestDomain } from './lease.js';
import { startDhcpServer } from './server.js';

// `vmpod dhcp serve`: one lease on one interface until SIGTERM/SIGINT, every exchange logged as
// JSON. A troubleshooting tool, and how tests put real DHCP clients in front of the server.

export const DHCP_SERVE_USAGE = `usage: vmpod dhcp serve --interface IF --mac MAC --address CIDR [flags]

  --interface IF        serve only on this interface (the bridge)
  --mac MAC             answer only this client hardware address
  --address CIDR        the address and prefix handed out, e.g. 10.0.0.5/24
  --gateway IP          option 3
  --dns IP,…            option 6
  --search D,…          option 119 (invalid or overflowing domains are dropped with a warning)
  --domain D            option 15 (default: the longest search domain)
  --hostname H          option 12
  --mtu N               option 26
  --route "CIDR via IP" option 121, repeatable; also --route CIDR via IP. Clients that use
                        option 121 ignore option 3: add --route 0.0.0.0/0 via GW for a default route
  --tap IF              the guest's port of the bridge: broadcast replies leave only through it,
                        never flooding to the bridge's other ports (the pod's uplink)
  --server-id IP        option 54 (default: the interface's first IPv4 address)
  --lease-time SECONDS  option 51 (default 86313600, KubeVirt's 999 days)
  -v N                  log verbosity`;

const SPECS = [
  { name: 'interface', type: 'string', default: '' },
  { name: 'mac', type: 'string', default: '' },
  { name: 'address', type: 'string', default: '' },
  { name: 'gateway', type: 'string', default: '' },
  { name: 'dns', type: 'string', default: '' },
  { name: 'search', type: 'string', default: '' },
  { name: 'domain', type: 'string', default: '' },
  { name: 'hostname', type: 'string', default: '' },
  { name: 'mtu', type: 'uint', default: 0 },
  { name: 'server-id', type: 'string', default: '' },
  { name: 'tap', type: 'string', default: '' },
  { name: 'lease-time', type: 'uint', default: 86_313_600 },
  { name: 'port', type: 'uint', default: 67 },
  { name: 'v', type: 'int', default: 2, shorthand: true },
] as const;

export interface ServeConfig {
  readonly interfaceName: string;
  readonly tapName: string | undefined;
  readonly port: number;
  readonly verbosity: number;
  readonly lease: Lease;
}

/** argv (after `dhcp serve`) → what to serve; `interfaceAddress` finds the default server id. */
export function parseServeArgs(
  args: readonly string[],
  interfaceAddress: (name: string) => string | undefined,
): ServeConfig {
  const { rest, routes } = extractRoutes(args);
  const { values: v, positional } = parseFlags(SPECS, rest);
  if (positional.length > 0) usageError(`unexpected argument "${positional[0]}"`);
  const str = (name: string) => String(v[name] ?? '');
  const list = (name: string) =>
    str(name)
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  for (const required of ['interface', 'mac', 'address'])
    if (str(required) === '') usageError(`--${required} is required`);
  const cidr = parseCidr(str('address'));
  const interfaceName = str('interface');
  const serverId = str('server-id') || interfaceAddress(interfaceName);
  if (!serverId)
    usageError(`${interfaceName} has no IPv4 address to use as server identifier: give --server-id`);
  parseIpv4(serverId);
  const search = list('search');
  const mtu = Number(v['mtu']);
  const lease: Lease = {
    clientMac: parseMac(str('mac')),
    address: cidr.address,
    prefixLength: cidr.prefixLength,
    serverId,
    gateway: str('gateway') || undefined,
    dns: list('dns'),
    searchDomains: search,
    domainName: str('domain') || longestDomain(search),
    hostname: str('hostname') || undefined,
    mtu: mtu === 0 ? undefined : mtu,
    routes,
    leaseSeconds: Number(v['lease-time']),
  };
  return {
    interfaceName,
    tapName: str('tap') || undefined,
    port: Number(v['port']),
    verbosity: Number(v['v']),
    lease,
  };
}

// --route takes "CIDR via IP" as one argument or as three; pflag has no repeatable form of that.
function extractRoutes(args: readonly string[]): { rest: string[]; routes: StaticRoute[] } {
  const rest: string[] = [];
  const routes: StaticRoute[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg !== '--route' && !arg.startsWith('--route=')) {
      rest.push(arg);
      continue;
    }
    let words: string[];
    if (arg.startsWith('--route=')) {
      words = arg.slice('--route='.length).split(/\s+/).filter(Boolean);
    } else {
      words = (args[i + 1] ?? '').split(/\s+/).filter(Boolean);
      i++;
      if (words.length === 1 && args[i + 1] === 'via' && args[i + 2] !== undefined) {
        words.push('via', args[i + 2] as string);
        i += 2;
      }
    }
    const [dest, via, gw, ...extra] = words;
    if (
      dest === undefined ||
      extra.length > 0 ||
      (via !== undefined && (via !== 'via' || gw === undefined))
    ) {
      usageError(`--route wants "CIDR via IP" or "CIDR", got "${words.join(' ')}"`);
    }
    parseCidr(dest);
    if (gw !== undefined) parseIpv4(gw);
    routes.push({ destination: dest, gateway: gw });
  }
  return { rest, routes };
}

function usageError(msg: string): never {
  throw new VmpodError('FLAG_BAD_VALUE', msg);
}

export function firstIpv4(name: string): string | undefined {
  return networkInterfaces()[name]?.find((a) => a.family === 'IPv4')?.address;
}

/** Serves until SIGTERM or SIGINT, then returns 0; flag errors return 2. */
export async function runDhcpServe(args: readonly string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${DHCP_SERVE_USAGE}\n`);
    return 0;
  }
  let cfg: ServeConfig;
  try {
    cfg = parseServeArgs(args, firstIpv4);
  } catch (err) {
    if (!(err instanceof VmpodError) || (!err.code.startsWith('FLAG_') && !err.code.startsWith('DHCP_BAD')))
      throw err;
    process.stderr.write(`vmpod dhcp serve: ${err.message}\n\n${DHCP_SERVE_USAGE}\n`);
    return 2;
  }
  const log = forFile(
    createLogger({ component: 'vmpod', verbosity: cfg.verbosity }),
    'dhcp-serve-command.ts',
    {
      subcomponent: 'dhcp',
    },
  );
  const stopped = new Promise<string>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  const server = await startDhcpServer({
    interfaceName: cfg.interfaceName,
    tapName: cfg.tapName,
    lease: cfg.lease,
    log,
    port: cfg.port,
  });
  const signal = await stopped;
  await server.close();
  log.info({ signal, ...server.stats }, 'DHCP server stopped');
  return 0;
}
