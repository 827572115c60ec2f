import { describe, expect, it } from 'vitest';
import { OperationLock } from '../../../../src/launcher/domain-manager/operation-lock.js';

const tick = () => new Promise((r) => setTimeout(r, 1));

describe('OperationLock', () => {
  it('runs operations one at a time, in arrival order', async () => {
    const lock = new OperationLock();
    const log: string[] = [];
    const op = (name: string, ms: number) =>
      lock.run(name, async () => {
        log.push(`${name}:start`);
        await new Promise((r) => setTimeout(r, ms));
        log.push(`${name}:end`);
        return name;
      });
    const results = await Promise.all([op('sync', 20), op('pause', 1), op('kill', 5)]);
    expect(results).toEqual(['sync', 'pause', 'kill']);
    expect(log).toEqual(['sync:start', 'sync:end', 'pause:start', 'pause:end', 'kill:start', 'kill:end']);
  });

  it('releases the lock when an operation fails', async () => {
    const lock = new OperationLock();
    const failed = lock.run('sync', async () => {
      throw new Error('boom');
    });
    const next = lock.run('pause', () => 'ran');
    await expect(failed).rejects.toThrow('boom');
    await expect(next).resolves.toBe('ran');
  });

  it('says who holds it and how many wait', async () => {
    const lock = new OperationLock();
    let release!: () => void;
    const first = lock.run('sync', () => new Promise<void>((r) => (release = r)));
    const second = lock.run('pause', () => undefined);
    await tick();
    expect(lock.holder).toBe('sync');
    expect(lock.queued).toBe(1);
    release();
    await Promise.all([first, second]);
    expect(lock.holder).toBeUndefined();
    expect(lock.queued).toBe(0);
  });
});
