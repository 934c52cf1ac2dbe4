import { createRandom, InvalidArgumentError } from '@latticediff/tensor-network';
import { describe, expect, it } from 'vitest';
import { ar1, ar1TauInt } from './diagnostics-ar1.test-helper';
import {
  autocorrelation,
  automaticWindow,
  integratedAutocorrelationTime,
} from './diagnostics-autocorrelation';
import { summarize } from './diagnostics-summary';

describe('integratedAutocorrelationTime', () => {
  it.each([0, 0.5, 0.9])(
    'recovers tau_int = (1 + phi) / (2 (1 - phi)) of AR(1), phi = %s',
    (phi) => {
      const series = ar1(phi, 1 << 20, 100 + Math.round(phi * 10));
      const result = integratedAutocorrelationTime(series);
      const exact = ar1TauInt(phi);
      expect(result.windowConverged).toBe(true);
      expect(result.window).toBeGreaterThanOrEqual(5 * result.tauInt);
      expect(result.window - 1).toBeLessThan(5 * (result.tauInt + 1)); // smallest such W
      // the error bar is meaningful (a few percent) and the estimate lies within 4 of them
      expect(result.tauIntError / exact).toBeLessThan(0.05);
      expect(Math.abs(result.tauInt - exact)).toBeLessThan(4 * result.tauIntError);
      expect(result.tauIntError).toBeCloseTo(
        result.decayScale * Math.sqrt((4 * result.window + 2) / (1 << 20)),
        14,
      );
    },
  );

  it('gives tau_int ≈ 1/2 for independent samples', () => {
    const random = createRandom(5);
    const series = random.fill(new Float64Array(200_000));
    const result = integratedAutocorrelationTime(series);
    expect(Math.abs(result.tauInt - 0.5)).toBeLessThan(4 * result.tauIntError);
  });

  it('gives the same answer with direct sums and with the FFT', () => {
    const series = ar1(0.8, 50_000, 7);
    const direct = integratedAutocorrelationTime(series, { method: 'direct' });
    const fft = integratedAutocorrelationTime(series, { method: 'fft' });
    expect(direct.window).toBe(fft.window);
    expect(Math.abs(direct.tauInt - fft.tauInt)).toBeLessThan(1e-12);
    // direct stops after the doubling block that contains the window; fft computes maxLag
    expect(direct.autocorrelation.length).toBeLessThan(fft.autocorrelation.length);
  });

  // (phi = -0.5: tau_int = 1/6, above the floor 1 / (2 log10 N) = 0.083 of these 2^20 samples)
  it.each([-0.5])(
    'recovers tau_int of an anticorrelated AR(1), phi = %s (the window does not stop at lag 1)',
    (phi) => {
      const series = ar1(phi, 1 << 20, 300 + Math.round(-phi * 10));
      const result = integratedAutocorrelationTime(series);
      const exact = ar1TauInt(phi);
      expect(result.windowConverged).toBe(true);
      expect(result.window).toBeGreaterThan(2);
      expect(Math.abs(result.tauInt - exact)).toBeLessThan(4 * result.tauIntError);
      // the error bar of the mean from this tau_int covers the true mean 0 of the series
      const variance = series.reduce((a, v) => a + v * v, 0) / series.length;
      const mean = series.reduce((a, v) => a + v, 0) / series.length;
      const exactStdErr = Math.sqrt((2 * exact * variance) / series.length);
      const stdErr = Math.sqrt((2 * result.tauInt * variance) / series.length);
      expect(Math.abs(stdErr / exactStdErr - 1)).toBeLessThan(0.25);
      expect(Math.abs(mean)).toBeLessThan(4 * exactStdErr);
    },
  );

  it('reports the floor 1 / (2 log10 N) where the estimate is below it: a conservative error bar', () => {
    // AR(1), phi = -0.9: tau_int = 0.026, below the floor 0.083 of 2^20 samples
    const series = ar1(-0.9, 1 << 20, 309);
    const result = integratedAutocorrelationTime(series);
    const floor = 1 / (2 * Math.log10(1 << 20));
    expect(result.tauInt).toBe(floor);
    expect(ar1TauInt(-0.9)).toBeLessThan(floor);
    const s = summarize(series);
    expect(s.tauInt).toBe(floor);
    expect(s.stdErr).toBeCloseTo(Math.sqrt((2 * floor * s.variance) / s.sampleCount), 15);
    expect(s.ess).toBeCloseTo(s.sampleCount / (2 * floor), 6);
  });

  it('keeps the error bar of short independent series from collapsing (tau_int near 0 is noise)', () => {
    // found by an audit: of 4,000 series of 50 independent normals, 11% had error bars below half
    // the naive one (the worst 41 times too small, tau_int = 0.0003, the window converged); the
    // floor 1 / (2 log10 50) = 0.294 bounds them below by sqrt(2 x 0.294) = 0.77 naive
    const random = createRandom(17);
    const floor = 1 / (2 * Math.log10(50));
    let smallest = Number.POSITIVE_INFINITY;
    let atFloor = 0;
    for (let k = 0; k < 2000; k++) {
      const series = Float64Array.from({ length: 50 }, () => {
        // Box-Muller
        const u = 1 - random.float64();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.float64());
      });
      const s = summarize(series);
      smallest = Math.min(smallest, s.stdErr / s.naiveStdErr);
      if (s.tauInt === floor) atFloor++;
    }
    expect(smallest).toBeCloseTo(Math.sqrt(2 * floor), 12);
    // the floor is reached (the estimate fell below it) but not by most series
    expect(atFloor).toBeGreaterThan(0);
    expect(atFloor).toBeLessThan(1000);
  });

  it('never reports tau_int <= 0 (an alternating series whose window does not converge)', () => {
    const random = createRandom(5);
    const series = Float64Array.from(
      { length: 1300 },
      (_, t) => (t % 2 === 0 ? 1 : -1) + 0.3 * random.float64(),
    );
    const result = integratedAutocorrelationTime(series);
    expect(result.tauInt).toBe(1 / (2 * Math.log10(1300)));
    const s = summarize(series);
    expect(s.tauInt).toBeGreaterThan(0);
    expect(Number.isFinite(s.stdErr) && s.stdErr > 0).toBe(true);
    expect(s.ess).toBeGreaterThan(0);
  });

  it('sums an alternating autocorrelation until its oscillation has decayed', () => {
    const phi = -0.9;
    const rho = Float64Array.from({ length: 400 }, (_, t) => phi ** t);
    const { window, tauInt, converged } = automaticWindow(rho, { c: 5 });
    expect(converged).toBe(true);
    // 1/2 + sum |rho| = 1/2 + 0.9 / 0.1 = 9.5 at infinite W: the window is about 5 times that
    expect(window).toBeGreaterThan(40);
    expect(tauInt).toBeCloseTo(ar1TauInt(phi), 2);
  });

  it('uses Sokal windowing with the constant c', () => {
    const phi = 0.7;
    const rho = Float64Array.from({ length: 200 }, (_, t) => phi ** t);
    for (const c of [3, 5, 8]) {
      const { window, tauInt, converged } = automaticWindow(rho, { c });
      let tau = 0.5;
      for (let t = 1; t <= window; t++) tau += rho[t]!;
      expect(converged).toBe(true);
      expect(tauInt).toBeCloseTo(tau, 14);
      expect(window).toBeGreaterThanOrEqual(c * tauInt);
      let before = 0.5;
      for (let t = 1; t < window; t++) before += rho[t]!;
      expect(window - 1).toBeLessThan(c * before);
    }
    const short = automaticWindow([1, 0.99, 0.98], { c: 5 });
    expect(short).toEqual({
      window: 2,
      tauInt: 0.5 + 0.99 + 0.98,
      decayScale: 0.5 + 0.99 + 0.98,
      converged: false,
    });
  });

  it('pools chains about their grand mean', () => {
    const random = createRandom(21);
    const chains = Array.from({ length: 8 }, () => ar1(0.5, 20_000, random));
    const result = integratedAutocorrelationTime(chains);
    expect(result.chainCount).toBe(8);
    expect(result.sampleCount).toBe(160_000);
    expect(Math.abs(result.tauInt - 1.5)).toBeLessThan(4 * result.tauIntError);
    // chains stuck at different levels: the pooled tau_int sees it
    const offset = chains.map((chain, c) => chain.map((v) => v + (c % 2 === 0 ? 3 : -3)));
    const stuck = integratedAutocorrelationTime(offset);
    expect(stuck.tauInt).toBeGreaterThan(100);
    expect(stuck.windowConverged).toBe(false);
  });

  it('returns NaN for a constant series (tau_int is undefined, e.g. a chain that never moved)', () => {
    const result = integratedAutocorrelationTime(new Float64Array(100).fill(2));
    expect(result.tauInt).toBeNaN();
    expect(result.windowConverged).toBe(false);
  });
});

describe('autocorrelation', () => {
  it('agrees with the direct O(n^2) definition, with the FFT and with direct sums', () => {
    const series = ar1(0.6, 3000, 9);
    const n = series.length;
    let mean = 0;
    for (const v of series) mean += v;
    mean /= n;
    const maxLag = n - 1;
    const fft = autocorrelation(series, { maxLag, method: 'fft' });
    const direct = autocorrelation(series, { maxLag, method: 'direct' });
    const c0 = series.reduce((s, v) => s + (v - mean) ** 2, 0) / n;
    for (let t = 0; t <= maxLag; t++) {
      let sum = 0;
      for (let i = 0; i + t < n; i++) sum += (series[i]! - mean) * (series[i + t]! - mean);
      const naive = sum / (n - t) / c0;
      expect(Math.abs(fft.autocorrelation[t]! - naive)).toBeLessThan(1e-9);
      expect(Math.abs(direct.autocorrelation[t]! - naive)).toBeLessThan(1e-9);
      expect(Math.abs(fft.autocovariance[t]! - direct.autocovariance[t]!)).toBeLessThan(1e-12);
    }
    expect(fft.autocorrelation[0]).toBe(1);
    expect(fft.maxLag).toBe(maxLag);
  });

  it('is unchanged by a large constant offset (no cancellation)', () => {
    const random = createRandom(4);
    const chains = [ar1(0.9, 5000, random), ar1(0.9, 5000, random), ar1(0.9, 5000, random)];
    const shifted = chains.map((chain) => chain.map((v) => v + 1e8));
    const a = autocorrelation(chains, { maxLag: 100 });
    const b = autocorrelation(shifted, { maxLag: 100 });
    for (let t = 0; t <= 100; t++) {
      expect(Math.abs(a.autocorrelation[t]! - b.autocorrelation[t]!)).toBeLessThan(1e-7);
    }
    expect(Math.abs(a.variance - b.variance) / a.variance).toBeLessThan(1e-8);
    expect(b.mean - 1e8).toBeCloseTo(a.mean, 6);
  });

  it('uses the default maxLag min(n - 1, max(64, floor(n / 20)), 65536)', () => {
    expect(autocorrelation(new Float64Array(50).map((_, i) => Math.sin(i))).maxLag).toBe(49);
    expect(autocorrelation(new Float64Array(10_000).map((_, i) => Math.sin(i))).maxLag).toBe(500);
  });
});

describe('input checks', () => {
  const message = (fn: () => unknown): string => {
    try {
      fn();
    } catch (error) {
      expect(InvalidArgumentError.isInstance(error)).toBe(true);
      return (error as Error).message;
    }
    throw new Error('did not throw');
  };

  it('name the argument, the function and the value', () => {
    expect(message(() => integratedAutocorrelationTime([]))).toBe(
      'invalid argument: `series` passed to `integratedAutocorrelationTime` must be a non-empty array of finite numbers, or an array of equal-length chains of them (got [])',
    );
    expect(message(() => integratedAutocorrelationTime([1, 2, Number.NaN, 4]))).toBe(
      'invalid argument: `series[2]` passed to `integratedAutocorrelationTime` must be a finite number (got NaN)',
    );
    expect(
      message(() =>
        autocorrelation([
          [1, 2, 3],
          [1, 2],
        ]),
      ),
    ).toBe(
      'invalid argument: `series[1].length` passed to `autocorrelation` must be 3, the length of `series[0]` (all chains must have the same length) (got 2)',
    );
    expect(
      message(() =>
        autocorrelation([
          [1, 2],
          [3, Number.POSITIVE_INFINITY],
        ]),
      ),
    ).toContain(
      '`series[1][1]` passed to `autocorrelation` must be a finite number (got Infinity)',
    );
    expect(message(() => integratedAutocorrelationTime([1]))).toContain(
      'must be an array of at least 2 finite numbers (got [1])',
    );
    expect(message(() => integratedAutocorrelationTime([1, 2, 3], { maxLag: 3 }))).toContain(
      '`options.maxLag` passed to `integratedAutocorrelationTime` must be an integer in [1, 2] (got 3)',
    );
    expect(message(() => integratedAutocorrelationTime([1, 2, 3], { c: 0 }))).toContain(
      '`options.c`',
    );
    expect(
      message(() =>
        integratedAutocorrelationTime([1, 2, 3], { method: 'slow' as unknown as 'fft' }),
      ),
    ).toContain('`options.method`');
    expect(message(() => automaticWindow([1]))).toContain('`autocorrelation`');
  });
});
