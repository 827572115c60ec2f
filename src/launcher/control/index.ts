import { describeError } from '../../errors.js';
import { type Logger, type RecentLines, forFile } from '../../log/logger.js';
import type { LibvirtClient } from '../../libvirt/index.js';
import type { CommandPlane } from '../command-plane.js';
import type { LibvirtLayout } from '../libvirt-paths.js';
import type { PhaseClock } from '../phases.js';
import { CONTROL_SOCKET_PATH, type ControlRequest } from './protocol.js';
import { type ControlServer, startControlServer } from './server.js';
import {
  type ControlSources,
  eventsReport,
  logsReport,
  netReport,
  setLogLevel,
  statusReport,
} from './state.js';

// The launcher's troubleshooting endpoint (`vmpod status|net|events|logs|log-level`), wired to its
// live objects. Optional by nature: when it cannot listen, the launcher goes on without it.

export { CONTROL_SOCKET_PATH } from './protocol.js';
export type { ControlSources } from './state.js';

export interface ControlDeps {
  readonly cfg: { namespace: string; name: string; uid: string; runAsNonroot: boolean; shareDir: string };
  readonly layout: LibvirtLayout;
  readonly clock: PhaseClock;
  readonly daemons: { snapshot(): ReturnType<ControlSources['daemons']> };
  readonly plane: CommandPlane;
  readonly client: LibvirtClient;
  readonly root: Logger;
  readonly recent: RecentLines | undefined;
  readonly socketPath?: string;
}

const DOMAIN_STATE_TIMEOUT_MS = 2000;

export function controlSources(d: ControlDeps): ControlSources {
  const { cfg, layout, plane } = d;
  return {
    vmi: () => {
      const domain = plane.manager.domainName ?? '';
      const cut = domain.indexOf('_');
      return {
        namespace: cfg.namespace || (cut > 0 ? domain.slice(0, cut) : ''),
        name: cfg.name || (cut > 0 ? domain.slice(cut + 1) : domain),
        uid: plane.metadata.uid || cfg.uid,
      };
    },
    domainName: () => plane.manager.domainName,
    domainState: (name) => d.client.domain(name).kubevirtState({ timeoutMs: DOMAIN_STATE_TIMEOUT_MS }),
    nonRoot: cfg.runAsNonroot,
    libvirtFlavour: layout.flavour,
    phases: () => d.clock.timings,
    daemons: () => d.daemons.snapshot(),
    qemuPidFile: (name) => `${layout.pidDir}/${name}.pid`,
    qemuLogFile: (name) => `${layout.qemuLogDir}/${name}.log`,
    sockets: () => [
      { name: 'libvirt', path: layout.socket },
      { name: 'cmd', path: plane.server.socketPath },
      { name: 'notify', path: `${cfg.shareDir}/domain-notify-pipe.sock` },
      ...(plane.metadata.uid
        ? [{ name: 'serial0', path: `/var/run/kubevirt-private/${plane.metadata.uid}/virt-serial0` }]
        : []),
    ],
    recent: d.recent,
    networks: () => plane.manager.networks,
    history: () => plane.pipeline?.history(),
    root: d.root,
    log: forFile(d.root, 'control.ts'),
  };
}

export function controlHandler(s: ControlSources): (req: ControlRequest) => Promise<unknown> | unknown {
  return (req) => {
    switch (req.cmd) {
      case 'status':
        return statusReport(s);
      case 'net':
        return netReport(s);
      case 'events':
        return eventsReport(s);
      case 'logs':
        return logsReport(s);
      case 'log-level':
        return setLogLevel(s, req.level);
    }
  };
}

/** Starts the control socket; on failure logs a warning and returns a no-op handle. */
export async function startControl(d: ControlDeps): Promise<Pick<ControlServer, 'close'>> {
  const sources = controlSources(d);
  try {
    const server = await startControlServer({
      socketPath: d.socketPath ?? CONTROL_SOCKET_PATH,
      handle: controlHandler(sources),
      log: sources.log,
    });
    sources.log.info({ socket: server.socketPath }, 'control socket listening');
    return server;
  } catch (err) {
    sources.log.warn(
      { reason: describeError(err) },
      'control socket not started: vmpod status will not work',
    );
    return { close: async () => undefined };
  }
}
