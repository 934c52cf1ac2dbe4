import { enumerateConfigurations, physicsBornMPS } from '@latticediff/lattice';
import { fredkinModel } from '@latticediff/model-fredkin';
import { isingModel } from '@latticediff/model-ising';
import {
  createSamplerPool,
  InvalidArgumentError,
  logProbabilities,
  randomMPS,
  sample,
} from '@latticediff/tensor-network';
import { describe, expect, it } from 'vitest';
import { proposalQuality } from './proposal-quality';

describe('proposalQuality', () => {
  const instance = isingModel.create({ lx: 2, ly: 4, beta: 0.4 });
  const all = enumerateConfigurations(8, 2);
  const logW = Array.from(instance.energy(all), (e) => -instance.beta * e);
  const max = Math.max(...logW);
  const logZ = max + Math.log(logW.reduce((a, l) => a + Math.exp(l - max), 0));

  it('estimates ln Z and KL(pi || P) within 4 of its standard errors of the exact values', () => {
    // a proposal of the quality used in practice (a truncated physics-built MPS); for very poor
    // proposals the weights have an effective sample size of a handful and the estimates fail,
    // as documented
    const mps = physicsBornMPS(instance, { maxBondDim: 2 }).mps;
    const lq = logProbabilities(mps, all);
    let kl = 0;
    for (let k = 0; k < all.count; k++) {
      const p = Math.exp(logW[k]! - logZ);
      kl += p * (logW[k]! - logZ - lq[k]!);
    }
    expect(kl).toBeGreaterThan(0.01);
    const q = proposalQuality(instance, mps, { count: 20000, seed: 3 });
    expect(q.allowedFraction).toBe(1);
    expect(Math.abs(q.logPartitionFunction - logZ)).toBeLessThan(4 * q.logPartitionFunctionStdErr);
    expect(Math.abs(q.kl - kl)).toBeLessThan(4 * q.klStdErr);
    expect(q.klStdErr).toBeLessThan(0.2 * kl); // an error bar that says something
    expect(q.importanceEss).toBeGreaterThan(1000);
    expect(q.importanceEss).toBeLessThan(20000);
  });

  it('gives KL 0 and the exact ln Z for the exact proposal (every weight equal)', () => {
    const exact = physicsBornMPS(instance, { maxBondDim: Number.POSITIVE_INFINITY, cutoff: 0 });
    const q = proposalQuality(instance, exact.mps, { count: 500, seed: 1 });
    expect(Math.abs(q.kl)).toBeLessThan(1e-10);
    expect(q.logPartitionFunction).toBeCloseTo(logZ, 10);
    expect(q.importanceEss).toBeCloseTo(500, 6);
  });

  it('measures the allowed mass of a proposal that leaks off the allowed set', () => {
    const fredkin = fredkinModel.create({ sites: 10, c: 0.6 });
    const mps = randomMPS({ length: 10, bondDim: 2, kind: 'born', seed: 9 });
    const configurations = enumerateConfigurations(10, 2);
    const allowed = fredkin.allowed(configurations);
    const lq = logProbabilities(mps, configurations);
    let mass = 0;
    for (let k = 0; k < configurations.count; k++) if (allowed[k] === 1) mass += Math.exp(lq[k]!);
    const count = 20000;
    const q = proposalQuality(fredkin, mps, { count, seed: 2 });
    expect(Math.abs(q.allowedFraction - mass)).toBeLessThan(
      4 * Math.sqrt((mass * (1 - mass)) / count),
    );
    expect(Number.isFinite(q.kl)).toBe(true);
  });

  it('refuses a bad instance, MPS or count, naming it', () => {
    const mps = randomMPS({ length: 8, bondDim: 2, kind: 'born', seed: 1 });
    const argumentOf = (run: () => unknown) => {
      try {
        run();
      } catch (error) {
        if (InvalidArgumentError.isInstance(error)) return error.argument;
      }
      return undefined;
    };
    expect(argumentOf(() => proposalQuality({} as never, mps, { count: 10, seed: 1 }))).toBe(
      'instance',
    );
    expect(
      argumentOf(() =>
        proposalQuality(isingModel.create({ lx: 2, ly: 2 }), mps, { count: 10, seed: 1 }),
      ),
    ).toBe('mps');
    expect(argumentOf(() => proposalQuality(instance, mps, { count: 1, seed: 1 }))).toBe('count');
  });

  it('gives the same figures with a pool (the same draws), as a Promise', async () => {
    const mps = physicsBornMPS(instance, { maxBondDim: 2 }).mps;
    const pool = await createSamplerPool({ workers: 2 });
    try {
      const direct = proposalQuality(instance, mps, { count: 3000, seed: 9 });
      const pooled = proposalQuality(instance, mps, { count: 3000, seed: 9, pool });
      expect(pooled).toBeInstanceOf(Promise);
      expect(await pooled).toEqual(direct);
      // a pool draws for an MPS only: an independence proposal draws by its own sample method
      const independence = {
        sites: 8,
        localDimension: 2,
        sample: (count: number, seed: number) => sample(mps, { count, seed }),
        logProbabilities: (batch: { data: Int32Array; count: number }) =>
          logProbabilities(mps, batch),
      };
      await expect(
        proposalQuality(instance, independence, { count: 100, seed: 1, pool }),
      ).rejects.toThrow(/`pool`/);
      expect(() =>
        proposalQuality(instance, mps, { count: 100, seed: 1, pool: 5 as never }),
      ).toThrow(/`pool`/);
    } finally {
      await pool.close();
    }
  });
});
