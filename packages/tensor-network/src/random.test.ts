import { describe, expect, it } from 'vitest';
import { createRandom } from './random';

describe('createRandom', () => {
  it('is reproducible and seeds differ', () => {
    const a = createRandom(123);
    const b = createRandom(123);
    const c = createRandom(124);
    const xa = Array.from({ length: 10 }, () => a.uint32());
    expect(Array.from({ length: 10 }, () => b.uint32())).toEqual(xa);
    expect(Array.from({ length: 10 }, () => c.uint32())).not.toEqual(xa);
    // seeds beyond 2^32 are distinct from their low bits
    expect(createRandom(2 ** 40 + 5).uint32()).not.toBe(createRandom(5).uint32());
  });

  it('float64 is uniform on [0, 1): mean and variance within 4 standard errors', () => {
    const g = createRandom(9);
    const n = 200_000;
    let sum = 0;
    let sumSq = 0;
    let min = 1;
    let max = 0;
    for (let k = 0; k < n; k++) {
      const u = g.float64();
      sum += u;
      sumSq += u * u;
      min = Math.min(min, u);
      max = Math.max(max, u);
    }
    const mean = sum / n;
    expect(Math.abs(mean - 0.5)).toBeLessThan(4 * Math.sqrt(1 / 12 / n));
    // Var(U^2) = 1/5 - 1/9
    expect(Math.abs(sumSq / n - 1 / 3)).toBeLessThan(4 * Math.sqrt((1 / 5 - 1 / 9) / n));
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
  });

  it('split streams are reproducible, distinct and do not advance the parent', () => {
    const g = createRandom(5);
    const s1 = g.split(1).float64();
    const s2 = g.split(2).float64();
    expect(g.split(1).float64()).toBe(s1);
    expect(s1).not.toBe(s2);
    expect(g.float64()).toBe(createRandom(5).float64());
    // nested splits differ from flat ones
    expect(g.split(1).split(2).float64()).not.toBe(s2);
  });

  it('successive outputs are uncorrelated (lag-1 correlation within 4 standard errors)', () => {
    const g = createRandom(77);
    const n = 100_000;
    let prev = g.float64();
    let acc = 0;
    for (let k = 0; k < n; k++) {
      const u = g.float64();
      acc += (u - 0.5) * (prev - 0.5);
      prev = u;
    }
    const corr = acc / n / (1 / 12);
    expect(Math.abs(corr)).toBeLessThan(4 / Math.sqrt(n));
  });

  it('rejects bad seeds with a clear error', () => {
    expect(() => createRandom(-1)).toThrow(
      /`seed` passed to `createRandom` must be a non-negative safe integer \(got -1\)/,
    );
    expect(() => createRandom(0.5)).toThrow(/`seed`/);
    expect(() => createRandom(2 ** 60)).toThrow(/`seed`/);
    expect(() => createRandom(1).split(-1)).toThrow(/`stream` passed to `split`/);
  });
});
