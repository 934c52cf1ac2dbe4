/** The physics-built Born MPS of the Potts model against the exact MPS and the SVD truncation. */
import { physicsBornMPS } from '@latticediff/lattice';
import { compress, logProbabilities, sample } from '@latticediff/tensor-network';
import { describe, expect, it } from 'vitest';
import { pottsModel } from './potts';

describe('physicsBornMPS for Potts', () => {
  it.each([
    [3, 4, 3, 'cylinder', 0.2],
    [3, 4, 2, 'torus', 0],
  ] as const)(
    'equals the exact MPS without truncation (q = %i, %ix%i %s)',
    (q, lx, ly, boundary, field) => {
      const model = pottsModel.create({ q, lx, ly, boundary, field });
      const built = physicsBornMPS(model, { maxBondDim: Number.POSITIVE_INFINITY, cutoff: 0 });
      expect(built.logPartitionFunction).toBeCloseTo(
        model.exactObservables!().logPartitionFunction,
        10,
      );
      const draws = sample(model.exactMPS!(), { count: 2000, seed: 4 });
      const lp = logProbabilities(built.mps, draws);
      for (let k = 0; k < draws.count; k++) {
        expect(Math.abs(lp[k]! - draws.logProbabilities[k]!)).toBeLessThan(1e-10);
      }
    },
  );

  it('is within 20% of the SVD truncation in KL(pi || P) at equal chi (q = 3, 5x4 at beta_c)', () => {
    const model = pottsModel.create({ q: 3, lx: 5, ly: 4 });
    const chi = 9;
    const exactBorn = physicsBornMPS(model, {
      maxBondDim: Number.POSITIVE_INFINITY,
      cutoff: 0,
    }).mps;
    const svd = compress(exactBorn, { maxBondDim: chi }).mps;
    const built = physicsBornMPS(model, { maxBondDim: chi });
    const count = 20000;
    const draws = sample(model.exactMPS!(), { count, seed: 6 });
    const lpBuilt = logProbabilities(built.mps, draws);
    const lpSvd = logProbabilities(svd, draws);
    let mean = 0;
    let square = 0;
    let klSvd = 0;
    for (let k = 0; k < count; k++) {
      const b = draws.logProbabilities[k]! - lpBuilt[k]!;
      const s = draws.logProbabilities[k]! - lpSvd[k]!;
      klSvd += s / count;
      const v = b - 1.2 * s;
      mean += v / count;
      square += (v * v) / count;
    }
    expect(klSvd).toBeGreaterThan(0.02);
    expect(mean).toBeLessThan(4 * Math.sqrt((square - mean * mean) / count));
  });
});
