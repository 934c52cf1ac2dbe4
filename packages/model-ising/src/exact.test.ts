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
      '`ly` passed to `isingExactMPS` must be an integer <= 10 for lx = 2 and boundary "cylinder"',
    );
    expect(() => isingExactMPS(params({ lx: 3, ly: 6, boundary: 'torus' }))).toThrow(
      'must be an integer <= 5 for lx = 3 and boundary "torus"',
    );
    // a torus of Lx = 2 carries one column on a bond (its x bonds are doubled): Ly = 10 is
    // accepted, and the limit named for Ly = 11 is that one (it said 5)
    expect(isingExactMPS(params({ lx: 2, ly: 10, boundary: 'torus' })).mps.maxBondDim).toBe(1024);
    expect(() => isingExactMPS(params({ lx: 2, ly: 11, boundary: 'torus' }))).toThrow(
      'must be an integer <= 10 for lx = 2 and boundary "torus"',
    );
    expect(() => isingExactMPS(params({ lx: 200, ly: 10 }))).toThrow(
      /`lx` passed to `isingExactMPS` must be an integer <= \d+ for ly = 10/,
    );
  });
});

describe('isingTransferMatrix at extreme parameters', () => {
  it('agrees with enumeration from tiny to very large beta, with fields and both signs of J', () => {
    for (const beta of [1e-12, 0.01, 5, 60, 1e3, 1e6]) {
      for (const p of [
        { lx: 3, ly: 3, coupling: 1, field: 0, boundary: 'cylinder' },
        { lx: 3, ly: 3, coupling: -1, field: 0.3, boundary: 'cylinder' },
        { lx: 2, ly: 3, coupling: 0.7, field: -0.2, boundary: 'torus' },
        { lx: 4, ly: 2, coupling: -1.3, field: 0.5, boundary: 'open' },
      ] as const) {
        const instance = isingModel.create({ ...p, beta });
        const exact = isingTransferMatrix(instance.parameters);
        const reference = exactByEnumeration(instance);
        const label = `${JSON.stringify(p)} beta=${beta}`;
        expect(Number.isFinite(exact.logPartitionFunction), label).toBe(true);
        expectRelative(exact.logPartitionFunction, reference.logPartitionFunction, 1, 1e-11);
        for (const name of ['energyPerSite', 'absMagnetization', 'magnetization'] as const) {
          expectRelative(exact[name], reference.means[name] as number, 1, 1e-9);
        }
      }
    }
  });

  it('gives the ground-state values at very large beta (closed form)', () => {
    // 3x3 cylinder: 9 y bonds and 6 x bonds; h > 0 selects the all-up ground state
    const beta = 1e8;
    const exact = isingTransferMatrix(params({ lx: 3, ly: 3, beta, field: 0.5 }));
    expectRelative(exact.logPartitionFunction, beta * (15 + 0.5 * 9));
    expectRelative(exact.energyPerSite, -(15 + 0.5 * 9) / 9);
    expectRelative(exact.magnetization, 1);
    // h = 0: two ground states, ln Z = ln 2 + beta * 15
    const symmetric = isingTransferMatrix(params({ lx: 3, ly: 3, beta: 1e3 }));
    expectRelative(symmetric.logPartitionFunction, Math.log(2) + 1e3 * 15);
    expectRelative(symmetric.absMagnetization, 1);
  });

  it('refuses a beta whose ln Z overflows float64, naming beta', () => {
    expect(() => isingTransferMatrix(params({ lx: 3, ly: 3, beta: 1e308 }))).toThrow(
      '`beta` passed to `isingTransferMatrix` must be small enough that N * beta * (4 |J| + |h|) is a finite float64',
    );
    expect(() => isingModel.create({ lx: 3, ly: 3, beta: 1e308 }).exactObservables?.()).toThrow(
      '`beta`',
    );
  });

  it('refuses sizes whose work would take hours, naming lx (instead of running)', () => {
    // the refusal is the verdict (no clock): a transfer matrix that started would have returned
    // a result hours later instead of throwing
    expect(() => isingTransferMatrix(params({ lx: 100000, ly: 2 }))).toThrow(
      '`lx` passed to `isingTransferMatrix` must be an integer <= 32767 for ly = 2',
    );
    expect(() => isingTransferMatrix(params({ lx: 200, ly: 7, boundary: 'torus' }))).toThrow(
      'for ly = 7 and boundary "torus"',
    );
    // the binding limit is named (at ly = 8 the message said 8191, and lx = 8191 was then refused
    // with 1023)
    for (const lx of [100000, 8191]) {
      expect(() => isingTransferMatrix(params({ lx, ly: 8 }))).toThrow(
        '`lx` passed to `isingTransferMatrix` must be an integer <= 1023 for ly = 8',
      );
    }
  });

  it('refuses more sites than a lattice can hold with an InvalidArgumentError (not a RangeError)', () => {
    expect(() => isingModel.create({ lx: 1e9 })).toThrow(
      '`lx` passed to `ising` must be an integer <= 524288 for ly = 8',
    );
    expect(() => isingModel.create({ lx: 1e5, ly: 1e5 })).toThrow('lx * ly <= 4194304 sites');
    // a ly that alone exceeds the limit is named (the message said "lx <= 0")
    expect(() => isingModel.create({ lx: 1e7, ly: 1e7 })).toThrow(
      '`ly` passed to `ising` must be an integer <= 4194304',
    );
  });
});

describe('isingTransferMatrix with log-weights', () => {
  it('has a smaller size limit at very large beta, named in the message', () => {
    expect(() => isingTransferMatrix(params({ lx: 60, ly: 10, beta: 100 }))).toThrow(
      'at beta = 100 (log-weights)',
    );
    expect(
      isingTransferMatrix(params({ lx: 60, ly: 10, beta: 1 })).logPartitionFunction,
    ).toBeGreaterThan(0);
  });
});

describe('isingExactMPS at large beta', () => {
  it('equals enumeration up to the largest beta it accepts, frustrated cases included', () => {
    for (const p of [
      { lx: 3, ly: 2, coupling: -1, field: 0.7, boundary: 'torus' },
      { lx: 3, ly: 2, coupling: -1, field: -2, boundary: 'cylinder' },
      { lx: 3, ly: 2, coupling: 1, field: 0, boundary: 'open' },
    ] as const) {
      for (const beta of [30, 60]) {
        const instance = isingModel.create({ ...p, beta });
        const reference = exactByEnumeration(instance);
        const { mps, logWeightOffset } = isingExactMPS(instance.parameters);
        expectRelative(
          mpsLogNormalization(mps) + logWeightOffset,
          reference.logPartitionFunction,
          1,
          1e-10,
        );
      }
    }
  });

  it('refuses a beta whose site tensors would underflow, naming beta (was a silently wrong MPS)', () => {
    // J = -1, h = 0.7 on a 3x2 torus at beta = 300: the MPS had zero total weight
    expect(() =>
      isingExactMPS(
        params({ lx: 3, ly: 2, beta: 300, coupling: -1, field: 0.7, boundary: 'torus' }),
      ),
    ).toThrow('`beta` passed to `isingExactMPS` must be at most');
    expect(() =>
      isingExactMPS(params({ lx: 3, ly: 2, beta: 300, coupling: -1, boundary: 'torus' })),
    ).toThrow('underflow in float64');
  });
});
