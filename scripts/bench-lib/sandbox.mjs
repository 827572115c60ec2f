// Shared by the benchmarks: pod sandboxes, process memory, and libvirt's readiness probe, so every
// figure is measured the same way as its baseline.
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';

const run = promisify(execFile);

export function sandboxCli(root) {
  const cli = join(root, 'scripts/pod-sandbox');
  return {
    async create(name) {
      await run(cli, ['create', name]);
    },
    start(name, cmd, env = []) {
      const args = ['run', name, ...env.flatMap((e) => ['--env', e]), '--', ...cmd];
      const child = spawn(cli, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
      return { child, output: () => out, exited };
    },
    async pid1(name, timeoutMs = 10_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        try {
          const text = await readFile(`/run/vmpod-sandbox/${name}/pid1`, 'utf8');
          const pid = Number.parseInt(text, 10);
          if (pid > 0) return pid;
        } catch {}
        if (Date.now() > until) throw new Error(`sandbox ${name}: no PID 1 after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 2));
      }
    },
    async exec(name, cmd) {
      return run(cli, ['exec', name, '--', ...cmd]);
    },
    async destroy(name) {
      await run(cli, ['destroy', name]).catch(() => {});
    },
  };
}

export function uniqueName(prefix) {
  return `${prefix}${randomBytes(3).toString('hex')}`;
}

/** Rss and Pss of one process in KiB, from smaps_rollup. */
export async function memoryOf(pid) {
  const text = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8');
  const field = (k) => Number.parseInt(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 'NaN', 10);
  return { rssKiB: field('Rss'), pssKiB: field('Pss') };
}

export async function childrenOf(pid) {
  const tasks = await import('node:fs').then((fs) => fs.readdirSync(`/proc/${pid}/task`));
  const out = [];
  for (const t of tasks) {
    const text = await readFile(`/proc/${pid}/task/${t}/children`, 'utf8').catch(() => '');
    for (const c of text.split(' ')) if (c.trim()) out.push(Number.parseInt(c, 10));
  }
  return out;
}

export async function commOf(pid) {
  return (await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')).trim();
}

let probeModule;
/** vmpod's own readiness probe (src/libvirt/probe.ts), compiled on the fly. */
export async function loadProbe(root) {
  if (!probeModule) {
    const out = join(root, '.cache/bench/probe.mjs');
    await build({
      entryPoints: [join(root, 'src/libvirt/probe.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile: out,
      logLevel: 'silent',
    });
    probeModule = await import(pathToFileURL(out).href);
  }
  return probeModule.probeLibvirt;
}

/** Polls until libvirt opens a connection on `socket`; resolves with the time it did. */
export async function waitAnswering(probe, socket, uri, timeoutMs) {
  const until = performance.now() + timeoutMs;
  for (;;) {
    try {
      await probe(socket, uri, 1000);
      return performance.now();
    } catch {}
    if (performance.now() > until)
      throw new Error(`libvirt did not answer on ${socket} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
