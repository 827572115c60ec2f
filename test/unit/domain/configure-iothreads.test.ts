import { describe, expect, it } from 'vitest';
import { convertVmi, defaultContext } from '../../../src/domain/index.js';
import { vmiWith } from './fixtures.js';

const disks = (extra: Record<string, unknown>, dedicated: string[] = []) =>
  vmiWith(
    {
      ...extra,
      devices: {
        disks: [
          { name: 'a', disk: {}, dedicatedIOThread: dedicated.includes('a') },
          { name: 'b', disk: {}, dedicatedIOThread: dedicated.includes('b') },
          { name: 'c', disk: { bus: 'sata' } },
        ],
      },
    },
    { volumes: ['a', 'b', 'c'].map((name) => ({ name, emptyDisk: { capacity: '1Gi' } })) },
  );

describe('iothreads', () => {
  it('adds none without a policy or a dedicated disk', () => {
    const d = convertVmi(disks({}), defaultContext());
    expect(d.iothreads).toBeUndefined();
    expect(d.devices.disks.map((x) => x.driver.iothread)).toEqual([undefined, undefined, undefined]);
  });
  it('shares one thread among the virtio disks with policy shared', () => {
    const d = convertVmi(disks({ ioThreadsPolicy: 'shared' }), defaultContext());
    expect(d.iothreads).toBe(1);
    expect(d.devices.disks.map((x) => x.driver.iothread)).toEqual([1, 1, undefined]);
  });
  it('gives each dedicated disk its own thread after the shared one', () => {
    const d = convertVmi(disks({}, ['b']), defaultContext());
    expect(d.iothreads).toBe(2);
    expect(d.devices.disks.map((x) => [x.alias, x.driver.iothread])).toEqual([
      ['ua-a', 1],
      ['ua-b', 2],
      ['ua-c', undefined],
    ]);
  });
  it('refuses the auto policy, naming the field', () => {
    expect(() => convertVmi(disks({ ioThreadsPolicy: 'auto' }), defaultContext())).toThrow(
      expect.objectContaining({ code: 'NOT_SUPPORTED', facts: { path: 'spec.domain.ioThreadsPolicy' } }),
    );
  });
});
