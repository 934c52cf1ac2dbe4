/**
 * The Fredkin demo's computation, independent of the worker plumbing (so it also runs in Node).
 *
 * - `runFredkinDiffusion`: exact samples of pi(x) ∝ q^{A(x)/2} from the exact height MPS by the
 *   diffusion model: y ~ P_T (the MPS noised for time T), then x ~ P(x | y) (exact denoising);
 *   one sample is also denoised in steps to show the reverse process. Running estimates of the
 *   height profile and the mid height (i.i.d. samples: error = standard deviation / sqrt(M)).
 * - `runFredkinLocal`: the local Fredkin dynamics (Metropolis sweeps of the model's local moves)
 *   from the flat path, reporting the path and a running estimate with an autocorrelation-aware
 *   error bar.
 */

import { metropolisSweep } from '@latticediff/lattice';
import {
  denoise,
  generate,
  geometricSchedule,
  type NoiseProcess,
  scheduleTimes,
  uniformNoise,
} from '@latticediff/markov-jump';
import { fredkinExact, fredkinExactMPS, fredkinModel } from '@latticediff/model-fredkin';
import { summarize } from '@latticediff/monte-carlo';
import {
  createRandom,
  kernelEngine,
  type MPS,
  type RandomGenerator,
} from '@latticediff/tensor-network';

export interface FredkinReference {
  heightProfile: Float64Array;
  midHeight: number;
  meanHeight: number;
}

export interface RunningEstimate {
  mean: number;
  stdErr: number;
  /** Integrated autocorrelation time (1 for independent samples). */
  tauInt: number;
}

export type FredkinDiffusionEvent =
  | { type: 'exact'; reference: FredkinReference; bondDims: number[]; engine: string }
  | { type: 'denoising'; frames: { time: number; state: Int32Array }[] }
  | {
      type: 'samples';
      samples: number;
      total: number;
      /** The newest few samples (rows of N digits). */
      latest: Int32Array;
      latestCount: number;
      profile: Float64Array;
      profileStdErr: Float64Array;
      midHeight: RunningEstimate;
      meanHeight: RunningEstimate;
      seconds: number;
    }
  | { type: 'done'; seconds: number };

export interface FredkinDiffusionOptions {
  sites: number;
  c: number;
  /** Number of exact samples. */
  samples: number;
  /** Samples per batch (one report per batch). */
  batch: number;
  seed: number;
}

export function fredkinReference(sites: number, c: number): FredkinReference {
  const exact = fredkinExact({ sites, c });
  return {
    heightProfile: Float64Array.from(exact.heightProfile),
    midHeight: exact.midHeight,
    meanHeight: exact.meanHeight,
  };
}

/** Heights h_0..h_N of one path (digits 1 = up, 0 = down). */
export function heights(x: ArrayLike<number>, offset: number, n: number): Float64Array {
  const h = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) h[i + 1] = h[i]! + (x[offset + i] === 1 ? 1 : -1);
  return h;
}

export async function runFredkinDiffusion(
  options: FredkinDiffusionOptions,
  emit: (event: FredkinDiffusionEvent) => void,
): Promise<void> {
  const start = performance.now();
  const { sites: n, c, seed } = options;
  const reference = fredkinReference(n, c);
  const { mps } = fredkinExactMPS({ sites: n, c });
  emit({ type: 'exact', reference, bondDims: [...mps.bondDims], engine: kernelEngine() });
  const noise = uniformNoise({ physicalDim: 2 });
  const random = createRandom(seed);

  // the reverse process of one sample: y ~ P_T at T = 2 (nearly uniform noise), then exact
  // denoising steps down a geometric time grid to a Dyck path
  const times = scheduleTimes(geometricSchedule({ startTime: 0.05, endTime: 2 }), 7);
  const { noisy } = generate(mps, noise, { count: 1, time: times[0]!, seed: random.split(0) });
  const frames: { time: number; state: Int32Array }[] = [
    { time: times[0]!, state: Int32Array.from(noisy) },
  ];
  frames.push(...denoisingFrames(mps, noise, noisy, times, random.split(1)));
  emit({ type: 'denoising', frames });

  // exact samples in batches: y ~ P_T, x ~ P(x_0 | y)
  const sum = new Float64Array(n + 1);
  const sumSq = new Float64Array(n + 1);
  let mean = 0;
  let count = 0;
  let meanHeightSum = 0;
  let meanHeightSq = 0;
  for (let b = 0; count < options.samples; b++) {
    const size = Math.min(options.batch, options.samples - count);
    const batch = generate(mps, noise, { count: size, time: 1, seed: random.split(2 + b) });
    for (let s = 0; s < size; s++) {
      const h = heights(batch.data, s * n, n);
      let area = 0;
      for (let i = 0; i <= n; i++) {
        sum[i]! += h[i]!;
        sumSq[i]! += h[i]! * h[i]!;
        area += i > 0 ? h[i]! : 0;
      }
      meanHeightSum += area / n;
      meanHeightSq += (area / n) ** 2;
    }
    count += size;
    const profile = new Float64Array(n + 1);
    const profileStdErr = new Float64Array(n + 1);
    for (let i = 0; i <= n; i++) {
      profile[i] = sum[i]! / count;
      const variance = Math.max(0, sumSq[i]! / count - profile[i]! ** 2);
      profileStdErr[i] = Math.sqrt(variance / Math.max(1, count - 1));
    }
    mean = meanHeightSum / count;
    const latestCount = Math.min(size, 6);
    emit({
      type: 'samples',
      samples: count,
      total: options.samples,
      latest: batch.data.slice(0, latestCount * n),
      latestCount,
      profile,
      profileStdErr,
      midHeight: { mean: profile[n / 2]!, stdErr: profileStdErr[n / 2]!, tauInt: 1 },
      meanHeight: {
        mean,
        stdErr: Math.sqrt(Math.max(0, meanHeightSq / count - mean * mean) / Math.max(1, count - 1)),
        tauInt: 1,
      },
      seconds: (performance.now() - start) / 1000,
    });
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  emit({ type: 'done', seconds: (performance.now() - start) / 1000 });
}

function denoisingFrames(
  mps: MPS,
  noise: NoiseProcess,
  noisy: Int32Array,
  times: Float64Array,
  random: RandomGenerator,
): { time: number; state: Int32Array }[] {
  const n = mps.length;
  const frames: { time: number; state: Int32Array }[] = [];
  let current = noisy.slice(0, n);
  for (let k = 1; k < times.length; k++) {
    const step = denoise(mps, noise, {
      noisy: { data: current, count: 1, length: n },
      time: times[k - 1]!,
      targetTime: times[k]!,
      seed: random.split(k),
    });
    current = step.data.slice(0, n);
    frames.push({ time: times[k]!, state: Int32Array.from(current) });
  }
  return frames;
}

export type FredkinLocalEvent =
  | {
      type: 'local';
      sweeps: number;
      total: number;
      state: Int32Array;
      acceptance: number;
      midHeightTrace: Float64Array;
      profile: Float64Array;
      midHeight: RunningEstimate;
      meanHeight: RunningEstimate;
      seconds: number;
    }
  | { type: 'done'; seconds: number };

export interface FredkinLocalOptions {
  sites: number;
  c: number;
  /** Total Metropolis sweeps. */
  sweeps: number;
  /** Sweeps between reports. */
  sweepsPerFrame: number;
  /** Milliseconds to wait between frames (animation pace; 0 for as fast as possible). */
  frameDelay: number;
  seed: number;
}

export async function runFredkinLocal(
  options: FredkinLocalOptions,
  emit: (event: FredkinLocalEvent) => void,
  shouldStop: () => boolean = () => false,
): Promise<void> {
  const start = performance.now();
  const { sites: n, c } = options;
  const instance = fredkinModel.create({ sites: n, c });
  const x = instance.initialConfiguration();
  const random = createRandom(options.seed);
  const mid: number[] = [];
  const meanHeights: number[] = [];
  const profileSum = new Float64Array(n + 1);
  let accepted = 0;
  let attempted = 0;
  let sweeps = 0;
  while (sweeps < options.sweeps && !shouldStop()) {
    const chunk = Math.min(options.sweepsPerFrame, options.sweeps - sweeps);
    for (let s = 0; s < chunk; s++) {
      const r = metropolisSweep(instance, x, random);
      accepted += r.accepted;
      attempted += r.attempted;
      const h = heights(x, 0, n);
      let area = 0;
      for (let i = 0; i <= n; i++) {
        profileSum[i]! += h[i]!;
        if (i > 0) area += h[i]!;
      }
      mid.push(h[n / 2]!);
      meanHeights.push(area / n);
    }
    sweeps += chunk;
    const profile = new Float64Array(n + 1);
    for (let i = 0; i <= n; i++) profile[i] = profileSum[i]! / sweeps;
    emit({
      type: 'local',
      sweeps,
      total: options.sweeps,
      state: Int32Array.from(x),
      acceptance: attempted > 0 ? accepted / attempted : 0,
      midHeightTrace: Float64Array.from(mid),
      profile,
      midHeight: runningEstimate(mid),
      meanHeight: runningEstimate(meanHeights),
      seconds: (performance.now() - start) / 1000,
    });
    await new Promise((resolve) => setTimeout(resolve, options.frameDelay));
  }
  emit({ type: 'done', seconds: (performance.now() - start) / 1000 });
}

function runningEstimate(values: number[]): RunningEstimate {
  if (values.length < 8) return { mean: Number.NaN, stdErr: Number.NaN, tauInt: Number.NaN };
  const s = summarize([Float64Array.from(values)]);
  return { mean: s.mean, stdErr: s.stdErr, tauInt: s.tauInt };
}
