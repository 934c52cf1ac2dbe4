import { createRandom } from '@latticediff/tensor-network';
import { describe, expect, it } from 'vitest';
import {
  doubleDoubleAddValues,
  doubleDoubleMerge,
  doubleDoubleZeros,
  type ExactSum,
  exactAdd,
  exactAddProductOfSums,
  exactAddSum,
  exactValue,
  exactVariance,
} from './stats-exact';

describe('exact sums', () => {
  it('are exact where naive summation loses everything', () => {
    const sum: ExactSum = [];
    for (const v of [1e100, 1, -1e100, 1e-30, 3]) exactAdd(sum, v);
    expect(exactValue(sum)).toBe(4);
    const tiny: ExactSum = [];
    for (let i = 0; i < 10; i++) exactAdd(tiny, 0.1);
    expect(exactValue(tiny)).toBe(1); // correctly rounded sum of ten float64 0.1
  });

  it('round half to even on ties (correct rounding)', () => {
    const sum: ExactSum = [];
    exactAdd(sum, 1);
    exactAdd(sum, 2 ** -53); // exactly half an ulp of 1: tie -> 1 (even)
    expect(exactValue(sum)).toBe(1);
    exactAdd(sum, 2 ** -100); // just above the tie -> rounds up
    expect(exactValue(sum)).toBe(1 + 2 ** -52);
  });

  it('do not depend on the order or grouping of additions', () => {
    const random = createRandom(3);
    const values = Array.from(
      { length: 2000 },
      () => (random.float64() - 0.5) * 10 ** Math.floor(random.float64() * 30 - 15),
    );
    const forward: ExactSum = [];
    for (const v of values) exactAdd(forward, v);
    const backward: ExactSum = [];
    for (const v of [...values].reverse()) exactAdd(backward, v);
    const left: ExactSum = [];
    const right: ExactSum = [];
    values.forEach((v, i) => {
      exactAdd(i % 3 === 0 ? left : right, v);
    });
    exactAddSum(right, left);
    expect(exactValue(backward)).toBe(exactValue(forward));
    expect(exactValue(right)).toBe(exactValue(forward));
  });

  it('give an exact product of sums and a cancellation-free variance', () => {
    const product: ExactSum = [];
    exactAddProductOfSums(product, [1 + 2 ** -30], [1 - 2 ** -30], 1);
    exactAdd(product, -1);
    expect(exactValue(product)).toBe(-(2 ** -60));
    // variance of 1e9 + {0, 1, 2}: naive sum-of-squares formula fails, exact one gives 1
    const big = 1e9;
    const sum: ExactSum = [];
    const squares: ExactSum = [];
    for (const v of [big, big + 1, big + 2]) {
      exactAdd(sum, v);
      exactAddProductOfSums(squares, [v], [v], 1);
    }
    expect(exactVariance(3, sum, squares)).toBe(1);
  });

  it('merge double-double arrays commutatively', () => {
    const a = doubleDoubleZeros(3);
    const b = doubleDoubleZeros(3);
    doubleDoubleAddValues(a, [1, 1e-20, 3]);
    doubleDoubleAddValues(a, [1e-17, 1, -3]);
    doubleDoubleAddValues(b, [-1, 5, 1e300]);
    expect(doubleDoubleMerge(a, b, 3)).toEqual(doubleDoubleMerge(b, a, 3));
    const m = doubleDoubleMerge(a, b, 3);
    expect(m.hi[0]! + m.lo[0]!).toBe(1e-17);
  });
});
