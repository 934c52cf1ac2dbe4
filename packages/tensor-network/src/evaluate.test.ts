import { describe, expect, it } from 'vitest';
import { fromDense, toDense } from './dense';
import { InvalidArgumentError } from './errors';
import { correlations, logNormalization, logProbabilities, marginals } from './evaluate';
import { MPS, type MPSKind, randomMPS, uniformMPS } from './mps';
import { bruteDistribution } from './testing/brute-force';

const cases: { kind: MPSKind; d: number; n: number; chi: number }[] = [
  { kind: 'linear', d: 2, n: 1, chi: 1 },
  { kind: 'linear', d: 2, n: 8, chi: 4 },
  { kind: 'linear', d: 3, n: 6, chi: 5 },
  { kind: 'born', d: 2, n: 7, chi: 4 },
  { kind: 'born', d: 3, n: 5, chi: 3 },
  { kind: 'born', d: 2, n: 10, chi: 6 },
];

function close(a: number, b: number, rel = 1e-10): void {
  expect(Math.abs(a - b)).toBeLessThanOrEqual(rel * Math.max(1, Math.abs(b)));
}

describe.each(cases)(
  'evaluation against enumeration ($kind, d=$d, N=$n, chi=$chi)',
  ({ kind, d, n, chi }) => {
    const mps = randomMPS({ length: n, physicalDim: d, bondDim: chi, kind, seed: 11 + n });
    const exact = bruteDistribution(mps);

    it('logNormalization equals log of the enumerated sum', () => {
      close(logNormalization(mps), Math.log(exact.z));
    });

    it('logProbabilities of every configuration', () => {
      const lp = logProbabilities(mps, exact.configs);
      exact.p.forEach((p, k) => {
        close(lp[k]!, Math.log(p));
      });
    });

    it('toDense equals the enumerated distribution and fromDense round-trips', () => {
      const dense = toDense(mps);
      exact.p.forEach((p, k) => {
        close(dense[k]!, p, 1e-12);
      });
      const back = toDense(fromDense(dense, mps.physicalDims, { kind }));
      exact.p.forEach((p, k) => {
        close(back[k]!, p, 1e-12);
      });
    });

    it('single-site marginals', () => {
      const m = marginals(mps);
      for (let i = 0; i < n; i++) {
        for (let s = 0; s < d; s++) {
          let ref = 0;
          exact.configs.forEach((c, k) => {
            if (c[i] === s) ref += exact.p[k]!;
          });
          close(m[i]![s]!, ref, 1e-12);
        }
      }
    });

    it('connected two-point correlations of a signed observable', () => {
      const values = d === 2 ? [-1, 1] : [-1, 0.5, 2];
      const { means, connected } = correlations(mps, { values });
      const f = (s: number) => values[s]!;
      for (let i = 0; i < n; i++) {
        let mi = 0;
        exact.configs.forEach((c, k) => {
          mi += exact.p[k]! * f(c[i]!);
        });
        close(means[i]!, mi, 1e-12);
      }
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          let ref = 0;
          exact.configs.forEach((c, k) => {
            ref += exact.p[k]! * f(c[i]!) * f(c[j]!);
          });
          close(connected[i * n + j]!, ref - means[i]! * means[j]!, 1e-11);
        }
      }
    });
  },
);

describe('log-scale bookkeeping', () => {
  it('has no overflow or underflow at N = 4096 with entries spanning 1e-250..1e250', () => {
    const base = randomMPS({ length: 4096, bondDim: 4, seed: 5, spread: 2 });
    const scales = base.tensors.map((_, i) => (i % 3 === 0 ? 1e250 : i % 3 === 1 ? 1e-250 : 1e-3));
    const scaled = MPS.fromTensors(
      base.tensors.map((t, i) => ({
        shape: base.siteShape(i),
        data: t.map((v) => v * scales[i]!),
      })),
    );
    const expectedShift = scales.reduce((acc, s) => acc + Math.log(s), 0);
    const logZ = logNormalization(base);
    const logZScaled = logNormalization(scaled);
    expect(Number.isFinite(logZScaled)).toBe(true);
    close(logZScaled - logZ, expectedShift, 1e-12);
    const configs = { data: new Int32Array(3 * 4096).map((_, k) => (k * 7919) % 2), count: 3 };
    const a = logProbabilities(base, configs);
    const b = logProbabilities(scaled, configs);
    for (let k = 0; k < 3; k++) {
      expect(Number.isFinite(a[k]!)).toBe(true);
      close(b[k]!, a[k]!, 1e-12);
    }
  });

  it('uniform MPS has log P = -N log d exactly', () => {
    const mps = uniformMPS(4096, 3);
    close(logNormalization(mps), 4096 * Math.log(3));
    const lp = logProbabilities(mps, { data: new Int32Array(4096).fill(2), count: 1 });
    close(lp[0]!, -4096 * Math.log(3));
  });

  it('gives -Infinity for configurations of zero probability', () => {
    const mps = MPS.fromTensors([
      [
        [
          [1, 0],
          [0, 0],
        ],
      ],
      [
        [[1], [0]],
        [[0], [1]],
      ],
    ]);
    const lp = logProbabilities(mps, [
      [0, 0],
      [0, 1],
      [1, 0],
    ]);
    expect(lp[0]).toBeCloseTo(0, 14);
    expect(lp[1]).toBe(Number.NEGATIVE_INFINITY);
    expect(lp[2]).toBe(Number.NEGATIVE_INFINITY);
  });
});

describe('bad input', () => {
  const mps = randomMPS({ length: 4, bondDim: 2, seed: 1 });
  it('rejects configurations of the wrong length or out-of-range digits', () => {
    expect(() => logProbabilities(mps, [[0, 1, 0]])).toThrow(InvalidArgumentError);
    expect(() => logProbabilities(mps, [[0, 1, 0, 2]])).toThrow(/digits in \[0, 1\]/);
    expect(() => logProbabilities(mps, [[0, 1, 0, 0.5]])).toThrow(InvalidArgumentError);
    expect(() => logProbabilities(mps, { data: [0, 1], count: 1 })).toThrow(/configurations\.data/);
    expect(() => logProbabilities(mps, 'x' as never)).toThrow(InvalidArgumentError);
  });
  it('rejects bad observable values', () => {
    expect(() => correlations(mps, { values: [1] })).toThrow(/`values` passed to `correlations`/);
    expect(() => correlations(mps, { values: [1, Number.NaN] })).toThrow(InvalidArgumentError);
  });
  it('rejects bad dense input', () => {
    expect(() => fromDense([1, 2, 3], [2, 2])).toThrow(/length prod\(physicalDims\) = 4/);
    expect(() => fromDense([1, -2, 3, 0], [2, 2])).toThrow(InvalidArgumentError);
    expect(() => fromDense([0, 0, 0, 0], [2, 2])).toThrow(/positive sum/);
    expect(() => toDense(uniformMPS(30))).toThrow(/dense vector/);
  });
});
