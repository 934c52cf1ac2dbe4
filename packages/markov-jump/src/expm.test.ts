import { createRandom, InvalidArgumentError } from '@latticediff/tensor-network';
import { describe, expect, it } from 'vitest';
import { matrixExponential } from './expm';
import { maskNoise, propagator, rateMatrixNoise, uniformNoise } from './noise';

function multiply(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let k = 0; k < n; k++)
      for (let j = 0; j < n; j++) out[i * n + j]! += a[i * n + k]! * b[k * n + j]!;
  return out;
}

/** Taylor series sum_k A^k / k! until the terms vanish (reference for small norms). */
function taylor(a: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * n);
  let term = new Float64Array(n * n);
  for (let i = 0; i < n; i++) term[i * n + i] = 1;
  for (let k = 1; k < 200; k++) {
    for (let j = 0; j < n * n; j++) out[j]! += term[j]!;
    term = multiply(term, a, n).map((v) => v / k);
    if (term.every((v) => Math.abs(v) < 1e-300)) break;
  }
  return out;
}

/**
 * A reference for large norms: E = e^{A/2^s} - I by its Taylor series sum_{k>=1} (norm of
 * A/2^s <= 1/2), then s squarings of I + E done as E <- 2E + E^2, and I added at the end.
 */
function taylorSquared(a: Float64Array, n: number): Float64Array {
  let norm = 0;
  for (let j = 0; j < n; j++) {
    let c = 0;
    for (let i = 0; i < n; i++) c += Math.abs(a[i * n + j]!);
    norm = Math.max(norm, c);
  }
  const s = Math.max(0, Math.ceil(Math.log2(norm / 0.5)));
  let e = taylor(
    a.map((v) => v / 2 ** s),
    n,
  );
  for (let i = 0; i < n; i++) e[i * n + i]! -= 1;
  for (let k = 0; k < s; k++) {
    const sq = multiply(e, e, n);
    e = e.map((v, j) => 2 * v + sq[j]!);
  }
  for (let i = 0; i < n; i++) e[i * n + i]! += 1;
  return e;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let k = 0; k < a.length; k++) m = Math.max(m, Math.abs((a[k] as number) - (b[k] as number)));
  return m;
}

function randomRateMatrix(d: number, seed: number): number[][] {
  const rng = createRandom(seed);
  const q = Array.from({ length: d }, () => new Array<number>(d).fill(0));
  for (let x = 0; x < d; x++) {
    let out = 0;
    for (let y = 0; y < d; y++) {
      if (y === x) continue;
      const v = rng.float64() < 0.2 ? 0 : rng.float64() * 2;
      q[y]![x] = v;
      out += v;
    }
    q[x]![x] = -out;
  }
  return q;
}

describe('matrixExponential (scaling and squaring Padé 13)', () => {
  it.each([0.005, 0.2, 0.9, 2, 4])(
    'matches the Taylor series for signed matrices of norm %s to 1e-13',
    (norm) => {
      const rng = createRandom(Math.round(norm * 1000));
      for (const n of [2, 3, 5]) {
        const a = new Float64Array(n * n).map(() => rng.float64() * 2 - 1);
        let current = 0;
        for (let j = 0; j < n; j++) {
          let c = 0;
          for (let i = 0; i < n; i++) c += Math.abs(a[i * n + j]!);
          current = Math.max(current, c);
        }
        const scaled = a.map((v) => (v * norm) / current);
        const e = matrixExponential(scaled, n);
        const ref = taylor(scaled, n);
        const size = Math.max(1, ...Array.from(ref, Math.abs));
        expect(maxDiff(e, ref) / size).toBeLessThan(1e-13);
      }
    },
  );

  it.each([7, 30, 60])('matches Taylor with squaring for rate matrices times %s to 1e-13', (t) => {
    for (const d of [3, 4, 6]) {
      const q = Float64Array.from(randomRateMatrix(d, d * 17 + t).flat());
      const a = q.map((v) => v * t);
      expect(maxDiff(matrixExponential(a, d), taylorSquared(a, d))).toBeLessThan(1e-13);
    }
  });

  // tolerance: 1e-13, or the backward-error scale u * ||tQ||_1 of scaling and squaring (Higham
  // 2005) where that is larger (t = 5000: ||tQ||_1 is about 6e4, so u * ||tQ||_1 is about 1e-11)
  it.each([200, 5000])('converges to the exact stationary distribution at t = %s', (t) => {
    for (const d of [3, 4, 6]) {
      const rng = createRandom(d + t);
      const q = new Float64Array(d * d);
      for (let x = 0; x < d; x++) {
        for (let y = 0; y < d; y++) if (y !== x) q[y * d + x] = 0.2 + 1.8 * rng.float64();
        for (let y = 0; y < d; y++) if (y !== x) q[x * d + x]! -= q[y * d + x]!;
      }
      // pi solves Q pi = 0 with sum(pi) = 1: replace the last equation by the normalisation
      const m = Array.from({ length: d }, (_, i) =>
        Array.from({ length: d + 1 }, (_, j) => (i === d - 1 ? 1 : j === d ? 0 : q[i * d + j]!)),
      );
      for (let c = 0; c < d; c++) {
        let p = c;
        for (let r = c + 1; r < d; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[p]![c]!)) p = r;
        [m[c], m[p]] = [m[p]!, m[c]!];
        for (let r = 0; r < d; r++) {
          if (r === c) continue;
          const f = m[r]![c]! / m[c]![c]!;
          for (let k = c; k <= d; k++) m[r]![k]! -= f * m[c]![k]!;
        }
      }
      const pi = m.map((row, i) => row[d]! / row[i]!);
      const a = q.map((v) => v * t);
      let norm = 0;
      for (let x = 0; x < d; x++) norm = Math.max(norm, -2 * a[x * d + x]!);
      const tolerance = Math.max(1e-13, Number.EPSILON * norm);
      const e = matrixExponential(a, d);
      for (let y = 0; y < d; y++)
        for (let x = 0; x < d; x++)
          expect(Math.abs(e[y * d + x]! - pi[y]!)).toBeLessThan(tolerance);
    }
  });

  it('is the identity for the zero matrix and rejects bad input', () => {
    expect(Array.from(matrixExponential([0, 0, 0, 0], 2))).toEqual([1, 0, 0, 1]);
    expect(() => matrixExponential([1, 2, 3], 2)).toThrow(InvalidArgumentError);
    expect(() => matrixExponential([1, Number.NaN, 3, 4], 2)).toThrow(/finite number/);
    // an exponential beyond float64 is refused (e^1000 came back as Infinity); e^700 is not
    expect(() => matrixExponential([1000], 1)).toThrow(
      '`matrix` passed to `matrixExponential` must be a matrix whose exponential is finite in float64',
    );
    const e700 = matrixExponential([700], 1)[0]!;
    expect(Math.abs(e700 / Math.exp(700) - 1)).toBeLessThan(1e-13);
  });
});

describe('propagator', () => {
  const times = [0, 1e-9, 1e-3, 0.37, 2.5, 40];

  it.each([2, 3, 5])(
    'uniform closed form equals the Padé exponential of the same Q (d = %i) to 1e-13',
    (d) => {
      const noise = uniformNoise({ physicalDim: d, rate: 0.8 });
      const custom = rateMatrixNoise(
        Array.from({ length: d }, (_, y) =>
          Array.from({ length: d }, (_, x) => noise.rateMatrix[y * d + x]!),
        ),
      );
      for (const t of times)
        expect(maxDiff(propagator(noise, t), propagator(custom, t))).toBeLessThan(1e-13);
    },
  );

  it('d = 2 flip probability is (1 - e^{-2 gamma t}) / 2', () => {
    const noise = uniformNoise({ physicalDim: 2, rate: 1.3 });
    for (const t of times) {
      const k = propagator(noise, t);
      const p = (1 - Math.exp(-2 * 1.3 * t)) / 2;
      expect(Math.abs(k[1]! - p)).toBeLessThan(1e-15);
      expect(Math.abs(k[2]! - p)).toBeLessThan(1e-15);
      expect(Math.abs(k[0]! - (1 - p))).toBeLessThan(1e-15);
    }
  });

  it.each([2, 3])('mask closed form equals the Padé exponential (d = %i) to 1e-13', (d) => {
    const noise = maskNoise({ physicalDim: d, rate: 0.6 });
    const D = d + 1;
    const custom = rateMatrixNoise(
      Array.from({ length: D }, (_, y) =>
        Array.from({ length: D }, (_, x) => noise.rateMatrix[y * D + x]!),
      ),
      { dataDim: d },
    );
    for (const t of times) {
      const k = propagator(noise, t);
      expect(maxDiff(k, propagator(custom, t))).toBeLessThan(1e-13);
      expect(Math.abs(k[d * D]! - (1 - Math.exp(-0.6 * t)))).toBeLessThan(1e-15);
    }
  });

  it('custom propagators are stochastic and satisfy the semigroup law k_{s+t} = k_s k_t', () => {
    for (const d of [3, 4]) {
      const noise = rateMatrixNoise(randomRateMatrix(d, 5 + d));
      for (const [s, t] of [
        [0.1, 0.25],
        [1.5, 3],
        [20, 0.01],
      ] as const) {
        const ks = propagator(noise, s);
        const kt = propagator(noise, t);
        expect(maxDiff(propagator(noise, s + t), multiply(ks, kt, d))).toBeLessThan(1e-13);
        for (let x = 0; x < d; x++) {
          let col = 0;
          for (let y = 0; y < d; y++) {
            expect(ks[y * d + x]!).toBeGreaterThanOrEqual(0);
            col += ks[y * d + x]!;
          }
          expect(Math.abs(col - 1)).toBeLessThan(1e-13);
        }
      }
    }
  });

  it('rejects negative or non-finite times with a clear message', () => {
    const noise = uniformNoise({ physicalDim: 2 });
    expect(() => propagator(noise, -1)).toThrow(
      'invalid argument: `time` passed to `propagator` must be a finite number >= 0 (got -1)',
    );
    expect(() => propagator(noise, Number.POSITIVE_INFINITY)).toThrow(InvalidArgumentError);
    expect(() => propagator({} as never, 1)).toThrow(
      /`noise` passed to `propagator` must be a NoiseProcess/,
    );
  });
});
