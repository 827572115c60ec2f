// The monitor + launcher pair in a pod sandbox: time from exec to "libvirt answering" beside
// libvirtd's own start time in the same run, and the pair's memory at rest beside KubeVirt's
// budget for the same two processes (25 Mi monitor + 100 Mi launcher, KUBEVIRT.md §9).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  childrenOf,
  commOf,
  loadProbe,
  median,
  memoryOf,
  sandboxCli,
  uniqueName,
  waitAnswering,
} from '../bench-lib/sandbox.mjs';

export const name = 'pod-start';
const ROUNDS = 5;
const MI = 1024; // KiB per MiB
const SOCKET = '/run/libvirt/libvirt-sock';

export async function run({ root, log }) {
  const sb = sandboxCli(root);
  const probe = await loadProbe(root);
  const conf = await mkdtemp(join(tmpdir(), 'vmpod-bench-'));
  const figures = [];
  try {
    // The same daemon configuration vmpod writes, so both sides start the same libvirtd.
    await writeFile(
      join(conf, 'libvirtd.conf'),
      'listen_tls = 0\nlisten_tcp = 0\nlog_outputs = "1:stderr"\nauth_unix_rw = "none"\nauth_unix_ro = "none"\n',
    );
    await writeFile(
      join(conf, 'qemu.conf'),
      'user = "qemu"\ngroup = "qemu"\nnamespaces = [ ]\ncgroup_controllers = [ ]\nstdio_handler = "logd"\n',
    );
    const baselineScript = `cp ${conf}/qemu.conf /etc/libvirt/qemu.conf && mkdir -p /var/lib/libvirt/qemu /var/log/libvirt/qemu && exec /usr/sbin/libvirtd -f ${conf}/libvirtd.conf`;

    const vmpodTimes = [];
    const libvirtdTimes = [];
    let memory;
    for (let i = 0; i < ROUNDS; i++) {
      libvirtdTimes.push(await timeToAnswer(sb, probe, ['sh', '-c', baselineScript], false));
      const last = i === ROUNDS - 1;
      const r = await timeToAnswer(
        sb,
        probe,
        [
          join(root, 'dist/bin/virt-launcher-monitor'),
          '--name',
          'bench',
          '--namespace',
          'default',
          '--uid',
          'b-1',
        ],
        last,
      );
      vmpodTimes.push(r.ms ?? r);
      if (last) memory = r.memory;
      log(
        `round ${i + 1}: vmpod ${vmpodTimes.at(-1).toFixed(1)} ms, libvirtd ${libvirtdTimes.at(-1).toFixed(1)} ms`,
      );
    }
    figures.push({
      figure: 'exec to libvirt answering (vmpod monitor, median)',
      value: median(vmpodTimes),
      unit: 'ms',
      baseline: 'libvirtd alone, exec to answering (median)',
      baseline_value: median(libvirtdTimes),
    });
    const { monitor, launcher } = memory;
    const rows = [
      ['monitor PSS at rest', monitor.pssKiB, 'KubeVirt budget: monitor 25 Mi', 25 * MI],
      ['launcher PSS at rest', launcher.pssKiB, 'KubeVirt budget: launcher 100 Mi', 100 * MI],
      [
        'monitor+launcher PSS at rest',
        monitor.pssKiB + launcher.pssKiB,
        'KubeVirt budget: 25 Mi + 100 Mi',
        125 * MI,
      ],
      ['monitor RSS at rest', monitor.rssKiB, 'KubeVirt budget: monitor 25 Mi', 25 * MI],
      ['launcher RSS at rest', launcher.rssKiB, 'KubeVirt budget: launcher 100 Mi', 100 * MI],
      [
        'monitor+launcher RSS at rest',
        monitor.rssKiB + launcher.rssKiB,
        'KubeVirt budget: 25 Mi + 100 Mi',
        125 * MI,
      ],
    ];
    for (const [figure, value, baseline, baseline_value] of rows) {
      figures.push({ figure, value: value / MI, unit: 'MiB', baseline, baseline_value: baseline_value / MI });
    }
  } finally {
    await rm(conf, { recursive: true, force: true });
  }
  return figures;
}

/** Starts `cmd` as a sandbox's PID 1 and times exec → libvirt answering; optionally reads memory. */
async function timeToAnswer(sb, probe, cmd, withMemory) {
  const name = uniqueName('bn');
  await sb.create(name);
  try {
    const t0 = performance.now();
    const handle = sb.start(name, cmd);
    const pid1 = await sb.pid1(name);
    const answered = await waitAnswering(probe, `/proc/${pid1}/root${SOCKET}`, 'qemu:///system', 20_000);
    const ms = answered - t0;
    if (!withMemory) {
      await stop(sb, name, pid1, handle);
      return ms;
    }
    // At rest: give start-up garbage a moment to be collected.
    await new Promise((r) => setTimeout(r, 3000));
    let launcherPid;
    for (const c of await childrenOf(pid1)) if ((await commOf(c)) === 'virt-launcher') launcherPid = c;
    if (!launcherPid) throw new Error(`no virt-launcher child under PID 1 ${pid1}`);
    const memory = { monitor: await memoryOf(pid1), launcher: await memoryOf(launcherPid) };
    await stop(sb, name, pid1, handle);
    return { ms, memory };
  } finally {
    await sb.destroy(name);
  }
}

async function stop(sb, name, pid1, handle) {
  try {
    process.kill(pid1, 'SIGTERM');
  } catch {}
  const t = setTimeout(() => sb.destroy(name), 10_000);
  await handle.exited;
  clearTimeout(t);
}
