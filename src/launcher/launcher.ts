import { existsSync } from 'node:fs';
import { type LauncherConfig, launcherConfig } from '../config/launcher-config.js';
import { VmpodError, describeError } from '../errors.js';
import { type Logger, RecentLines, createLogger, forFile } from '../log/logger.js';
import { EXIT_FATAL } from '../supervisor/exit-code.js';
import { type Domain, LibvirtClient } from '../libvirt/index.js';
import { TerminationSignal, listenForTermination } from '../supervisor/termination.js';
import { launcherDirectories, libvirtRuntimeDirectories, serialLogPath } from './directories.js';
import { LibvirtDaemons } from './libvirt-daemons.js';
import { libvirtLayout } from './libvirt-paths.js';
import { PhaseClock, StartupError } from './phases.js';
import { applyDirectories, ensureQemuFile, writeLibvirtConfig } from './prepare.js';
import { monitorQemu } from './qemu-monitor.js';
import { EARLY_EXIT_ENV, earlyExitRequested, waitForDomain } from './wait-for-domain.js';
import { FAILURE_REPORT_PATH, failureReport, writeFailureReport } from './failure-report.js';

// virt-launcher: prepares the pod, runs libvirt's daemons, and lives as long as the VM does
// (KUBEVIRT.md §1.3.2). Returns the process exit code; only main.ts exits.

const LIBVIRT_CONNECT_DEADLINE_MS = 15_000;

/**
 * What serves virt-handler once libvirt answers: gRPC and protobuf, the domain converter, the
 * event pipeline, the troubleshooting socket. Most of the launcher's code by weight (about 130 ms
 * to load here), so it loads while libvirt's daemons start rather than before.
 */
async function loadServingModules() {
  const [plane, control, events] = await Promise.all([
    import('./command-plane.js'),
    import('./control/index.js'),
    import('./events/index.js'),
  ]);
  return {
    startCommandPlane: plane.startCommandPlane,
    startControl: control.startControl,
    domainKiller: events.domainKiller,
    waitForFinalNotification: events.waitForFinalNotification,
  };
}

/** virDomainDestroyFlags: VIR_DOMAIN_DESTROY_GRACEFUL. */
const DESTROY_GRACEFUL = 1;

export async function runLauncher(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const t0 = performance.now();
  process.title = 'virt-launcher';
  let cfg: LauncherConfig;
  try {
    cfg = launcherConfig(argv, env);
  } catch (err) {
    const log = forFile(createLogger({ component: 'virt-launcher', verbosity: 2 }), 'launcher.ts');
    log.error({ phase: 'flags', reason: describeError(err) }, 'start-up failed in phase "flags"');
    return EXIT_FATAL;
  }
  // Troubleshooting: the last warnings/errors and libvirt lines, for `vmpod status` and `vmpod logs`.
  const recent = new RecentLines();
  const root = createLogger({ component: 'virt-launcher', verbosity: cfg.verbosity, recent }).child(
    vmiContext(cfg),
  );
  const log = forFile(root, 'launcher.ts');
  const clock = new PhaseClock(log, t0);
  const termination = listenForTermination(log);
  const abort = termination.signal;
  const layout = libvirtLayout({
    nonRoot: cfg.runAsNonroot,
    hasVirtqemud: existsSync('/usr/sbin/virtqemud'),
  });
  const daemons = new LibvirtDaemons(layout, root);
  let client: LibvirtClient | undefined;
  const closers: (() => Promise<void> | undefined)[] = [];
  log.info(
    { pid: process.pid, nonRoot: cfg.runAsNonroot, libvirt: layout.flavour, processUptimeMs: Math.round(t0) },
    'vmpod launcher starting',
  );

  try {
    await clock.run('directories', () => {
      process.umask(0);
      applyDirectories(launcherDirectories(cfg));
      const serial = serialLogPath(cfg);
      if (!cfg.runAsNonroot && serial) ensureQemuFile(serial);
    });
    if (cfg.simulateCrash) {
      throw new StartupError(
        'simulate-crash',
        new VmpodError('SIMULATED_CRASH', '--simulate-crash was given'),
      );
    }
    // §1.3.2 step 4: the hook sidecars the controller rendered must all answer before libvirt starts.
    const hooks =
      cfg.hookSidecars > 0
        ? await clock.run('hook-sidecars', async () =>
            (await import('./hook-sidecars.js')).HookSidecars.collect({
              count: cfg.hookSidecars,
              timeoutMs: cfg.qemuTimeoutMs,
              abort,
              log: forFile(root, 'hook-sidecars.ts'),
            }),
          )
        : undefined;
    await clock.run('libvirt-config', () => {
      applyDirectories([
        { path: `${cfg.ephemeralDiskDir}/disk-data`, mode: 0o755, qemuOwned: false },
        ...libvirtRuntimeDirectories(cfg.runAsNonroot),
      ]);
      const filters = writeLibvirtConfig(layout, cfg);
      log.info(
        { qemuConf: layout.qemuConf, daemonConf: layout.daemonConf, logFilters: filters },
        'libvirt configured',
      );
    });
    await clock.run('libvirt-start', () => daemons.start());
    const serving = loadServingModules();
    // Awaited in the cmd-server phase; a start-up that fails before then must not leave it unhandled.
    serving.catch(() => undefined);
    await clock.run('libvirt-connect', () => daemons.waitAnswering(LIBVIRT_CONNECT_DEADLINE_MS, abort));
    client = await clock.run('libvirt-client', () =>
      // A pod lives for months: the client keeps reconnecting for as long as the daemons are
      // being restarted (their own backoff reaches 30 s), rather than giving up after 30 s.
      LibvirtClient.connect({
        socketPath: layout.socket,
        uri: layout.uri,
        reconnect: { deadlineMs: Number.POSITIVE_INFINITY },
      }),
    );
    const libvirt = client;
    const clientLog = forFile(root, 'libvirt-client.ts');
    libvirt.on('disconnected', (err) =>
      clientLog.warn({ reason: describeError(err) }, 'lost the libvirt connection: reconnecting'),
    );
    // libvirt learns what the emulator can do (it runs qemu twice to ask) on the first call that
    // needs it, which would be define. Asked now, in the background, that happens while the
    // command server, the network and the disks are being set up.
    const capsT0 = performance.now();
    void libvirt.getDomainCapabilities({ virttype: 'qemu' }).then(
      () => log.debug({ durationMs: Math.round(performance.now() - capsT0) }, 'emulator capabilities cached'),
      (err: unknown) => log.debug({ reason: describeError(err) }, 'emulator capabilities not prefetched'),
    );
    const standaloneText = cfg.env.standaloneVmi;
    // Loaded only in standalone mode: a launcher driven by virt-handler never pays for it.
    const vmi =
      standaloneText === undefined
        ? undefined
        : await clock.run('vmi', async () => (await import('../vmi/index.js')).loadVmi(standaloneText));
    // Steps 8–10: domain manager, notify client, command server (self-checked), libvirt events.
    const { plane, serve } = await clock.run('cmd-server', async () => {
      const serve = await serving;
      const plane = await serve.startCommandPlane({
        cfg: vmi ? { ...cfg, allowEmulation: true } : cfg,
        client: libvirt,
        layout,
        root,
        ...(vmi ? { standalone: { clock, uid: vmi.metadata.uid } } : {}),
        ...(hooks ? { hooks } : {}),
      });
      return { plane, serve };
    });
    closers.push(() => plane.close());
    // Troubleshooting socket (`vmpod status|net|events|logs|log-level`); never fails start-up.
    const control = await serve.startControl({
      cfg,
      layout,
      clock,
      daemons,
      plane,
      client: libvirt,
      root,
      recent,
    });
    closers.push(() => control.close());
    const pipeline = await clock.run('domain-events', () => plane.startEvents());
    // Step 12: the rename is the readiness signal virt-handler waits for.
    await clock.run('ready', () => plane.server.markReady());
    log.info(
      {
        startupMs: clock.elapsedMs(),
        processUptimeMs: Math.round(performance.now()),
        phases: clock.timings,
        socket: layout.socket,
        cmdSocket: plane.server.socketPath,
      },
      'vmpod launcher ready: libvirt answering',
    );
    let standaloneDomain: Domain | undefined;
    if (vmi) {
      // KubeVirt's STANDALONE_VMI: sync it at once, with emulation allowed (§1.3.2 step 13).
      standaloneDomain = await plane.manager.sync(vmi);
      log.info({ startupMs: clock.elapsedMs(), phases: clock.timings }, 'standalone VMI started');
      // No virt-handler will send ACPI shutdowns: the first termination signal does it here.
      const domainName = standaloneDomain.name;
      const acpiShutdown = () => {
        log.info({ domain: domainName }, 'shutting the guest down through ACPI');
        libvirt
          .domain(domainName)
          .shutdown()
          .catch((err: unknown) => log.warn({ reason: describeError(err) }, 'ACPI shutdown failed'));
      };
      if (abort.aborted) acpiShutdown();
      else abort.addEventListener('abort', acpiShutdown, { once: true });
    }
    const domain =
      standaloneDomain ??
      (await waitForDomain(client, cfg.qemuTimeoutMs, abort, log).catch((err: unknown) => {
        throw new StartupError('wait-domain', err);
      }));
    if (domain) {
      // §1.3.3: the first termination signal marks the domain for graceful shutdown, which
      // reaches virt-handler as a metadata notification; it then sends ACPI shutdowns.
      const mark = () => plane.metadata.markForGracefulShutdown();
      if (abort.aborted) mark();
      else abort.addEventListener('abort', mark, { once: true });
      const end = await monitorQemu({
        pidFile: `${layout.pidDir}/${domain.name}.pid`,
        qemuTimeoutMs: cfg.qemuTimeoutMs,
        gracePeriodSeconds: cfg.gracePeriodSeconds,
        firstSignalAt: termination.firstAt,
        destroy: () => libvirt.domain(domain.name).destroy(DESTROY_GRACEFUL),
        earlyExit: () => earlyExitRequested(),
        log: forFile(root, 'qemu-monitor.ts'),
      });
      abort.removeEventListener('abort', mark);
      log.info({ domain: domain.name, end }, 'qemu monitoring ended');
      await hooks?.shutdown();
      if (earlyExitRequested()) {
        throw new StartupError(
          'wait-domain',
          new VmpodError('TARGET_POD_EXIT', `${EARLY_EXIT_ENV} is set: the target pod is being cleaned up`),
        );
      }
      if (!vmi) {
        // §1.3.5: wait for virt-handler to have been told the domain is gone.
        const outcome = await serve.waitForFinalNotification(
          pipeline,
          serve.domainKiller(libvirt.domain(domain.name)),
          forFile(root, 'final-notification.ts'),
        );
        log.info({ domain: domain.name, outcome }, 'final notification wait ended');
      }
    }
  } catch (err) {
    if (err instanceof TerminationSignal) {
      log.info(
        { signal: err.sig, sinceStartMs: clock.elapsedMs() },
        'termination signal before any domain existed',
      );
      await shutdown(client, daemons, log, closers);
      termination.dispose();
      return 0;
    }
    const phase = err instanceof StartupError ? err.phase : 'unknown';
    log.error({ phase, reason: describeError(err) }, `start-up failed in phase "${phase}"`);
    reportFailure(phase, err, log);
    await shutdown(client, daemons, log, closers);
    termination.dispose();
    return EXIT_FATAL;
  }
  await shutdown(client, daemons, log, closers);
  termination.dispose();
  return 0;
}

async function shutdown(
  client: LibvirtClient | undefined,
  daemons: LibvirtDaemons,
  log: Logger,
  closers: readonly (() => Promise<void> | undefined)[],
) {
  for (const close of closers) await close();
  await client?.close({ timeoutMs: 1000 });
  await daemons.stop();
  log.info('vmpod launcher stopped');
}

/** The last lines of a failed start: the cause chain and where to look, also kept in a file. */
function reportFailure(phase: string, err: unknown, log: Logger): void {
  const report = failureReport(phase, err);
  const writeError = writeFailureReport(report);
  log.error(
    {
      phase,
      reason: describeError(err),
      code: report.code,
      causes: report.causes,
      lookAt: report.lookAt,
      report: writeError ? undefined : FAILURE_REPORT_PATH,
    },
    `what to look at: ${report.lookAt.join('; ')}`,
  );
  if (writeError) log.warn({ reason: writeError.message }, 'could not write the failure report');
}

function vmiContext(cfg: LauncherConfig): Record<string, string> {
  const ctx: Record<string, string> = {};
  if (cfg.namespace) ctx.namespace = cfg.namespace;
  if (cfg.name) ctx.name = cfg.name;
  if (cfg.uid) ctx.uid = cfg.uid;
  if (cfg.name) ctx.kind = 'VirtualMachineInstance';
  return ctx;
}
