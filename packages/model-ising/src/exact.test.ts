import { CompensatedSum, exactByEnumeration } from '@latticediff/lattice';
import { mpsLogNormalization } from '@latticediff/lattice/testing';
import { describe, expect, it } from 'vitest';
import { isingExactMPS } from './exact-mps';
import { isingModel } from './ising';
import type { IsingParameters } from './parameters';
import { type IsingExactResult, isingTransferMatrix } from './transfer-matrix';

const TOLERANCE = 1e-12;

function expectRelative(actual: number, expected: number, scale = 0, tolerance = TOLERANCE): void {
  const bound = tolerance * Math.max(Math.abs(expected), scale);
  expect(Math.abs(actual - expected), `${actual} vs ${expected}`).toBeLessThanOrEqual(bound);
}

function params(p: Partial<IsingParameters>): IsingParameters {
  return isingModel.create(p).parameters as IsingParameters;
}

function expectSameResults(a: IsingExactResult, b: IsingExactResult): void {
  expectRelative(a.logPartitionFunction, b.logPartitionFunction, 1);
  expectRelative(a.energyPerSite, b.energyPerSite, 1);
  expectRelative(a.absMagnetization, b.absMagnetization, 1);
  expectRelative(a.magnetizationSquared, b.magnetizationSquared, 1);
  expectRelative(a.magnetizationFourth, b.magnetizationFourth, 1);
  expectRelative(a.magnetization, b.magnetization, 1);
  expectRelative(a.binderCumulant, b.binderCumulant, 1);
}

describe('isingTransferMatrix', () => {
  it('matches the open chain closed form Z = 2^N cosh^(N-1)(beta J) and <E> = -(N-1) J tanh(beta J)', () => {
    for (const [n, beta, coupling] of [
      [14, 0.7, 1],
      [9, 1.3, -0.6],
      [2, 0.2, 2],
    ] as const) {
      const exact = isingTransferMatrix(params({ lx: 1, ly: n, beta, coupling, boundary: 'open' }));
      const k = beta * coupling;
      expectRelative(exact.logPartitionFunction, n * Math.LN2 + (n - 1) * Math.log(Math.cosh(k)));
      expectRelative(exact.energyPerSite, (-(n - 1) * coupling * Math.tanh(k)) / n);
    }
  });

  it('matches the ring closed form Z = lambda_+^N + lambda_-^N (with a field)', () => {
    for (const [n, beta, coupling, field] of [
      [14, 0.6, 1, 0],
      [13, 0.45, 1, 0.3],
      [10, 0.8, -1, -0.2],
    ] as const) {
      const exact = isingTransferMatrix(params({ lx: 1, ly: n, beta, coupling, field }));
      const k = beta * coupling;
      const b = beta * field;
      const root = Math.sqrt(Math.exp(2 * k) * Math.sinh(b) ** 2 + Math.exp(-2 * k));
      const plus = Math.exp(k) * Math.cosh(b) + root;
      const minus = Math.exp(k) * Math.cosh(b) - root;
      const z = plus ** n + minus ** n;
      expectRelative(exact.logPartitionFunction, Math.log(z));
    }
  });

  it('equals brute-force enumeration, including P(M) and the Binder cumulant (N <= 16)', () => {
    for (const p of [
      { lx: 4, ly: 4, beta: 0.44 },
      { lx: 4, ly: 4, beta: 0.3, field: 0.2, boundary: 'torus' },
      { lx: 2, ly: 7, beta: 0.6, coupling: -1, field: 0.1, boundary: 'torus' },
      { lx: 5, ly: 3, beta: 0.5, field: -0.15, boundary: 'open' },
      { lx: 8, ly: 2, beta: 0.35 },
    ] as const) {
      const instance = isingModel.create(p);
      const exact = isingTransferMatrix(instance.parameters);
      const reference = exactByEnumeration(instance);
      expectRelative(exact.logPartitionFunction, reference.logPartitionFunction, 1);
      const m2 = reference.means.magnetizationSquared as number;
      const m4 = reference.means.magnetizationFourth as number;
      expectRelative(exact.binderCumulant, 1 - m4 / (3 * m2 * m2), 1);
      for (const name of [
        'energyPerSite',
        'absMagnetization',
        'magnetizationSquared',
        'magnetization',
      ] as const) {
        expectRelative(exact[name], reference.means[name] as number, 1);
      }
      const n = instance.sites;
      const histogram = Array.from({ length: n + 1 }, () => new CompensatedSum());
      const all = reference.configurations;
      for (let k = 0; k < all.count; k++) {
        let up = 0;
        for (let i = 0; i < n; i++) up += all.data[k * n + i] as number;
        histogram[up]?.add(reference.probabilities[k] as number);
      }
      histogram.forEach((p, u) => {
        expectRelative(exact.magnetizationDistribution[u] as number, p.value);
      });
    }
  });

  it('reproduces 40-digit decimal enumerations (Python decimal, computed independently)', () => {
    // sum over the (bond sum, M) histogram of all 2^16 configurations with 40-digit exp(),
    // rounded to float64
    const a = isingTransferMatrix(params({ lx: 4, ly: 4, beta: 0.44 }));
    expectRelative(a.logPartitionFunction, 14.456088239807945);
    expectRelative(a.energyPerSite, -1.1284499084147606);
    expectRelative(a.absMagnetization, 0.6791794797030619);
    expectRelative(a.magnetizationSquared, 0.5469187584346183);
    const b = isingTransferMatrix(params({ lx: 8, ly: 2, beta: 0.35 }));
    expectRelative(b.logPartitionFunction, 14.049895815630249);
    expectRelative(b.energyPerSite, -1.0758678487871103);
    expectRelative(b.absMagnetization, 0.43369446742188594);
    expectRelative(b.magnetizationSquared, 0.2711939551809354);
  });

  it('is symmetric under exchanging x and y on open lattices and tori (up to Ly = 14)', () => {
    expectSameResults(
      isingTransferMatrix(params({ lx: 9, ly: 14, beta: 0.44, field: 0.02, boundary: 'open' })),
      isingTransferMatrix(params({ lx: 14, ly: 9, beta: 0.44, field: 0.02, boundary: 'open' })),
    );
    expectSameResults(
      isingTransferMatrix(params({ lx: 7, ly: 5, beta: 0.4, field: 0.05, boundary: 'torus' })),
      isingTransferMatrix(params({ lx: 5, ly: 7, beta: 0.4, field: 0.05, boundary: 'torus' })),
    );
  });

  it('has a symmetric magnetisation distribution at h = 0 and a Binder cumulant near 2/3 when ordered', () => {
    const exact = isingTransferMatrix(params({ lx: 12, ly: 10, beta: 0.8 }));
    const p = exact.magnetizationDistribution;
    for (let u = 0; u < p.length; u++)
      expectRelative(p[u] as number, p[p.length - 1 - u] as number, 1e-300, 1e-10);
    expect(Math.abs(exact.magnetization)).toBeLessThan(1e-12);
    expect(exact.binderCumulant).toBeGreaterThan(0.66);
    expect(exact.binderCumulant).toBeLessThanOrEqual(2 / 3 + 1e-12);
  });

  it('refuses sizes beyond its limits naming the parameter, the value and the limit', () => {
    expect(() => isingTransferMatrix(params({ lx: 2, ly: 15 }))).toThrow(
      'invalid argument: `ly` passed to `isingTransferMatrix` must be an integer <= 14 for boundary "cylinder" (the transfer matrix has 2^ly states) (got 15)',
    );
    expect(() => isingTransferMatrix(params({ lx: 2, ly: 8, boundary: 'torus' }))).toThrow(
      'must be an integer <= 7 for boundary "torus"',
    );
    expect(() => isingTransferMatrix(params({ lx: 100, ly: 14 }))).toThrow(
      '`lx` passed to `isingTransferMatrix` must be an integer <= 73 for ly = 14',
    );
    expect(() => isingModel.create({ ly: 1 })).toThrow(
      'invalid argument: `ly` passed to `ising` must be an integer >= 2 (got 1)',
    );
    expect(() => isingModel.create({ beta: Number.NaN })).toThrow(
      '`beta` passed to `ising` must be a finite number >= 0 (got NaN)',
    );
    expect(() => isingModel.create({ boundary: 'klein' })).toThrow(
      'must be one of "cylinder", "torus", "open" (got "klein")',
    );
  });
});

describe('isingExactMPS', () => {
  it('contracts to the transfer-matrix Z beyond brute-force sizes', () => {
    for (const p of [
      { lx: 6, ly: 4, beta: 0.44, field: 0.1 },
      { lx: 4, ly: 3, beta: 0.6, boundary: 'torus' },
      { lx: 5, ly: 5, beta: 0.3, coupling: -1, boundary: 'open' },
      { lx: 3, ly: 8, beta: 0.5 },
    ] as const) {
      const full = params(p);
      const { mps, logWeightOffset } = isingExactMPS(full);
      expectRelative(
        mpsLogNormalization(mps) + logWeightOffset,
        isingTransferMatrix(full).logPartitionFunction,
        1,
      );
    }
  });

  it('has bond dimension 2^Ly on a cylinder and 4^Ly on a torus, and entries at most 1', () => {
    const cylinder = isingExactMPS(params({ lx: 4, ly: 3 })).mps;
    expect(cylinder.maxBondDim).toBe(8);
    expect(isingExactMPS(params({ lx: 4, ly: 3, boundary: 'torus' })).mps.maxBondDim).toBe(64);
    for (const t of cylinder.tensors) for (const v of t) expect(v >= 0 && v <= 1).toBe(true);
  });

  it('refuses too large bonds or too many entries', () => {
    expect(() => isingExactMPS(params({ lx: 2, ly: 11 }))).toThrow(
      '`ly` passed to `isingExactMPS` must be an integer <= 10 for boundary "cylinder"',
    );
    expect(() => isingExactMPS(params({ lx: 3, ly: 6, boundary: 'torus' }))).toThrow(
      'must be an integer <= 5 for boundary "torus"',
    );
    expect(() => isingExactMPS(params({ lx: 200, ly: 10 }))).toThrow(
      /`lx` passed to `isingExactMPS` must be an integer <= \d+ for ly = 10/,
    );
  });
});
