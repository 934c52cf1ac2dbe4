/**
 * Reverse-time simulation with the exact rates: an exact continuous-time simulator
 * (thinning / uniformisation with a proven rate bound, an oracle independent of the
 * denoising channel) and tau-leaping (an approximate sampler, for comparison).
 */
import {
  type ConfigurationsInput,
  logNormalization,
  type MPS,
  NumericalError,
  type SeedOrGenerator,
} from '@latticediff/tensor-network';
import {
  environmentPass,
  environmentPasses,
  type NoisedModel,
  noisedModel,
  passScratch,
} from './environments';
import { assertDataMPS, inferLength, type StateBatch } from './forward';
import { assertNoise, type NoiseProcess } from './noise';
import { ratesFromRatios } from './reverse-rates';
import { readStates } from './states';
import { assertInteger, assertOptions, assertTime, invalidArgument, toRandom } from './validate';

/** Options of {@link simulateReverse}. */
export interface SimulateReverseOptions {
  /** Configurations y at time `time` (digits in [0, D)). */
  noisy: ConfigurationsInput;
  /** Start time t of the reverse process. */
  time: number;
  /** End time s in [0, t] (default 0). */
  targetTime?: number;
  /** Seed or generator. */
  seed: SeedOrGenerator;
  /**
   * Guard: the largest number of candidate events (rate-bound proposals, accepted or not)
   * per sample before a NumericalError (default 1,000,000).
   */
  maxEvents?: number;
}

/** Result of {@link simulateReverse}. */
export interface SimulateReverseResult extends StateBatch {
  /** Number of jumps each trajectory made. */
  jumps: Int32Array;
  /** Number of candidate events (thinning proposals) of each trajectory. */
  proposals: Int32Array;
}

function readNoisy(fn: string, mps: MPS, noise: NoiseProcess, noisy: ConfigurationsInput) {
  const length = inferLength(fn, noisy, 'noisy', mps.length);
  if (length !== mps.length) {
    invalidArgument(
      fn,
      'noisy',
      `configurations of ${length} sites`,
      `configurations of the MPS length ${mps.length}`,
    );
  }
  return readStates(fn, 'noisy', noisy, mps.length, noise.stateDim);
}

/**
 * Exact simulation of the reverse-time Markov jump process from x_t = y down to time s, whose
 * law at s is P(x_s | x_t = y). The process is time-inhomogeneous, so events are drawn by
 * thinning (Lewis-Shedler) with a bound that holds on a whole interval [a, t]:
 * with D(z) = sum_i Q[z_i][z_i] <= 0 and k_tau(z|z) >= e^{tau D(z)} (the no-jump probability),
 *   P_u(x) >= e^{Delta D(x)} P_a(x),  P_u(x') <= e^{-Delta D(x')} P_t(x')   for u in [a, t],
 * so W~_u(x -> x') <= Q[x_i][y] e^{-Delta D(x')} P_t(x') / (e^{Delta D(x)} P_a(x)) =: B(x -> x').
 * Candidate times are drawn at the constant total bound B going backwards from t; a candidate
 * u is accepted with probability W~_u(x)/B (total exact rate at u, from one environment pass)
 * and the move is chosen proportionally to the exact rates at u. After a jump, or when the
 * candidate falls below a, a new interval starts from the current (x, t). The interval length
 * is Delta = min(t - s, 1 / (2 max(W~_t(x), |D(x)|))), halved while P_a(x) = 0 (near s = 0 for a
 * configuration outside the support of P_0, e.g. with masks left).
 */
export function simulateReverse(
  mps: MPS,
  noise: NoiseProcess,
  options: SimulateReverseOptions,
): SimulateReverseResult {
  const fn = 'simulateReverse';
  assertNoise(fn, noise);
  assertDataMPS(fn, mps, noise);
  assertOptions(fn, options, '{ noisy, time, targetTime?, seed, maxEvents? }', [
    'noisy',
    'time',
    'targetTime',
    'seed',
    'maxEvents',
  ]);
  const { time } = options;
  const target = options.targetTime ?? 0;
  assertTime(fn, 'time', time);
  assertTime(fn, 'targetTime', target);
  if (target > time) invalidArgument(fn, 'targetTime', target, `a time <= time (${time})`);
  const maxEvents = options.maxEvents ?? 1_000_000;
  assertInteger(fn, 'maxEvents', maxEvents, 1);
  const rng = toRandom(fn, options.seed);
  const { data, count } = readNoisy(fn, mps, noise, options.noisy);
  const n = mps.length;
  const D = noise.stateDim;
  const q = noise.rateMatrix;
  const logZ = logNormalization(mps);
  const out = Int32Array.from(data);
  const jumps = new Int32Array(count);
  const proposals = new Int32Array(count);
  const modelAt = (t: number): NoisedModel => noisedModel(mps, noise, t, logZ);
  const scratch = passScratch(modelAt(time));
  const ratios = new Float64Array(n * D);
  const rates = new Float64Array(n * D);
  for (let b = 0; b < count; b++) {
    const off = b * n;
    let t = time;
    let work = 0;
    while (t > target) {
      const modelT = modelAt(t);
      const logPt = environmentPass(modelT, out, off, ratios, scratch);
      if (!Number.isFinite(logPt)) {
        throw new NumericalError(
          `\`simulateReverse\`: sample ${b} is at a configuration with P_t(x) = 0 at time ${t}`,
        );
      }
      const totalT = ratesFromRatios(q, D, out, off, n, ratios, rates, 0);
      let diag = 0;
      for (let i = 0; i < n; i++) diag += q[out[off + i]! * D + out[off + i]!]!;
      const scale = Math.max(totalT, -diag);
      let delta = scale > 0 ? Math.min(t - target, 0.5 / scale) : t - target;
      let a = t - delta;
      if (!(a < t)) {
        // a step below half the spacing of floats near t leaves t where it is: without this
        // the loop never ended (time >= 1e16 at unit rates)
        invalidArgument(
          fn,
          'time',
          time,
          `a time at which steps of ${delta} (0.5 / the exit rates at sample ${b}) still change the time in float64`,
        );
      }
      let bound = Number.POSITIVE_INFINITY;
      for (;;) {
        const logPa = environmentPass(modelAt(a), out, off, null, scratch);
        if (Number.isFinite(logPa)) {
          bound = 0;
          const common = Math.exp(logPt - logPa - 2 * delta * diag);
          for (let i = 0; i < n; i++) {
            const xi = out[off + i]!;
            for (let y = 0; y < D; y++) {
              if (y === xi) continue;
              bound +=
                rates[i * D + y]! * common * Math.exp(-delta * (q[y * D + y]! - q[xi * D + xi]!));
            }
          }
          if (Number.isFinite(bound)) break;
        }
        delta /= 2;
        a = t - delta;
        if (++work > maxEvents || !(delta > 0)) {
          throw new NumericalError(
            `\`simulateReverse\`: no finite rate bound for sample ${b} near time ${t} (maxEvents = ${maxEvents} reached)`,
          );
        }
      }
      // thinning on [a, t] with the constant bound
      let u = t;
      let jumped = false;
      while (!jumped) {
        u = bound > 0 ? u + Math.log(1 - rng.float64()) / bound : Number.NEGATIVE_INFINITY;
        if (u <= a) break;
        proposals[b]!++;
        if (++work > maxEvents) {
          throw new NumericalError(
            `\`simulateReverse\`: sample ${b} exceeded maxEvents = ${maxEvents} candidate events`,
          );
        }
        const modelU = modelAt(u);
        const logPu = environmentPass(modelU, out, off, ratios, scratch);
        if (!Number.isFinite(logPu)) {
          throw new NumericalError(
            `\`simulateReverse\`: sample ${b} reached P_u(x) = 0 at time ${u}`,
          );
        }
        const totalU = ratesFromRatios(q, D, out, off, n, ratios, rates, 0);
        if (totalU > bound * (1 + 1e-9)) {
          throw new NumericalError(
            `\`simulateReverse\`: the rate bound failed at time ${u} (${totalU} > ${bound}); this is a bug`,
          );
        }
        if (rng.float64() * bound < totalU) {
          let pick = rng.float64() * totalU;
          let chosen = -1;
          for (let k = 0; k < n * D; k++) {
            const v = rates[k]!;
            if (v <= 0) continue;
            chosen = k;
            if (pick < v) break;
            pick -= v;
          }
          out[off + Math.floor(chosen / D)] = chosen % D;
          jumps[b]!++;
          jumped = true;
          t = u;
        }
      }
      if (!jumped) t = a;
    }
  }
  return { data: out, count, length: n, jumps, proposals };
}

/** Options of {@link tauLeaping}. */
export interface TauLeapingOptions {
  /** Configurations y at time times[0]. */
  noisy: ConfigurationsInput;
  /** Strictly decreasing grid t_K > ... > t_0 (usually ending at 0). */
  times: ArrayLike<number>;
  /** Seed or generator. */
  seed: SeedOrGenerator;
}

/**
 * Tau-leaping (approximate): on each step t_k -> t_{k-1} (h = t_k - t_{k-1}) the exact reverse
 * rates at the start of the step, time t_k, are frozen; each site independently makes at most
 * one jump, with probability 1 - e^{-h R_i} where R_i = sum_y W~_{t_k}(x -> x^{i->y}), to y with
 * probability proportional to W~_{t_k}(x -> x^{i->y}). Its law converges to the exact one as
 * h -> 0, with a bias of order h. Throws a NumericalError if a trajectory leaves the support
 * of P_t (possible only for distributions with zeros). With mask noise a site may stay masked
 * through the last step: the result at time 0 can then hold mask digits (`dataDim`), which the
 * exact samplers (`simulateReverse`, `denoise`) never return.
 */
export function tauLeaping(mps: MPS, noise: NoiseProcess, options: TauLeapingOptions): StateBatch {
  const fn = 'tauLeaping';
  assertNoise(fn, noise);
  assertDataMPS(fn, mps, noise);
  assertOptions(fn, options, '{ noisy, times, seed }', ['noisy', 'times', 'seed']);
  const raw = options.times;
  if (raw == null || typeof raw.length !== 'number' || raw.length < 2) {
    invalidArgument(fn, 'times', raw, 'an array of at least two strictly decreasing times >= 0');
  }
  const times = Float64Array.from(raw);
  for (let k = 0; k < times.length; k++) {
    assertTime(fn, `times[${k}]`, times[k]);
    if (k > 0 && !(times[k]! < times[k - 1]!))
      invalidArgument(
        fn,
        `times[${k}]`,
        times[k],
        `a time below times[${k - 1}] = ${times[k - 1]}`,
      );
  }
  const rng = toRandom(fn, options.seed);
  const { data, count } = readNoisy(fn, mps, noise, options.noisy);
  const n = mps.length;
  const D = noise.stateDim;
  const q = noise.rateMatrix;
  const logZ = logNormalization(mps);
  const out = Int32Array.from(data);
  const allRatios = new Float64Array(count * n * D);
  const rates = new Float64Array(n * D);
  const u = new Float64Array(2 * n);
  for (let k = 1; k < times.length; k++) {
    const t = times[k - 1]!;
    const h = t - times[k]!;
    // every sample's ratios at time t in one batched pass
    const logPs = environmentPasses(noisedModel(mps, noise, t, logZ), out, count, allRatios);
    for (let b = 0; b < count; b++) {
      const off = b * n;
      const logP = logPs[b]!;
      const ratios = allRatios.subarray(b * n * D, (b + 1) * n * D);
      if (!Number.isFinite(logP)) {
        throw new NumericalError(
          `\`tauLeaping\`: sample ${b} left the support of P_t at time ${t} (an artefact of the approximation)`,
        );
      }
      ratesFromRatios(q, D, out, off, n, ratios, rates, 0);
      rng.fill(u);
      for (let i = 0; i < n; i++) {
        let total = 0;
        for (let y = 0; y < D; y++) total += rates[i * D + y]!;
        if (!(total > 0)) continue;
        if (!(u[2 * i]! < -Math.expm1(-h * total))) continue;
        let pick = u[2 * i + 1]! * total;
        let chosen = -1;
        for (let y = 0; y < D; y++) {
          const v = rates[i * D + y]!;
          if (v <= 0) continue;
          chosen = y;
          if (pick < v) break;
          pick -= v;
        }
        out[off + i] = chosen;
      }
    }
  }
  return { data: out, count, length: n };
}
