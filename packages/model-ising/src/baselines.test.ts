import { type LatticeModelInstance, metropolisSweep } from '@latticediff/lattice';
import { createRandom, type RandomGenerator } from '@latticediff/tensor-network';
import { describe, expect, it } from 'vitest';
import { isingModel } from './ising';
import type { IsingParameters } from './parameters';
import { isingTransferMatrix } from './transfer-matrix';

/** Binned mean and error of observables along a chain (bins much longer than the correlation time). */
function binnedAverages(
  instance: LatticeModelInstance<IsingParameters>,
  step: (x: Int32Array, random: RandomGenerator) => void,
  names: readonly string[],
  options: { seed: number; burnIn: number; bins: number; binLength: number },
): Record<string, { mean: number; error: number }> {
  const random = createRandom(options.seed);
  const x = instance.initialConfiguration();
  for (let s = 0; s < options.burnIn; s++) step(x, random);
  const bins = names.map(() => [] as number[]);
  for (let b = 0; b < options.bins; b++) {
    const sums = names.map(() => 0);
    for (let s = 0; s < options.binLength; s++) {
      step(x, random);
      names.forEach((name, k) => {
        sums[k]! += instance.observe(name, { data: x, count: 1 })[0] as number;
      });
    }
    names.forEach((_, k) => {
      bins[k]?.push((sums[k] as number) / options.binLength);
    });
  }
  const out: Record<string, { mean: number; error: number }> = {};
  names.forEach((name, k) => {
    const values = bins[k] as number[];
    const mean = values.reduce((a, v) => a + v, 0) / values.length;
    const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1);
    out[name] = { mean, error: Math.sqrt(variance / values.length) };
  });
  return out;
}

describe('baselines reproduce exact averages within 4 sigma of their binned error bars', () => {
  it('Wolff clusters at the critical point (4 x 6 cylinder, h = 0)', () => {
    const instance = isingModel.create({ lx: 4, ly: 6, beta: 0.44 });
    const wolff = instance.clusterMove;
    if (!wolff) throw new Error('expected a cluster move for J > 0');
    const exact = isingTransferMatrix(instance.parameters);
    const names = ['absMagnetization', 'magnetizationSquared', 'energyPerSite'] as const;
    const result = binnedAverages(instance, (x, r) => wolff(x, r), names, {
      seed: 21,
      burnIn: 200,
      bins: 100,
      binLength: 200,
    });
    for (const name of names) {
      const { mean, error } = result[name] as { mean: number; error: number };
      expect(error).toBeGreaterThan(0);
      expect(Math.abs(mean - exact[name]), name).toBeLessThan(4 * error);
    }
  });

  it('Wolff clusters with a field (3 x 4 torus, h = 0.15)', () => {
    const instance = isingModel.create({
      lx: 3,
      ly: 4,
      beta: 0.35,
      field: 0.15,
      boundary: 'torus',
    });
    const wolff = instance.clusterMove;
    if (!wolff) throw new Error('expected a cluster move for J > 0');
    const exact = isingTransferMatrix(instance.parameters);
    const result = binnedAverages(
      instance,
      (x, r) => wolff(x, r),
      ['magnetization', 'energyPerSite'],
      {
        seed: 22,
        burnIn: 200,
        bins: 100,
        binLength: 200,
      },
    );
    for (const name of ['magnetization', 'energyPerSite'] as const) {
      const { mean, error } = result[name] as { mean: number; error: number };
      expect(Math.abs(mean - exact[name]), name).toBeLessThan(4 * error);
    }
  });

  it('single-spin Metropolis (4 x 4 open lattice, beta = 0.3, h = -0.1)', () => {
    const instance = isingModel.create({ lx: 4, ly: 4, beta: 0.3, field: -0.1, boundary: 'open' });
    const exact = isingTransferMatrix(instance.parameters);
    const result = binnedAverages(
      instance,
      (x, r) => {
        metropolisSweep(instance, x, r);
      },
      ['energyPerSite', 'magnetization'],
      { seed: 23, burnIn: 200, bins: 100, binLength: 100 },
    );
    for (const name of ['energyPerSite', 'magnetization'] as const) {
      const { mean, error } = result[name] as { mean: number; error: number };
      expect(Math.abs(mean - exact[name]), name).toBeLessThan(4 * error);
    }
  });

  it('offers no cluster move for J <= 0', () => {
    expect(isingModel.create({ coupling: -1 }).clusterMove).toBeUndefined();
  });
});
