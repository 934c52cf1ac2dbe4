/**
 * Single-site noise generators. Conventions: a rate matrix Q is D x D, row-major, with
 * Q[y][x] = the rate of the jump x -> y for y != x and Q[x][x] = -(total exit rate of x), so
 * every column sums to zero. The propagator k_t = exp(t Q) has k_t[y][x] = P(x_t = y | x_0 = x)
 * (columns sum to one). The clean data live on the first `dataDim` states; noise processes
 * with an extra absorbing state (mask) have `stateDim = dataDim + 1`.
 */
import { InvalidArgumentError } from '@latticediff/tensor-network';
import { matrixExponential } from './expm';
import { assertOptions, assertTime, invalidArgument } from './validate';

/** The kinds of noise: closed-form uniform and mask propagators, or a validated user matrix. */
export type NoiseKind = 'uniform' | 'mask' | 'custom';

/** A single-site continuous-time Markov jump noise, applied independently to every site. */
export interface NoiseProcess {
  readonly kind: NoiseKind;
  /** Number of clean states d (the physical dimension of the data MPS). */
  readonly dataDim: number;
  /** Number of noisy states D (d, or d + 1 for mask noise). */
  readonly stateDim: number;
  /** The rate matrix Q, D x D row-major, Q[y * D + x] = rate of x -> y; columns sum to zero. */
  readonly rateMatrix: Float64Array;
  /** The jump rate gamma for `uniform` and `mask`; undefined for `custom`. */
  readonly rate?: number;
  /** Index of the absorbing mask state (`mask` only: equal to dataDim). */
  readonly maskState?: number;
}

/** Largest local dimension of the noises built here (their rate matrix has d^2 entries). */
const MAX_NOISE_DIM = 4096;

function assertDim(fn: string, argument: string, value: unknown): asserts value is number {
  // (2^31 made a bare RangeError allocating the rate matrix)
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 2 || value > MAX_NOISE_DIM) {
    invalidArgument(fn, argument, value, `an integer in [2, ${MAX_NOISE_DIM}]`);
  }
}

function assertRate(fn: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || !(value > 0)) {
    invalidArgument(fn, 'rate', value, 'a finite number > 0');
  }
}

/** Options of {@link uniformNoise} and {@link maskNoise}. */
export interface RateNoiseOptions {
  /** Number of clean states d (>= 2). */
  physicalDim: number;
  /** Jump rate gamma (default 1). */
  rate?: number;
}

/**
 * Uniform noise: every state jumps to each other state at rate gamma, Q = gamma (J - d I).
 * k_t = J/d + e^{-gamma d t} (I - J/d); for d = 2 the flip probability is (1 - e^{-2 gamma t}) / 2.
 */
export function uniformNoise(options: RateNoiseOptions): NoiseProcess {
  const fn = 'uniformNoise';
  assertOptions(fn, options, '{ physicalDim, rate? }', ['physicalDim', 'rate']);
  const d = options.physicalDim;
  const rate = options.rate ?? 1;
  assertDim(fn, 'physicalDim', d);
  assertRate(fn, rate);
  const q = new Float64Array(d * d);
  for (let y = 0; y < d; y++)
    for (let x = 0; x < d; x++) q[y * d + x] = y === x ? -(d - 1) * rate : rate;
  return Object.freeze({ kind: 'uniform' as const, dataDim: d, stateDim: d, rateMatrix: q, rate });
}

/**
 * Absorbing ("mask") noise: d clean states and one mask state (index d); each clean state
 * jumps to the mask at rate gamma, the mask never leaves. k_t[x][x] = e^{-gamma t},
 * k_t[mask][x] = 1 - e^{-gamma t}, k_t[mask][mask] = 1.
 */
export function maskNoise(options: RateNoiseOptions): NoiseProcess {
  const fn = 'maskNoise';
  assertOptions(fn, options, '{ physicalDim, rate? }', ['physicalDim', 'rate']);
  const d = options.physicalDim;
  const rate = options.rate ?? 1;
  assertDim(fn, 'physicalDim', d);
  assertRate(fn, rate);
  const D = d + 1;
  const q = new Float64Array(D * D);
  for (let x = 0; x < d; x++) {
    q[x * D + x] = -rate;
    q[d * D + x] = rate;
  }
  return Object.freeze({
    kind: 'mask' as const,
    dataDim: d,
    stateDim: D,
    rateMatrix: q,
    rate,
    maskState: d,
  });
}

/** Options of {@link rateMatrixNoise}. */
export interface RateMatrixNoiseOptions {
  /**
   * Number of clean states (default: all D states). The clean data use states 0..dataDim-1;
   * the other states can only be reached by noise (like a mask).
   */
  dataDim?: number;
}

/**
 * Noise with a user rate matrix Q (D x D, nested rows `Q[y][x]` = rate of x -> y). Validated:
 * finite entries, non-negative off-diagonals, every column summing to zero up to rounding
 * (|sum| <= 1e-12 times the column's sum of absolute values). The propagator is computed by
 * scaling and squaring Padé (see {@link matrixExponential}).
 */
export function rateMatrixNoise(
  matrix: readonly (readonly number[])[],
  options: RateMatrixNoiseOptions = {},
): NoiseProcess {
  const fn = 'rateMatrixNoise';
  if (!Array.isArray(matrix) || matrix.length < 2) {
    invalidArgument(
      fn,
      'matrix',
      matrix,
      'a square array of at least 2 rows (Q[y][x] = rate of x -> y)',
    );
  }
  const D = matrix.length;
  const q = new Float64Array(D * D);
  for (let y = 0; y < D; y++) {
    const row = matrix[y];
    if (!Array.isArray(row) || row.length !== D) {
      invalidArgument(fn, `matrix[${y}]`, row, `a row of ${D} numbers (the matrix must be square)`);
    }
    for (let x = 0; x < D; x++) {
      const v = row[x];
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        invalidArgument(fn, `matrix[${y}][${x}]`, v, 'a finite number');
      }
      if (y !== x && v < 0) {
        invalidArgument(fn, `matrix[${y}][${x}]`, v, 'a non-negative off-diagonal rate');
      }
      q[y * D + x] = v;
    }
  }
  for (let x = 0; x < D; x++) {
    let sum = 0;
    let abs = 0;
    for (let y = 0; y < D; y++) {
      sum += q[y * D + x]!;
      abs += Math.abs(q[y * D + x]!);
    }
    if (!Number.isFinite(abs)) {
      invalidArgument(
        fn,
        'matrix',
        `column ${x} with rates summing to ${abs}`,
        'rates whose column sums of |Q[y][x]| are finite in float64',
      );
    }
    if (Math.abs(sum) > 1e-12 * abs) {
      invalidArgument(
        fn,
        'matrix',
        `column ${x} summing to ${sum}`,
        'a rate matrix whose columns sum to zero (Q[x][x] = -(sum of the rates out of x))',
      );
    }
  }
  assertOptions(fn, options, '{ dataDim? }', ['dataDim']);
  const dataDim = options.dataDim ?? D;
  if (!Number.isInteger(dataDim) || dataDim < 2 || dataDim > D) {
    invalidArgument(fn, 'dataDim', dataDim, `an integer in [2, ${D}]`);
  }
  return Object.freeze({ kind: 'custom' as const, dataDim, stateDim: D, rateMatrix: q });
}

/** Checks that `noise` is a NoiseProcess made by this package's factories (shape-wise). */
export function assertNoise(fn: string, noise: unknown): asserts noise is NoiseProcess {
  const n = noise as NoiseProcess;
  if (
    typeof noise !== 'object' ||
    noise === null ||
    !(n.rateMatrix instanceof Float64Array) ||
    !Number.isInteger(n.stateDim) ||
    n.rateMatrix.length !== n.stateDim * n.stateDim ||
    !Number.isInteger(n.dataDim) ||
    !(n.kind === 'uniform' || n.kind === 'mask' || n.kind === 'custom') ||
    // the closed forms read the rate (and the mask state): a hand-made object without them
    // would give a propagator of NaN or of no noise at all
    (n.kind !== 'custom' &&
      !(typeof n.rate === 'number' && n.rate > 0 && Number.isFinite(n.rate))) ||
    (n.kind === 'mask' && n.maskState !== n.dataDim)
  ) {
    invalidArgument(
      fn,
      'noise',
      noise,
      'a NoiseProcess (from uniformNoise, maskNoise or rateMatrixNoise)',
    );
  }
}

/**
 * The propagator k_t = exp(t Q) in float64: D x D row-major, k[y * D + x] = P(x_t = y | x_0 = x).
 * Closed forms for `uniform` and `mask`; scaling-and-squaring Padé for `custom` (entries that
 * rounding leaves below zero, at the 1e-16 level, are set to zero).
 */
export function propagator(noise: NoiseProcess, time: number): Float64Array {
  const fn = 'propagator';
  assertNoise(fn, noise);
  assertTime(fn, 'time', time);
  const D = noise.stateDim;
  const k = new Float64Array(D * D);
  if (noise.kind === 'uniform') {
    const d = D;
    // off-diagonal (1 - e^{-gamma d t}) / d, diagonal 1 - (d - 1) * off-diagonal
    const off = -Math.expm1(-noise.rate! * d * time) / d;
    const diag = 1 / d + (1 - 1 / d) * Math.exp(-noise.rate! * d * time);
    for (let y = 0; y < d; y++) for (let x = 0; x < d; x++) k[y * D + x] = y === x ? diag : off;
    return k;
  }
  if (noise.kind === 'mask') {
    const m = noise.maskState!;
    const stay = Math.exp(-noise.rate! * time);
    const masked = -Math.expm1(-noise.rate! * time);
    for (let x = 0; x < m; x++) {
      k[x * D + x] = stay;
      k[m * D + x] = masked;
    }
    k[m * D + m] = 1;
    return k;
  }
  const scaled = new Float64Array(D * D);
  for (let j = 0; j < D * D; j++) scaled[j] = time * noise.rateMatrix[j]!;
  for (let x = 0; x < D; x++) {
    let column = 0;
    for (let y = 0; y < D; y++) column += Math.abs(scaled[y * D + x]!);
    if (!Number.isFinite(column)) {
      invalidArgument(
        fn,
        'time',
        time,
        'a time at which time * Q has finite entries and column sums in float64',
      );
    }
  }
  let e: Float64Array;
  try {
    e = matrixExponential(scaled, D);
  } catch (error) {
    // the plain squarings' rounding can grow past float64 at very large times
    if (InvalidArgumentError.isInstance(error) && error.argument === 'matrix') {
      return stochasticPower(scaled, D);
    }
    throw error;
  }
  for (let j = 0; j < D * D; j++) k[j] = Math.max(e[j]!, 0);
  if (!isStochastic(k, D)) return stochasticPower(scaled, D);
  return k;
}

/** Whether every column of the D x D matrix sums to 1 within 1e-10 (and is finite). */
function isStochastic(k: Float64Array, D: number): boolean {
  for (let x = 0; x < D; x++) {
    let column = 0;
    for (let y = 0; y < D; y++) column += k[y * D + x]!;
    if (!(Math.abs(column - 1) <= 1e-10)) return false;
  }
  return true;
}

/**
 * exp(A) for a generator A (columns summing to zero) of large norm: exp(A / 2^m) with
 * ||A / 2^m||_1 <= 1, then m squarings, each made column-stochastic again (negative rounding set
 * to 0, columns rescaled to sum 1), stopping once a square changes nothing beyond rounding (the
 * stationary limit). The plain scaling and squaring doubles the columns' rounding error with every
 * squaring: at ||A|| of 1e15 its columns summed to 0.94, at 1e20 it returned Infinity.
 */
function stochasticPower(a: Float64Array, D: number): Float64Array {
  let norm = 0;
  for (let x = 0; x < D; x++) {
    let column = 0;
    for (let y = 0; y < D; y++) column += Math.abs(a[y * D + x]!);
    norm = Math.max(norm, column);
  }
  const m = Math.max(0, Math.ceil(Math.log2(norm)));
  let k = matrixExponential(
    a.map((v) => v * 2 ** -m),
    D,
  );
  const normalise = (e: Float64Array) => {
    for (let x = 0; x < D; x++) {
      let column = 0;
      for (let y = 0; y < D; y++) {
        e[y * D + x] = Math.max(e[y * D + x]!, 0);
        column += e[y * D + x]!;
      }
      for (let y = 0; y < D; y++) e[y * D + x]! /= column;
    }
    return e;
  };
  k = normalise(k);
  for (let step = 0; step < m; step++) {
    const next = new Float64Array(D * D);
    for (let y = 0; y < D; y++)
      for (let z = 0; z < D; z++) {
        const v = k[y * D + z]!;
        if (v === 0) continue;
        for (let x = 0; x < D; x++) next[y * D + x]! += v * k[z * D + x]!;
      }
    normalise(next);
    let change = 0;
    for (let j = 0; j < D * D; j++) change = Math.max(change, Math.abs(next[j]! - k[j]!));
    k = next;
    if (change <= 4 * Number.EPSILON) break;
  }
  return k;
}
