import {
  InvalidArgumentError,
  logProbabilities,
  type MPSKind,
  randomMPS,
  sample,
} from '@latticediff/tensor-network';
import { describe, expect, it } from 'vitest';
import { denoise, denoiseAncestral, generate } from './denoise';
import { addNoise } from './forward';
import { maskNoise, type NoiseProcess, propagator, rateMatrixNoise, uniformNoise } from './noise';
import { linearSchedule, scheduleTimes } from './schedule';
import {
  applyKernel,
  chiSquare,
  denseConditional,
  denseDistribution,
  histogram,
  indexOf,
  repeat,
  skewed,
} from './testing/exact';

const P_MIN = 1e-4; // fixed seeds; a correct sampler fails one such test with probability 1e-4

const custom3 = (): NoiseProcess =>
  rateMatrixNoise([
    [-1.1, 0.4, 0.0],
    [0.8, -0.9, 2.0],
    [0.3, 0.5, -2.0],
  ]);

const cases: { name: string; noise: NoiseProcess; kind: MPSKind; n: number; chi: number }[] = [
  {
    name: 'uniform d=2, linear, N=8',
    noise: uniformNoise({ physicalDim: 2 }),
    kind: 'linear',
    n: 8,
    chi: 4,
  },
  {
    name: 'uniform d=2, Born, N=7',
    noise: uniformNoise({ physicalDim: 2 }),
    kind: 'born',
    n: 7,
    chi: 3,
  },
  {
    name: 'uniform d=3, linear, N=5',
    noise: uniformNoise({ physicalDim: 3, rate: 0.5 }),
    kind: 'linear',
    n: 5,
    chi: 3,
  },
  { name: 'custom d=3, Born, N=5', noise: custom3(), kind: 'born', n: 5, chi: 3 },
  {
    name: 'mask d=2, linear, N=6',
    noise: maskNoise({ physicalDim: 2 }),
    kind: 'linear',
    n: 6,
    chi: 3,
  },
];

describe.each(cases)('exact denoising ($name)', ({ noise, kind, n, chi }) => {
  const mps = randomMPS({
    length: n,
    physicalDim: noise.dataDim,
    bondDim: chi,
    kind,
    seed: 50 + n,
    spread: 0.8,
  });
  const p0 = denseDistribution(mps);
  const d = noise.dataDim;
  const D = noise.stateDim;

  it.each([1e-3, 0.3, 1, 8])('noise-then-denoise samples follow P_0 (chi-square, t = %s)', (t) => {
    const count = 60_000;
    const x0 = sample(mps, { count, seed: 1 });
    const y = addNoise(noise, x0, { time: t, seed: 2 });
    const x = denoise(mps, noise, { noisy: y, time: t, seed: 3 });
    expect(chiSquare(histogram(x.data, count, n, d), p0).pValue).toBeGreaterThan(P_MIN);
  });

  it('the same samples fail the test against a wrong law (the test has power)', () => {
    const count = 60_000;
    const y = addNoise(noise, sample(mps, { count, seed: 1 }), { time: 0.3, seed: 2 });
    const x = denoise(mps, noise, { noisy: y, time: 0.3, seed: 3 });
    expect(chiSquare(histogram(x.data, count, n, d), skewed(p0, 0.1)).pValue).toBeLessThan(P_MIN);
  });

  it.each([
    [0.7, 0],
    [0.7, 0.25],
    [2, 1.2],
  ])('log P(x_s | x_t = y) and log P_t(y) equal enumeration at 1e-10 (t = %s, s = %s)', (t, s) => {
    const ps = s === 0 ? p0 : applyKernel(p0, n, d, propagator(noise, s), D);
    const pt = applyKernel(p0, n, d, propagator(noise, t), D);
    const dimS = s === 0 ? d : D;
    const y = addNoise(noise, sample(mps, { count: 40, seed: 9 }), { time: t, seed: 10 });
    const methods =
      s > 0 && kind === 'linear' ? (['direct', 'bridge'] as const) : ([undefined] as const);
    for (const method of methods) {
      const r = denoise(mps, noise, { noisy: y, time: t, targetTime: s, seed: 4, method });
      const kts = propagator(noise, t - s);
      for (let b = 0; b < y.count; b++) {
        const yb = Array.from(y.data.subarray(b * n, (b + 1) * n));
        const cond = denseConditional(ps, n, dimS, kts, D, yb);
        const p = cond[indexOf(r.data, dimS, b * n, n)]!;
        expect(p).toBeGreaterThan(0);
        expect(Math.abs(r.logProbabilities[b]! - Math.log(p))).toBeLessThan(1e-10);
        expect(Math.abs(r.noisyLogProbabilities[b]! - Math.log(pt[indexOf(yb, D)]!))).toBeLessThan(
          1e-10,
        );
      }
    }
  });

  it('one-shot, multi-step ancestral and (for s > 0) bridge denoising give the same law P(x_0 | y)', () => {
    const t = 1.2;
    const y = addNoise(noise, sample(mps, { count: 1, seed: 77 }), { time: t, seed: 78 });
    const yb = Array.from(y.data);
    const exact = denseConditional(p0, n, d, propagator(noise, t), D, yb);
    const count = 40_000;
    const batch = repeat(yb, count);
    const oneShot = denoise(mps, noise, { noisy: batch, time: t, seed: 5 });
    const times = scheduleTimes(linearSchedule({ endTime: t }), 4);
    const multi = denoiseAncestral(mps, noise, { noisy: batch, times, seed: 6 });
    for (const r of [oneShot, multi]) {
      expect(chiSquare(histogram(r.data, count, n, d), exact).pValue).toBeGreaterThan(P_MIN);
    }
    if (kind === 'linear') {
      const bridged = denoiseAncestral(mps, noise, {
        noisy: batch,
        times,
        seed: 7,
        method: 'bridge',
      });
      expect(chiSquare(histogram(bridged.data, count, n, d), exact).pValue).toBeGreaterThan(P_MIN);
    }
    // returned log-probabilities are the marginal log P(x_0 | y) in both cases
    for (let b = 0; b < 50; b++) {
      expect(
        Math.abs(multi.logProbabilities[b]! - Math.log(exact[indexOf(multi.data, d, b * n, n)]!)),
      ).toBeLessThan(1e-10);
    }
  });

  it('denoising to s > 0 samples P(x_s | x_t = y) (chi-square)', () => {
    const t = 1;
    const s = 0.4;
    const ps = applyKernel(p0, n, d, propagator(noise, s), D);
    const y = addNoise(noise, sample(mps, { count: 1, seed: 17 }), { time: t, seed: 18 });
    const yb = Array.from(y.data);
    const exact = denseConditional(ps, n, D, propagator(noise, t - s), D, yb);
    const count = 40_000;
    const r = denoise(mps, noise, { noisy: repeat(yb, count), time: t, targetTime: s, seed: 8 });
    expect(chiSquare(histogram(r.data, count, n, D), exact).pValue).toBeGreaterThan(P_MIN);
  });

  it('generation end to end gives exact samples of P_theta with exact log P_theta', () => {
    const count = 60_000;
    const g = generate(mps, noise, { count, time: 1.5, seed: 21 });
    expect(chiSquare(histogram(g.data, count, n, d), p0).pValue).toBeGreaterThan(P_MIN);
    const lp = logProbabilities(mps, { data: g.data.subarray(0, 200 * n), count: 200 });
    for (let b = 0; b < 200; b++)
      expect(Math.abs(g.logProbabilities[b]! - lp[b]!)).toBeLessThan(1e-10);
    const multi = generate(mps, noise, { count: 20_000, times: [1.5, 0.5, 0.1, 0], seed: 22 });
    expect(chiSquare(histogram(multi.data, 20_000, n, d), p0).pValue).toBeGreaterThan(P_MIN);
  });

  it('is reproducible by seed', () => {
    const y = addNoise(noise, sample(mps, { count: 30, seed: 1 }), { time: 0.5, seed: 2 });
    const a = denoise(mps, noise, { noisy: y, time: 0.5, seed: 42 });
    const b = denoise(mps, noise, { noisy: y, time: 0.5, seed: 42 });
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    const g1 = generate(mps, noise, { count: 20, time: 1, seed: 5 });
    const g2 = generate(mps, noise, { count: 20, time: 1, seed: 5 });
    expect(Array.from(g1.data)).toEqual(Array.from(g2.data));
  });
});

describe('denoising: errors', () => {
  const noise = uniformNoise({ physicalDim: 2 });
  const mps = randomMPS({ length: 4, bondDim: 2, seed: 1 });
  const born = randomMPS({ length: 4, bondDim: 2, kind: 'born', seed: 1 });
  const y = [[0, 1, 1, 0]];
  it('names the argument, the function and the value', () => {
    expect(() => denoise(mps, noise, { noisy: y, time: -1, seed: 0 })).toThrow(
      'invalid argument: `time` passed to `denoise` must be a finite number >= 0 (got -1)',
    );
    expect(() => denoise(mps, noise, { noisy: y, time: 1, targetTime: 2, seed: 0 })).toThrow(
      'invalid argument: `targetTime` passed to `denoise` must be a time <= time (1) (got 2)',
    );
    expect(() => denoise(mps, noise, { noisy: [[0, 1, 1]], time: 1, seed: 0 })).toThrow(
      /`noisy` passed to `denoise` must be configurations of the MPS length 4/,
    );
    expect(() => denoise(mps, noise, { noisy: [[0, 1, 2, 0]], time: 1, seed: 0 })).toThrow(
      /`noisy\[0\]\[2\]` .* digit in \[0, 1\] \(got 2\)/,
    );
    expect(() =>
      denoise(born, noise, { noisy: y, time: 1, targetTime: 0.5, seed: 0, method: 'direct' }),
    ).toThrow(InvalidArgumentError);
    expect(() =>
      denoise(mps, uniformNoise({ physicalDim: 3 }), { noisy: y, time: 1, seed: 0 }),
    ).toThrow(/data dimension 3/);
    expect(() => denoiseAncestral(mps, noise, { noisy: y, times: [1, 1, 0], seed: 0 })).toThrow(
      /`times\[1\]` passed to `denoiseAncestral`/,
    );
    expect(() => denoise(mps, noise, { noisy: y, time: 1, seed: -3 })).toThrow(/`seed`/);
    expect(() => generate(mps, noise, { count: 3, seed: 0 })).toThrow(
      /`time` passed to `generate` must be a finite number > 0/,
    );
    expect(() => generate(mps, noise, { count: 3, times: [1, 0.5], seed: 0 })).toThrow(
      /generation ends at clean samples/,
    );
  });
});
