import { describe, expect, it } from 'vitest';
import { errorCode } from '../../../src/errors.js';
import type { LinkDriver } from '../../../src/network/drivers.js';
import { findSecondaryPodInterface } from '../../../src/network/index.js';
import { hashedPodInterfaceName } from '../../../src/network/names.js';

/** Only getLink matters here: a pod with these links. */
function podWith(names: string[]): LinkDriver {
  return {
    getLink: async (name: string) => (names.includes(name) ? ({ name } as never) : undefined),
  } as unknown as LinkDriver;
}

describe('findSecondaryPodInterface', () => {
  const hashed = hashedPodInterfaceName('ptp');

  it('prefers the hashed name when the pod has it', async () => {
    await expect(findSecondaryPodInterface('ptp', 1, podWith(['eth0', hashed, 'net1']))).resolves.toBe(
      hashed,
    );
  });

  it('falls back to the ordinal name', async () => {
    await expect(findSecondaryPodInterface('ptp', 2, podWith(['eth0', 'net1', 'net2']))).resolves.toBe(
      'net2',
    );
  });

  it('fails naming both when neither exists', async () => {
    const err = await findSecondaryPodInterface('ptp', 1, podWith(['eth0'])).catch((e: unknown) => e);
    expect(errorCode(err)).toBe('NETWORK_POD_LINK_MISSING');
    expect(String((err as Error).message)).toContain(hashed);
    expect(String((err as Error).message)).toContain('net1');
  });
});
