import { describe, expect, it } from 'vitest';
import { FUZZ_ITERATIONS, FUZZ_SEED, type FuzzTarget, replayCorpus, runFuzz } from './harness.js';

// The two tests every decoder gets: the regression corpus (and seeds) first, then the budget.
export function fuzzSuite(makeTarget: () => FuzzTarget): void {
  const target = makeTarget();
  describe(`fuzz: ${target.name}`, () => {
    it('replays the regression corpus and the seeds', () => {
      expect(replayCorpus(target)).toBeGreaterThan(0);
    });

    it(`survives ${FUZZ_ITERATIONS} inputs (FUZZ_SEED=${FUZZ_SEED}) without crash, hang or heap growth`, () => {
      const report = runFuzz(target);
      expect(report.inputs).toBe(FUZZ_ITERATIONS);
      // A decoder that rejects everything is not being fuzzed past its first check.
      if (FUZZ_ITERATIONS >= 1000) expect(report.ok, `${target.name} accepted no input`).toBeGreaterThan(0);
    });
  });
}
