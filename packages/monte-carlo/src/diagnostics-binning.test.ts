import { createRandom } from '@latticediff/tensor-network';
import { describe, expect, it } from 'vitest';
import { ar1, ar1TauInt } from './diagnostics-ar1.test-helper';
import { binningAnalysis } from './diagnostics-binning';

describe('binningAnalysis', () => {
  it('computes the standard error per bin size exactly on a small case', () => {
    const { levels } = binningAnalysis([1, 2, 3, 4, 5, 6, 7, 8], { minBins: 2 });
    expect(levels.map((l) => l.binSize)).toEqual([1, 2, 4]);
    expect(levels.map((l) => l.binCount)).toEqual([8, 4, 2]);
    expect(levels[0]!.mean).toBe(4.5);
    expect(levels[0]!.stdErr).toBe(Math.sqrt(6 / 8)); // variance 6 (unbiased)
    expect(levels[1]!.stdErr).toBe(Math.sqrt(20 / 3 / 4)); // bin means 1.5, 3.5, 5.5, 7.5
    expect(levels[2]!.stdErr).toBe(2); // bin means 2.5, 6.5
    expect(levels[2]!.tauInt).toBeCloseTo(0.5 * (4 / 0.75), 12);
    expect(levels[1]!.stdErrError).toBeCloseTo(levels[1]!.stdErr / Math.sqrt(6), 14);
  });

  it('never lets a bin straddle two chains, and drops incomplete tails', () => {
    const { levels } = binningAnalysis(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      { minBins: 2 },
    );
    expect(levels.map((l) => l.binCount)).toEqual([6, 2]);
    expect(levels[1]!.mean).toBe(3); // bins (1, 2) and (4, 5)
  });

  it('gives the naive error for independent samples', () => {
    const random = createRandom(8);
    const series = random.fill(new Float64Array(1 << 17));
    const { levels, plateau } = binningAnalysis(series);
    const naive = levels[0]!.stdErr;
    expect(Math.abs(naive - Math.sqrt(1 / 12 / (1 << 17))) / naive).toBeLessThan(0.02);
    expect(plateau.converged).toBe(true);
    expect(Math.abs(plateau.stdErr - naive)).toBeLessThan(4 * plateau.stdErrError);
    expect(Math.abs(plateau.tauInt - 0.5)).toBeLessThan(0.1);
    expect(levels[levels.length - 1]!.binCount).toBeGreaterThanOrEqual(32);
  });

  it('finds the plateau sqrt(2 tau_int / N) of a correlated AR(1) series', () => {
    const phi = 0.9;
    const n = 1 << 19;
    const { plateau, levels } = binningAnalysis(ar1(phi, n, 31));
    const exact = Math.sqrt((2 * ar1TauInt(phi)) / n);
    expect(plateau.converged).toBe(true);
    expect(plateau.binSize).toBeGreaterThan(20 * ar1TauInt(phi));
    // statistical error plus the O(tau / binSize) bias of finite bins
    expect(Math.abs(plateau.stdErr - exact)).toBeLessThan(
      4 * plateau.stdErrError + (exact * ar1TauInt(phi)) / plateau.binSize,
    );
    expect(levels[0]!.stdErr).toBeLessThan(0.4 * exact);
  });
});
