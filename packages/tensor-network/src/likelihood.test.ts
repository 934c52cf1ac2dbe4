import { describe, expect, it } from 'vitest';
import { logProbabilities } from './evaluate';
import { negativeLogLikelihood } from './likelihood';
import { MPS, type MPSKind, randomMPS } from './mps';
import { sample } from './sample';

describe.each([
  { kind: 'linear' as MPSKind, d: 2 },
  { kind: 'linear' as MPSKind, d: 3 },
  { kind: 'born' as MPSKind, d: 2 },
  { kind: 'born' as MPSKind, d: 3 },
])('negativeLogLikelihood ($kind, d=$d)', ({ kind, d }) => {
  const mps = randomMPS({ length: 6, physicalDim: d, bondDim: 3, kind, seed: 21 });
  const batch = sample(mps, { count: 37, seed: 4 });

  it('value equals the mean of -log P from the float64 evaluation', () => {
    const { value } = negativeLogLikelihood(mps, batch);
    const lp = logProbabilities(mps, batch);
    const ref = -lp.reduce((a, b) => a + b, 0) / batch.count;
    expect(Math.abs(value - ref)).toBeLessThan(1e-12 * Math.max(1, Math.abs(ref)));
  });

  it('gradient equals central finite differences for every entry', () => {
    const { gradients } = negativeLogLikelihood(mps, batch);
    const h = 1e-6;
    for (let i = 0; i < mps.length; i++) {
      const t = mps.tensors[i]!;
      for (let k = 0; k < t.length; k++) {
        const shifted = (delta: number) =>
          MPS.fromTensors(
            mps.tensors.map((u, j) => {
              const data = Float64Array.from(u);
              if (j === i) data[k]! += delta;
              return { shape: mps.siteShape(j), data };
            }),
            { kind },
          );
        const fd =
          (negativeLogLikelihood(shifted(h), batch).value -
            negativeLogLikelihood(shifted(-h), batch).value) /
          (2 * h);
        // central differences: error O(h^2 f''') plus rounding O(eps / h)
        expect(Math.abs(gradients[i]![k]! - fd)).toBeLessThan(1e-6 * Math.max(1, Math.abs(fd)));
      }
    }
  });
});

it('sample weights give the weighted sum and its gradient (zero-sum weights drop log Z)', () => {
  const mps = randomMPS({ length: 5, bondDim: 3, seed: 8, kind: 'born' });
  const batch = sample(mps, { count: 6, seed: 2 });
  const lp = logProbabilities(mps, batch);
  const w = [0.5, -1, 2, 0.25, -0.75, -1];
  const r = negativeLogLikelihood(mps, batch, { sampleWeights: w });
  const ref = -w.reduce((acc, x, b) => acc + x * lp[b]!, 0);
  expect(Math.abs(r.value - ref)).toBeLessThan(1e-12);
  // the weighted gradient is the weighted sum of single-configuration gradients
  const singles = Array.from({ length: 6 }, (_, b) =>
    negativeLogLikelihood(mps, { data: batch.data.subarray(b * 5, (b + 1) * 5), count: 1 }),
  );
  for (let i = 0; i < mps.length; i++) {
    for (let k = 0; k < mps.tensors[i]!.length; k++) {
      const refGrad = singles.reduce((acc, g, b) => acc + w[b]! * g.gradients[i]![k]!, 0);
      expect(Math.abs(r.gradients[i]![k]! - refGrad)).toBeLessThan(
        1e-10 * Math.max(1, Math.abs(refGrad)),
      );
    }
  }
  expect(() => negativeLogLikelihood(mps, batch, { sampleWeights: [1] })).toThrow(
    /`sampleWeights`/,
  );
});

it('handles N = 1 and long chains without overflow', () => {
  const one = randomMPS({ length: 1, bondDim: 1, seed: 1 });
  const r1 = negativeLogLikelihood(one, [[0], [1], [1]]);
  const p = one.tensors[0]!;
  const z = p[0]! + p[1]!;
  expect(r1.value).toBeCloseTo(-(Math.log(p[0]! / z) + 2 * Math.log(p[1]! / z)) / 3, 12);
  const long = randomMPS({ length: 2000, bondDim: 4, seed: 2, spread: 2 });
  const r = negativeLogLikelihood(long, sample(long, { count: 5, seed: 1 }));
  expect(Number.isFinite(r.value)).toBe(true);
  expect(r.gradients.every((g) => g.every(Number.isFinite))).toBe(true);
});

it('rejects empty batches and zero-probability configurations', () => {
  const mps = MPS.fromTensors([
    { shape: [1, 2, 1], data: [1, 0] },
    { shape: [1, 2, 1], data: [1, 1] },
  ]);
  expect(() => negativeLogLikelihood(mps, [])).toThrow(
    /`configurations` passed to `negativeLogLikelihood`/,
  );
  expect(() => negativeLogLikelihood(mps, [[1, 0]])).toThrow(/probability zero/);
});
