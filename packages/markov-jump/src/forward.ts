/**
 * The forward (noising) process: exact per-site sampling of x_t given x_0, and the noised
 * distribution P_t(y) = sum_x prod_i k_t(y_i | x_i) P_0(x). For a linear MPS, P_t is the linear
 * MPS B_i[y] = sum_x k_t(y|x) A_i[x] of the same bond dimensions (exact: e^{tW} is a bond-1
 * MPO). For a Born MPS, P_t is a double-layer network; it is evaluated, never formed.
 */
import {
  applyProductOperator,
  type ConfigurationBatch,
  type ConfigurationsInput,
  MPS,
  type SeedOrGenerator,
} from '@latticediff/tensor-network';
import { assertNoise, type NoiseProcess, propagator } from './noise';
import { readStates } from './states';
import { assertMPS, assertOptions, assertTime, invalidArgument, toRandom } from './validate';

/** A batch of configurations (digits row-major, `count` rows of `length`). */
export interface StateBatch extends ConfigurationBatch<Int32Array> {
  /** Number of sites N. */
  readonly length: number;
}

/** Options of {@link addNoise}. */
export interface AddNoiseOptions {
  /** Noise time t >= 0. */
  time: number;
  /** Seed or generator. */
  seed: SeedOrGenerator;
  /**
   * Time of the input configurations (default 0: clean data, digits in [0, dataDim)). With
   * `fromTime = s`, inputs may use all D noisy states and are noised by k_{t-s}.
   */
  fromTime?: number;
}

/**
 * Exact forward noising: y_i ~ k_{t-s}(. | x_i) independently per site, for a batch of
 * configurations x at time s (default 0). Returns configurations over the D noisy states.
 */
export function addNoise(
  noise: NoiseProcess,
  configurations: ConfigurationsInput,
  options: AddNoiseOptions,
): StateBatch {
  const fn = 'addNoise';
  assertNoise(fn, noise);
  assertOptions(fn, options, '{ time, seed, fromTime? }', ['time', 'seed', 'fromTime']);
  const { time } = options;
  const fromTime = options.fromTime ?? 0;
  const length = inferLength(fn, configurations);
  assertTime(fn, 'time', time);
  assertTime(fn, 'fromTime', fromTime);
  if (fromTime > time) invalidArgument(fn, 'fromTime', fromTime, `a time <= time (${time})`);
  const rng = toRandom(fn, options.seed);
  const inputDim = fromTime === 0 ? noise.dataDim : noise.stateDim;
  const { data, count } = readStates(fn, 'configurations', configurations, length, inputDim);
  const D = noise.stateDim;
  const k = propagator(noise, time - fromTime);
  // cumulative column distributions
  const cdf = new Float64Array(D * D);
  for (let x = 0; x < D; x++) {
    let acc = 0;
    for (let y = 0; y < D; y++) {
      acc += k[y * D + x]!;
      cdf[x * D + y] = acc;
    }
  }
  const out = new Int32Array(count * length);
  const u = new Float64Array(count * length);
  rng.fill(u);
  for (let j = 0; j < out.length; j++) {
    const x = data[j]!;
    const base = x * D;
    const target = u[j]! * cdf[base + D - 1]!;
    let y = 0;
    while (y < D - 1 && !(target < cdf[base + y]!)) y++;
    // never land on a state of zero probability because of rounding at the end of the cdf
    while (k[y * D + x] === 0 && y > 0) y--;
    out[j] = y;
  }
  return { data: out, count, length };
}

/**
 * Number of sites of a batch: the row length of an array of configurations, or `length` of a
 * `{ data, count, length }` batch (else data.length / count). An empty batch (`[]`, count 0
 * without `length`) has the length `known` where the caller knows it (the MPS's), as
 * tensor-network's functions take it; without it, it is refused naming `name`.
 */
export function inferLength(
  fn: string,
  input: ConfigurationsInput,
  name = 'configurations',
  known?: number,
): number {
  let length: unknown;
  if (Array.isArray(input)) length = Array.isArray(input[0]) ? input[0].length : 0;
  else if (typeof input === 'object' && input !== null && 'data' in input && 'count' in input) {
    const given = (input as { length?: unknown }).length;
    length = given !== undefined ? given : input.count > 0 ? input.data.length / input.count : 0;
  } else {
    return invalidArgument(
      fn,
      name,
      input,
      'an array of configurations or { data, count, length? }',
    );
  }
  // an empty batch takes the known length unless it states its own (a stated 0 is refused)
  const stated = !Array.isArray(input) && (input as { length?: unknown }).length !== undefined;
  const empty = Array.isArray(input)
    ? input.length === 0
    : (input as { count: unknown }).count === 0;
  if (length === 0 && empty && !stated && known !== undefined) return known;
  if (typeof length !== 'number' || !Number.isInteger(length) || length < 1) {
    invalidArgument(
      fn,
      name,
      input,
      known === undefined
        ? 'a non-empty batch of configurations with at least one site (or { data, count: 0, length } for an empty one)'
        : 'a batch of configurations with at least one site',
    );
  }
  return length;
}

/**
 * Checks the data MPS against the noise (sites share d = noise.dataDim). An MPS of another
 * installed copy of @latticediff/tensor-network is accepted (brand and structure checked by
 * `assertMPS`; it is only read through its public fields).
 */
export function assertDataMPS(fn: string, mps: unknown, noise: NoiseProcess): asserts mps is MPS {
  assertMPS(fn, mps);
  if (!mps.physicalDims.every((x) => x === noise.dataDim)) {
    invalidArgument(
      fn,
      'mps',
      `physicalDims [${mps.physicalDims.slice(0, 8).join(', ')}${mps.length > 8 ? ', ...' : ''}]`,
      `an MPS whose every site has the noise's data dimension ${noise.dataDim}`,
    );
  }
}

/**
 * Site tensors of P_t for a linear MPS of P_0: B_i[a, y, b] = sum_{x < d} k[y][x] A_i[a, x, b]
 * (internal; kernel is D x D row-major).
 */
export function noisedTensors(mps: MPS, kernel: Float64Array, D: number): Float64Array[] {
  // B_i[y] = sum_x k(y|x) A_i[x]: the product operator whose site matrix is the kernel's first
  // d_i columns (tensor-network's applyProductOperator, the one place that contracts it)
  const operators = mps.physicalDims.map((d) => {
    const op = new Float64Array(D * d);
    for (let y = 0; y < D; y++) for (let x = 0; x < d; x++) op[y * d + x] = kernel[y * D + x]!;
    return op;
  });
  return [...applyProductOperator(mps, operators).tensors];
}

/**
 * The forward marginal P_t as a linear MPS of the same bond dimensions (physical dimension D):
 * B_i[y] = sum_x k_t(y|x) A_i[x]. Exact. Linear MPS only: for a Born MPS P_t is a double-layer
 * network (use {@link noisedLogProbabilities} to evaluate it).
 */
export function noisedMPS(mps: MPS, noise: NoiseProcess, options: { time: number }): MPS {
  const fn = 'noisedMPS';
  assertNoise(fn, noise);
  assertDataMPS(fn, mps, noise);
  assertOptions(fn, options, '{ time }', ['time']);
  assertTime(fn, 'time', options.time);
  if (mps.kind !== 'linear') {
    invalidArgument(
      fn,
      'mps',
      'a Born MPS',
      'a linear MPS (the noised distribution of a Born MPS is a double-layer network, not a Born MPS of the same form; use noisedLogProbabilities to evaluate it)',
    );
  }
  const D = noise.stateDim;
  const tensors = noisedTensors(mps, propagator(noise, options.time), D);
  return MPS.fromTensors(
    tensors.map((data, i) => ({
      shape: [mps.siteShape(i)[0], D, mps.siteShape(i)[2]] as const,
      data,
    })),
    { kind: 'linear' },
  );
}
