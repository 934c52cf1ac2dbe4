import { createRandom } from '@latticediff/tensor-network';
import { describe, expect, it } from 'vitest';
import {
  lagProductsDirect,
  lagProductsFFT,
  nextPowerOfTwo,
  realForward,
  realInverse,
} from './stats-fft';

function naiveDFT(x: Float64Array) {
  const m = x.length;
  const re = new Float64Array(m / 2 + 1);
  const im = new Float64Array(m / 2 + 1);
  for (let k = 0; k <= m / 2; k++) {
    for (let j = 0; j < m; j++) {
      re[k]! += x[j]! * Math.cos((2 * Math.PI * j * k) / m);
      im[k]! -= x[j]! * Math.sin((2 * Math.PI * j * k) / m);
    }
  }
  return { re, im };
}

describe('real FFT', () => {
  it('matches the naive DFT and inverts to the input (sizes 2..1024)', () => {
    const random = createRandom(11);
    for (const size of [2, 4, 8, 16, 64, 1024]) {
      const x = random.fill(new Float64Array(size)).map((v) => v - 0.5);
      const fast = realForward(x);
      const slow = naiveDFT(x);
      for (let k = 0; k <= size / 2; k++) {
        expect(Math.abs(fast.re[k]! - slow.re[k]!)).toBeLessThan(1e-10);
        expect(Math.abs(fast.im[k]! - slow.im[k]!)).toBeLessThan(1e-10);
      }
      const back = realInverse(fast);
      for (let j = 0; j < size; j++) expect(Math.abs(back[j]! - x[j]!)).toBeLessThan(1e-13);
    }
  });

  it('gives the same lag products as direct O(n^2) sums, all lags, any length', () => {
    const random = createRandom(12);
    for (const n of [2, 3, 17, 100, 1000, 1025]) {
      const y = random.fill(new Float64Array(n)).map((v) => v - 0.5);
      const maxLag = n - 1;
      const fft = lagProductsFFT(y, maxLag);
      const direct = lagProductsDirect(y, maxLag);
      let naive0 = 0;
      for (let t = 0; t <= maxLag; t++) {
        let naive = 0;
        for (let i = 0; i + t < n; i++) naive += y[i]! * y[i + t]!;
        if (t === 0) naive0 = naive;
        expect(Math.abs(direct[t]! - naive)).toBeLessThan(1e-12 * naive0);
        expect(Math.abs(fft[t]! - naive)).toBeLessThan(1e-12 * naive0);
      }
    }
    expect(nextPowerOfTwo(1025)).toBe(2048);
  });
});
