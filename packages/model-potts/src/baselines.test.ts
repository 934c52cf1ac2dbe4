import {
  configurationIndex,
  exactByEnumeration,
  type LatticeModelInstance,
  metropolisSweep,
} from '@latticediff/lattice';
import { createRandom, type RandomGenerator } from '@latticediff/tensor-network';
import { describe, expect, it } from 'vitest';
import type { PottsParameters } from './parameters';
import { pottsModel } from './potts';
import { pottsCountDistribution, pottsTransferMatrix } from './transfer-matrix';

/** Binned mean and error of observables along a chain (bins much longer than the correlation time). */
function binnedAverages(
  instance: LatticeModelInstance<PottsParameters>,
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

function exactMeans(instance: LatticeModelInstance<PottsParameters>): Record<string, number> {
  const moments = pottsTransferMatrix(instance.parameters);
  const counts = pottsCountDistribution(instance.parameters);
  return {
    energyPerSite: moments.energyPerSite,
    colourZeroDensity: moments.colourZeroDensity,
    orderParameter: counts.orderParameter,
    orderParameterSquared: counts.orderParameterSquared,
  };
}

describe('local moves x_k -> (r - x_k) mod q', () => {
  it('give a Metropolis chain in exact detailed balance with pi (2 x 2 torus, q = 3, h != 0)', () => {
    const instance = pottsModel.create({
      lx: 2,
      ly: 2,
      q: 3,
      beta: 0.9,
      field: 0.4,
      boundary: 'torus',
    });
    const { probabilities: pi, configurations, energies } = exactByEnumeration(instance);
    const count = configurations.count;
    const n = instance.sites;
    const moves = instance.localMoves;
    expect(moves.count).toBe(n * 3);
    // transition matrix of one Metropolis step: uniform move slot, min(1, exp(-beta dE))
    const transition = new Float64Array(count * count);
    for (let k = 0; k < count; k++) {
      const x = Int32Array.from(configurations.data.subarray(k * n, (k + 1) * n));
      let stay = 1;
      for (let m = 0; m < moves.count; m++) {
        const dE = moves.deltaEnergy(x, m);
        const y = Int32Array.from(x);
        moves.apply(y, m);
        const target = configurationIndex(y, 3);
        expect(dE).toBeCloseTo((energies[target] as number) - (energies[k] as number), 12);
        const p = Math.min(1, Math.exp(-instance.beta * dE)) / moves.count;
        transition[k * count + target]! += p;
        stay -= p;
      }
      transition[k * count + k]! += stay;
    }
    // every pair of colours at a site is connected by exactly one move: q - 1 changes per site
    const x0 = instance.initialConfiguration();
    const reached = new Set<number>();
    for (let m = 0; m < moves.count; m++) {
      const y = Int32Array.from(x0);
      moves.apply(y, m);
      reached.add(configurationIndex(y, 3));
    }
    expect(reached.size).toBe(n * 2 + 1);
    let worst = 0;
    for (let a = 0; a < count; a++) {
      let stationary = 0;
      for (let b = 0; b < count; b++) {
        const flow = (pi[a] as number) * (transition[a * count + b] as number);
        const back = (pi[b] as number) * (transition[b * count + a] as number);
        worst = Math.max(worst, Math.abs(flow - back));
        stationary += (pi[b] as number) * (transition[b * count + a] as number);
      }
      expect(Math.abs(stationary - (pi[a] as number))).toBeLessThan(1e-15);
    }
    expect(worst).toBeLessThan(1e-16);
  });
});

describe('baselines reproduce exact averages within 4 sigma of their binned error bars', () => {
  it('Metropolis sweeps (3 x 4 cylinder, q = 3, beta = 0.9, h = 0.1)', () => {
    const instance = pottsModel.create({ lx: 3, ly: 4, q: 3, beta: 0.9, field: 0.1 });
    const exact = exactMeans(instance);
    const names = ['energyPerSite', 'colourZeroDensity', 'orderParameter'] as const;
    const result = binnedAverages(
      instance,
      (x, r) => {
        metropolisSweep(instance, x, r);
      },
      names,
      { seed: 31, burnIn: 200, bins: 100, binLength: 60 },
    );
    for (const name of names) {
      const { mean, error } = result[name] as { mean: number; error: number };
      expect(error).toBeGreaterThan(0);
      expect(Math.abs(mean - (exact[name] as number)), name).toBeLessThan(4 * error);
    }
  });

  it('Wolff clusters at the critical point (4 x 4 cylinder, q = 3, h = 0)', () => {
    const instance = pottsModel.create({ lx: 4, ly: 4, q: 3 });
    const wolff = instance.clusterMove;
    if (!wolff) throw new Error('expected a cluster move for J > 0');
    const exact = exactMeans(instance);
    const names = ['energyPerSite', 'orderParameter', 'orderParameterSquared'] as const;
    const result = binnedAverages(instance, (x, r) => wolff(x, r), names, {
      seed: 32,
      burnIn: 200,
      bins: 100,
      binLength: 200,
    });
    for (const name of names) {
      const { mean, error } = result[name] as { mean: number; error: number };
      expect(error).toBeGreaterThan(0);
      expect(Math.abs(mean - (exact[name] as number)), name).toBeLessThan(4 * error);
    }
  });

  it('Wolff clusters with a field (3 x 3 torus, q = 4, beta = 0.8, h = 0.3)', () => {
    const instance = pottsModel.create({
      lx: 3,
      ly: 3,
      q: 4,
      beta: 0.8,
      field: 0.3,
      boundary: 'torus',
    });
    const wolff = instance.clusterMove;
    if (!wolff) throw new Error('expected a cluster move for J > 0');
    const exact = exactMeans(instance);
    const names = ['energyPerSite', 'colourZeroDensity'] as const;
    const result = binnedAverages(instance, (x, r) => wolff(x, r), names, {
      seed: 33,
      burnIn: 200,
      bins: 100,
      binLength: 200,
    });
    for (const name of names) {
      const { mean, error } = result[name] as { mean: number; error: number };
      expect(Math.abs(mean - (exact[name] as number)), name).toBeLessThan(4 * error);
    }
  });

  it('offers no cluster move for J <= 0', () => {
    expect(pottsModel.create({ coupling: -1 }).clusterMove).toBeUndefined();
    expect(pottsModel.create({ coupling: 0 }).clusterMove).toBeUndefined();
  });
});
