/**
 * Sufficient statistics of one observable over a set of independent chains (internal), and the
 * pooled estimates computed from them.
 *
 * For chains c = 1..R of lengths n_c, with shift K_c (the chain's own mean, rounded) and
 * y = x - K_c, the pooled autocovariance numerator about the grand mean m = S / N is
 *
 *   Gamma(t) = sum_c sum_{i=0}^{n_c-1-t} (x_i - m)(x_{i+t} - m)
 *            = A(t) + [B(t) - m C(t)] + [V1 - t V0]
 *
 * with A(t) = sum_c P_c(t), P_c(t) = sum_i y_i y_{i+t}; C(t) = sum_c G_c(t), G_c(t) = the sum of
 * y over the first n_c - t plus over the last n_c - t samples; B(t) = sum_c K_c G_c(t);
 * V1 = sum_c n_c (K_c - m)^2 and V0 = sum_c (K_c - m)^2. Every bracket is a sum over chains,
 * so the statistics of disjoint sets of chains add. A, B, C are double-double per lag; the
 * scalar sums (S, sum of squares, sum K, sum K^2, sum n K, sum n K^2, the bins) are exact.
 */

import type { AutocorrelationMethod } from './diagnostics-validate';
import {
  type DoubleDoubleArray,
  doubleDoubleAddScaled,
  doubleDoubleAddValues,
  doubleDoubleMerge,
  doubleDoubleZeros,
  type ExactSum,
  exactAdd,
  exactAddProduct,
  exactAddProductOfSums,
  exactAddSum,
  exactValue,
  exactVariance,
} from './stats-exact';
import { fftIsCheaper, lagProductsDirect, lagProductsFFT } from './stats-fft';

/** Exact count, sum and sum of squares of the bin means of one bin size (JSON-safe). */
export interface BinLevelAccumulator {
  /** Number of complete bins of size 2^level, over all chains. */
  count: number;
  /** Exact sum of the bin means (partials). */
  sum: number[];
  /** Exact sum of the squared bin means (partials). */
  sumOfSquares: number[];
}

/** Mergeable sufficient statistics of one observable (plain JSON-safe data). */
export interface ObservableAccumulator {
  /** Number of independent chains. */
  chainCount: number;
  /** Total number of samples N over all chains. */
  sampleCount: number;
  /** Shortest chain length. */
  minChainLength: number;
  /** Longest chain length. */
  maxChainLength: number;
  /** Bin level k holds bins of 2^k samples within one chain; level 0 is the raw data. */
  bins: BinLevelAccumulator[];
  /** Exact sums over chains of K_c, K_c^2, n_c K_c and n_c K_c^2 (K_c: the chain's shift). */
  shift: {
    sum: number[];
    sumOfSquares: number[];
    weightedSum: number[];
    weightedSumOfSquares: number[];
  };
  /** Largest lag with statistics (<= minChainLength - 1). */
  maxLag: number;
  /** A(t) = sum_c sum_i y_i y_{i+t}, t = 0..maxLag (double-double). */
  lagProducts: DoubleDoubleArray;
  /** C(t) = sum_c G_c(t) (double-double). */
  lagSums: DoubleDoubleArray;
  /** B(t) = sum_c K_c G_c(t) (double-double). */
  shiftedLagSums: DoubleDoubleArray;
}

/** An empty accumulator with lag statistics up to `maxLag`. */
export function emptyAccumulator(maxLag: number): ObservableAccumulator {
  return {
    chainCount: 0,
    sampleCount: 0,
    minChainLength: Number.POSITIVE_INFINITY,
    maxChainLength: 0,
    bins: [],
    shift: { sum: [], sumOfSquares: [], weightedSum: [], weightedSumOfSquares: [] },
    maxLag,
    lagProducts: doubleDoubleZeros(maxLag + 1),
    lagSums: doubleDoubleZeros(maxLag + 1),
    shiftedLagSums: doubleDoubleZeros(maxLag + 1),
  };
}

function binLevel(accumulator: ObservableAccumulator, level: number): BinLevelAccumulator {
  while (accumulator.bins.length <= level) {
    accumulator.bins.push({ count: 0, sum: [], sumOfSquares: [] });
  }
  return accumulator.bins[level]!;
}

/** Options of {@link addChain}. */
export interface AddChainOptions {
  method: AutocorrelationMethod;
  /** Accumulate bin levels >= 1 (the binning analysis). */
  binning: boolean;
}

/**
 * Adds one chain (length >= maxLag + 1) to the accumulator in place. Everything added is a
 * deterministic function of the chain alone, so shards that hold whole chains merge exactly.
 */
export function addChain(
  accumulator: ObservableAccumulator,
  x: Float64Array,
  options: AddChainOptions,
): void {
  const n = x.length;
  const maxLag = accumulator.maxLag;
  if (n <= maxLag) throw new RangeError(`chain of ${n} samples is too short for lag ${maxLag}`);
  accumulator.chainCount += 1;
  accumulator.sampleCount += n;
  accumulator.minChainLength = Math.min(accumulator.minChainLength, n);
  accumulator.maxChainLength = Math.max(accumulator.maxChainLength, n);

  // level 0: exact sums of the raw data
  const chainSum: ExactSum = [];
  const raw = binLevel(accumulator, 0);
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    exactAdd(chainSum, v);
    exactAddProduct(raw.sumOfSquares, v, v);
  }
  exactAddSum(raw.sum, chainSum);
  raw.count += n;

  // levels >= 1: bins of 2^k consecutive samples, sums built pairwise
  if (options.binning) {
    let current = x;
    let binSize = 1;
    for (let level = 1; current.length >= 2; level++) {
      const length = current.length >>> 1;
      const next = new Float64Array(length);
      binSize *= 2;
      const bins = binLevel(accumulator, level);
      for (let j = 0; j < length; j++) {
        const sum = current[2 * j]! + current[2 * j + 1]!;
        next[j] = sum;
        const mean = sum / binSize;
        exactAdd(bins.sum, mean);
        exactAddProduct(bins.sumOfSquares, mean, mean);
      }
      bins.count += length;
      current = next;
    }
  }

  // shift K = the chain mean (rounded); y = x - K
  const shift = exactValue(chainSum) / n;
  exactAdd(accumulator.shift.sum, shift);
  exactAddProduct(accumulator.shift.sumOfSquares, shift, shift);
  exactAddProduct(accumulator.shift.weightedSum, shift, n);
  exactAddProductOfSums(accumulator.shift.weightedSumOfSquares, [shift], [shift], n);

  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) y[i] = x[i]! - shift;
  const useFFT = options.method === 'fft' || (options.method === 'auto' && fftIsCheaper(n, maxLag));
  const products = useFFT ? lagProductsFFT(y, maxLag) : lagProductsDirect(y, maxLag);

  // G(t) = 2 Y - (sum of the first t) - (sum of the last t), running sums compensated
  const sums = new Float64Array(maxLag + 1);
  let total = 0;
  let totalCompensation = 0;
  for (let i = 0; i < n; i++) {
    const v = y[i]!;
    const t = total + v;
    if (Math.abs(total) >= Math.abs(v)) totalCompensation += total - t + v;
    else totalCompensation += v - t + total;
    total = t;
  }
  const twiceTotal = 2 * (total + totalCompensation);
  let edge = 0;
  let edgeCompensation = 0;
  sums[0] = twiceTotal;
  for (let t = 1; t <= maxLag; t++) {
    const head = y[t - 1]!;
    let s = edge + head;
    if (Math.abs(edge) >= Math.abs(head)) edgeCompensation += edge - s + head;
    else edgeCompensation += head - s + edge;
    edge = s;
    const tail = y[n - t]!;
    s = edge + tail;
    if (Math.abs(edge) >= Math.abs(tail)) edgeCompensation += edge - s + tail;
    else edgeCompensation += tail - s + edge;
    edge = s;
    sums[t] = twiceTotal - (edge + edgeCompensation);
  }

  doubleDoubleAddValues(accumulator.lagProducts, products);
  doubleDoubleAddValues(accumulator.lagSums, sums);
  doubleDoubleAddScaled(accumulator.shiftedLagSums, sums, shift);
}

/** Builds the accumulator of a set of chains. */
export function accumulateChains(
  chains: readonly Float64Array[],
  maxLag: number,
  options: AddChainOptions,
): ObservableAccumulator {
  const accumulator = emptyAccumulator(maxLag);
  for (const chain of chains) addChain(accumulator, chain, options);
  return accumulator;
}

function copySums(sums: readonly number[]): number[] {
  return sums.slice();
}

/**
 * Merges two accumulators into a new one (inputs untouched). Exact and order-free for counts,
 * sums and bins; the per-lag double-double sums are commutative bit for bit and associative to
 * ~1e-30 relative. Lags are truncated to the smaller maxLag.
 */
export function mergeAccumulators(
  a: ObservableAccumulator,
  b: ObservableAccumulator,
): ObservableAccumulator {
  const maxLag = Math.min(a.maxLag, b.maxLag);
  const levels = Math.max(a.bins.length, b.bins.length);
  const bins: BinLevelAccumulator[] = [];
  for (let k = 0; k < levels; k++) {
    const x = a.bins[k];
    const y = b.bins[k];
    const sum = copySums(x?.sum ?? []);
    const sumOfSquares = copySums(x?.sumOfSquares ?? []);
    exactAddSum(sum, y?.sum ?? []);
    exactAddSum(sumOfSquares, y?.sumOfSquares ?? []);
    bins.push({ count: (x?.count ?? 0) + (y?.count ?? 0), sum, sumOfSquares });
  }
  const shift = {
    sum: copySums(a.shift.sum),
    sumOfSquares: copySums(a.shift.sumOfSquares),
    weightedSum: copySums(a.shift.weightedSum),
    weightedSumOfSquares: copySums(a.shift.weightedSumOfSquares),
  };
  exactAddSum(shift.sum, b.shift.sum);
  exactAddSum(shift.sumOfSquares, b.shift.sumOfSquares);
  exactAddSum(shift.weightedSum, b.shift.weightedSum);
  exactAddSum(shift.weightedSumOfSquares, b.shift.weightedSumOfSquares);
  return {
    chainCount: a.chainCount + b.chainCount,
    sampleCount: a.sampleCount + b.sampleCount,
    minChainLength: Math.min(a.minChainLength, b.minChainLength),
    maxChainLength: Math.max(a.maxChainLength, b.maxChainLength),
    bins,
    shift,
    maxLag,
    lagProducts: doubleDoubleMerge(a.lagProducts, b.lagProducts, maxLag + 1),
    lagSums: doubleDoubleMerge(a.lagSums, b.lagSums, maxLag + 1),
    shiftedLagSums: doubleDoubleMerge(a.shiftedLagSums, b.shiftedLagSums, maxLag + 1),
  };
}

/** Mean, unbiased variance and the pooled autocovariance / autocorrelation of an accumulator. */
export interface PooledMoments {
  mean: number;
  variance: number;
  /** C(t) = Gamma(t) / (N - R t), t = 0..maxLag. */
  autocovariance: Float64Array;
  /** rho(t) = C(t) / C(0); NaN for t >= 1 when C(0) = 0. */
  autocorrelation: Float64Array;
}

/** The pooled estimates from the sufficient statistics (deterministic in the statistics). */
export function pooledMoments(accumulator: ObservableAccumulator): PooledMoments {
  const raw = accumulator.bins[0]!;
  const total = raw.count;
  const chains = accumulator.chainCount;
  const mean = exactValue(raw.sum) / total;
  const variance = exactVariance(total, raw.sum, raw.sumOfSquares);
  // N^2 V1 = N^2 sum n K^2 - 2 N S sum n K + N S^2 ; N^2 V0 = N^2 sum K^2 - 2 N S sum K + R S^2
  const { shift } = accumulator;
  const v1: ExactSum = [];
  exactAddProductOfSums(v1, [total], shift.weightedSumOfSquares, total);
  exactAddProductOfSums(v1, raw.sum, shift.weightedSum, -2 * total);
  exactAddProductOfSums(v1, raw.sum, raw.sum, total);
  const v0: ExactSum = [];
  exactAddProductOfSums(v0, [total], shift.sumOfSquares, total);
  exactAddProductOfSums(v0, raw.sum, shift.sum, -2 * total);
  exactAddProductOfSums(v0, raw.sum, raw.sum, chains);
  const between = exactValue(v1) / total / total;
  const betweenPerLag = exactValue(v0) / total / total;

  const maxLag = accumulator.maxLag;
  const autocovariance = new Float64Array(maxLag + 1);
  const { lagProducts: a, lagSums: c, shiftedLagSums: b } = accumulator;
  for (let t = 0; t <= maxLag; t++) {
    const products = a.hi[t]! + a.lo[t]!;
    // B - m C, with m * C.hi split exactly so that the cancellation is harmless
    const p = mean * c.hi[t]!;
    const split = 134217729 * mean;
    const mHi = split - (split - mean);
    const mLo = mean - mHi;
    const cSplit = 134217729 * c.hi[t]!;
    const cHi = cSplit - (cSplit - c.hi[t]!);
    const cLo = c.hi[t]! - cHi;
    const e = mHi * cHi - p + mHi * cLo + mLo * cHi + mLo * cLo;
    const cross = b.hi[t]! - p - e + (b.lo[t]! - mean * c.lo[t]!);
    const gamma = products + cross + (between - t * betweenPerLag);
    autocovariance[t] = gamma / (total - chains * t);
  }
  const c0 = autocovariance[0]!;
  const autocorrelation = new Float64Array(maxLag + 1);
  autocorrelation[0] = 1;
  for (let t = 1; t <= maxLag; t++) {
    autocorrelation[t] = c0 > 0 ? autocovariance[t]! / c0 : Number.NaN;
  }
  return { mean, variance, autocovariance, autocorrelation };
}
