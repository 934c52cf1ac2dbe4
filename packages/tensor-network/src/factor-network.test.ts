import { describe, expect, it } from 'vitest';
import { toDense } from './dense';
import { logProbabilities } from './evaluate';
import { bornMPSFromFactors, type ConstraintAutomaton, type FactorNetwork } from './factor-network';
import { createRandom } from './random';
import { enumerate } from './testing/brute-force';
import { invalidArgumentOf } from './testing/errors';

/** The amplitude of x by multiplying the factors directly (the independent reference). */
function referenceAmplitude(network: FactorNetwork, x: readonly number[]): number {
  const d = network.physicalDim;
  let log = 0;
  if (network.siteLogWeights) {
    for (let i = 0; i < x.length; i++) log += network.siteLogWeights[i * d + x[i]!]!;
  }
  const pairs = network.pairs;
  if (pairs) {
    for (let p = 0; p < pairs.sites.length / 2; p++) {
      const a = x[pairs.sites[2 * p]!]!;
      const b = x[pairs.sites[2 * p + 1]!]!;
      log += pairs.logWeights[p * d * d + a * d + b]!;
    }
  }
  for (const c of network.constraints ?? []) {
    const tables = c.transitions instanceof Int32Array ? [c.transitions] : c.transitions;
    let state = c.initial;
    for (let i = 0; i < x.length && state >= 0; i++) {
      state = (tables.length === 1 ? tables[0]! : tables[i]!)[state * d + x[i]!]!;
    }
    if (state < 0 || c.accepting[state] !== 1) return 0;
  }
  return Math.exp(log);
}

/** psi^2 / Z by enumeration, and ln Z. */
function referenceDistribution(network: FactorNetwork): { p: number[]; logZ: number } {
  const configs = enumerate(new Array<number>(network.length).fill(network.physicalDim));
  const w = configs.map((x) => referenceAmplitude(network, x) ** 2);
  const z = w.reduce((a, b) => a + b, 0);
  return { p: w.map((v) => v / z), logZ: Math.log(z) };
}

/** Sum of digits even: a two-state parity automaton. */
function parity(d: number): ConstraintAutomaton {
  const transitions = new Int32Array(2 * d);
  for (let s = 0; s < 2; s++) for (let x = 0; x < d; x++) transitions[s * d + x] = (s + x) % 2;
  return { states: 2, initial: 0, transitions, accepting: new Uint8Array([1, 0]) };
}

function randomNetwork(seed: number, n: number, d: number, pairList: number[][]): FactorNetwork {
  const random = createRandom(seed);
  const uniform = () => 2 * random.float64() - 1;
  return {
    length: n,
    physicalDim: d,
    siteLogWeights: new Float64Array(n * d).map(uniform),
    pairs: {
      sites: new Int32Array(pairList.flat()),
      logWeights: new Float64Array(pairList.length * d * d).map(uniform),
    },
  };
}

function expectSameDistribution(network: FactorNetwork, tolerance: number): void {
  const built = bornMPSFromFactors(network);
  const reference = referenceDistribution(network);
  const dense = toDense(built.mps);
  for (let k = 0; k < dense.length; k++) {
    expect(Math.abs(dense[k]! - reference.p[k]!)).toBeLessThanOrEqual(tolerance);
  }
  expect(built.logNorm * 2).toBeCloseTo(reference.logZ, 11);
  expect(built.totalTruncationError).toBeLessThan(1e-14);
}

describe('bornMPSFromFactors without truncation', () => {
  it('equals the product of site and pair factors of any range (d = 3, pairs in both orders)', () => {
    const network = randomNetwork(1, 7, 3, [
      [0, 1],
      [2, 0],
      [1, 4],
      [3, 6],
      [5, 6],
      [0, 6],
      [4, 2],
      [4, 2],
    ]);
    network.pairs!.logWeights[5] = Number.NEGATIVE_INFINITY; // one forbidden pair of digits
    expectSameDistribution(network, 1e-14);
  });

  it('equals the product with a constraint automaton, several automata and per-site tables', () => {
    const base = randomNetwork(2, 6, 2, [
      [0, 3],
      [1, 2],
      [2, 5],
    ]);
    expectSameDistribution({ ...base, constraints: [parity(2)] }, 1e-14);
    // no two adjacent ones (a per-site table that also forbids a 1 at site 0)
    const noAdjacent = new Int32Array([0, 1, 0, -1]);
    const firstSite = new Int32Array([0, -1, 0, -1]);
    const tables = [firstSite, ...new Array<Int32Array>(5).fill(noAdjacent)];
    const hardCore: ConstraintAutomaton = {
      states: 2,
      initial: 0,
      transitions: tables,
      accepting: new Uint8Array([1, 1]),
    };
    expectSameDistribution({ ...base, constraints: [parity(2), hardCore] }, 1e-14);
  });

  it('is a right-canonical Born MPS with unit norm', () => {
    const { mps } = bornMPSFromFactors(randomNetwork(3, 6, 2, [[0, 5]]));
    expect(mps.kind).toBe('born');
    for (let i = 1; i < mps.length; i++) {
      const [l, d, r] = mps.siteShape(i);
      const t = mps.tensors[i]!;
      for (let a = 0; a < l; a++)
        for (let b = 0; b < l; b++) {
          let dot = 0;
          for (let k = 0; k < d * r; k++) dot += t[a * d * r + k]! * t[b * d * r + k]!;
          expect(dot).toBeCloseTo(a === b ? 1 : 0, 12);
        }
    }
    let norm = 0;
    for (const v of mps.tensors[0]!) norm += v * v;
    expect(norm).toBeCloseTo(1, 12);
  });

  it('keeps ln ||psi|| finite and exact for weights far outside float64 range', () => {
    const n = 12;
    const network: FactorNetwork = {
      length: n,
      physicalDim: 2,
      siteLogWeights: new Float64Array(2 * n).map((_, k) => (k % 2 === 0 ? 800 : 0)),
      pairs: {
        sites: new Int32Array([0, 11, 3, 4]),
        logWeights: new Float64Array([900, 0, 0, 900, -700, 0, 0, -700]),
      },
    };
    const built = bornMPSFromFactors(network);
    // every site prefers digit 0 by e^800; pair (0, 11) adds 900 for equal digits, pair (3, 4)
    // adds -700 for equal digits and 0 otherwise: every other psi(x) is at least e^-100 smaller
    expect(Number.isFinite(built.logNorm)).toBe(true);
    // psi is dominated by the all-zero configuration: ln psi(0..0) = 800 n + 900 - 700
    expect(built.logNorm).toBeCloseTo(800 * n + 900 - 700, 9);
  });
});

describe('bornMPSFromFactors of frustrated factors', () => {
  /** Antiferromagnetic pairs of log-weight w: -w for equal digits, +w for different ones. */
  function antiferromagnet(n: number, pairList: number[][], w: number): FactorNetwork {
    return {
      length: n,
      physicalDim: 2,
      pairs: {
        sites: new Int32Array(pairList.flat()),
        logWeights: new Float64Array(pairList.length * 4).map((_, k) =>
          k % 4 === 0 || k % 4 === 3 ? -w : w,
        ),
      },
    };
  }

  it('keeps every ground state (the sweeps lost those whose partial amplitudes fell below rounding)', () => {
    // a triangle: after pairs (0, 1) and (1, 2) the ground state 001 is e^-2w below 010; the
    // sweeps then dropped it and 110 (P = 0, ln Z short by ln 1.5 at w = 20) and reported no loss
    for (const w of [20, 50]) {
      expectSameDistribution(
        antiferromagnet(
          3,
          [
            [0, 1],
            [1, 2],
            [0, 2],
          ],
          w,
        ),
        1e-14,
      );
    }
    // a 3 x 3 torus (odd cycles in both directions)
    const torus: number[][] = [];
    for (let x = 0; x < 3; x++)
      for (let y = 0; y < 3; y++) {
        torus.push([x * 3 + y, ((x + 1) % 3) * 3 + y]);
        torus.push([x * 3 + y, x * 3 + ((y + 1) % 3)]);
      }
    expectSameDistribution(antiferromagnet(9, torus, 10), 1e-13);
  });
});

describe('bornMPSFromFactors with truncation', () => {
  it('keeps at most maxBondDim and reports the discarded weight per bond', () => {
    const pairList: number[][] = [];
    for (let i = 0; i < 9; i++)
      for (let j = i + 1; j < Math.min(10, i + 4); j++) pairList.push([i, j]);
    const network = randomNetwork(5, 10, 2, pairList);
    const exact = bornMPSFromFactors(network);
    const built = bornMPSFromFactors(network, { maxBondDim: 3 });
    expect(Math.max(...built.bondDims)).toBeLessThanOrEqual(3);
    expect(Math.max(...exact.bondDims)).toBeGreaterThan(3);
    expect(built.truncationError.length).toBe(9);
    expect(built.totalTruncationError).toBeGreaterThan(0);
    let logKept = 0;
    for (const e of built.truncationError) {
      expect(e).toBeGreaterThanOrEqual(0);
      logKept += Math.log1p(-e);
    }
    expect(built.totalTruncationError).toBeCloseTo(-Math.expm1(logKept), 14);
    // a larger bond dimension approximates better (the exact state has KL 0)
    const dense = toDense(exact.mps);
    const configs = enumerate(new Array<number>(10).fill(2));
    const data = new Int32Array(configs.flat());
    const kl = (mps: typeof exact.mps) => {
      const lp = logProbabilities(mps, { data, count: configs.length });
      let sum = 0;
      for (let k = 0; k < dense.length; k++) {
        if (dense[k]! > 0) sum += dense[k]! * (Math.log(dense[k]!) - lp[k]!);
      }
      return sum;
    };
    const klSmall = kl(built.mps);
    const klLarger = kl(bornMPSFromFactors(network, { maxBondDim: 5 }).mps);
    expect(klSmall).toBeGreaterThan(klLarger);
    expect(klLarger).toBeGreaterThan(0);
    expect(Math.abs(kl(exact.mps))).toBeLessThan(1e-12);
    // the Gram-matrix truncations (cutoff >= 1e-13) make the same choices as the SVDs
    const fast = bornMPSFromFactors(network, { maxBondDim: 3, cutoff: 1e-12 });
    expect(fast.bondDims).toEqual(built.bondDims);
    expect(Math.abs(kl(fast.mps) - klSmall)).toBeLessThan(1e-9 * klSmall);
    expect(fast.totalTruncationError).toBeCloseTo(built.totalTruncationError, 9);
  });

  it('builds the exact state with the Gram-matrix truncations too, up to the cutoff', () => {
    const network = randomNetwork(9, 9, 2, [
      [0, 4],
      [1, 8],
      [2, 3],
      [5, 7],
    ]);
    const reference = referenceDistribution(network);
    const fast = bornMPSFromFactors(network, { cutoff: 1e-12 });
    const dense = toDense(fast.mps);
    for (let k = 0; k < dense.length; k++) {
      expect(Math.abs(dense[k]! - reference.p[k]!)).toBeLessThan(1e-12);
    }
    expect(fast.logNorm * 2).toBeCloseTo(reference.logZ, 10);
  });

  it('drops weight below the cutoff and truncates a constraint MPS that no pair touches', () => {
    // the Dyck automaton (heights up to 5) has bonds up to 4: maxBondDim 2 must truncate them
    const n = 10;
    const top = n / 2;
    const transitions = new Int32Array(2 * (top + 1));
    for (let h = 0; h <= top; h++) {
      transitions[2 * h] = h > 0 ? h - 1 : -1;
      transitions[2 * h + 1] = h < top ? h + 1 : -1;
    }
    const accepting = new Uint8Array(top + 1);
    accepting[0] = 1;
    const network: FactorNetwork = {
      length: n,
      physicalDim: 2,
      constraints: [{ states: top + 1, initial: 0, transitions, accepting }],
    };
    const exact = bornMPSFromFactors(network);
    expect(Math.max(...exact.bondDims)).toBe(3);
    // 42 Dyck paths of length 10, equally likely
    expect(exact.logNorm * 2).toBeCloseTo(Math.log(42), 12);
    const truncated = bornMPSFromFactors(network, { maxBondDim: 2 });
    expect(Math.max(...truncated.bondDims)).toBe(2);
    expect(truncated.totalTruncationError).toBeGreaterThan(0);
    const loose = bornMPSFromFactors(network, { cutoff: 0.5 });
    expect(Math.max(...loose.bondDims)).toBeLessThan(3);
  });
});

describe('bornMPSFromFactors input checks', () => {
  const good = randomNetwork(7, 4, 2, [[0, 3]]);
  it.each([
    [{ ...good, length: 0 }, 'network.length'],
    [{ ...good, physicalDim: 1 }, 'network.physicalDim'],
    [{ ...good, siteLogWeights: new Float64Array(3) }, 'network.siteLogWeights'],
    [
      { ...good, siteLogWeights: new Float64Array(8).fill(Number.POSITIVE_INFINITY) },
      'network.siteLogWeights',
    ],
    [
      { ...good, pairs: { sites: new Int32Array([0, 0]), logWeights: new Float64Array(4) } },
      'network.pairs.sites[0..1]',
    ],
    [
      { ...good, pairs: { sites: new Int32Array([0, 4]), logWeights: new Float64Array(4) } },
      'network.pairs.sites[0..1]',
    ],
    [
      { ...good, pairs: { sites: new Int32Array([0, 1]), logWeights: new Float64Array(3) } },
      'network.pairs.logWeights',
    ],
    [{ ...good, extra: 1 }, 'network.extra'],
  ] as [FactorNetwork, string][])('refuses a bad network naming %#: %s', (network, argument) => {
    const error = invalidArgumentOf(() => bornMPSFromFactors(network));
    expect(error.message).toContain(`\`${argument}`);
  });

  it('refuses bad truncation options and a network without any non-zero configuration', () => {
    expect(invalidArgumentOf(() => bornMPSFromFactors(good, { maxBondDim: 0 })).message).toContain(
      '`maxBondDim` passed to `bornMPSFromFactors` must be a positive integer (or Infinity) (got 0)',
    );
    expect(invalidArgumentOf(() => bornMPSFromFactors(good, { cutoff: 2 })).message).toContain(
      '`cutoff`',
    );
    const impossible: FactorNetwork = {
      length: 3,
      physicalDim: 2,
      constraints: [{ ...parity(2), accepting: new Uint8Array([0, 0]) }],
    };
    expect(invalidArgumentOf(() => bornMPSFromFactors(impossible)).message).toContain(
      'constraints that accept at least one configuration',
    );
    const allForbidden: FactorNetwork = {
      length: 3,
      physicalDim: 2,
      pairs: {
        sites: new Int32Array([0, 2]),
        logWeights: new Float64Array(4).fill(Number.NEGATIVE_INFINITY),
      },
    };
    expect(invalidArgumentOf(() => bornMPSFromFactors(allForbidden)).message).toContain(
      'psi = 0 for every configuration',
    );
  });
});

describe('bornMPSFromFactors progress', () => {
  it('reports every pair group once, in order, and refuses a progress that is not a function', () => {
    const network = randomNetwork(11, 6, 2, [
      [0, 2],
      [1, 2],
      [3, 5],
      [0, 5],
    ]);
    const calls: [number, number][] = [];
    bornMPSFromFactors(network, { onProgress: (done, total) => calls.push([done, total]) });
    // groups by the later site: 2 (pairs 0-2, 1-2) and 5 (pairs 3-5, 0-5)
    expect(calls).toEqual([
      [1, 2],
      [2, 2],
    ]);
    expect(
      invalidArgumentOf(() =>
        bornMPSFromFactors(network, { onProgress: 3 as unknown as () => void }),
      ).argument,
    ).toBe('onProgress');
  });
});
