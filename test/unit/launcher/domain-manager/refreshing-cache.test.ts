import { describe, expect, it } from 'vitest';
import { RefreshingCache } from '../../../../src/launcher/domain-manager/refreshing-cache.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('RefreshingCache', () => {
  it('serves the cached value while fresh and shares one computation among callers', async () => {
    let n = 0;
    let now = 0;
    const cache = new RefreshingCache(
      async () => ++n,
      3250,
      () => now,
    );
    expect(await Promise.all([cache.get(), cache.get()])).toEqual([1, 1]);
    now = 3000;
    expect(await cache.get()).toBe(1);
    now = 3300;
    expect(await cache.get()).toBe(2);
    cache.close();
  });

  it('refreshes in the background once asked for', async () => {
    let n = 0;
    const cache = new RefreshingCache(async () => ++n, 20);
    expect(await cache.get()).toBe(1);
    await sleep(70);
    expect(n).toBeGreaterThanOrEqual(3);
    cache.close();
    const after = n;
    await sleep(50);
    expect(n).toBe(after);
  });

  it('hands a failure to the caller and stops refreshing', async () => {
    let fail = false;
    let n = 0;
    let now = 0;
    const cache = new RefreshingCache(
      async () => {
        n++;
        if (fail) throw new Error('no stats');
        return n;
      },
      10_000,
      () => now,
    );
    expect(await cache.get()).toBe(1);
    fail = true;
    now = 20_000;
    await expect(cache.get()).rejects.toThrow('no stats');
    fail = false;
    expect(await cache.get()).toBe(3);
    cache.close();
  });
});
