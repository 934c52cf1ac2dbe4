import { type MPSKind, NumericalError, randomMPS, sample } from '@latticediff/tensor-network';
import { describe, expect, it } from 'vitest';
import { generate } from './denoise';
import { addNoise } from './forward';
import { maskNoise, type NoiseProcess, propagator, rateMatrixNoise, uniformNoise } from './noise';
import { simulateReverse, tauLeaping } from './simulate';
import {
  applyKernel,
  chiSquare,
  denseConditional,
  denseDistribution,
  histogram,
  repeat,
  totalVariation,
} from './testing/exact';

const P_MIN = 1e-4;

describe('exact reverse-time CTMC simulation (thinning)', () => {
  const cases: {
    name: string;
    noise: NoiseProcess;
    kind: MPSKind;
    n: number;
    y: number[];
    t: number;
    s: number;
  }[] = [
    {
      name: 'uniform d=2, linear',
      noise: uniformNoise({ physicalDim: 2 }),
      kind: 'linear',
      n: 5,
      y: [1, 0, 0, 1, 1],
      t: 1,
      s: 0,
    },
    {
      name: 'uniform d=2, Born',
      noise: uniformNoise({ physicalDim: 2, rate: 0.6 }),
      kind: 'born',
      n: 4,
      y: [0, 1, 1, 0],
      t: 1.5,
      s: 0,
    },
    {
      name: 'mask d=2 (all masks must be resolved before 0)',
      noise: maskNoise({ physicalDim: 2 }),
      kind: 'linear',
      n: 4,
      y: [2, 0, 2, 2],
      t: 1,
      s: 0,
    },
    {
      name: 'custom d=3, to s > 0',
      noise: rateMatrixNoise([
        [-1.1, 0.4, 0.0],
        [0.8, -0.9, 2.0],
        [0.3, 0.5, -2.0],
      ]),
      kind: 'linear',
      n: 4,
      y: [2, 0, 1, 1],
      t: 0.9,
      s: 0.3,
    },
  ];

  it.each(cases)(
    'samples P(x_s | x_t = y) exactly: $name (chi-square)',
    ({ noise, kind, n, y, t, s }) => {
      const mps = randomMPS({
        length: n,
        physicalDim: noise.dataDim,
        bondDim: 3,
        kind,
        seed: 90 + n,
        spread: 0.8,
      });
      const D = noise.stateDim;
      const dimS = s === 0 ? noise.dataDim : D;
      const p0 = denseDistribution(mps);
      const ps = s === 0 ? p0 : applyKernel(p0, n, noise.dataDim, propagator(noise, s), D);
      const exact = denseConditional(ps, n, dimS, propagator(noise, t - s), D, y);
      const count = 3000;
      const r = simulateReverse(mps, noise, {
        noisy: repeat(y, count),
        time: t,
        targetTime: s,
        seed: 12,
      });
      expect(chiSquare(histogram(r.data, count, n, dimS), exact).pValue).toBeGreaterThan(P_MIN);
      expect(r.jumps.every((j, b) => j <= r.proposals[b]!)).toBe(true);
    },
  );

  it('noise-then-simulate samples follow P_0 (chi-square)', () => {
    const noise = uniformNoise({ physicalDim: 2 });
    const mps = randomMPS({ length: 5, bondDim: 3, seed: 4, spread: 0.8 });
    const count = 3000;
    const y = addNoise(noise, sample(mps, { count, seed: 1 }), { time: 0.8, seed: 2 });
    const r = simulateReverse(mps, noise, { noisy: y, time: 0.8, seed: 3 });
    expect(
      chiSquare(histogram(r.data, count, 5, 2), denseDistribution(mps)).pValue,
    ).toBeGreaterThan(P_MIN);
  });

  it('stops at maxEvents with a NumericalError and is reproducible by seed', () => {
    const noise = uniformNoise({ physicalDim: 2 });
    const mps = randomMPS({ length: 5, bondDim: 3, seed: 4 });
    const y = repeat([1, 1, 0, 0, 1], 20);
    expect(() => simulateReverse(mps, noise, { noisy: y, time: 5, seed: 1, maxEvents: 2 })).toThrow(
      NumericalError,
    );
    const a = simulateReverse(mps, noise, { noisy: y, time: 1, seed: 9 });
    const b = simulateReverse(mps, noise, { noisy: y, time: 1, seed: 9 });
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    expect(() =>
      simulateReverse(mps, noise, { noisy: y, time: 1, targetTime: 2, seed: 1 }),
    ).toThrow(/`targetTime` passed to `simulateReverse`/);
  });
});

describe('tau-leaping (approximate)', () => {
  it('has a bias well above the sampling noise for a coarse step, which shrinks for a finer step', () => {
    const noise = uniformNoise({ physicalDim: 2 });
    const n = 6;
    const mps = randomMPS({ length: n, bondDim: 3, seed: 3, spread: 1 });
    const p0 = denseDistribution(mps);
    const count = 20_000;
    const T = 1.5;
    const g = generate(mps, noise, { count, time: T, seed: 1 });
    const y = { data: g.noisy, count, length: n };
    // sampling noise of an empirical TV: (1/2) sum_k sd(p^_k) = (1/2) sum_k sqrt(p_k (1 - p_k) / M)
    let noiseLevel = 0;
    for (const p of p0) noiseLevel += 0.5 * Math.sqrt((p * (1 - p)) / count);
    const tv = (steps: number): number => {
      const times = Array.from({ length: steps + 1 }, (_, k) => T * (1 - k / steps));
      const r = tauLeaping(mps, noise, { noisy: y, times, seed: 2 });
      return totalVariation(histogram(r.data, count, n, 2), p0);
    };
    const exactTv = totalVariation(histogram(g.data, count, n, 2), p0);
    const coarse = tv(4);
    const fine = tv(16);
    expect(exactTv).toBeLessThan(2 * noiseLevel);
    expect(coarse).toBeGreaterThan(4 * noiseLevel);
    expect(fine).toBeLessThan(coarse / 2);
  });

  it('rejects bad time grids', () => {
    const noise = uniformNoise({ physicalDim: 2 });
    const mps = randomMPS({ length: 3, bondDim: 2, seed: 1 });
    expect(() => tauLeaping(mps, noise, { noisy: [[0, 1, 0]], times: [1], seed: 0 })).toThrow(
      /`times` passed to `tauLeaping`/,
    );
    expect(() => tauLeaping(mps, noise, { noisy: [[0, 1, 0]], times: [1, -1], seed: 0 })).toThrow(
      'invalid argument: `times[1]` passed to `tauLeaping` must be a finite number >= 0 (got -1)',
    );
  });
});
