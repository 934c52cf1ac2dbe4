/**
 * The physics-built Born MPS of the Fredkin chain (the area as a site field, the Dyck rule as a
 * height automaton) against the exact MPS, without and with truncation.
 */
import { physicsBornMPS } from '@latticediff/lattice';
import { logProbabilities, sample } from '@latticediff/tensor-network';
import { describe, expect, it } from 'vitest';
import { fredkinModel } from './fredkin';

describe('physicsBornMPS for Fredkin', () => {
  it.each([
    [64, 0.55],
    [40, 0.3],
    [32, 0.5],
  ])('equals the exact MPS without truncation (N = %i, c = %f)', (sites, c) => {
    const model = fredkinModel.create({ sites, c });
    const built = physicsBornMPS(model, { maxBondDim: Number.POSITIVE_INFINITY, cutoff: 0 });
    const exact = model.exactObservables!();
    expect(built.logPartitionFunction).toBeCloseTo(exact.logPartitionFunction, 9);
    // the bond holds the live heights: at most N/4 + 1 in the middle
    expect(Math.max(...built.bondDims)).toBeLessThanOrEqual(sites / 4 + 1);
    const draws = sample(model.exactMPS!(), { count: 2000, seed: 3 });
    const lp = logProbabilities(built.mps, draws);
    for (let k = 0; k < draws.count; k++) {
      expect(Math.abs(lp[k]! - draws.logProbabilities[k]!)).toBeLessThan(1e-10);
    }
  });

  it('approximates better as chi grows (KL(pi || P) on exact samples at N = 64, c = 0.55)', () => {
    const model = fredkinModel.create({ sites: 64, c: 0.55 });
    const draws = sample(model.exactMPS!(), { count: 4000, seed: 8 });
    const kl = (chi: number) => {
      const built = physicsBornMPS(model, { maxBondDim: chi });
      expect(Math.max(...built.bondDims)).toBeLessThanOrEqual(chi);
      const lp = logProbabilities(built.mps, draws);
      let sum = 0;
      for (let k = 0; k < draws.count; k++)
        sum += (draws.logProbabilities[k]! - lp[k]!) / draws.count;
      return sum;
    };
    const values = [2, 4, 8, 17].map(kl);
    expect(values[0]!).toBeGreaterThan(values[1]!);
    expect(values[1]!).toBeGreaterThan(values[2]!);
    expect(values[2]!).toBeGreaterThan(0);
    expect(Math.abs(values[3]!)).toBeLessThan(1e-9); // chi 17 = N/4 + 1 is exact
  });
});
