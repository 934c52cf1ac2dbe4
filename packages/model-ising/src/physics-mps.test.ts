/**
 * The physics-built Born MPS of the Ising model against exact references: the exact MPS (no
 * truncation, equal to 1e-10) and the SVD truncation of the exact Born MPS at the same bond
 * dimension (KL(pi || P) within 20% of it, issue "Proposals near the best an MPS of that size can
 * be"), with KL estimated on exact samples and a 4-sigma allowance from the paired error bar.
 */
import { enumerateConfigurations, physicsBornMPS, probeLocalFactors } from '@latticediff/lattice';
import { compress, logProbabilities, sample } from '@latticediff/tensor-network';
import { describe, expect, it } from 'vitest';
import { isingModel } from './ising';

const BETA_C = Math.log(1 + Math.SQRT2) / 2;

describe('physicsBornMPS for Ising', () => {
  it.each([
    ['cylinder', 6, 5, 0.3, 0.2],
    ['torus', 4, 4, 0.5, -0.1],
    ['open', 5, 3, 0.7, 0],
  ] as const)(
    'equals the exact MPS without truncation (%s %ix%i)',
    (boundary, lx, ly, beta, field) => {
      const model = isingModel.create({ lx, ly, beta, field, boundary });
      const built = physicsBornMPS(model, { maxBondDim: Number.POSITIVE_INFINITY, cutoff: 0 });
      expect(built.logPartitionFunction).toBeCloseTo(
        model.exactObservables!().logPartitionFunction,
        10,
      );
      const exact = model.exactMPS!();
      const draws = sample(exact, { count: 2000, seed: 11 });
      const lp = logProbabilities(built.mps, draws);
      for (let k = 0; k < draws.count; k++) {
        expect(Math.abs(lp[k]! - draws.logProbabilities[k]!)).toBeLessThan(1e-10);
      }
    },
  );

  it('is within 20% of the SVD truncation of the exact Born MPS in KL(pi || P) at equal chi (6x6, beta_c)', () => {
    const model = isingModel.create({ lx: 6, ly: 6, beta: BETA_C });
    const chi = 8;
    const exactBorn = physicsBornMPS(model, {
      maxBondDim: Number.POSITIVE_INFINITY,
      cutoff: 0,
    }).mps;
    const svd = compress(exactBorn, { maxBondDim: chi }).mps;
    const built = physicsBornMPS(model, { maxBondDim: chi });
    expect(Math.max(...built.bondDims)).toBe(chi);
    const count = 20000;
    const draws = sample(model.exactMPS!(), { count, seed: 5 });
    const logPi = draws.logProbabilities;
    const lpBuilt = logProbabilities(built.mps, draws);
    const lpSvd = logProbabilities(svd, draws);
    // paired estimator of KL_built - 1.2 KL_svd and its standard error
    let mean = 0;
    let square = 0;
    let klBuilt = 0;
    let klSvd = 0;
    for (let k = 0; k < count; k++) {
      const b = logPi[k]! - lpBuilt[k]!;
      const s = logPi[k]! - lpSvd[k]!;
      klBuilt += b / count;
      klSvd += s / count;
      const v = b - 1.2 * s;
      mean += v / count;
      square += (v * v) / count;
    }
    const error = Math.sqrt((square - mean * mean) / count);
    expect(klSvd).toBeGreaterThan(0.05); // chi 8 truncates for real
    expect(klBuilt).toBeGreaterThan(0);
    expect(mean).toBeLessThan(4 * error);
  });
});

describe('probeLocalFactors for Ising (an energy function alone)', () => {
  it.each([
    ['cylinder', 4, 3, 0.3, 0.2],
    ['torus', 3, 4, 0.5, -0.1],
    ['open', 3, 3, 0.7, 0],
  ] as const)(
    'finds the energy exactly on every configuration (%s %ix%i) and builds the exact MPS from it',
    (boundary, lx, ly, beta, field) => {
      const model = isingModel.create({ lx, ly, beta, field, boundary });
      const probe = probeLocalFactors(model, { seed: 3 });
      expect(probe.pairwise).toBe(true);
      // one pair per distinct nearest-neighbour bond (a periodic bond of a 2-site ring counts once)
      const bonds = new Set<string>();
      const { pairs } = model.localFactors!();
      for (let p = 0; p < pairs!.sites.length / 2; p++) {
        const a = pairs!.sites[2 * p]!;
        const b = pairs!.sites[2 * p + 1]!;
        bonds.add(`${Math.min(a, b)},${Math.max(a, b)}`);
      }
      expect(probe.pairCount).toBe(bonds.size);
      const all = enumerateConfigurations(model.sites, 2);
      const energies = model.energy(all);
      const built = physicsBornMPS(model, {
        maxBondDim: Number.POSITIVE_INFINITY,
        cutoff: 0,
        factors: probe.factors,
      });
      const lp = logProbabilities(built.mps, all);
      const lnZ = model.exactObservables!().logPartitionFunction;
      expect(built.logPartitionFunction).toBeCloseTo(lnZ, 10);
      for (let k = 0; k < all.count; k++) {
        expect(Math.abs(lp[k]! - (-beta * energies[k]! - lnZ))).toBeLessThan(1e-10);
      }
    },
  );
});
