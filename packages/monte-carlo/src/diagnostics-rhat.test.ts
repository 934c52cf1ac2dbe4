import { createRandom } from '@latticediff/tensor-network';
import { invalidArgumentOf } from '@latticediff/test-kit/testing';
import { describe, expect, it } from 'vitest';
import { ar1 } from './diagnostics-ar1.test-helper';
import { normalQuantile, rHat } from './diagnostics-rhat';

/** Data whose values are exact in float64 (integers mod 101, over 101), the same in numpy. */
function data(kind: 'mixed' | 'shifted' | 'ties' | 'scaled', chains: number, steps: number) {
  return Array.from({ length: chains }, (_, c) =>
    Float64Array.from({ length: steps }, (_, t) => {
      const base = ((c * 37 + t * 17 + ((t * t) % 7)) % 101) / 101;
      if (kind === 'mixed') return base;
      if (kind === 'shifted') return base + 0.3 * c;
      if (kind === 'ties') return (c + t * 3) % 5;
      return (base - 0.5) * (1 + c);
    }),
  );
}

describe('rHat', () => {
  // the reference: ArviZ's rank-normalised split R-hat written with numpy and scipy as ArviZ's
  // source has it (rankdata with average ties, norm.ppf of (r - 3/8) / (S + 1/4), draws folded
  // about the median of the whole chains), on the same data (2026-12-04; a review found that the
  // first reference repeated this code's old denominator S - 1/4); the quantile here is Acklam's
  // (relative error < 1.2e-9), so the values agree to about 1e-9
  it.each([
    ['mixed', 4, 50, 0.9910927879540139, 0.9812650235935924],
    ['shifted', 4, 50, 1.5963364147546057, 1.0573600499454674],
    ['ties', 3, 40, 0.9746794344808963, 0.9746794344808963],
    ['mixed', 4, 51, 0.9898491505317607, 0.9818565722286399],
    ['scaled', 4, 60, 0.9863318477025217, 1.1752100879699208],
    ['mixed', 1, 80, 1.031499433666433, 0.9884506658614091],
    ['scaled', 3, 41, 0.981265099469096, 1.14588747937636],
  ] as const)(
    '%s, %i chains of %i: bulk and tail as numpy and scipy compute them',
    (kind, chains, steps, bulk, tail) => {
      const r = rHat(data(kind, chains, steps));
      expect(Math.abs(r.bulk - bulk)).toBeLessThan(1e-8);
      expect(Math.abs(r.tail - tail)).toBeLessThan(1e-8);
      expect(r.rHat).toBe(Math.max(r.bulk, r.tail));
      expect(r.halfChains).toBe(2 * chains);
    },
  );

  it('is near 1 for chains of one stationary process and far above 1.01 for chains in two modes', () => {
    // 8 AR(1) chains, phi = 0.9, 4000 steps: R-hat - 1 is of order 1 / sqrt(effective draws)
    const mixed = Array.from({ length: 8 }, (_, c) => ar1(0.9, 4000, 500 + c));
    const good = rHat(mixed);
    expect(good.rHat).toBeLessThan(1.01);
    // six chains stuck near +1, two near -1 (the stuck-chain case the within-chain diagnostics
    // report only as a window that does not converge)
    const stuck = mixed.map((chain, c) => chain.map((v) => (c < 6 ? 1 : -1) + 0.05 * v));
    expect(rHat(stuck).bulk).toBeGreaterThan(1.3);
    // chains that never move and differ: no within-chain spread at all
    expect(rHat([Float64Array.of(0, 0, 0, 0), Float64Array.of(1, 1, 1, 1)]).rHat).toBe(
      Number.POSITIVE_INFINITY,
    );
    // a constant observable has no R-hat
    expect(rHat([Float64Array.of(2, 2, 2, 2), Float64Array.of(2, 2, 2, 2)]).rHat).toBeNaN();
  });

  it('has a normal quantile good to 1.2e-9 with both tails exact', () => {
    // quantiles of exactly representable probabilities (scipy.stats.norm.ppf)
    const cases: [number, number][] = [
      [0.5, 0],
      [0.975, 1.959963984540054],
      [0.025, -1.9599639845400545],
      [0.8413447460685429, 1],
      [1e-10, -6.361340902404056],
      [1e-300, -37.0470962993612],
    ];
    for (const [p, z] of cases) {
      expect(Math.abs(normalQuantile(p) - z)).toBeLessThanOrEqual(
        1.2e-9 * Math.max(Math.abs(z), 1e-3),
      );
    }
    // the upper tail from the complement: 1 - 1e-20 is 1 in float64, its complement is not
    expect(Math.abs(normalQuantile(1, 1e-20) - 9.262340089798409)).toBeLessThan(1.2e-8);
    const random = createRandom(3);
    for (let k = 0; k < 1000; k++) {
      const p = random.float64() * 0.999 + 0.0005;
      expect(normalQuantile(p) + normalQuantile(1 - p)).toBeCloseTo(0, 8);
    }
  });

  it('refuses bad input, naming the argument', () => {
    for (const [bad, argument] of [
      [[Float64Array.of(1, 2, 3)], 'series[0]'],
      [[Float64Array.of(1, 2, 3, 4), Float64Array.of(1, 2, 3)], 'series[1].length'],
      [[Float64Array.of(1, 2, Number.NaN, 4)], 'series[0][2]'],
      ['x', 'series'],
    ] as const) {
      expect(invalidArgumentOf(() => rHat(bad as never)).argument).toBe(argument);
    }
  });
});
