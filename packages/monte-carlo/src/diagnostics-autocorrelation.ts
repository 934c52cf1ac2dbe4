/**
 * Autocorrelation function and integrated autocorrelation time with Sokal's automatic window.
 *
 * Convention (used everywhere in this package): tau_int = 1/2 + sum_{t>=1} rho(t), so independent
 * samples have tau_int = 1/2, the variance of the mean is 2 tau_int var / N and the effective
 * sample size is ESS = N / (2 tau_int).
 */
import { invalidArgument } from '@latticediff/tensor-network/internal';
import { accumulateChains, pooledMoments } from './diagnostics-accumulator';
import {
  type AutocorrelationMethod,
  type Chains,
  readChains,
  readMaxLag,
  readMethod,
  readOptions,
  readWindowConstant,
  type Series,
} from './diagnostics-validate';
import { fftIsCheaper } from './stats-fft';

/** Options of {@link autocorrelation}. */
export interface AutocorrelationOptions {
  /**
   * Largest lag L (1 <= L <= n - 1). Default min(n - 1, max(64, floor(n / 20)), 65536) for
   * chains of n samples.
   */
  maxLag?: number;
  /** `direct` sums O(n L), `fft` uses a zero-padded radix-2 real FFT, `auto` (default) the cheaper. */
  method?: AutocorrelationMethod;
}

/** The normalised autocorrelation function of a series or of pooled chains. */
export interface AutocorrelationResult {
  /** Grand mean m over all samples. */
  mean: number;
  /** Unbiased sample variance sum (x - m)^2 / (N - 1). */
  variance: number;
  /** C(t) = sum over chains and pairs (x_i - m)(x_{i+t} - m) / (N - R t), t = 0..maxLag. */
  autocovariance: Float64Array;
  /** rho(t) = C(t) / C(0), rho(0) = 1 (NaN for t >= 1 when the data are constant). */
  autocorrelation: Float64Array;
  /** Largest lag computed. */
  maxLag: number;
  /** Total number of samples N. */
  sampleCount: number;
  /** Number of chains R. */
  chainCount: number;
}

/**
 * The autocorrelation function rho(t), t = 0..maxLag, for plotting. `series` is one series or
 * independent chains [chains][steps] of equal length, pooled about their grand mean.
 */
export function autocorrelation(
  series: Series | Chains,
  options?: AutocorrelationOptions,
): AutocorrelationResult {
  const name = 'autocorrelation';
  const opts = readOptions<AutocorrelationOptions>(name, options, ['maxLag', 'method']);
  const chains = readChains(name, 'series', series);
  const n = chains[0]!.length;
  const maxLag = readMaxLag(name, opts.maxLag, n);
  const method = readMethod(name, opts.method);
  const accumulator = accumulateChains(chains, maxLag, { method, binning: false });
  const moments = pooledMoments(accumulator);
  return {
    mean: moments.mean,
    variance: moments.variance,
    autocovariance: moments.autocovariance,
    autocorrelation: moments.autocorrelation,
    maxLag,
    sampleCount: accumulator.sampleCount,
    chainCount: accumulator.chainCount,
  };
}

/** Options of {@link automaticWindow}. */
export interface AutomaticWindowOptions {
  /**
   * Sokal's constant c: the window is the smallest W >= c (1/2 + sum_{t<=W} |rho(t)|), which is
   * W >= c tau_int(W) when rho >= 0. Default 5.
   */
  c?: number;
}

/** The window chosen by {@link automaticWindow}. */
export interface AutomaticWindowResult {
  /** W, the number of lags summed. */
  window: number;
  /** tau_int(W) = 1/2 + sum_{t=1}^{W} rho(t). */
  tauInt: number;
  /** The decay scale 1/2 + sum_{t=1}^{W} |rho(t)| (equal to tauInt when rho >= 0). */
  decayScale: number;
  /** False when no W <= the largest available lag satisfied W >= c tau_int(W) (then W = that lag). */
  converged: boolean;
}

/**
 * Sokal's automatic window on a normalised autocorrelation function (rho[0] = 1): the smallest
 * W >= 1 with W >= c (1/2 + sum_{t=1}^{W} |rho(t)|), and tau_int(W) = 1/2 + sum_{t=1}^{W} rho(t).
 * With rho >= 0 this is Sokal's W >= c tau_int(W); the absolute values keep anticorrelated series
 * (rho(1) < 0) from stopping at W = 1. NaN values (constant data) give tau_int = NaN.
 */
export function automaticWindow(
  autocorrelation: ArrayLike<number>,
  options?: AutomaticWindowOptions,
): AutomaticWindowResult {
  const name = 'automaticWindow';
  const opts = readOptions<AutomaticWindowOptions>(name, options, ['c']);
  const c = readWindowConstant(name, opts.c);
  if (
    autocorrelation === null ||
    typeof autocorrelation !== 'object' ||
    typeof autocorrelation.length !== 'number' ||
    autocorrelation.length < 2
  ) {
    return invalidArgument(
      name,
      'autocorrelation',
      autocorrelation,
      'an array rho(0..L) of at least 2 numbers',
    );
  }
  return windowOf(autocorrelation, c);
}

/**
 * Window search without validation (internal).
 *
 * The criterion compares W with the decay scale 1/2 + sum_{t<=W} |rho(t)| rather than with
 * tau_int(W) itself. For autocorrelations that are positive (the usual case) the two are the
 * same, and this is Sokal's window. For anticorrelated series (e.g. the magnetisation under
 * cluster moves, which flip its sign) tau_int(W) is small or negative after the first lag, and
 * Sokal's criterion would stop at W = 1 with rho(2), rho(3), ... of the same size left out; the
 * absolute scale keeps summing until the oscillation has decayed.
 */
export function windowOf(rho: ArrayLike<number>, c: number): AutomaticWindowResult {
  const maxLag = rho.length - 1;
  let tauInt = 0.5;
  let scale = 0.5;
  for (let w = 1; w <= maxLag; w++) {
    const r = rho[w]!;
    tauInt += r;
    scale += Math.abs(r);
    if (Number.isNaN(tauInt)) return { window: w, tauInt, decayScale: scale, converged: false };
    if (w >= c * scale) return { window: w, tauInt, decayScale: scale, converged: true };
  }
  return { window: maxLag, tauInt, decayScale: scale, converged: false };
}

/** Options of {@link integratedAutocorrelationTime}. */
export interface IntegratedAutocorrelationTimeOptions extends AutocorrelationOptions {
  /** Sokal's windowing constant c (W >= c tau_int(W)). Default 5. */
  c?: number;
}

/** Integrated autocorrelation time with its Madras-Sokal error. */
export interface IntegratedAutocorrelationTimeResult {
  /**
   * tau_int = 1/2 + sum_{t=1}^{W} rho(t) (1/2 for independent samples), but at least
   * 1 / (2 log10 N) (ArviZ's and Stan's bound ESS <= N log10 N): a smaller estimate is noise
   * of a short or anticorrelated series, and would shrink the error bar without bound.
   */
  tauInt: number;
  /**
   * Madras-Sokal: tau_int sqrt((4 W + 2) / N), with the decay scale
   * 1/2 + sum_{t<=W} |rho(t)| in place of tau_int (the same when rho >= 0). For anticorrelated
   * series tau_int can be far below the noise of the summed rho(t), which the scale measures.
   */
  tauIntError: number;
  /** 1/2 + sum_{t=1}^{W} |rho(t)|, the scale the window criterion uses. */
  decayScale: number;
  /** The automatic window W. */
  window: number;
  /** False when the window criterion was not met up to maxLag (tau_int is then a lower bound). */
  windowConverged: boolean;
  /** Sokal's constant used. */
  c: number;
  /** Total number of samples N. */
  sampleCount: number;
  /** Number of chains R. */
  chainCount: number;
  /** rho(0..L) for the lags computed (L >= W; with `direct` only as many as needed). */
  autocorrelation: Float64Array;
}

/**
 * The integrated autocorrelation time of a scalar series (or of independent chains pooled about
 * their grand mean) with Sokal's automatic window. With `direct`, lags are computed in doubling
 * blocks until the window is found (O(n W)); `auto` does the same but switches to the FFT once
 * that is cheaper; `fft` computes all lags up to maxLag.
 */
export function integratedAutocorrelationTime(
  series: Series | Chains,
  options?: IntegratedAutocorrelationTimeOptions,
): IntegratedAutocorrelationTimeResult {
  const name = 'integratedAutocorrelationTime';
  const opts = readOptions<IntegratedAutocorrelationTimeOptions>(name, options, [
    'c',
    'maxLag',
    'method',
  ]);
  const chains = readChains(name, 'series', series);
  const n = chains[0]!.length;
  const maxLag = readMaxLag(name, opts.maxLag, n);
  const method = readMethod(name, opts.method);
  const c = readWindowConstant(name, opts.c);

  let lags = method === 'fft' ? maxLag : Math.min(maxLag, 32);
  for (;;) {
    const useFFT = method === 'fft' || (method === 'auto' && fftIsCheaper(n, lags));
    if (useFFT) lags = maxLag;
    const accumulator = accumulateChains(chains, lags, {
      method: useFFT ? 'fft' : 'direct',
      binning: false,
    });
    const { autocorrelation: rho } = pooledMoments(accumulator);
    const window = windowOf(rho, c);
    if (window.converged || lags === maxLag || Number.isNaN(window.tauInt)) {
      const total = accumulator.sampleCount;
      return {
        tauInt: positiveTauInt(window, total),
        tauIntError: madrasSokalError(window.decayScale, window.window, total),
        decayScale: window.decayScale,
        window: window.window,
        windowConverged: window.converged,
        c,
        sampleCount: total,
        chainCount: accumulator.chainCount,
        autocorrelation: rho,
      };
    }
    lags = Math.min(maxLag, 2 * lags);
  }
}

/**
 * The tau_int of a window for N samples that the error bars use: the window's estimate, but at
 * least 1 / (2 log10 N), the bound of ArviZ and Stan (ESS <= N log10 N; their tau = 1 + 2 sum rho
 * is twice ours). An estimate near or below 0, noise of a short or anticorrelated series, would
 * otherwise shrink the error bar without bound: 50 independent samples gave tau_int = 0.0003 and
 * an error bar 41 times too small, with the window converged. Below 10 samples the floor is above
 * 1/2 (N = 2: 1.66). NaN stays NaN (a constant series).
 */
export function positiveTauInt(window: AutomaticWindowResult, sampleCount: number): number {
  const tau = window.tauInt;
  if (Number.isNaN(tau)) return tau;
  const floor = tauIntFloor(sampleCount);
  return Math.max(tau, floor);
}

/** 1 / (2 log10 N): the smallest tau_int the error bars use for N samples (see positiveTauInt). */
export function tauIntFloor(sampleCount: number): number {
  return 1 / (2 * Math.log10(sampleCount));
}

/** Madras-Sokal: sigma(tau_int) ≈ tau_int sqrt((4 W + 2) / N). */
export function madrasSokalError(tauInt: number, window: number, sampleCount: number): number {
  return Math.abs(tauInt) * Math.sqrt((4 * window + 2) / sampleCount);
}
