import { describe, expect, it } from 'vitest';
import { canonicalize, compress, schmidtValues } from './canonical';
import { NumericalError } from './errors';
import { correlations, logNormalization, logProbabilities, marginals } from './evaluate';
import { negativeLogLikelihood } from './likelihood';
import { MPS, type MPSKind, productState, randomMPS } from './mps';
import { rangeForm } from './range';
import { sample, sampleConditional, sampleLogProbabilities } from './sample';

function close(a: number, b: number, tol: number): void {
  expect(Number.isFinite(a)).toBe(true);
  expect(Math.abs(a - b)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(b)));
}

function closeArrays(a: ArrayLike<number>, b: ArrayLike<number>, tol: number): void {
  expect(a.length).toBe(b.length);
  for (let k = 0; k < a.length; k++) close(a[k]!, b[k]!, tol);
}

/** The same MPS with site i multiplied by 2^exponents[i] (exact: every entry stays normal). */
function scaledBy(mps: MPS, exponents: readonly number[]): MPS {
  return MPS.fromTensors(
    mps.tensors.map((t, i) => ({
      shape: mps.siteShape(i),
      data: Array.from(t, (v) => v * 2 ** exponents[i]!),
    })),
    { kind: mps.kind },
  );
}

const cases: { kind: MPSKind; d: number; exponents: number[] }[] = [
  // 2^1018 and 2^-1000 put a site's sums past float64's range (2^600 a Born site's squares);
  // 2^150 and 2^-120 are within it but outside the range left as it is; 2^50 is left as it is
  // (linear entries exp(0.1 g) are 0.7-1.4: a site's sum of 2^1023-sized terms overflows)
  { kind: 'linear', d: 2, exponents: [1023, 0, -1000, 150, 50, -120] },
  { kind: 'linear', d: 3, exponents: [-1000, 1023, 0, 0, 1023] },
  { kind: 'born', d: 2, exponents: [0, 1018, -1000, 120, 50, -150] },
  { kind: 'born', d: 3, exponents: [600, -1000, 0, 1018, 0] },
];

describe('MPS with entries near the ends of float64', () => {
  it('an MPS in range is its own form (its results are the same bits as before)', () => {
    const mps = randomMPS({ length: 6, bondDim: 4, kind: 'born', seed: 3 });
    expect(rangeForm(mps).mps).toBe(mps);
    expect(rangeForm(mps).logFactor).toBe(0);
    const inRange = scaledBy(mps, [50, -50, 0, 90, -90, 0]);
    expect(rangeForm(inRange).mps).toBe(inRange);
  });

  it('an Infinity entry (no factory makes one) is left as it is: an error, not a hang', () => {
    const broken = MPS.unsafeCreate(
      'linear',
      [2, 2],
      [Float64Array.of(Number.POSITIVE_INFINITY, 1), Float64Array.of(1, 1)],
    );
    expect(rangeForm(broken).mps).toBe(broken);
    expect(() => logNormalization(broken)).toThrow(NumericalError);
  });

  it('conditional weights near the ends of float64: the same draws, normalisers moved exactly', () => {
    // ("zero total probability" for weights of 1e308 or 1e-310 before)
    const mps = randomMPS({ length: 5, bondDim: 3, kind: 'born', seed: 21 });
    const count = 6;
    // powers of two, so that every scaled weight is exact (2^-1062 is subnormal, still exact)
    const weights = Array.from({ length: count * 5 * 2 }, (_, k) => 2 ** -((k * 7) % 3));
    const exponents = [1023, -1060, 0, 300, -200, 50];
    // row b, site i scaled by 2^exponents[(b + i) % 6]
    const scaled = weights.map(
      (v, k) => v * 2 ** exponents[(Math.floor(k / 10) + Math.floor((k % 10) / 2)) % 6]!,
    );
    const got = sampleConditional(mps, { weights: scaled, count, seed: 3 });
    const ref = sampleConditional(mps, { weights, count, seed: 3 });
    expect(Array.from(got.data)).toEqual(Array.from(ref.data));
    closeArrays(got.logProbabilities, ref.logProbabilities, 1e-12);
    for (let b = 0; b < count; b++) {
      let shift = 0;
      for (let i = 0; i < 5; i++) shift += exponents[(b + i) % 6]! * Math.LN2;
      close(got.logWeightNormalizations[b]!, ref.logWeightNormalizations[b]! + shift, 1e-13);
    }
  });

  it('observable values and sample weights far from 1: exactly the scaled results (NaN before)', () => {
    const mps = randomMPS({ length: 5, bondDim: 3, seed: 8 });
    const ref = correlations(mps, { values: [-1, 3] });
    const big = correlations(mps, { values: [-(2 ** 600), 3 * 2 ** 600] });
    expect(Array.from(big.means)).toEqual(Array.from(ref.means, (m) => m * 2 ** 600));
    // (the connected correlations are 2^1200 times those of [-1, 3]: beyond float64, so signed
    // infinities; they were NaN)
    expect(Array.from(big.connected)).toEqual(
      Array.from(ref.connected, (c) => (c === 0 ? 0 : c * 2 ** 600 * 2 ** 600)),
    );
    const configs = sample(mps, { count: 8, seed: 2 });
    const unit = negativeLogLikelihood(mps, configs, { sampleWeights: new Array(8).fill(1) });
    const heavy = negativeLogLikelihood(mps, configs, {
      sampleWeights: new Array(8).fill(2 ** 1000),
    });
    expect(heavy.value).toBe(unit.value * 2 ** 1000);
    expect(heavy.logNormalization).toBe(unit.logNormalization);
    for (let i = 0; i < 5; i++) {
      expect(Array.from(heavy.gradients[i]!)).toEqual(
        Array.from(unit.gradients[i]!, (g) => g * 2 ** 1000),
      );
    }
  });

  it('a product state of subnormal and of huge entries: log Z by hand, uniform P', () => {
    const tiny = 1e-320; // subnormal: stored as 2024 * 2^-1074
    const a = productState([
      [tiny, tiny],
      [1, 1],
    ]);
    close(logNormalization(a), Math.log(tiny) + 2 * Math.LN2, 1e-14);
    const b = productState([
      [1e308, 1e308],
      [1, 1],
    ]);
    close(logNormalization(b), Math.log(1e308) + 2 * Math.LN2, 1e-14);
    for (const m of [a, b]) {
      closeArrays(logProbabilities(m, [[0, 1]]), [-2 * Math.LN2], 1e-14);
      closeArrays(marginals(m)[0]!, [0.5, 0.5], 1e-14);
      closeArrays(
        sample(m, { count: 3, seed: 1 }).logProbabilities,
        [-1, -1, -1].map((x) => 2 * x * Math.LN2),
        1e-14,
      );
    }
  });

  for (const { kind, d, exponents } of cases) {
    const n = exponents.length;
    const spread = kind === 'linear' ? 0.1 : 1;
    const mps = randomMPS({ length: n, bondDim: 3, physicalDim: d, kind, seed: 11 + d, spread });
    const scaled = scaledBy(mps, exponents);
    const factor = kind === 'born' ? 2 : 1;
    const shift = factor * Math.LN2 * exponents.reduce((s, e) => s + e, 0);
    const configs = sample(mps, { count: 40, seed: 5 });

    describe(`${kind}, d = ${d}, sites scaled by 2^[${exponents.join(', ')}]`, () => {
      it('log Z moves by the factor; log P, marginals and correlations do not', () => {
        close(logNormalization(scaled), logNormalization(mps) + shift, 1e-13);
        closeArrays(logProbabilities(scaled, configs), logProbabilities(mps, configs), 1e-12);
        const m = marginals(scaled);
        for (let i = 0; i < n; i++) closeArrays(m[i]!, marginals(mps)[i]!, 1e-12);
        const c = correlations(scaled);
        const ref = correlations(mps);
        closeArrays(c.means, ref.means, 1e-12);
        closeArrays(c.connected, ref.connected, 1e-12);
      });

      it('sampling: the same draws, log q as the unscaled MPS gives them', () => {
        const drawn = sample(scaled, { count: 64, seed: 9 });
        const ref = sample(mps, { count: 64, seed: 9 });
        expect(Array.from(drawn.data)).toEqual(Array.from(ref.data));
        const tol = kind === 'born' ? 1e-9 : 1e-12;
        closeArrays(drawn.logProbabilities, ref.logProbabilities, tol);
        closeArrays(
          sampleLogProbabilities(scaled, configs),
          sampleLogProbabilities(mps, configs),
          tol,
        );
        const weights = Array.from({ length: 8 * n * d }, (_, k) => 0.25 + ((k * 7) % 5) / 4);
        const cond = sampleConditional(scaled, { weights, count: 8, seed: 4 });
        const condRef = sampleConditional(mps, { weights, count: 8, seed: 4 });
        expect(Array.from(cond.data)).toEqual(Array.from(condRef.data));
        closeArrays(cond.logProbabilities, condRef.logProbabilities, 1e-10);
        closeArrays(cond.logWeightNormalizations, condRef.logWeightNormalizations, 1e-10);
      });

      it('the likelihood: the same value, log Z moved, gradients scaled by 2^-e per site', () => {
        const got = negativeLogLikelihood(scaled, configs);
        const ref = negativeLogLikelihood(mps, configs);
        close(got.value, ref.value, 1e-12);
        close(got.logNormalization, ref.logNormalization + shift, 1e-13);
        for (let i = 0; i < n; i++) {
          const back = Array.from(got.gradients[i]!, (g) => g * 2 ** exponents[i]!);
          const scale = Math.max(...Array.from(ref.gradients[i]!, Math.abs));
          for (let k = 0; k < back.length; k++) {
            expect(Math.abs(back[k]! - ref.gradients[i]![k]!)).toBeLessThanOrEqual(1e-11 * scale);
          }
        }
      });

      if (kind === 'born') {
        it('canonical forms, compression and Schmidt values: the same state and norm', () => {
          const got = canonicalize(scaled, { center: 2 });
          const ref = canonicalize(mps, { center: 2 });
          close(got.logNorm, ref.logNorm + shift / 2, 1e-13);
          for (let i = 0; i < n; i++) closeArrays(got.mps.tensors[i]!, ref.mps.tensors[i]!, 1e-11);
          close(
            compress(scaled, { maxBondDim: 2 }).logNorm,
            compress(mps, { maxBondDim: 2 }).logNorm + shift / 2,
            1e-13,
          );
          const values = schmidtValues(scaled);
          for (let i = 0; i < n - 1; i++) closeArrays(values[i]!, schmidtValues(mps)[i]!, 1e-11);
        });
      }
    });
  }
});
