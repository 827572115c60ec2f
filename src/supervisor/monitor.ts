import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { MonitorConfig } from '../config/monitor-config.js';
import { describeError } from '../errors.js';
import { type Logger, createLogger, forFile } from '../log/logger.js';
import { EXIT_MONITOR_FAILURE, launcherExitToMonitorCode } from './exit-code.js';
import { terminateIstioProxy } from './istio.js';
import { OrphanReaper } from './orphan-reaper.js';
import { childrenOf, findByCmdline } from './proc-table.js';
import { becomeSubreaper } from './waitpid.js';
import { sleep } from './sleep.js';
import { RELAYED_SIGNALS, type StartedLauncher } from './start-launcher.js';

// virt-launcher-monitor: PID 1 of the compute container (KUBEVIRT.md §1.2). Starts the launcher,
// relays termination signals to it as SIGTERM, reaps every orphan, waits for a surviving qemu,
// cleans up, and exits with the launcher's code.

const QEMU_GRACE_MS = 10_000;

/** Runs PID 1's duties around a launcher that main.ts already started (start-launcher.ts). */
export async function runMonitor(cfg: MonitorConfig, launcher: StartedLauncher): Promise<number> {
  process.title = 'virt-launcher-monitor';
  const root = createLogger({ component: 'virt-launcher-monitor', verbosity: cfg.verbosity });
  const log = forFile(root, 'monitor.ts');
  const child = launcher.child;
  let launcherRunning = true;
  void launcher.outcome.then(() => {
    launcherRunning = false;
  });

  const reaper = new OrphanReaper({
    log: forFile(root, 'orphan-reaper.ts'),
    isOwnChild: (pid) => launcherRunning && child.pid === pid,
  });
  // Outside a PID namespace the monitor is not PID 1; as a subreaper it still inherits qemu.
  if (process.pid !== 1) becomeSubreaper(log);
  reaper.start();
  const relay = (sig: string) => {
    if (launcherRunning && child.pid !== undefined) {
      log.info({ signal: sig, launcherPid: child.pid }, `received ${sig}: sending SIGTERM to the launcher`);
      child.kill('SIGTERM');
    } else {
      log.info({ signal: sig }, `received ${sig}; the launcher is not running`);
    }
  };
  for (const sig of RELAYED_SIGNALS) process.on(sig, () => relay(sig));
  launcher.stopEarlyRelay();

  let result = await launcherResult(launcher, log);
  dumpLogs(log);
  if (!(await waitForQemuToGo(log))) result = EXIT_MONITOR_FAILURE;
  await terminateIstioProxy(forFile(root, 'istio.ts'));
  removeContainerDiskSockets(cfg.containerDiskDir, log);

  if (result !== 0 && cfg.keepAfterFailure) {
    log.warn({ exitCode: result }, 'keeping the pod alive after a failure (--keep-after-failure)');
    setInterval(() => reaper.sweep(), 1000); // a ref'd timer keeps PID 1 alive, still reaping
    await new Promise<never>(() => {});
  }
  reaper.stop();
  log.info({ exitCode: result, orphansReaped: reaper.reaped }, 'virt-launcher-monitor exiting');
  return result;
}

async function launcherResult(launcher: StartedLauncher, log: Logger): Promise<number> {
  const outcome = await launcher.outcome;
  if (outcome.error) {
    log.error(
      { reason: describeError(outcome.error), launcher: launcher.path },
      'failed to start the launcher',
    );
    return EXIT_MONITOR_FAILURE;
  }
  const exitCode = launcherExitToMonitorCode(outcome.code);
  const fields = { launcherPid: launcher.child.pid, exitCode, signal: outcome.signal };
  if (exitCode === 0) log.info(fields, 'the launcher exited cleanly');
  else log.error(fields, 'dirty virt-launcher shutdown');
  return exitCode;
}

/** Replays the files KubeVirt's monitor dumps at exit into the log (§1.2.2 step 4). */
function dumpLogs(log: Logger): void {
  const files = ['/var/run/kubevirt/passt.log'];
  const qemuLogDir = '/run/kubevirt-private/libvirt/qemu/log';
  try {
    for (const f of readdirSync(qemuLogDir)) files.push(join(qemuLogDir, f));
  } catch {
    // root mode: no such directory
  }
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    const sub = log.child({ subcomponent: basename(file) === 'passt.log' ? 'passt' : 'qemu', file });
    for (const line of text.split('\n')) if (line !== '') sub.info(line.slice(0, 512 * 1024));
  }
}

/**
 * A qemu that outlived the launcher gets SIGTERM, then has 10 s to disappear (§1.2.2 step 5).
 * Returns false if it did not. KubeVirt scans all of /proc, which in a pod is the same set as the
 * monitor's own children (libvirt daemonises qemu, so it is re-parented here); looking only at
 * children keeps a monitor run outside a PID namespace from signalling someone else's qemu.
 */
async function waitForQemuToGo(log: Logger): Promise<boolean> {
  const find = () => {
    const kids = childrenOf(process.pid);
    return findByCmdline('qemu-system', kids) ?? findByCmdline('qemu-kvm', kids);
  };
  const first = find();
  if (first === undefined) return true;
  log.info({ qemuPid: first }, 'qemu outlived the launcher: sending SIGTERM');
  try {
    process.kill(first, 'SIGTERM');
  } catch (err) {
    log.warn({ qemuPid: first, reason: describeError(err) }, 'could not signal qemu');
  }
  const deadline = Date.now() + QEMU_GRACE_MS;
  for (;;) {
    const pid = find();
    if (pid === undefined) return true;
    if (Date.now() >= deadline) {
      log.error({ qemuPid: pid }, 'qemu still running 10 s after the launcher exited');
      return false;
    }
    await sleep(Math.min(1000, deadline - Date.now()));
  }
}

/** Deleting the sockets tells container-disk sidecars to exit (§1.2.2 step 6). */
function removeContainerDiskSockets(dir: string, log: Logger): void {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const e of entries) {
    if (!e.endsWith('.sock')) continue;
    try {
      rmSync(join(dir, e), { force: true });
      log.info({ socket: join(dir, e) }, 'removed container-disk socket');
    } catch (err) {
      log.warn(
        { socket: join(dir, e), reason: describeError(err) },
        'could not remove container-disk socket',
      );
    }
  }
}
