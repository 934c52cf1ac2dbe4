import { exactByEnumeration } from '@latticediff/lattice';
import { mpsLogNormalization, mpsLogValue } from '@latticediff/lattice/testing';
import { InvalidArgumentError } from '@latticediff/tensor-network';
import { describe, expect, it } from 'vitest';
import { fredkinExact, fredkinExactMPS, fredkinMPSEntries, sampleFredkin } from './exact';
import { fredkinModel } from './fredkin';
import { heightProfile, heightSum, isDyckPath } from './heights';

const TOLERANCE = 1e-10;

function expectRelative(actual: number, expected: number, scale = 0): void {
  const tolerance = TOLERANCE * Math.max(Math.abs(expected), scale);
  expect(Math.abs(actual - expected), `${actual} vs ${expected}`).toBeLessThanOrEqual(tolerance);
}

function logSumExp(values: number[]): number {
  const max = Math.max(...values);
  let sum = 0;
  for (const v of values) sum += Math.exp(v - max);
  return max + Math.log(sum);
}

/**
 * Independent reference: the first-return decomposition x = u P d Q gives
 * D_{n+1} = sum_k q^{(2k+1)/2} D_k D_{n-k} for D_n = sum over Dyck paths of length 2n of q^{A/2},
 * and the mean S_n = <A/2> follows from the same weights. Computed in log space.
 */
function qCatalan(n: number, c: number): { logZ: number; meanHeight: number } {
  const logQ = Math.log(c / (1 - c));
  const logD = [0];
  const mean = [0];
  for (let m = 0; m < n; m++) {
    const terms: number[] = [];
    for (let k = 0; k <= m; k++) {
      terms.push(((2 * k + 1) / 2) * logQ + (logD[k] as number) + (logD[m - k] as number));
    }
    const total = logSumExp(terms);
    let s = 0;
    for (let k = 0; k <= m; k++) {
      s +=
        Math.exp((terms[k] as number) - total) *
        ((2 * k + 1) / 2 + (mean[k] as number) + (mean[m - k] as number));
    }
    logD.push(total);
    mean.push(s);
  }
  return { logZ: logD[n] as number, meanHeight: (2 * (mean[n] as number)) / (2 * n) };
}

function logCatalan(n: number): number {
  let s = -Math.log(n + 1);
  for (let k = 1; k <= n; k++) s += Math.log((n + k) / k);
  return s;
}

function binomial(n: number, k: number): bigint {
  if (k < 0 || k > n) return 0n;
  let r = 1n;
  for (let i = 0; i < k; i++) r = (r * BigInt(n - i)) / BigInt(i + 1);
  return r;
}

/** Paths of k steps from height 0 to h that never go below 0 (ballot numbers). */
function ballot(k: number, h: number): bigint {
  if ((k - h) % 2 !== 0 || h > k || h < 0) return 0n;
  const down = (k - h) / 2;
  return binomial(k, down) - binomial(k, down - 1);
}

describe('fredkinExact', () => {
  it('counts Dyck paths with the Catalan numbers (enumeration and ln Z at c = 1/2)', () => {
    const catalan = [1, 1, 2, 5, 14, 42, 132, 429, 1430];
    for (let n = 1; n <= 8; n++) {
      const enumeration = exactByEnumeration(fredkinModel.create({ sites: 2 * n, c: 0.5 }));
      expect(enumeration.allowedCount).toBe(catalan[n]);
      expectRelative(
        fredkinExact({ sites: 2 * n, c: 0.5 }).logPartitionFunction,
        Math.log(catalan[n] as number),
        1,
      );
    }
    for (const n of [50, 500, 2000]) {
      expectRelative(fredkinExact({ sites: 2 * n, c: 0.5 }).logPartitionFunction, logCatalan(n));
    }
  });

  it('gives the exact uniform (c = 1/2) height profile and mid-height distribution from ballot numbers', () => {
    const n = 60;
    const exact = fredkinExact({ sites: n, c: 0.5 });
    const total = ballot(n, 0);
    for (let k = 0; k <= n; k++) {
      let moment = 0n;
      for (let h = 0; h <= n; h++) moment += BigInt(h) * ballot(k, h) * ballot(n - k, h);
      expectRelative(exact.heightProfile[k] as number, Number(moment) / Number(total), 1);
    }
    for (let h = 0; h <= n / 2; h++) {
      const p = Number(ballot(n / 2, h) * ballot(n / 2, h)) / Number(total);
      expectRelative(exact.midHeightDistribution[h] as number, p, 1);
    }
  });

  it('matches the q-Catalan recursion for ln Z and the mean height for N in the thousands', () => {
    for (const [sites, c] of [
      [2000, 0.1],
      [2000, 0.3],
      [2000, 0.7],
      [2000, 0.95],
      [4000, 0.01],
      [4000, 0.99],
    ] as const) {
      const exact = fredkinExact({ sites, c });
      const reference = qCatalan(sites / 2, c);
      expectRelative(exact.logPartitionFunction, reference.logZ, 1);
      expectRelative(exact.meanHeight, reference.meanHeight, 1);
      const logQ = Math.log(c / (1 - c));
      expectRelative(exact.energyPerSite, -0.5 * logQ * reference.meanHeight, 1);
      let mass = 0;
      for (const p of exact.midHeightDistribution) mass += p;
      expectRelative(mass, 1);
      expect(exact.heightProfile.every(Number.isFinite)).toBe(true);
    }
  });

  it('shows the three phases in the mid height at N = 2000', () => {
    const n = 2000;
    expect(fredkinExact({ sites: n, c: 0.3 }).midHeight).toBeLessThan(5);
    const brownian = fredkinExact({ sites: n, c: 0.5 }).midHeight;
    expect(brownian / Math.sqrt(n)).toBeGreaterThan(0.5);
    expect(brownian / Math.sqrt(n)).toBeLessThan(2);
    expect(fredkinExact({ sites: n, c: 0.7 }).midHeight).toBeGreaterThan(n / 2 - 10);
  });

  it('rejects bad sizes naming the parameter, the value and the limit', () => {
    expect(() => fredkinExact({ sites: 7, c: 0.5 })).toThrow(
      'invalid argument: `sites` passed to `fredkinExact` must be an even integer >= 2 (got 7)',
    );
    expect(() => fredkinExact({ sites: 20_000, c: 0.5 })).toThrow(
      'must be an even integer <= 10000',
    );
    expect(() => fredkinExact({ sites: 8, c: 0 })).toThrow(
      '`c` passed to `fredkinExact` must be a finite number in (0, 1) (got 0)',
    );
    expect(() => fredkinExact({ sites: 8, c: Number.NaN })).toThrow(InvalidArgumentError);
    expect(() => fredkinModel.create({ sites: 7 })).toThrow(
      'invalid argument: `sites` passed to `fredkin` must be an even integer >= 2 (got 7)',
    );
  });
});

describe('fredkinExactMPS', () => {
  it('has the height as bond index (chi <= N/4 + 1) and entries in [0, 1]', () => {
    const { mps } = fredkinExactMPS({ sites: 16, c: 0.8 });
    expect(mps.bondDims).toEqual([1, 2, 2, 3, 3, 4, 4, 5, 4, 4, 3, 3, 2, 2, 1]);
    expect(mps.maxBondDim).toBe(16 / 4 + 1);
    for (const t of mps.tensors) for (const v of t) expect(v >= 0 && v <= 1).toBe(true);
  });

  it('contracts to Z of the height transfer structure (N = 200) with the stated log offset', () => {
    for (const c of [0.2, 0.5, 0.8]) {
      const { mps, logWeightOffset } = fredkinExactMPS({ sites: 200, c });
      expectRelative(
        mpsLogNormalization(mps) + logWeightOffset,
        fredkinExact({ sites: 200, c }).logPartitionFunction,
        1,
      );
    }
  });

  it('keeps typical configurations in range for c near 0 and 1 at N = 400', () => {
    for (const c of [0.01, 0.99]) {
      const { mps, logWeightOffset } = fredkinExactMPS({ sites: 400, c });
      const samples = sampleFredkin({ sites: 400, c, count: 20, seed: 3 });
      const logQ = Math.log(c / (1 - c));
      for (let b = 0; b < samples.count; b++) {
        const x = samples.data.subarray(b * 400, (b + 1) * 400);
        const expected = 0.5 * logQ * heightSum(x);
        expectRelative(mpsLogValue(mps, x) + logWeightOffset, expected, 1);
      }
    }
  });

  it('refuses sizes whose dense MPS exceeds 2^25 entries', () => {
    expect(() => fredkinExactMPS({ sites: 1000, c: 0.5 })).toThrow(
      /`sites` passed to `fredkinExactMPS` must be an even integer <= \d+ \(a dense exact MPS of at most 33554432 entries\) \(got 1000\)/,
    );
  });
});

describe('sampleFredkin', () => {
  it('draws Dyck paths with the exact mid-height mean (4 sigma), reproducibly', () => {
    const sites = 40;
    const c = 0.55;
    const count = 20_000;
    const samples = sampleFredkin({ sites, c, count, seed: 11 });
    const again = sampleFredkin({ sites, c, count: 10, seed: 11 });
    expect(Array.from(again.data)).toEqual(Array.from(samples.data.subarray(0, 10 * sites)));
    const mid = fredkinModel.create({ sites, c }).observe('midHeight', samples);
    let mean = 0;
    for (let b = 0; b < count; b++) {
      expect(isDyckPath(samples.data.subarray(b * sites, (b + 1) * sites))).toBe(true);
      mean += (mid[b] as number) / count;
    }
    let variance = 0;
    for (const v of mid) variance += (v - mean) ** 2 / (count - 1);
    const error = Math.sqrt(variance / count);
    expect(Math.abs(mean - fredkinExact({ sites, c }).midHeight)).toBeLessThan(4 * error);
  });
});

describe('fredkinModel sizes and extreme c', () => {
  it('refuses more sites than a lattice can hold with an InvalidArgumentError (was a fatal V8 error)', () => {
    expect(() => fredkinModel.create({ sites: 1e9 })).toThrow(InvalidArgumentError);
    expect(() => fredkinModel.create({ sites: 1e9 })).toThrow(
      '`sites` passed to `fredkin` must be an even integer <= 4194304 (got 1000000000)',
    );
  });

  it('equals enumeration at c near 0, at 1/2 and near 1', () => {
    for (const c of [1e-9, 0.5, 1 - 1e-9]) {
      const instance = fredkinModel.create({ sites: 12, c });
      const exact = instance.exactObservables!();
      const reference = exactByEnumeration(instance);
      const scale = Math.max(1, Math.abs(reference.logPartitionFunction));
      expect(Math.abs(exact.logPartitionFunction - reference.logPartitionFunction)).toBeLessThan(
        1e-12 * scale,
      );
      for (const name of ['energyPerSite', 'midHeight', 'meanHeight']) {
        const expected = reference.means[name] as number;
        expect(Math.abs((exact.means[name] as number) - expected)).toBeLessThan(
          1e-10 * Math.max(1, Math.abs(expected)),
        );
      }
    }
  });
});

describe('height helpers and fredkinMPSEntries refuse what they cannot mean', () => {
  it('name the argument', () => {
    // (a digit 2 counted as a down step; a short `out` was cut; 7 sites gave a count of 36)
    expect(() => heightProfile([1, 2, 0])).toThrow('`x[1]` passed to `heightProfile`');
    expect(() => heightSum([5, 0])).toThrow('`x[0]` passed to `heightSum`');
    expect(() => isDyckPath([1, Number.NaN])).toThrow('`x[1]` passed to `isDyckPath`');
    expect(() => heightProfile([1, 0], new Int32Array(2))).toThrow(
      '`out` passed to `heightProfile`',
    );
    expect(Array.from(heightProfile([1, 0]))).toEqual([0, 1, 0]);
    expect(() => fredkinMPSEntries(7)).toThrow('`sites` passed to `fredkinMPSEntries`');
    expect(fredkinMPSEntries(8)).toBeGreaterThan(0);
  });
});
