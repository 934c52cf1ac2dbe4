/**
 * Exact reverse-time rates: W~_t(x -> x') = W(x' -> x) P_t(x') / P_t(x) for every single-site
 * move x' = x^{i->y}, with W(x' -> x) = Q[x_i][y] (the forward rate y -> x_i). All N (D - 1)
 * ratios of one configuration come from one left/right environment pass of P_t.
 */
import { type ConfigurationsInput, type MPS, NumericalError } from '@latticediff/tensor-network';
import { environmentPasses, noisedModel } from './environments';
import { assertDataMPS, inferLength } from './forward';
import { assertNoise, type NoiseProcess } from './noise';
import { readStates } from './states';
import { assertOptions, assertTime, invalidArgument } from './validate';

/** Options shared by the evaluations at one noise time. */
export interface NoisedEvaluationOptions {
  /** Noise time t >= 0. */
  time: number;
  /** Configurations over the D noisy states (array of digit arrays or { data, count }). */
  configurations: ConfigurationsInput;
}

/** Result of {@link probabilityRatios}. */
export interface ProbabilityRatiosResult {
  /** ratios[(b * N + i) * D + y] = P_t(x^{i->y}) / P_t(x) for configuration b (1 at y = x_i; NaN if P_t(x) = 0). */
  ratios: Float64Array;
  /** log P_t(x) of each configuration (normalised; -Infinity if zero). */
  logProbabilities: Float64Array;
  count: number;
  length: number;
  /** D: the number of noisy states. */
  stateDim: number;
}

function readInputs(fn: string, mps: MPS, noise: NoiseProcess, options: NoisedEvaluationOptions) {
  assertNoise(fn, noise);
  assertDataMPS(fn, mps, noise);
  assertOptions(fn, options, '{ time, configurations }', ['time', 'configurations']);
  assertTime(fn, 'time', options.time);
  const length = inferLength(fn, options.configurations, 'configurations', mps.length);
  if (length !== mps.length) {
    invalidArgument(
      fn,
      'configurations',
      `configurations of ${length} sites`,
      `configurations of the MPS length ${mps.length}`,
    );
  }
  return readStates(fn, 'configurations', options.configurations, mps.length, noise.stateDim);
}

/**
 * log P_t(x) for a batch of noisy configurations: the forward marginal, for linear and Born MPS
 * (Born: double-layer contraction, O(N d chi^3) per configuration).
 */
export function noisedLogProbabilities(
  mps: MPS,
  noise: NoiseProcess,
  options: NoisedEvaluationOptions,
): Float64Array {
  const fn = 'noisedLogProbabilities';
  const { data, count } = readInputs(fn, mps, noise, options);
  return environmentPasses(noisedModel(mps, noise, options.time), data, count, null);
}

/**
 * All single-site probability ratios P_t(x^{i->y}) / P_t(x) of each configuration, with
 * log P_t(x), from one environment pass per configuration: O(N D chi^2) (linear, batched on
 * tensor-network's kernels) or O(N d (D + chi) chi^2) (Born).
 */
export function probabilityRatios(
  mps: MPS,
  noise: NoiseProcess,
  options: NoisedEvaluationOptions,
): ProbabilityRatiosResult {
  const fn = 'probabilityRatios';
  const { data, count } = readInputs(fn, mps, noise, options);
  const n = mps.length;
  const D = noise.stateDim;
  const model = noisedModel(mps, noise, options.time);
  const ratios = new Float64Array(count * n * D);
  const logProbabilities = environmentPasses(model, data, count, ratios);
  return { ratios, logProbabilities, count, length: n, stateDim: D };
}

/** Result of {@link reverseRates}. */
export interface ReverseRatesResult {
  /**
   * rates[(b * N + i) * D + y] = W~_t(x -> x^{i->y}) for configuration b: the rate of the
   * reverse-time process (running from t towards 0) to set site i to y; 0 at y = x_i.
   */
  rates: Float64Array;
  /** Total reverse rate out of each configuration (the sum of its row of rates). */
  totalRates: Float64Array;
  /** log P_t(x) of each configuration. */
  logProbabilities: Float64Array;
  count: number;
  length: number;
  stateDim: number;
}

/** Fills rates from ratios for one configuration; returns the total rate. */
export function ratesFromRatios(
  q: Float64Array,
  D: number,
  x: ArrayLike<number>,
  offset: number,
  n: number,
  ratios: Float64Array,
  out: Float64Array,
  outOffset: number,
): number {
  let total = 0;
  for (let i = 0; i < n; i++) {
    const xi = x[offset + i] as number;
    for (let y = 0; y < D; y++) {
      const k = outOffset + i * D + y;
      if (y === xi) {
        out[k] = 0;
        continue;
      }
      const w = q[xi * D + y]!;
      const v = w === 0 ? 0 : w * ratios[i * D + y]!;
      out[k] = v;
      total += v;
    }
  }
  return total;
}

/**
 * Exact reverse-time rates W~_t(x -> x') = W(x' -> x) P_t(x') / P_t(x) for all single-site
 * moves of each configuration (one environment pass each). Throws a NumericalError for a
 * configuration with P_t(x) = 0 (its reverse rates are undefined).
 */
export function reverseRates(
  mps: MPS,
  noise: NoiseProcess,
  options: NoisedEvaluationOptions,
): ReverseRatesResult {
  const fn = 'reverseRates';
  const { data, count } = readInputs(fn, mps, noise, options);
  const n = mps.length;
  const D = noise.stateDim;
  const model = noisedModel(mps, noise, options.time);
  const rates = new Float64Array(count * n * D);
  const totalRates = new Float64Array(count);
  const ratios = new Float64Array(count * n * D);
  const logProbabilities = environmentPasses(model, data, count, ratios);
  for (let b = 0; b < count; b++) {
    if (!Number.isFinite(logProbabilities[b]!)) {
      throw new NumericalError(
        `\`reverseRates\`: configuration ${b} has P_t(x) = 0 at time ${options.time}; its reverse rates are undefined`,
      );
    }
    const row = ratios.subarray(b * n * D, (b + 1) * n * D);
    totalRates[b] = ratesFromRatios(noise.rateMatrix, D, data, b * n, n, row, rates, b * n * D);
  }
  return { rates, totalRates, logProbabilities, count, length: n, stateDim: D };
}
