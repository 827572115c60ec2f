import type { LauncherConfig } from '../config/launcher-config.js';
import type { Logger } from '../log/logger.js';
import { forFile } from '../log/logger.js';
import type { LibvirtClient } from '../libvirt/index.js';
import { type CmdServer, startCmdServer } from '../rpc/cmd-server.js';
import { NotifyClient } from '../rpc/notify-client.js';
import { GuestAgentPoller } from './agent/index.js';
import { agentCommandHandlers } from './agent-commands.js';
import { DomainManager } from './domain-manager/index.js';
import { type EventPipeline, type K8sEvent, type Notifier, startEventPipeline } from './events/index.js';
import type { HookSidecars } from './hook-sidecars.js';
import type { LibvirtLayout } from './libvirt-paths.js';
import { MetadataCache } from './metadata-cache.js';
import type { PhaseClock } from './phases.js';

// What makes vmpod a drop-in for virt-handler (KUBEVIRT.md §1.3.2 steps 8–10): the domain manager
// behind the command server on <share-dir>/sockets, the notify client of virt-handler's
// <share-dir>/domain-notify-pipe.sock, and the libvirt event pipeline that feeds it. Standalone
// mode has no virt-handler, so its notifications go nowhere, but the command socket is served
// all the same (virt-probe, virt-freezer and `kubectl exec` troubleshooting use it).

export interface CommandPlane {
  readonly metadata: MetadataCache;
  readonly manager: DomainManager;
  readonly server: CmdServer;
  readonly notifier: Notifier & { close(): void };
  /** Set once startEvents() ran. */
  readonly pipeline: EventPipeline | undefined;
  /** Step 10: register the libvirt event callbacks. */
  startEvents(): Promise<EventPipeline>;
  close(): Promise<void>;
}

/**
 * Notifications of a launcher with no virt-handler: accepted and dropped at once. Delivered as far
 * as anyone listens, so they report success (a failure would be logged as a lost notification).
 */
class NoHandler implements Notifier {
  async sendDomainEvent(): Promise<boolean> {
    return true;
  }
  async sendK8sEvent(): Promise<boolean> {
    return true;
  }
  close(): void {}
}

export async function startCommandPlane(args: {
  readonly cfg: LauncherConfig;
  readonly client: LibvirtClient;
  readonly layout: LibvirtLayout;
  readonly root: Logger;
  /** Standalone mode: Sync's steps are start-up phases, and nobody listens for notifications. */
  readonly standalone?: { readonly clock: PhaseClock; readonly uid: string };
  readonly hooks?: HookSidecars;
}): Promise<CommandPlane> {
  const { cfg, client, layout, root } = args;
  const uid = args.standalone?.uid ?? cfg.uid;
  const metadata = new MetadataCache(uid);
  const notifier: Notifier & { close(): void } = args.standalone
    ? new NoHandler()
    : new NotifyClient({ socketPath: `${cfg.shareDir}/domain-notify-pipe.sock`, log: root });
  let pipeline: EventPipeline | undefined;
  const manager = new DomainManager({
    client,
    cfg,
    layout,
    metadata,
    log: forFile(root, 'domain-manager.ts'),
    ...(args.standalone ? { clock: args.standalone.clock } : {}),
    agent: () => pipeline?.agentSnapshot(),
    ...(args.hooks ? { hooks: args.hooks } : {}),
  });
  const vmiRef = () => {
    const name = manager.domainName ?? '';
    const cut = name.indexOf('_');
    return {
      kind: 'VirtualMachineInstance',
      apiVersion: 'kubevirt.io/v1',
      namespace: cfg.namespace || (cut > 0 ? name.slice(0, cut) : ''),
      name: cfg.name || (cut > 0 ? name.slice(cut + 1) : name),
      uid: metadata.uid,
    };
  };
  const agentLog = forFile(root, 'agent-commands.ts');
  const server = await startCmdServer({
    socketDir: `${cfg.shareDir}/sockets`,
    handlers: {
      ...manager.handlers(),
      ...agentCommandHandlers({
        client,
        snapshot: () => pipeline?.agentSnapshot(),
        metadata,
        probesPaused: () => manager.guestAgentProbesPaused,
        k8sEvent: (e: Omit<K8sEvent, 'involvedObject'>) => {
          void notifier.sendK8sEvent({ ...e, involvedObject: vmiRef() });
        },
        log: agentLog,
      }),
    },
    log: root,
  });
  const intervals = {
    sysMs: cfg.agentIntervalsMs.sys,
    fileMs: cfg.agentIntervalsMs.file,
    userMs: cfg.agentIntervalsMs.user,
    versionMs: cfg.agentIntervalsMs.version,
    fsfreezeStatusMs: cfg.agentIntervalsMs.fsfreeze,
  };
  const pollerLog = forFile(root, 'guest-agent.ts');
  return {
    metadata,
    manager,
    server,
    notifier,
    get pipeline() {
      return pipeline;
    },
    async startEvents() {
      pipeline ??= await startEventPipeline({
        client,
        notifier,
        metadata,
        uid,
        log: forFile(root, 'events.ts'),
        agentPollerFactory: (domain) => new GuestAgentPoller({ domain, intervals, log: pollerLog }),
        qemuLogPath: (name) => `${layout.qemuLogDir}/${name}.log`,
        vmiRef: vmiRef(),
      });
      return pipeline;
    },
    async close() {
      await pipeline?.close();
      await server.close();
      await manager.close();
      notifier.close();
    },
  };
}
