import { describe, expect, it } from 'vitest';
import { canonicalize } from './canonical';
import { InvalidArgumentError } from './errors';
import { logProbabilities } from './evaluate';
import { bornMPSFromFactors } from './factor-network';
import { MPS, type MPSKind, randomMPS } from './mps';
import { createRandom, type RandomGenerator } from './random';
import {
  adoptSamplingPlan,
  CHUNK_SIZE,
  diagonalGauge,
  planArrays,
  sample,
  sampleConditional,
  sampleConditionalRows,
  sampleEachStream,
  sampleLogProbabilities,
  sampleRows,
  sampleSteps,
  samplingPlanData,
} from './sample';
import { bruteDistribution, chiSquare, configIndex } from './testing/brute-force';

const P_MIN = 1e-4; // fixed seeds: a correct sampler fails this with probability 1e-4 per test

function histogram(
  data: Int32Array,
  count: number,
  dims: readonly number[],
  rows?: (b: number) => boolean,
): number[] {
  const size = dims.reduce((a, b) => a * b, 1);
  const h = new Array<number>(size).fill(0);
  for (let b = 0; b < count; b++)
    if (!rows || rows(b)) h[configIndex(data, dims, b * dims.length)]!++;
  return h;
}

/**
 * log q of the sampler on every configuration: normalised to 1e-12 and equal to the exact log P to
 * 1e-10. Returns the log q.
 */
function expectSampledQIsP(mps: MPS, exact: ReturnType<typeof bruteDistribution>): Float64Array {
  const all = { data: Int32Array.from(exact.configs.flat()), count: exact.configs.length };
  const q = sampleLogProbabilities(mps, all);
  let total = 0;
  for (let k = 0; k < all.count; k++) {
    total += Math.exp(q[k]!);
    expect(Math.abs(q[k]! - Math.log(exact.p[k]!))).toBeLessThan(1e-10);
  }
  expect(Math.abs(total - 1)).toBeLessThan(1e-12);
  return q;
}

describe.each([
  { kind: 'linear' as MPSKind, d: 2, n: 8, chi: 4 },
  { kind: 'born' as MPSKind, d: 2, n: 8, chi: 4 },
  { kind: 'linear' as MPSKind, d: 3, n: 5, chi: 3 },
  { kind: 'born' as MPSKind, d: 3, n: 5, chi: 3 },
])('sampling ($kind, d=$d, N=$n)', ({ kind, d, n, chi }) => {
  const mps = randomMPS({
    length: n,
    physicalDim: d,
    bondDim: chi,
    kind,
    seed: 100 + d,
    spread: 0.7,
  });
  const exact = bruteDistribution(mps);

  it('10^5 samples pass a chi-square test against the exact distribution', () => {
    const result = sample(mps, { count: 100_000, seed: 7 });
    const test = chiSquare(histogram(result.data, result.count, mps.physicalDims), exact.p);
    expect(test.pValue).toBeGreaterThan(P_MIN);
  });

  it('a wrong distribution fails the same test (the test has power)', () => {
    const result = sample(mps, { count: 100_000, seed: 7 });
    const skewed = exact.p.map((p, k) => p * (k % 2 === 0 ? 1.1 : 0.9));
    const total = skewed.reduce((a, b) => a + b, 0);
    const test = chiSquare(
      histogram(result.data, result.count, mps.physicalDims),
      skewed.map((p) => p / total),
    );
    expect(test.pValue).toBeLessThan(P_MIN);
  });

  it('returned log-probabilities equal the float64 evaluation', () => {
    const result = sample(mps, { count: 500, seed: 3 });
    const lp = logProbabilities(mps, result);
    for (let b = 0; b < result.count; b++) {
      expect(Math.abs(result.logProbabilities[b]! - lp[b]!)).toBeLessThan(1e-11);
      const k = configIndex(result.data, mps.physicalDims, b * n);
      expect(Math.abs(lp[b]! - Math.log(exact.p[k]!))).toBeLessThan(1e-10);
    }
  });

  it('sampleLogProbabilities evaluates the process that drew the samples, bit for bit', () => {
    const result = sample(mps, { count: 2000, seed: 5 });
    const q = sampleLogProbabilities(mps, result);
    for (let b = 0; b < result.count; b++) expect(q[b]).toBe(result.logProbabilities[b]);
  });

  it('the sampled q is a normalised distribution equal to P to rounding; draws follow q', () => {
    const q = expectSampledQIsP(mps, exact);
    const result = sample(mps, { count: 100_000, seed: 8 });
    const test = chiSquare(
      histogram(result.data, result.count, mps.physicalDims),
      Array.from(q, (v) => Math.exp(v)),
    );
    expect(test.pValue).toBeGreaterThan(P_MIN);
  });

  it('is reproducible by seed', () => {
    const a = sample(mps, { count: 50, seed: 42 });
    const b = sample(mps, { count: 50, seed: 42 });
    const c = sample(mps, { count: 50, seed: 43 });
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    expect(Array.from(a.data)).not.toEqual(Array.from(c.data));
  });

  it('conditional sampling with per-sample weights matches the exact conditionals', () => {
    // two weight sets, alternating between samples
    const sets = [0, 1].map((k) =>
      Array.from({ length: n }, (_, i) =>
        Array.from({ length: d }, (_, s) => 0.2 + ((i * 7 + s * 3 + k * 5) % 4) * 0.6),
      ),
    );
    const count = 100_000;
    const weights = new Float64Array(count * n * d);
    for (let b = 0; b < count; b++) {
      const set = sets[b % 2]!;
      for (let i = 0; i < n; i++)
        for (let s = 0; s < d; s++) weights[(b * n + i) * d + s] = set[i]![s]!;
    }
    const result = sampleConditional(mps, { weights, count, seed: 9 });
    for (const k of [0, 1]) {
      const set = sets[k]!;
      const reweighted = exact.p.map(
        (p, idx) => p * exact.configs[idx]!.reduce((acc, s, i) => acc * set[i]![s]!, 1),
      );
      const zw = reweighted.reduce((a, b) => a + b, 0);
      const cond = reweighted.map((x) => x / zw);
      const test = chiSquare(
        histogram(result.data, count, mps.physicalDims, (b) => b % 2 === k),
        cond,
      );
      expect(test.pValue).toBeGreaterThan(P_MIN);
      // log normaliser and conditional log-probabilities
      expect(Math.abs(result.logWeightNormalizations[k]! - Math.log(zw))).toBeLessThan(1e-10);
      for (let b = k; b < 200; b += 2) {
        const idx = configIndex(result.data, mps.physicalDims, b * n);
        expect(Math.abs(result.logProbabilities[b]! - Math.log(cond[idx]!))).toBeLessThan(1e-10);
      }
    }
  });
});

/**
 * Draws of a Born MPS through its diagonal gauge: 10^5 draws pass a chi-square test against
 * enumeration; log q of the draws equals their evaluation bit for bit and the float64 P to 1e-10
 * (an odd count: the two-row path's last pair has one row); q is normalised and equals P to
 * 1e-10 on every configuration.
 */
function bornDrawTests(mps: MPS, seed: number): void {
  const exact = bruteDistribution(mps);
  const dims = mps.physicalDims;
  const n = mps.length;

  it('10^5 samples pass a chi-square test against the exact distribution', () => {
    const result = sample(mps, { count: 100_000, seed });
    const test = chiSquare(histogram(result.data, result.count, dims), exact.p);
    expect(test.pValue).toBeGreaterThan(P_MIN);
  });

  it('log q of the draws: their evaluation bit for bit, the float64 P to 1e-10', () => {
    const result = sample(mps, { count: 2001, seed: 3 });
    const q = sampleLogProbabilities(mps, result);
    const lp = logProbabilities(mps, result);
    for (let b = 0; b < result.count; b++) {
      expect(q[b]).toBe(result.logProbabilities[b]);
      expect(Math.abs(result.logProbabilities[b]! - lp[b]!)).toBeLessThan(1e-10);
      const k = configIndex(result.data, dims, b * n);
      expect(Math.abs(lp[b]! - Math.log(exact.p[k]!))).toBeLessThan(1e-10);
    }
  });

  it('the sampled q is normalised and equals P to 1e-10 on every configuration', () => {
    expectSampledQIsP(mps, exact);
  });
}

/**
 * The Born MPS (bond at most maxBondDim) of a chain of n digits with a pair factor
 * exp(+-c(distance)) (+ for equal digits) between every two sites at most maxDistance apart.
 */
function chainMPS(
  n: number,
  maxDistance: number,
  coupling: (distance: number) => number,
  maxBondDim: number,
): MPS {
  const sites: number[] = [];
  const logWeights: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < Math.min(n, i + maxDistance + 1); j++) {
      const c = coupling(j - i);
      sites.push(i, j);
      logWeights.push(c, -c, -c, c);
    }
  }
  return bornMPSFromFactors(
    {
      length: n,
      physicalDim: 2,
      pairs: { sites: Int32Array.from(sites), logWeights: Float64Array.from(logWeights) },
    },
    { maxBondDim },
  ).mps;
}

/** Sum over s of T_s T_s^T (l x l) and T_0 T_0^T of a site tensor [l][d][r]. */
function siteGrams(t: Float64Array, l: number, d: number, r: number) {
  const all = new Float64Array(l * l);
  const first = new Float64Array(l * l);
  for (let a = 0; a < l; a++)
    for (let b = 0; b < l; b++)
      for (let s = 0; s < d; s++)
        for (let k = 0; k < r; k++) {
          const v = t[(a * d + s) * r + k]! * t[(b * d + s) * r + k]!;
          all[a * l + b]! += v;
          if (s === 0) first[a * l + b]! += v;
        }
  return { all, first };
}

describe('the diagonal gauge of a Born MPS', () => {
  // a non-canonical input (entries of spread 1), sites of d = 2 and 3 mixed, and an 8-site chain
  const dims = [2, 3, 2, 2, 3, 2];
  const product = (ds: number[]) => ds.reduce((x, y) => x * y, 1);
  // bond i joins sites i and i + 1: at most 4, and no larger than either side's state space
  const bond = (i: number) =>
    i < 0 || i >= dims.length - 1
      ? 1
      : Math.min(4, product(dims.slice(0, i + 1)), product(dims.slice(i + 1)));
  const mixed = MPS.fromTensors(
    dims.map((d, i) => {
      const rng = createRandom(60 + i);
      const [l, r] = [bond(i - 1), bond(i)];
      return {
        shape: [l, d, r],
        data: Array.from({ length: l * d * r }, () => rng.float64() - 0.4),
      };
    }),
    { kind: 'born' },
  );
  const chain = randomMPS({ length: 8, bondDim: 6, kind: 'born', seed: 41, spread: 1 });

  it.each([
    ['mixed d', mixed],
    ['chain', chain],
  ] as const)(
    '%s: the same distribution, every site right-canonical, T_0 T_0^T diagonal where d = 2',
    (_, mps) => {
      const { form, weights } = diagonalGauge(canonicalize(mps, { center: 0 }).mps);
      const exact = bruteDistribution(mps);
      const gauged = bruteDistribution(form);
      exact.p.forEach((p, k) => {
        expect(Math.abs(gauged.p[k]! - p)).toBeLessThan(1e-13);
      });
      for (let i = 0; i < form.length; i++) {
        const [l, d, r] = form.siteShape(i);
        const t = form.tensors[i]!;
        const { all, first } = siteGrams(t, l, d, r);
        for (let a = 0; a < l; a++)
          for (let b = 0; b < l; b++) {
            expect(Math.abs(all[a * l + b]! - (a === b ? 1 : 0))).toBeLessThan(1e-13);
            if (d === 2 && a !== b) expect(Math.abs(first[a * l + b]!)).toBeLessThan(1e-14);
          }
        if (d !== 2) {
          expect(weights[i]).toBeNull();
          continue;
        }
        // the weights: the squared norms of the rows of T_0 and T_1, summing to 1 per row
        const p = weights[i]!;
        for (let a = 0; a < l; a++) {
          expect(p[2 * a]).toBeCloseTo(first[a * l + a]!, 15);
          expect(Math.abs(p[2 * a]! + p[2 * a + 1]! - 1)).toBeLessThan(1e-13);
        }
      }
    },
  );

  describe('draws of the mixed-d MPS', () => bornDrawTests(mixed, 29));

  describe("a plan handed to another thread's copy (pool workers, chain threads)", () => {
    const copyOf = (mps: MPS) =>
      MPS.unsafeCreate(
        mps.kind,
        [...mps.physicalDims],
        mps.tensors.map((t) => t.slice()),
      );

    it.each([
      ['mixed d', mixed],
      ['chain', chain],
    ] as const)('%s: the copy draws and evaluates the same bits as the original', (_, mps) => {
      const original = copyOf(mps);
      expect(samplingPlanData(original, true)).toBeNull(); // not computed yet
      const data = samplingPlanData(original)!;
      expect(samplingPlanData(original, true)).not.toBeNull();
      const copy = copyOf(mps);
      adoptSamplingPlan(copy, data);
      const a = sample(original, { count: 300, seed: 5 });
      const b = sample(copy, { count: 300, seed: 5 });
      expect(b.data).toEqual(a.data);
      expect(b.logProbabilities).toEqual(a.logProbabilities);
      expect(sampleLogProbabilities(copy, a)).toEqual(sampleLogProbabilities(original, a));
    });

    it('the copy uses the plan it was given, not one of its own', () => {
      // another MPS of the same shapes: its plan fits, and the copy then draws as that MPS does
      const other = randomMPS({ length: 8, bondDim: 6, kind: 'born', seed: 42, spread: 1 });
      const copy = copyOf(chain);
      adoptSamplingPlan(copy, samplingPlanData(other)!);
      const drawn = sample(copy, { count: 200, seed: 3 });
      expect(drawn.data).toEqual(sample(other, { count: 200, seed: 3 }).data);
      expect(drawn.data).not.toEqual(sample(chain, { count: 200, seed: 3 }).data);
    });

    it('the data are copies (handing them over leaves the original plan whole)', () => {
      const original = copyOf(chain);
      const data = samplingPlanData(original)!;
      structuredClone(data, { transfer: planArrays(data).map((t) => t.buffer as ArrayBuffer) });
      expect(planArrays(data).every((t) => t.length === 0)).toBe(true); // handed over
      const copy = copyOf(chain);
      adoptSamplingPlan(copy, samplingPlanData(original)!);
      expect(sample(copy, { count: 50, seed: 8 }).data).toEqual(
        sample(chain, { count: 50, seed: 8 }).data,
      );
    });

    it('a plan that does not fit is refused; a linear MPS has none', () => {
      const data = samplingPlanData(copyOf(chain))!;
      // (the plan's bonds are its own: those of the canonical form, not of the copy)
      const ternary = randomMPS({ length: 8, physicalDim: 3, bondDim: 6, kind: 'born', seed: 43 });
      expect(() => adoptSamplingPlan(ternary, data)).toThrow(/does not fit/);
      expect(() => adoptSamplingPlan(copyOf(mixed), data)).toThrow(/does not fit/);
      const wrongWeights = { ...data, weights: data.weights.map(() => null) };
      expect(() => adoptSamplingPlan(copyOf(chain), wrongWeights)).toThrow(/does not fit/);
      const linear = randomMPS({ length: 8, bondDim: 6, seed: 44 });
      expect(samplingPlanData(linear)).toBeNull();
      expect(() => adoptSamplingPlan(linear, data)).toThrow(/does not fit/);
    });
  });
});

describe('Born sampling at bond 32 (random, spread 0.7)', () => {
  const mps = randomMPS({ length: 12, bondDim: 32, kind: 'born', seed: 31, spread: 0.7 });
  bornDrawTests(mps, 7);
});

describe('Born sampling of a ferromagnetic chain (bond 24)', () => {
  // couplings up to distance 5: neighbouring digits agree with probability > 0.75
  bornDrawTests(
    chainMPS(12, 5, (distance) => 0.6 / distance, 24),
    17,
  );
});

describe('Born sampling of an antiferromagnet (bond 32)', () => {
  // couplings up to distance 6 of sign (-1)^distance (unfrustrated: neighbouring digits differ
  // with probability > 0.75)
  const mps = chainMPS(12, 6, (distance) => (distance % 2 === 0 ? 0.5 : -0.5) / distance, 32);
  it('has bonds up to 32', () => {
    expect(canonicalize(mps, { center: 0 }).mps.bondDims).toEqual([
      2, 4, 8, 16, 32, 32, 32, 16, 8, 4, 2,
    ]);
  });
  bornDrawTests(mps, 23);
});

describe('drawing some rows of a batch (a pool worker with part of a small batch)', () => {
  // windows inside a chunk, across a chunk boundary, of one row, and the whole batch
  const total = 2 * CHUNK_SIZE + 44;
  const windows = [
    [0, 50],
    [50, 200],
    [CHUNK_SIZE - 1, 2],
    [200, total - 200],
    [total - 1, 1],
    [0, total],
  ] as const;

  it.each(['linear', 'born'] as const)(
    'gives the rows that the whole batch draws there, bit for bit (%s)',
    (kind) => {
      const mps = randomMPS({ length: 7, bondDim: 5, physicalDim: 3, kind, seed: 21 });
      const whole = sampleRows(mps, createRandom(9), total, 0, total);
      expect(Array.from(whole.data)).toEqual(
        Array.from(sample(mps, { count: total, seed: 9 }).data),
      );
      const rng = createRandom(4);
      const weights = new Float64Array(total * 7 * 3).map(() => rng.float64());
      const wholeConditional = sampleConditional(mps, { weights, count: total, seed: 9 });
      for (const [first, count] of windows) {
        const part = sampleRows(mps, createRandom(9), total, first, count);
        expect(Array.from(part.data)).toEqual(
          Array.from(whole.data.subarray(first * 7, (first + count) * 7)),
        );
        expect(Array.from(part.logProbabilities)).toEqual(
          Array.from(whole.logProbabilities.subarray(first, first + count)),
        );
        const w = weights.slice(first * 7 * 3, (first + count) * 7 * 3);
        const c = sampleConditionalRows(mps, w, createRandom(9), total, first, count);
        expect(Array.from(c.data)).toEqual(
          Array.from(wholeConditional.data.subarray(first * 7, (first + count) * 7)),
        );
        expect(Array.from(c.logProbabilities)).toEqual(
          Array.from(wholeConditional.logProbabilities.subarray(first, first + count)),
        );
        expect(Array.from(c.logWeightNormalizations)).toEqual(
          Array.from(wholeConditional.logWeightNormalizations.subarray(first, first + count)),
        );
      }
    },
  );
});

describe('one draw per generator in one pass (the starts of chains)', () => {
  it.each([
    ['linear, d = 3', { length: 7, bondDim: 5, physicalDim: 3, kind: 'linear' as const }],
    ['Born, d = 2, bond 6', { length: 9, bondDim: 6, physicalDim: 2, kind: 'born' as const }],
    ['Born, d = 2, bond 40', { length: 14, bondDim: 40, physicalDim: 2, kind: 'born' as const }],
    ['Born, d = 3', { length: 6, bondDim: 4, physicalDim: 3, kind: 'born' as const }],
  ])('row b is the one-row draw of generator b, bit for bit (%s)', (_, spec) => {
    const mps = randomMPS({ ...spec, seed: 33 });
    // more generators than a chunk, an odd count (the two-lane pass's last pair has one row)
    const count = CHUNK_SIZE + 73;
    const root = createRandom(12);
    const batched = Array.from({ length: count }, (_, b) => root.split(b));
    const single = Array.from({ length: count }, (_, b) => root.split(b));
    const all = sampleEachStream(mps, batched);
    expect(all.count).toBe(count);
    for (let b = 0; b < count; b++) {
      const one = sample(mps, { count: 1, seed: single[b]! });
      expect(Array.from(all.data.subarray(b * spec.length, (b + 1) * spec.length))).toEqual(
        Array.from(one.data),
      );
      expect(all.logProbabilities[b]).toBe(one.logProbabilities[0]);
      // and each generator is advanced as the one-row call advances it
      expect(batched[b]!.uint32()).toBe(single[b]!.uint32());
    }
  });
});

describe('the draws of several one-chunk calls in one pass (steps of few chains)', () => {
  it.each([
    ['linear, d = 3', { length: 7, bondDim: 5, physicalDim: 3, kind: 'linear' as const }, 5],
    ['Born, bond 6, one row', { length: 9, bondDim: 6, physicalDim: 2, kind: 'born' as const }, 1],
    [
      'Born, bond 40, a whole chunk',
      { length: 14, bondDim: 40, physicalDim: 2, kind: 'born' as const },
      CHUNK_SIZE,
    ],
    ['Born, d = 3, odd rows', { length: 6, bondDim: 4, physicalDim: 3, kind: 'born' as const }, 33],
  ])(
    'batch k is sample(mps, { count: rows, seed: seeds[k] }), bit for bit (%s)',
    (_, spec, rows) => {
      const mps = randomMPS({ ...spec, seed: 35 });
      const root = createRandom(8);
      // numbers and generators (each advanced as the call advances it)
      const seeds = [7, 123456789, root.split(0), 0, root.split(1)];
      const again = [7, 123456789, createRandom(8).split(0), 0, createRandom(8).split(1)];
      const all = sampleSteps(mps, seeds, rows);
      expect(all.count).toBe(seeds.length * rows);
      for (let k = 0; k < seeds.length; k++) {
        const one = sample(mps, { count: rows, seed: again[k]! });
        const n = spec.length;
        expect(Array.from(all.data.subarray(k * rows * n, (k + 1) * rows * n))).toEqual(
          Array.from(one.data),
        );
        expect(Array.from(all.logProbabilities.subarray(k * rows, (k + 1) * rows))).toEqual(
          Array.from(one.logProbabilities),
        );
      }
      expect((seeds[2] as RandomGenerator).uint32()).toBe((again[2] as RandomGenerator).uint32());
    },
  );

  it('refuses batches of more than a chunk, naming rows', () => {
    const mps = randomMPS({ length: 4, bondDim: 2, seed: 1 });
    expect(() => sampleSteps(mps, [1], CHUNK_SIZE + 1)).toThrow(/`rows`/);
    expect(() => sampleSteps(mps, [1], 0)).toThrow(/`rows`/);
  });
});

describe('sampling bad input and edge cases', () => {
  const mps = randomMPS({ length: 4, bondDim: 2, seed: 1 });
  it('count 0 gives an empty batch', () => {
    const r = sample(mps, { count: 0, seed: 1 });
    expect(r.count).toBe(0);
    expect(r.data.length).toBe(0);
  });
  it('rejects bad counts, seeds and weights', () => {
    expect(() => sample(mps, { count: -1, seed: 1 })).toThrow(
      /`count` passed to `sample` must be a non-negative integer \(got -1\)/,
    );
    expect(() => sample(mps, { count: 1.5, seed: 1 })).toThrow(InvalidArgumentError);
    expect(() => sample(mps, { count: 1, seed: -3 })).toThrow(/`seed`/);
    expect(() => sample(mps, undefined as never)).toThrow(/`options`/);
    expect(() => sampleConditional(mps, { weights: [1, 1], count: 1, seed: 1 })).toThrow(
      /count \* N \* d = 8/,
    );
    expect(() =>
      sampleConditional(mps, { weights: new Float64Array(8).fill(-1), count: 1, seed: 1 }),
    ).toThrow(/weights\[0\]/);
    expect(() =>
      sampleConditional(mps, { weights: new Float64Array(8).fill(Number.NaN), count: 1, seed: 1 }),
    ).toThrow(InvalidArgumentError);
    expect(() =>
      sampleConditional(mps, { weights: new Float64Array(8), count: 1, seed: 1 }),
    ).toThrow(/zero total probability/);
    expect(() => sampleLogProbabilities(mps, [[0, 1, 0]])).toThrow(
      /`configurations\[0\]` passed to `sampleLogProbabilities`/,
    );
    expect(() => sampleLogProbabilities(mps, [[0, 1, 0, 2]])).toThrow(/configurations/);
  });

  it.each(['born', 'linear'] as const)(
    'sampleLogProbabilities where P = 0 (%s): -Infinity (linear) or rounding-level mass (Born)',
    (kind) => {
      // site 1 never takes digit 1, and digit 0 at site 2 is impossible after digit 1 at site 0
      const a = new Float64Array([1, 0, 0, 1]); // [l=1][d=2][r=2]: digit s -> channel s
      const b = new Float64Array([1, 0, 0, 0, 0, 1, 0, 0]); // [2][2][2]: digit 1 has weight 0
      const c = new Float64Array([1, 1, 0, 1]); // [2][2][1]: from channel 1 only digit 1
      const zeros = MPS.fromTensors(
        [
          { data: a, shape: [1, 2, 2] },
          { data: b, shape: [2, 2, 2] },
          { data: c, shape: [2, 2, 1] },
        ],
        { kind },
      );
      const q = sampleLogProbabilities(zeros, [
        [0, 0, 0],
        [0, 1, 0],
        [1, 0, 0],
        [1, 0, 1],
      ]);
      expect(Number.isFinite(q[0]!)).toBe(true);
      if (kind === 'linear') {
        expect(q[1]).toBe(Number.NEGATIVE_INFINITY);
        expect(q[2]).toBe(Number.NEGATIVE_INFINITY);
      } else {
        // the right-canonical form holds its zeros only to rounding: mass of order eps^2 at most
        expect(q[1]).toBeLessThan(-60);
        expect(q[2]).toBeLessThan(-60);
      }
      expect(Number.isFinite(q[3]!)).toBe(true);
      const lp = logProbabilities(zeros, [
        [0, 0, 0],
        [1, 0, 1],
      ]);
      expect(Math.abs(q[0]! - lp[0]!)).toBeLessThan(1e-12);
      expect(Math.abs(q[3]! - lp[1]!)).toBeLessThan(1e-12);
    },
  );
});
