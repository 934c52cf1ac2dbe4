/**
 * The exact denoising channel. For noisy y at time t and s in [0, t]:
 *   P(x_s | x_t = y) ∝ prod_i k_{t-s}(y_i | x_{s,i}) P_s(x_s),
 * sampled autoregressively with the per-sample weights w_i(x) = k_{t-s}(y_i | x) on the MPS of
 * P_s (`sampleConditional` of @latticediff/tensor-network). A Born MPS is denoised to s = 0
 * directly (the conditional stays a Born MPS); to s > 0 by the exact bridge
 *   x_0 ~ P(x_0 | y), then x_{s,i} ~ k_s(x_{s,i} | x_{0,i}) k_{t-s}(y_i | x_{s,i}) / k_t(y_i | x_{0,i}),
 * whose marginal in x_s is exactly P(x_s | x_t = y).
 */
import {
  type ConfigurationsInput,
  MPS,
  type RandomGenerator,
  type SamplerPool,
  type SeedOrGenerator,
  sample,
  sampleConditional,
} from '@latticediff/tensor-network';
import { assertBatchSize } from '@latticediff/tensor-network/internal';
import { environmentPasses, noisedModel } from './environments';
import { addNoise, assertDataMPS, inferLength, noisedTensors, type StateBatch } from './forward';
import { assertNoise, type NoiseProcess, propagator } from './noise';
import { readStates } from './states';
import { assertInteger, assertOptions, assertTime, invalidArgument, toRandom } from './validate';

/** How a denoising step to s > 0 is sampled. */
export type DenoiseMethod = 'direct' | 'bridge';

/** Options of {@link denoise}. */
export interface DenoiseOptions {
  /** Noisy configurations y at time `time`, digits in [0, D). */
  noisy: ConfigurationsInput;
  /** Noise time t of y (>= 0). */
  time: number;
  /** Time s in [0, t] to denoise to (default 0: clean samples). */
  targetTime?: number;
  /** Seed or generator. */
  seed: SeedOrGenerator;
  /**
   * For s > 0: `direct` samples the conditional MPS of P_s (linear only; the default for
   * linear), `bridge` samples x_0 ~ P(x_0 | y) and then the per-site bridge to s (the default,
   * and the only route, for Born). Both are exact.
   */
  method?: DenoiseMethod;
}

/** Result of {@link denoise}, {@link denoiseAncestral} and {@link generate}. */
export interface DenoiseResult extends StateBatch {
  /** log P(x_s | x_t = y) of each draw (exact, normalised). */
  logProbabilities: Float64Array;
  /** log P_t(y) of each noisy configuration (the forward marginal). */
  noisyLogProbabilities: Float64Array;
}

interface Prepared {
  n: number;
  count: number;
  y: Int32Array;
}

function prepare(fn: string, mps: MPS, noise: NoiseProcess, noisy: ConfigurationsInput): Prepared {
  const length = inferLength(fn, noisy, 'noisy', mps.length);
  if (length !== mps.length) {
    invalidArgument(
      fn,
      'noisy',
      `configurations of ${length} sites`,
      `configurations of the MPS length ${mps.length}`,
    );
  }
  const { data, count } = readStates(fn, 'noisy', noisy, mps.length, noise.stateDim);
  return { n: mps.length, count, y: data };
}

/** weights[b][i][x] = k[y_bi][x] for x < width. */
function kernelWeights(
  y: Int32Array,
  count: number,
  n: number,
  kernel: Float64Array,
  D: number,
  width: number,
): Float64Array {
  const w = new Float64Array(count * n * width);
  const total = count * n;
  if (width === 2) {
    for (let j = 0; j < total; j++) {
      const o = y[j]! * D;
      w[2 * j] = kernel[o]!;
      w[2 * j + 1] = kernel[o + 1]!;
    }
    return w;
  }
  for (let j = 0; j < total; j++) {
    const o = y[j]! * D;
    for (let x = 0; x < width; x++) w[j * width + x] = kernel[o + x]!;
  }
  return w;
}

/** The clean conditional x_0 ~ P(x_0 | y) (linear or Born). */
function denoiseToZero(
  mps: MPS,
  noise: NoiseProcess,
  p: Prepared,
  time: number,
  rng: RandomGenerator,
): DenoiseResult {
  const kernel = propagator(noise, time);
  const weights = kernelWeights(p.y, p.count, p.n, kernel, noise.stateDim, noise.dataDim);
  const r = sampleConditional(mps, { weights, count: p.count, seed: rng });
  return {
    data: r.data,
    count: r.count,
    length: r.length,
    logProbabilities: r.logProbabilities,
    noisyLogProbabilities: r.logWeightNormalizations,
  };
}

/** Direct: sample the conditional MPS of P_s with weights k_{t-s}(y|x) (linear only). */
function denoiseDirect(
  mps: MPS,
  noise: NoiseProcess,
  p: Prepared,
  time: number,
  target: number,
  rng: RandomGenerator,
): DenoiseResult {
  const D = noise.stateDim;
  const ps = MPS.fromTensors(
    noisedTensors(mps, propagator(noise, target), D).map((data, i) => {
      const [l, , r] = mps.siteShape(i);
      return { shape: [l, D, r] as const, data };
    }),
    { kind: 'linear' },
  );
  const weights = kernelWeights(p.y, p.count, p.n, propagator(noise, time - target), D, D);
  const r = sampleConditional(ps, { weights, count: p.count, seed: rng });
  return {
    data: r.data,
    count: r.count,
    length: r.length,
    logProbabilities: r.logProbabilities,
    noisyLogProbabilities: r.logWeightNormalizations,
  };
}

/** Bridge: x_0 ~ P(x_0|y), then x_s per site; log P(x_s | y) by a double-layer evaluation. */
function denoiseBridge(
  mps: MPS,
  noise: NoiseProcess,
  p: Prepared,
  time: number,
  target: number,
  rng: RandomGenerator,
): DenoiseResult {
  const clean = denoiseToZero(mps, noise, p, time, rng);
  const D = noise.stateDim;
  const ks = propagator(noise, target);
  const kts = propagator(noise, time - target);
  const { n, count, y } = p;
  const out = new Int32Array(count * n);
  const u = new Float64Array(count * n);
  rng.fill(u);
  const probs = new Float64Array(D);
  const logKernel = new Float64Array(count);
  for (let j = 0; j < count * n; j++) {
    const x0 = clean.data[j]!;
    const yj = y[j]!;
    let total = 0;
    for (let z = 0; z < D; z++) {
      const v = ks[z * D + x0]! * kts[yj * D + z]!;
      probs[z] = v;
      total += v;
    }
    let target_ = u[j]! * total;
    let z = 0;
    for (; z < D - 1; z++) {
      if (target_ < probs[z]!) break;
      target_ -= probs[z]!;
    }
    while (probs[z] === 0 && z > 0) z--;
    out[j] = z;
    logKernel[Math.floor(j / n)]! += Math.log(kts[yj * D + z]!);
  }
  const logPs = environmentPasses(noisedModel(mps, noise, target), out, count, null);
  const logProbabilities = new Float64Array(count);
  for (let b = 0; b < count; b++) {
    logProbabilities[b] = logKernel[b]! + logPs[b]! - clean.noisyLogProbabilities[b]!;
  }
  return {
    data: out,
    count,
    length: n,
    logProbabilities,
    noisyLogProbabilities: clean.noisyLogProbabilities,
  };
}

function step(
  mps: MPS,
  noise: NoiseProcess,
  p: Prepared,
  time: number,
  target: number,
  method: DenoiseMethod,
  rng: RandomGenerator,
): DenoiseResult {
  if (target === 0) return denoiseToZero(mps, noise, p, time, rng);
  return method === 'direct'
    ? denoiseDirect(mps, noise, p, time, target, rng)
    : denoiseBridge(mps, noise, p, time, target, rng);
}

/**
 * {@link denoise} to time 0 on a worker pool (`createSamplerPool` of @latticediff/tensor-network):
 * the same samples, log-probabilities and log P_t(y) as `denoise(mps, noise, { noisy, time, seed })`
 * for the same seed, whatever the number of workers.
 */
export async function denoiseInPool(
  pool: SamplerPool,
  mps: MPS,
  noise: NoiseProcess,
  options: { noisy: ConfigurationsInput; time: number; seed: SeedOrGenerator },
): Promise<DenoiseResult> {
  const fn = 'denoiseInPool';
  assertNoise(fn, noise);
  assertDataMPS(fn, mps, noise);
  assertOptions(fn, options, '{ noisy, time, seed }', ['noisy', 'time', 'seed']);
  assertTime(fn, 'time', options.time);
  if (!pool || typeof pool.sampleConditional !== 'function') {
    invalidArgument(fn, 'pool', pool, 'a SamplerPool from createSamplerPool');
  }
  const p = prepare(fn, mps, noise, options.noisy);
  const kernel = propagator(noise, options.time);
  const weights = kernelWeights(p.y, p.count, p.n, kernel, noise.stateDim, noise.dataDim);
  // the same stream as denoise: a generator made from the seed, handed to the sampler
  const rng = toRandom(fn, options.seed);
  const r = await pool.sampleConditional(mps, { weights, count: p.count, seed: rng });
  return {
    data: r.data,
    count: r.count,
    length: r.length,
    logProbabilities: r.logProbabilities,
    noisyLogProbabilities: r.logWeightNormalizations,
  };
}

function readMethod(fn: string, mps: MPS, method: unknown): DenoiseMethod {
  const m = method ?? (mps.kind === 'linear' ? 'direct' : 'bridge');
  if (m !== 'direct' && m !== 'bridge') invalidArgument(fn, 'method', m, '"direct" or "bridge"');
  if (m === 'direct' && mps.kind !== 'linear') {
    invalidArgument(
      fn,
      'method',
      m,
      '"bridge" for a Born MPS (P_s of a Born MPS is a double layer, not an MPS of the same form)',
    );
  }
  return m;
}

/**
 * Exact samples of P(x_s | x_t = y) for a batch of noisy configurations (one draw per row of
 * `noisy`, each with its own y), with log P(x_s | y) of each draw and log P_t(y).
 * Cost O(count N d chi^2) for a linear MPS.
 */
export function denoise(mps: MPS, noise: NoiseProcess, options: DenoiseOptions): DenoiseResult {
  const fn = 'denoise';
  assertNoise(fn, noise);
  assertDataMPS(fn, mps, noise);
  assertOptions(fn, options, '{ noisy, time, targetTime?, seed, method? }', [
    'noisy',
    'time',
    'targetTime',
    'seed',
    'method',
  ]);
  const { time } = options;
  const target = options.targetTime ?? 0;
  assertTime(fn, 'time', time);
  assertTime(fn, 'targetTime', target);
  if (target > time) invalidArgument(fn, 'targetTime', target, `a time <= time (${time})`);
  const method = readMethod(fn, mps, options.method);
  const rng = toRandom(fn, options.seed);
  const p = prepare(fn, mps, noise, options.noisy);
  return step(mps, noise, p, time, target, method, rng);
}

/** Options of {@link denoiseAncestral}. */
export interface AncestralDenoiseOptions {
  /** Noisy configurations y at time times[0]. */
  noisy: ConfigurationsInput;
  /**
   * Strictly decreasing times t_K > ... > t_0: y lives at times[0], the result at the last
   * entry (usually 0). See `scheduleTimes`.
   */
  times: ArrayLike<number>;
  /** Seed or generator. */
  seed: SeedOrGenerator;
  /** Route of the intermediate steps (see {@link DenoiseOptions.method}). */
  method?: DenoiseMethod;
}

function readTimes(fn: string, times: unknown): Float64Array {
  // (a string such as '10' has a length, and its characters were read as numbers)
  if (
    times == null ||
    typeof times !== 'object' ||
    typeof (times as ArrayLike<number>).length !== 'number' ||
    (times as ArrayLike<number>).length < 2
  ) {
    invalidArgument(fn, 'times', times, 'an array of at least two strictly decreasing times >= 0');
  }
  const given = times as ArrayLike<unknown>;
  for (let k = 0; k < given.length; k++) {
    if (typeof given[k] !== 'number') {
      invalidArgument(fn, `times[${k}]`, given[k], 'a number (a time >= 0)');
    }
  }
  const t = Float64Array.from(given as ArrayLike<number>);
  for (let k = 0; k < t.length; k++) {
    assertTime(fn, `times[${k}]`, t[k]);
    if (k > 0 && !(t[k]! < t[k - 1]!)) {
      invalidArgument(
        fn,
        `times[${k}]`,
        t[k],
        `a time below times[${k - 1}] = ${t[k - 1]} (times must strictly decrease)`,
      );
    }
  }
  return t;
}

/**
 * Multi-step ancestral denoising: x_{t_{k-1}} ~ P(x_{t_{k-1}} | x_{t_k}) for k = K..1, each
 * step exact, so the final draw has exactly the law P(x_{t_0} | x_{t_K} = y) (the same as one
 * step). `logProbabilities` is that marginal log P(x_{t_0} | y), not the path probability.
 */
export function denoiseAncestral(
  mps: MPS,
  noise: NoiseProcess,
  options: AncestralDenoiseOptions,
): DenoiseResult {
  const fn = 'denoiseAncestral';
  assertNoise(fn, noise);
  assertDataMPS(fn, mps, noise);
  assertOptions(fn, options, '{ noisy, times, seed, method? }', [
    'noisy',
    'times',
    'seed',
    'method',
  ]);
  const times = readTimes(fn, options.times);
  const method = readMethod(fn, mps, options.method);
  const rng = toRandom(fn, options.seed);
  const p0 = prepare(fn, mps, noise, options.noisy);
  let p = p0;
  let result: DenoiseResult | null = null;
  let noisyLog: Float64Array | null = null;
  for (let k = 1; k < times.length; k++) {
    result = step(mps, noise, p, times[k - 1]!, times[k]!, method, rng);
    if (noisyLog === null) noisyLog = result.noisyLogProbabilities;
    p = { n: p.n, count: p.count, y: result.data };
  }
  const final = result!;
  // marginal log P(x_s | y) = sum_i log k_{T-s}(y_i|x_i) + log P_s(x) - log P_T(y)
  const T = times[0]!;
  const s = times[times.length - 1]!;
  const D = noise.stateDim;
  const k = propagator(noise, T - s);
  const { n, count, y } = p0;
  const logPs = environmentPasses(noisedModel(mps, noise, s), final.data, count, null);
  const logProbabilities = new Float64Array(count);
  for (let b = 0; b < count; b++) {
    let acc = logPs[b]! - noisyLog![b]!;
    for (let i = 0; i < n; i++) acc += Math.log(k[y[b * n + i]! * D + final.data[b * n + i]!]!);
    logProbabilities[b] = acc;
  }
  return { data: final.data, count, length: n, logProbabilities, noisyLogProbabilities: noisyLog! };
}

/** Options of {@link generate}. */
export interface GenerateOptions {
  /** Number of samples. */
  count: number;
  /** Final noise time T > 0 (ignored when `times` is given). */
  time?: number;
  /** Optional multi-step grid T = times[0] > ... > times[K-1] = 0 (one-shot if omitted). */
  times?: ArrayLike<number>;
  /** Seed or generator. */
  seed: SeedOrGenerator;
}

/** Result of {@link generate}. */
export interface GenerateResult extends StateBatch {
  /** log P_theta(x) of each generated sample. */
  logProbabilities: Float64Array;
  /** The noisy configurations y ~ P_T the samples were denoised from. */
  noisy: Int32Array;
  /** log P_T(y). */
  noisyLogProbabilities: Float64Array;
}

/**
 * Generation end to end: y ~ P_T, then x ~ P(x_0 | y) (one shot, or along `times`), which gives
 * exact samples of P_theta with log P_theta(x) = log P(x|y) + log P_T(y) - log k_T(y|x).
 * For a linear MPS y is sampled from the MPS of P_T; for a Born MPS (P_T is a double layer)
 * y is sampled exactly as x' ~ P_theta followed by forward noise.
 */
export function generate(mps: MPS, noise: NoiseProcess, options: GenerateOptions): GenerateResult {
  const fn = 'generate';
  assertNoise(fn, noise);
  assertDataMPS(fn, mps, noise);
  assertOptions(fn, options, '{ count, time | times, seed }', ['count', 'time', 'times', 'seed']);
  assertInteger(fn, 'count', options.count, 0);
  // (checked here: the sampler's refusal named `sample`)
  assertBatchSize(fn, options.count, mps.length);
  const times = options.times === undefined ? null : readTimes(fn, options.times);
  const T = times === null ? options.time : times[0];
  if (typeof T !== 'number' || !Number.isFinite(T) || !(T > 0))
    invalidArgument(fn, 'time', T, 'a finite number > 0');
  if (times !== null && times[times.length - 1] !== 0) {
    invalidArgument(
      fn,
      `times[${times.length - 1}]`,
      times[times.length - 1],
      '0 (generation ends at clean samples)',
    );
  }
  const rng = toRandom(fn, options.seed);
  const { count } = options;
  const n = mps.length;
  const D = noise.stateDim;
  let y: Int32Array;
  if (mps.kind === 'linear') {
    const pt = MPS.fromTensors(
      noisedTensors(mps, propagator(noise, T), D).map((data, i) => {
        const [l, , r] = mps.siteShape(i);
        return { shape: [l, D, r] as const, data };
      }),
      { kind: 'linear' },
    );
    y = sample(pt, { count, seed: rng }).data;
  } else {
    const clean = sample(mps, { count, seed: rng });
    y = addNoise(noise, clean, { time: T, seed: rng }).data;
  }
  const noisy = { data: y, count, length: n };
  const r =
    times === null
      ? denoise(mps, noise, { noisy, time: T, seed: rng })
      : denoiseAncestral(mps, noise, { noisy, times, seed: rng });
  const k = propagator(noise, T);
  const logProbabilities = new Float64Array(count);
  for (let b = 0; b < count; b++) {
    let acc = r.logProbabilities[b]! + r.noisyLogProbabilities[b]!;
    for (let i = 0; i < n; i++) acc -= Math.log(k[y[b * n + i]! * D + r.data[b * n + i]!]!);
    logProbabilities[b] = acc;
  }
  return {
    data: r.data,
    count,
    length: n,
    logProbabilities,
    noisy: y,
    noisyLogProbabilities: r.noisyLogProbabilities,
  };
}
