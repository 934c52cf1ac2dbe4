import { configurationIndex, exactByEnumeration } from '@latticediff/lattice';
import { mpsLogNormalization } from '@latticediff/lattice/testing';
import { isingTransferMatrix } from '@latticediff/model-ising';
import { InvalidArgumentError } from '@latticediff/tensor-network';
import { describe, expect, it } from 'vitest';
import { pottsExactMPS } from './exact-mps';
import { criticalBeta, type PottsParameters } from './parameters';
import { pottsModel } from './potts';
import {
  binomial,
  countDistributionFits,
  pottsCountDistribution,
  pottsTransferMatrix,
} from './transfer-matrix';

const TOLERANCE = 1e-12;

function expectRelative(actual: number, expected: number, scale = 0, tolerance = TOLERANCE): void {
  const bound = tolerance * Math.max(Math.abs(expected), scale);
  expect(Math.abs(actual - expected), `${actual} vs ${expected}`).toBeLessThanOrEqual(bound);
}

function params(p: Partial<PottsParameters>): PottsParameters {
  return pottsModel.create(p).parameters as PottsParameters;
}

function expectThrowsNaming(run: () => unknown, argument: string, fragment: string): void {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(InvalidArgumentError.isInstance(caught), String(caught)).toBe(true);
  expect((caught as InvalidArgumentError).argument).toBe(argument);
  expect((caught as Error).message).toContain(fragment);
}

const TINY: Partial<PottsParameters>[] = [
  { lx: 3, ly: 3, q: 3, beta: 1.0050525 },
  { lx: 2, ly: 4, q: 3, beta: 0.7, field: 0.3, boundary: 'torus' },
  { lx: 3, ly: 2, q: 4, beta: 0.9, coupling: -0.7, field: -0.2 },
  { lx: 2, ly: 3, q: 5, beta: 1.3, field: 0.4, boundary: 'open' },
  { lx: 4, ly: 3, q: 3, beta: 1.2, field: 0.15, boundary: 'open' },
  { lx: 2, ly: 2, q: 6, beta: 1.1, boundary: 'torus' },
  { lx: 7, ly: 2, q: 2, beta: 0.5, field: 0.25 },
  { lx: 3, ly: 2, q: 7, beta: 0.8, field: 0.5 },
];

/** The transfer matrix and the count distribution against brute-force enumeration, to 1e-12. */
function expectEnumeration(p: Partial<PottsParameters>): void {
  const instance = pottsModel.create(p);
  const reference = exactByEnumeration(instance);
  const exact = pottsTransferMatrix(instance.parameters);
  const counts = pottsCountDistribution(instance.parameters);
  const means = reference.means as Record<string, number>;
  expectRelative(exact.logPartitionFunction, reference.logPartitionFunction, 1);
  expectRelative(counts.logPartitionFunction, reference.logPartitionFunction, 1);
  expectRelative(exact.energyPerSite, means.energyPerSite as number, 1);
  expectRelative(exact.colourZeroDensity, means.colourZeroDensity as number, 1);
  expectRelative(counts.colourZeroDensity, means.colourZeroDensity as number, 1);
  expectRelative(counts.orderParameter, means.orderParameter as number, 1);
  expectRelative(counts.orderParameterSquared, means.orderParameterSquared as number, 1);
  expectRelative(counts.orderParameterFourth, means.orderParameterFourth as number, 1);
}

describe('pottsTransferMatrix and pottsCountDistribution', () => {
  it('equal brute-force enumeration to 1e-12 (ln Z, energy, order parameter moments, colour 0)', () => {
    for (const p of TINY) expectEnumeration(p);
  });

  it('gives the whole distribution of colour counts (checked against enumeration)', () => {
    for (const p of [TINY[0], TINY[1], TINY[3]] as Partial<PottsParameters>[]) {
      const instance = pottsModel.create(p);
      const { q } = instance.parameters as PottsParameters;
      const n = instance.sites;
      const reference = exactByEnumeration(instance);
      const histogram = new Map<string, number>();
      const all = reference.configurations;
      for (let k = 0; k < all.count; k++) {
        const counts = new Array<number>(q).fill(0);
        for (let i = 0; i < n; i++) counts[all.data[k * n + i] as number]!++;
        const key = counts.join(',');
        histogram.set(key, (histogram.get(key) ?? 0) + (reference.probabilities[k] as number));
      }
      const exact = pottsCountDistribution(instance.parameters);
      expect(exact.size).toBe(binomial(n + q - 1, q - 1));
      expect(exact.size).toBe(histogram.size);
      let total = 0;
      const seen = new Set<string>();
      for (let r = 0; r < exact.size; r++) {
        const row = Array.from(exact.counts.subarray(r * q, (r + 1) * q));
        expect(row.reduce((a, b) => a + b, 0)).toBe(n);
        const key = row.join(',');
        seen.add(key);
        expectRelative(exact.probabilities[r] as number, histogram.get(key) as number, 1e-3);
        total += exact.probabilities[r] as number;
      }
      expect(seen.size).toBe(exact.size);
      expectRelative(total, 1);
    }
  });

  it('matches the chain closed forms Z = q (e^{beta J} + q - 1)^{L-1} and the ring Z', () => {
    for (const [length, q, beta, coupling] of [
      [7, 3, 0.8, 1],
      [5, 5, 1.4, -0.6],
      [12, 2, 0.6, -1.1],
      [2, 2, 0.3, 2],
    ] as const) {
      const a = Math.exp(beta * coupling);
      const open = pottsTransferMatrix(
        params({ lx: 1, ly: length, q, beta, coupling, boundary: 'open' }),
      );
      expectRelative(open.logPartitionFunction, Math.log(q) + (length - 1) * Math.log(a + q - 1));
      // <E> = -(L-1) J e^{beta J} / (e^{beta J} + q - 1)
      expectRelative(open.energyPerSite, (-(length - 1) * coupling * a) / (a + q - 1) / length);
      expectRelative(open.colourZeroDensity, 1 / q);
      const ring = pottsTransferMatrix(params({ lx: 1, ly: length, q, beta, coupling }));
      const z = (a + q - 1) ** length + (q - 1) * (a - 1) ** length;
      expectRelative(ring.logPartitionFunction, Math.log(z));
    }
  });

  it('maps q = 2 exactly onto the Ising model at beta/2 (field -h, energy shift -(J B + h N)/2)', () => {
    // delta(x_i, x_j) = (1 + s_i s_j)/2 and delta(x_i, 0) = (1 - s_i)/2 with s = 2x - 1:
    // E_Potts(beta; J, h) = E_Ising(J/2, -h/2) - (J B + h N)/2, and beta * (J/2) = (beta/2) * J.
    for (const p of [
      { lx: 6, ly: 8, beta: 0.9, field: 0 },
      { lx: 5, ly: 6, beta: 1.2, field: 0.3, coupling: 1 },
      { lx: 4, ly: 5, beta: 0.7, field: -0.2, coupling: -1.3, boundary: 'torus' },
      { lx: 7, ly: 5, beta: 0.5, field: 0.1, coupling: 0.8, boundary: 'open' },
    ] as const) {
      const potts = pottsModel.create({ ...p, q: 2 });
      const n = potts.sites;
      const bonds = potts.geometry.bonds.length / 2;
      const J = p.coupling ?? 1;
      const shift = -(J * bonds + p.field * n) / 2;
      const boundary = 'boundary' in p ? p.boundary : 'cylinder';
      const ising = isingTransferMatrix({
        lx: p.lx,
        ly: p.ly,
        beta: p.beta / 2,
        coupling: J,
        field: -p.field,
        boundary,
      });
      const exact = pottsTransferMatrix(potts.parameters);
      const counts = pottsCountDistribution(potts.parameters);
      expectRelative(exact.logPartitionFunction, ising.logPartitionFunction - p.beta * shift, 1);
      // <E_Ising> at (beta/2, J, -h) is twice <E_Ising(J/2, -h/2)>
      expectRelative(exact.energyPerSite, ising.energyPerSite / 2 + shift / n, 1);
      expectRelative(exact.colourZeroDensity, (1 - ising.magnetization) / 2, 1);
      expectRelative(counts.orderParameter, ising.absMagnetization, 1);
      expectRelative(counts.orderParameterSquared, ising.magnetizationSquared, 1);
      expectRelative(counts.orderParameterFourth, ising.magnetizationFourth, 1);
    }
  });

  it('is symmetric under exchanging x and y on open lattices and tori', () => {
    for (const [a, b, q, boundary] of [
      [5, 3, 3, 'open'],
      [4, 3, 3, 'torus'],
      [3, 2, 5, 'torus'],
    ] as const) {
      const one = pottsTransferMatrix(params({ lx: a, ly: b, q, beta: 1.1, field: 0.2, boundary }));
      const two = pottsTransferMatrix(params({ lx: b, ly: a, q, beta: 1.1, field: 0.2, boundary }));
      expectRelative(one.logPartitionFunction, two.logPartitionFunction, 1);
      expectRelative(one.energyPerSite, two.energyPerSite, 1);
      expectRelative(one.colourZeroDensity, two.colourZeroDensity, 1);
      const m1 = pottsCountDistribution(params({ lx: a, ly: b, q, beta: 1.1, boundary }));
      const m2 = pottsCountDistribution(params({ lx: b, ly: a, q, beta: 1.1, boundary }));
      expectRelative(m1.orderParameter, m2.orderParameter, 1);
    }
  });

  it('stay exact at large beta (NaN or states lost to underflow and overflow before)', () => {
    const cases: Partial<PottsParameters>[] = [
      { lx: 3, ly: 3, q: 3, beta: 400, coupling: -1, boundary: 'torus' },
      { lx: 3, ly: 3, q: 3, beta: 1000, coupling: -1, boundary: 'torus' },
      { lx: 2, ly: 4, q: 3, beta: 800, coupling: -1, field: 0.3, boundary: 'torus' },
      { lx: 3, ly: 2, q: 4, beta: 900, coupling: -0.7, field: -0.2 },
      { lx: 3, ly: 3, q: 2, beta: 2000, coupling: -1, field: 0.1, boundary: 'open' },
      // a frustrated ring: a ground state through a state one bond above the best at site 1
      // (ln Z was short by ln 1.5 from beta about 745)
      { lx: 1, ly: 3, q: 2, beta: 800, coupling: -1 },
      // J > 0: the factors overflowed (NaN from beta about 240)
      { lx: 2, ly: 2, q: 3, beta: 300, coupling: 1 },
      { lx: 3, ly: 3, q: 3, beta: 1000, coupling: 1, field: 0.2, boundary: 'torus' },
      // just above and below the log domain's threshold (beta max(|J|, |h|) = 50)
      { lx: 2, ly: 4, q: 3, beta: 49.9, coupling: -1, field: 0.3, boundary: 'torus' },
      { lx: 2, ly: 4, q: 3, beta: 50.1, coupling: -1, field: 0.3, boundary: 'torus' },
    ];
    // (the enumeration weighs each configuration relative to the ground state)
    for (const p of cases) expectEnumeration(p);
  });

  it('give a finite Binder cumulant where <m^2>^2 underflows (it was -Infinity)', () => {
    // 3 x 3 torus, q = 3, J = -1, beta = 200: <m^2> is about 1e-174; the cumulant by a
    // log-space enumeration, 1 - exp(ln <m^4> - ln 3 - 2 ln <m^2>)
    const instance = pottsModel.create({
      lx: 3,
      ly: 3,
      q: 3,
      beta: 200,
      coupling: -1,
      boundary: 'torus',
    });
    const n = instance.sites;
    const all = exactByEnumeration(instance).configurations;
    const energies = instance.energy(all);
    const logSum = (terms: number[]) => {
      const top = Math.max(...terms);
      return top + Math.log(terms.reduce((acc, t) => acc + Math.exp(t - top), 0));
    };
    const logWeights: number[] = [];
    const logM2: number[] = [];
    const logM4: number[] = [];
    for (let k = 0; k < all.count; k++) {
      const lw = -200 * (energies[k] as number);
      logWeights.push(lw);
      const counts = [0, 0, 0];
      for (let i = 0; i < n; i++) counts[all.data[k * n + i] as number]!++;
      const m = (3 * (Math.max(...counts) / n) - 1) / 2;
      if (m > 0) {
        logM2.push(lw + 2 * Math.log(m));
        logM4.push(lw + 4 * Math.log(m));
      }
    }
    const logZ = logSum(logWeights);
    const lnM2 = logSum(logM2) - logZ;
    const lnM4 = logSum(logM4) - logZ;
    const expected = 1 - Math.exp(lnM4 - Math.log(3) - 2 * lnM2);
    const binder = instance.exactObservables?.().derived?.binderCumulant as number;
    expect(Number.isFinite(expected)).toBe(true);
    expectRelative(binder, expected, 0, 1e-9);
  });

  it('has the colour symmetry at h = 0: <n_0>/N = 1/q', () => {
    const exact = pottsTransferMatrix(params({ lx: 10, ly: 5, q: 4, beta: 1.2 }));
    expectRelative(exact.colourZeroDensity, 1 / 4);
  });

  it('refuses sizes beyond its limits, naming the parameter and the limit', () => {
    expectThrowsNaming(() => pottsTransferMatrix({ lx: 2, ly: 8, q: 3 }), 'ly', '<= 7');
    expectThrowsNaming(() => pottsTransferMatrix({ lx: 2, ly: 4, q: 10 }), 'ly', 'at most 4096');
    expectThrowsNaming(
      () => pottsTransferMatrix({ lx: 2, ly: 6, q: 3, boundary: 'torus' }),
      'ly',
      '<= 5',
    );
    expectThrowsNaming(() => pottsTransferMatrix({ lx: 10 ** 6, ly: 7, q: 3 }), 'lx', '<= ');
    expectThrowsNaming(() => pottsCountDistribution({ lx: 60, ly: 6, q: 3 }), 'lx', 'count table');
    expect(countDistributionFits(params({ lx: 60, ly: 6, q: 3 }))).toBe(false);
    expect(countDistributionFits(params({ lx: 8, ly: 4, q: 3 }))).toBe(true);
    // exactObservables leaves out the order parameter where the count table does not fit
    const large = pottsModel.create({ lx: 60, ly: 6, q: 3 }).exactObservables?.();
    expect(large?.means.energyPerSite).toBeTypeOf('number');
    expect(large?.means.orderParameter).toBeUndefined();
  });
});

describe('pottsExactMPS', () => {
  it('normalises to the transfer-matrix Z and gives exact weights', () => {
    for (const p of [
      { lx: 6, ly: 4, q: 3, beta: 1.0, field: 0.2 },
      { lx: 3, ly: 3, q: 3, beta: 0.9, boundary: 'torus' },
      { lx: 5, ly: 5, q: 3, beta: 1.2, coupling: -0.5, boundary: 'open' },
    ] as const) {
      const parameters = params(p);
      const { mps, logWeightOffset } = pottsExactMPS(parameters);
      const exact = pottsTransferMatrix(parameters);
      expectRelative(mpsLogNormalization(mps) + logWeightOffset, exact.logPartitionFunction, 1);
      expect(Math.max(...mps.bondDims)).toBeLessThanOrEqual(p.q ** (2 * p.ly));
    }
  });

  it('gives each configuration its Boltzmann weight (3 x 2 cylinder, q = 3, by enumeration)', () => {
    const instance = pottsModel.create({ lx: 3, ly: 2, q: 3, beta: 0.8, field: -0.3 });
    const reference = exactByEnumeration(instance);
    const { mps } = pottsExactMPS(instance.parameters);
    const logNorm = mpsLogNormalization(mps);
    // contract the MPS for a few configurations by hand
    const n = instance.sites;
    for (const k of [0, 17, 200, 728]) {
      const x = reference.configurations.data.subarray(k * n, (k + 1) * n);
      expect(configurationIndex(x, 3)).toBe(k);
      let vector = Float64Array.from([1]);
      for (let i = 0; i < n; i++) {
        const data = mps.tensors[i] as Float64Array;
        const [left, d, right] = mps.siteShape(i);
        const next = new Float64Array(right);
        for (let a = 0; a < left; a++) {
          for (let b = 0; b < right; b++) {
            next[b]! +=
              (vector[a] as number) * (data[(a * d + (x[i] as number)) * right + b] as number);
          }
        }
        vector = next;
      }
      expectRelative(
        Math.log(vector[0] as number) - logNorm,
        Math.log(reference.probabilities[k] as number),
        1,
      );
    }
  });

  it('gives every configuration its weight up to the largest beta it accepts, for J < 0 and h of both signs', () => {
    // 3 x 2 torus, q = 3 (729 configurations): a site has up to 4 earlier bonds (the vertical
    // one doubled), so the entries span exp(-beta (4 |J| + |h|)). J = -1 at beta = 150 lost every
    // configuration with many equal neighbours (entries exp(-8 beta) underflowed to 0) when the
    // per-site shift used |J|; from beta = 187 it lost the ground states too (the MPS was zero)
    for (const p of [
      { coupling: -1, field: 0, beta: 150 },
      { coupling: -1, field: 0.3, beta: 160 },
      { coupling: -0.7, field: -0.4, beta: 200 },
      { coupling: 1, field: -0.5, beta: 150 },
    ]) {
      const instance = pottsModel.create({ lx: 3, ly: 2, q: 3, boundary: 'torus', ...p });
      const { mps, logWeightOffset } = pottsExactMPS(instance.parameters);
      const n = instance.sites;
      const count = 3 ** n;
      const data = new Int32Array(count * n);
      for (let k = 0; k < count; k++) {
        let rest = k;
        for (let i = n - 1; i >= 0; i--) {
          data[k * n + i] = rest % 3;
          rest = Math.floor(rest / 3);
        }
      }
      const energies = instance.energy({ data, count });
      for (let k = 0; k < count; k++) {
        // ln MPS(x), the left vector rescaled at every site (weights reach exp(-1800))
        let vector = Float64Array.from([1]);
        let logScale = 0;
        for (let i = 0; i < n; i++) {
          const tensor = mps.tensors[i] as Float64Array;
          const [left, d, right] = mps.siteShape(i);
          const next = new Float64Array(right);
          const x = data[k * n + i] as number;
          for (let a = 0; a < left; a++) {
            for (let b = 0; b < right; b++) {
              next[b]! += (vector[a] as number) * (tensor[(a * d + x) * right + b] as number);
            }
          }
          const largest = Math.max(...next.map(Math.abs));
          expect(
            largest,
            `configuration ${k} (${p.coupling}, ${p.field}, ${p.beta})`,
          ).toBeGreaterThan(0);
          for (let b = 0; b < right; b++) next[b]! /= largest;
          logScale += Math.log(largest);
          vector = next;
        }
        const expected = -p.beta * (energies[k] as number);
        expectRelative(logScale + logWeightOffset, expected, 1, 1e-12);
      }
    }
  });

  it('refuses a beta whose site tensors would underflow, naming beta and its limit', () => {
    // (J = -1 on the 3 x 2 torus: 4 earlier bonds per site at most, beta <= 700 / 4)
    expect(() =>
      pottsExactMPS(params({ lx: 3, ly: 2, q: 3, beta: 190, coupling: -1, boundary: 'torus' })),
    ).toThrow('`beta` passed to `pottsExactMPS` must be at most 175 for J = -1, h = 0');
    expect(() =>
      pottsModel.create({
        lx: 3,
        ly: 3,
        q: 3,
        beta: 180,
        coupling: -1,
        field: 0.5,
        boundary: 'torus',
      }).exactMPS!(),
    ).toThrow('underflow in float64');
    // the limit itself is accepted
    expect(() =>
      pottsExactMPS(params({ lx: 3, ly: 2, q: 3, beta: 175, coupling: -1, boundary: 'torus' })),
    ).not.toThrow();
  });

  it('refuses bond dimensions above 1024 and too many entries', () => {
    expectThrowsNaming(() => pottsExactMPS({ lx: 2, ly: 7, q: 3 }), 'ly', '<= 6');
    expectThrowsNaming(() => pottsExactMPS({ lx: 200, ly: 6, q: 3 }), 'lx', '<= ');
    // a torus carries two columns on a bond from Lx = 3, one at Lx = 2 (the limit named for
    // Lx = 2 was 3, though Ly = 6 is accepted)
    expectThrowsNaming(
      () => pottsExactMPS({ lx: 3, ly: 4, q: 3, boundary: 'torus' }),
      'ly',
      '<= 3 for q = 3, lx = 3',
    );
    expect(pottsExactMPS({ lx: 2, ly: 6, q: 3, boundary: 'torus' }).mps.maxBondDim).toBe(729);
    expectThrowsNaming(
      () => pottsExactMPS({ lx: 2, ly: 7, q: 3, boundary: 'torus' }),
      'ly',
      '<= 6 for q = 3, lx = 2',
    );
  });
});

describe('criticalBeta', () => {
  it('refuses a q that is not an integer >= 2 (NaN and -1 gave NaN, 1 a value)', () => {
    expect(criticalBeta(3)).toBeCloseTo(Math.log(1 + Math.sqrt(3)), 15);
    for (const q of [Number.NaN, -1, 1, 2.5])
      expectThrowsNaming(() => criticalBeta(q), 'q', 'an integer >= 2');
  });
});

describe('parameters', () => {
  it('default beta is the critical point ln(1 + sqrt q) of the given q', () => {
    expectRelative(pottsModel.create().beta, Math.log(1 + Math.sqrt(3)));
    expectRelative(pottsModel.create({ q: 4 }).beta, Math.log(3));
    expectRelative(criticalBeta(2), 2 * 0.44068679350977147);
    expect(pottsModel.create({ q: 4, beta: 0.5 }).beta).toBe(0.5);
    expect(pottsModel.create({ q: 5 }).parameters.beta).toBe(criticalBeta(5));
  });
});
