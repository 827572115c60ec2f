// The launcher's side of KubeVirt's hooks API against real gRPC sidecars on unix sockets: it waits
// for the number asked for, picks each one's newest version, runs OnDefineDomain by priority, and
// says clearly when a sidecar is missing, refuses, or speaks no version it knows.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { errorCode } from '../../src/errors.js';
import { HookSidecars } from '../../src/launcher/hook-sidecars.js';
import { captureLog } from '../helpers/capture-log.js';
import { type TestSidecar, startTestSidecar } from '../helpers/hook-sidecar.js';

let dir: string;
const sidecars: TestSidecar[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vmpod-hooks-'));
});

afterEach(async () => {
  await Promise.all(sidecars.splice(0).map((s) => s.close()));
  await rm(dir, { recursive: true, force: true });
});

async function sidecar(opts: Parameters<typeof startTestSidecar>[0]): Promise<TestSidecar> {
  const s = await startTestSidecar(opts);
  sidecars.push(s);
  return s;
}

const onDefine = (priority: number) => [{ name: 'OnDefineDomain', priority }];

describe('hook sidecars', () => {
  it('waits for late sidecars, then rewrites the domain XML through them by priority', async () => {
    const { log, lines } = captureLog();
    const low = await sidecar({
      socketPath: join(dir, 'hook-low', 'low.sock'),
      name: 'low',
      versions: ['v1alpha1'],
      hookPoints: onDefine(1),
      onDefineDomain: (xml) => xml.replace('</domain>', '<!-- low --></domain>'),
    });
    const collecting = HookSidecars.collect({ count: 2, dir, timeoutMs: 10_000, log });
    await new Promise((r) => setTimeout(r, 700));
    const high = await sidecar({
      socketPath: join(dir, 'hook-high', 'high.sock'),
      name: 'high',
      versions: ['v1alpha1', 'v1alpha2', 'v1alpha3'],
      hookPoints: [...onDefine(10), { name: 'Shutdown', priority: 0 }],
      onDefineDomain: (xml, vmi) =>
        xml.replace(
          '</domain>',
          `<description>${String((vmi.metadata as { name: string }).name)}</description></domain>`,
        ),
    });
    const hooks = await collecting;
    // Each in the newest version it lists, in the order they answered.
    expect(hooks.sidecars.map((s) => [s.name, s.version])).toEqual([
      ['low', 'v1alpha1'],
      ['high', 'v1alpha3'],
    ]);
    expect(lines.filter((l) => l.msg === 'hook sidecar registered').map((l) => l.sidecar)).toEqual([
      'low',
      'high',
    ]);

    const xml = await hooks.onDefineDomain(
      '<domain type="qemu"></domain>',
      JSON.stringify({ metadata: { name: 'vm1' } }),
    );
    // high (10) first, then low (1): each sees the XML the one before returned.
    expect(xml).toBe('<domain type="qemu"><description>vm1</description><!-- low --></domain>');
    expect(high.calls.filter((c) => c.method === 'OnDefineDomain')).toEqual([
      { method: 'OnDefineDomain', version: 'v1alpha3' },
    ]);
    expect(low.calls.filter((c) => c.method === 'OnDefineDomain')).toEqual([
      { method: 'OnDefineDomain', version: 'v1alpha1' },
    ]);

    await hooks.shutdown();
    expect(high.calls.filter((c) => c.method === 'Shutdown')).toHaveLength(1);
    expect(low.calls.filter((c) => c.method === 'Shutdown')).toHaveLength(0);
  });

  it('says how many answered when the rest never come', async () => {
    const { log } = captureLog();
    await sidecar({
      socketPath: join(dir, 'a', 'a.sock'),
      name: 'a',
      versions: ['v1alpha2'],
      hookPoints: onDefine(0),
    });
    const t0 = performance.now();
    const err = await HookSidecars.collect({ count: 2, dir, timeoutMs: 1000, log }).catch((e: unknown) => e);
    expect(errorCode(err)).toBe('HOOK_SIDECARS_MISSING');
    expect(String(err)).toContain(`1 of 2 hook sidecars answered in ${dir} within 1 s`);
    expect(performance.now() - t0).toBeLessThan(3000);
  });

  it('fails at once on a sidecar that refuses Info or speaks no known version', async () => {
    const { log } = captureLog();
    await sidecar({
      socketPath: join(dir, 'x', 'x.sock'),
      name: 'x',
      versions: ['v2'],
      hookPoints: onDefine(0),
    });
    const unsupported = await HookSidecars.collect({ count: 1, dir, timeoutMs: 30_000, log }).catch(
      (e: unknown) => e,
    );
    expect(errorCode(unsupported)).toBe('HOOK_SIDECAR_UNSUPPORTED');
    expect(String(unsupported)).toContain('implements versions [v2]');
    await Promise.all(sidecars.splice(0).map((s) => s.close()));

    await sidecar({
      socketPath: join(dir, 'y', 'y.sock'),
      name: 'y',
      versions: ['v1alpha3'],
      hookPoints: onDefine(0),
      infoError: grpc.status.INTERNAL,
    });
    const refused = await HookSidecars.collect({ count: 1, dir, timeoutMs: 30_000, log }).catch(
      (e: unknown) => e,
    );
    expect(errorCode(refused)).toBe('HOOK_SIDECAR_FAILED');
    expect(String(refused)).toContain('code = INTERNAL');
  });

  it('refuses an empty domain XML from a sidecar', async () => {
    const { log } = captureLog();
    await sidecar({
      socketPath: join(dir, 'e.sock'),
      name: 'empty',
      versions: ['v1alpha3'],
      hookPoints: onDefine(0),
      onDefineDomain: () => '',
    });
    const hooks = await HookSidecars.collect({ count: 1, dir, timeoutMs: 5000, log });
    const err = await hooks.onDefineDomain('<domain/>', '{}').catch((e: unknown) => e);
    expect(errorCode(err)).toBe('HOOK_SIDECAR_FAILED');
    expect(String(err)).toContain('returned no domain XML');
  });
});
