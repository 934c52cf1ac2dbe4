import {
  InvalidArgumentError,
  type MPSKind,
  NumericalError,
  randomMPS,
} from '@latticediff/tensor-network';
import { describe, expect, it } from 'vitest';
import { maskNoise, type NoiseProcess, propagator, rateMatrixNoise, uniformNoise } from './noise';
import { probabilityRatios, reverseRates } from './reverse-rates';
import { applyKernel, denseDistribution, enumerate, indexOf } from './testing/exact';

const custom3 = (): NoiseProcess =>
  rateMatrixNoise([
    [-1.1, 0.4, 0.0],
    [0.8, -0.9, 2.0],
    [0.3, 0.5, -2.0],
  ]);

const cases: { name: string; noise: NoiseProcess; kind: MPSKind; n: number; chi: number }[] = [
  {
    name: 'uniform d=2, linear, N=7',
    noise: uniformNoise({ physicalDim: 2, rate: 0.9 }),
    kind: 'linear',
    n: 7,
    chi: 4,
  },
  {
    name: 'uniform d=2, Born, N=6',
    noise: uniformNoise({ physicalDim: 2, rate: 0.9 }),
    kind: 'born',
    n: 6,
    chi: 3,
  },
  { name: 'custom d=3, linear, N=5', noise: custom3(), kind: 'linear', n: 5, chi: 3 },
  { name: 'custom d=3, Born, N=4', noise: custom3(), kind: 'born', n: 4, chi: 3 },
  {
    name: 'mask d=2, linear, N=5',
    noise: maskNoise({ physicalDim: 2, rate: 0.7 }),
    kind: 'linear',
    n: 5,
    chi: 3,
  },
];

describe.each(cases)('reverse-time rates ($name)', ({ noise, kind, n, chi }) => {
  const mps = randomMPS({
    length: n,
    physicalDim: noise.dataDim,
    bondDim: chi,
    kind,
    seed: 31 + n,
    spread: 0.8,
  });
  const p0 = denseDistribution(mps);
  const D = noise.stateDim;
  const q = noise.rateMatrix;

  it.each([0.02, 0.5, 3])(
    "equal W(x'->x) P_t(x') / P_t(x) from enumeration at 1e-10 (t = %s)",
    (t) => {
      const pt = applyKernel(p0, n, noise.dataDim, propagator(noise, t), D);
      const configs = enumerate(n, D).filter((_, k) => pt[k]! > 0);
      const result = reverseRates(mps, noise, { time: t, configurations: configs });
      const ratios = probabilityRatios(mps, noise, { time: t, configurations: configs });
      configs.forEach((x, b) => {
        const px = pt[indexOf(x, D)]!;
        expect(Math.abs(Math.exp(result.logProbabilities[b]!) - px) / px).toBeLessThan(1e-10);
        let total = 0;
        for (let i = 0; i < n; i++) {
          for (let y = 0; y < D; y++) {
            const xp = [...x];
            xp[i] = y;
            const pxp = pt[indexOf(xp, D)]!;
            const rate = result.rates[(b * n + i) * D + y]!;
            const ratio = ratios.ratios[(b * n + i) * D + y]!;
            expect(Math.abs(ratio - pxp / px)).toBeLessThanOrEqual(1e-10 * (pxp / px));
            if (y === x[i]) {
              expect(rate).toBe(0);
              continue;
            }
            // detailed relation with the forward rates: W~(x -> x') P_t(x) = W(x' -> x) P_t(x')
            const forward = q[x[i]! * D + y]!;
            const lhs = rate * px;
            const rhs = forward * pxp;
            expect(Math.abs(lhs - rhs)).toBeLessThanOrEqual(1e-10 * Math.abs(rhs));
            total += rate;
          }
        }
        expect(Math.abs(result.totalRates[b]! - total)).toBeLessThanOrEqual(1e-12 * total);
      });
    },
  );

  it('generate the time-reversed master equation: -dP_t/dt = W~ P_t', () => {
    const t = 0.4;
    const pt = applyKernel(p0, n, noise.dataDim, propagator(noise, t), D);
    const all = enumerate(n, D);
    const support = all.filter((_, k) => pt[k]! > 0);
    const result = reverseRates(mps, noise, { time: t, configurations: support });
    const row = new Map<number, number>();
    support.forEach((x, b) => {
      row.set(indexOf(x, D), b);
    });
    for (const x of support) {
      const kx = indexOf(x, D);
      const b = row.get(kx)!;
      // (W P_t)(x) = sum_i sum_y Q[x_i][y] P_t(x^{i->y}) (forward generator, diagonal included)
      let forward = 0;
      // reverse generator applied to P_t: inflow minus outflow
      let reverse = -result.totalRates[b]! * pt[kx]!;
      for (let i = 0; i < n; i++) {
        for (let y = 0; y < D; y++) {
          const xp = [...x];
          xp[i] = y;
          const kp = indexOf(xp, D);
          forward += q[x[i]! * D + y]! * pt[kp]!;
          if (y !== x[i] && pt[kp]! > 0)
            reverse += result.rates[(row.get(kp)! * n + i) * D + x[i]!]! * pt[kp]!;
        }
      }
      expect(Math.abs(reverse + forward)).toBeLessThan(
        1e-10 * (Math.abs(forward) + result.totalRates[b]! * pt[kx]!),
      );
    }
  });
});

describe('reverse rates: errors', () => {
  it('reports configurations of zero probability and bad shapes', () => {
    const noise = maskNoise({ physicalDim: 2 });
    const mps = randomMPS({ length: 3, bondDim: 2, seed: 1 });
    expect(() => reverseRates(mps, noise, { time: 0, configurations: [[0, 2, 1]] })).toThrow(
      NumericalError,
    );
    expect(() => reverseRates(mps, noise, { time: 1, configurations: [[0, 3, 1]] })).toThrow(
      /must be an integer digit in \[0, 2\]/,
    );
    expect(() => reverseRates(mps, noise, { time: -2, configurations: [[0, 1, 1]] })).toThrow(
      'invalid argument: `time` passed to `reverseRates` must be a finite number >= 0 (got -2)',
    );
    expect(() =>
      reverseRates(mps, noise, { time: 1, configurations: { data: [0, 1], count: 1 } }),
    ).toThrow(InvalidArgumentError);
  });
});
