import { parseCommand } from './cli/entry.js';
import { describeError } from './errors.js';

// Composition root: the only file that may call process.exit. Roles are loaded lazily, so PID 1
// (the monitor) never pays for the launcher's code.

declare const VMPOD_VERSION: string;

async function main(): Promise<number> {
  const entry = process.argv[1] ?? 'vmpod';
  const cmd = parseCommand(entry, process.argv.slice(2));
  switch (cmd.kind) {
    case 'run':
    case 'monitor': {
      if (cmd.kind === 'run') {
        // Standalone: the VMI travels to the launcher as KubeVirt's STANDALONE_VMI does.
        const { readFileSync } = await import('node:fs');
        try {
          process.env.STANDALONE_VMI = readFileSync(cmd.vmiPath, 'utf8');
        } catch (err) {
          process.stderr.write(`vmpod run: cannot read the VMI file: ${describeError(err)}\n`);
          return 2;
        }
      }
      // Start the launcher first; the monitor's own modules load while it boots.
      const { monitorConfig } = await import('./config/monitor-config.js');
      const { startLauncher, launcherBeside } = await import('./supervisor/start-launcher.js');
      const cfg = monitorConfig(cmd.args, process.env);
      const launcher = startLauncher(launcherBeside(entry), cfg.launcherArgs);
      const { runMonitor } = await import('./supervisor/monitor.js');
      return runMonitor(cfg, launcher);
    }
    case 'launcher': {
      const { runLauncher } = await import('./launcher/launcher.js');
      return runLauncher(cmd.args, process.env);
    }
    case 'troubleshoot': {
      const { runTroubleshoot } = await import('./cli/troubleshoot/command.js');
      return runTroubleshoot(cmd.command, cmd.args);
    }
    case 'dhcp-serve': {
      const { runDhcpServe } = await import('./dhcp/dhcp-serve-command.js');
      return runDhcpServe(cmd.args);
    }
    case 'pod-network': {
      const { runPodNetwork } = await import('./cli/pod-network-command.js');
      return runPodNetwork(cmd.args);
    }
    case 'virt-probe': {
      const { runVirtProbe } = await import('./cli/virt-probe.js');
      return runVirtProbe(cmd.args);
    }
    case 'virt-freezer': {
      const { runVirtFreezer } = await import('./cli/virt-freezer.js');
      return runVirtFreezer(cmd.args);
    }
    case 'virt-tail': {
      const { runVirtTail } = await import('./cli/virt-tail.js');
      return runVirtTail(cmd.args);
    }
    case 'version':
      process.stdout.write(`vmpod ${typeof VMPOD_VERSION === 'string' ? VMPOD_VERSION : 'dev'}\n`);
      return 0;
    case 'help':
      process.stdout.write(`${cmd.text}\n`);
      return 0;
    case 'usage-error':
      process.stderr.write(`${cmd.text}\n`);
      return 2;
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(
      `${JSON.stringify({ component: 'vmpod', level: 'error', msg: 'unexpected failure', reason: describeError(err) })}\n`,
    );
    process.exit(2);
  },
);
