import { describe, expect, it } from 'vitest';
import {
  bridgedNicName,
  bridgeName,
  hashedPodInterfaceName,
  tapName,
  usesOrdinalScheme,
} from '../../../src/network/names.js';

describe('derived link names', () => {
  it('names the primary network layout k6t-eth0, eth0-nic, tap0', () => {
    expect([bridgeName('eth0'), bridgedNicName('eth0'), tapName('eth0', true)]).toEqual([
      'k6t-eth0',
      'eth0-nic',
      'tap0',
    ]);
  });

  it('strips the pod prefix of hashed names and fits the 15-character limit', () => {
    const name = hashedPodInterfaceName('blue');
    expect(name).toMatch(/^pod[0-9a-f]{11}$/);
    expect(bridgedNicName(name)).toHaveLength(15);
    expect(bridgeName(name)).toBe(`k6t-${name.slice(3)}`);
    expect(tapName(name, false)).toBe(`tap${name.slice(3)}`);
    expect(tapName('net1', false)).toBe('tap1');
  });

  it('detects the ordinal scheme from existing links', () => {
    expect(usesOrdinalScheme(['lo', 'eth0', 'net1'])).toBe(true);
    expect(usesOrdinalScheme(['lo', 'eth0', 'network'])).toBe(false);
  });
});
