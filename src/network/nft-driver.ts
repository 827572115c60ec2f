import { execa } from 'execa';
import { VmpodError } from '../errors.js';
import type { NftDriver } from './drivers.js';

// The `nft` CLI as a driver: scripts go in on stdin (`nft -f -`), so a whole ruleset is one
// atomic transaction and no text ever passes through a shell. Optionally inside a named network
// namespace (`ip netns exec`), like the iproute2 drivers.

const TIMEOUT_MS = 10_000;

interface NftRun {
  readonly exitCode: number | undefined;
  readonly stdout: string;
  readonly stderr: string;
  readonly failed: boolean;
  readonly message: string;
}

async function nft(args: readonly string[], netns: string | undefined, input?: string): Promise<NftRun> {
  const [cmd, argv] =
    netns === undefined ? ['nft', [...args]] : ['ip', ['netns', 'exec', netns, 'nft', ...args]];
  const r = await execa(cmd, argv, {
    reject: false,
    timeout: TIMEOUT_MS,
    ...(input === undefined ? { stdin: 'ignore' as const } : { input }),
  });
  return {
    exitCode: r.exitCode,
    stdout: String(r.stdout ?? ''),
    stderr: String(r.stderr ?? '').trim(),
    failed: r.failed || r.exitCode !== 0,
    message: r.shortMessage ?? '',
  };
}

function failure(op: string, r: NftRun, netns: string | undefined): VmpodError {
  return new VmpodError('NETWORK_NFT_FAILED', `nft ${op}: ${r.stderr || r.message}`, {
    facts: { operation: op, exitCode: r.exitCode, netns },
  });
}

export function createNftDriver(netns?: string): NftDriver {
  return {
    async apply(script) {
      const r = await nft(['-f', '-'], netns, script);
      if (r.failed) throw failure('-f -', r, netns);
    },
    async listTable(family, name) {
      const r = await nft(['list', 'table', family, name], netns);
      if (!r.failed) return r.stdout;
      // nft reports an absent table as ENOENT.
      if (/No such file or directory/i.test(r.stderr)) return undefined;
      throw failure(`list table ${family} ${name}`, r, netns);
    },
  };
}
