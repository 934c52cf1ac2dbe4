/**
 * The Ising demo's computation, independent of the worker plumbing (so it also runs in Node):
 * learn a Born MPS for the Lx = Ly = L cylinder by Monte Carlo with annealing, sample the Boltzmann
 * distribution by connected DDM Metropolis-Hastings with the learned MPS as proposal, estimate
 * energy per site and |m| with error bars, and denoise one sample step by step.
 */

import {
  addNoise,
  denoise,
  geometricSchedule,
  scheduleTimes,
  uniformNoise,
} from '@latticediff/markov-jump';
import { isingModel } from '@latticediff/model-ising';
import {
  annealingPath,
  learnByMonteCarlo,
  type RunChainsOptions,
  runChains,
  summarize,
} from '@latticediff/monte-carlo';
import {
  createRandom,
  kernelEngine,
  type RandomGenerator,
  sample,
} from '@latticediff/tensor-network';

export interface IsingDemoOptions {
  /** Linear size L (Lx = Ly = L). */
  size: number;
  beta: number;
  /** Training rounds. */
  rounds: number;
  /** Bond dimension of the Born MPS. */
  bondDim: number;
  /** Monte Carlo chains of the estimation phase (the pictures show them). */
  chains: number;
  /** Monte Carlo steps per chain of the estimation phase. */
  steps: number;
  seed: number;
}

export const ISING_OBSERVABLES = ['energyPerSite', 'absMagnetization'] as const;

export interface Estimate {
  name: string;
  mean: number;
  stdErr: number;
  tauInt: number;
  exact: number;
}

export type IsingEvent =
  | { type: 'exact'; means: Record<string, number>; seconds: number; engine: string }
  | {
      type: 'round';
      round: number;
      rounds: number;
      beta: number;
      nll: number;
      acceptance: number;
      bondDims: number[];
    }
  | SamplesEvent
  | { type: 'denoising'; frames: { time: number; state: Int32Array }[] }
  | DoneEvent;

/** Runs the demo, reporting through `emit`; `grid(state)` maps a configuration to a picture. */
export async function runIsingDemo(
  options: IsingDemoOptions,
  emit: (event: IsingEvent) => void,
): Promise<void> {
  const start = performance.now();
  const { size, beta, seed } = options;
  const target = { lx: size, ly: size, beta, boundary: 'cylinder' };
  const instance = isingModel.create(target);
  const n = instance.sites;

  const t0 = performance.now();
  const exact = instance.exactObservables!();
  emit({
    type: 'exact',
    means: exact.means as Record<string, number>,
    seconds: (performance.now() - t0) / 1000,
    // the float64 kernels in use here: WebAssembly SIMD, or the JavaScript fallback
    engine: kernelEngine(),
  });

  // 1. learn P_theta by Monte Carlo, annealing beta from 0.2 beta to beta
  const rounds = options.rounds;
  const path = annealingPath(target, {
    parameter: 'beta',
    from: 0.2 * beta,
    rounds,
    hold: Math.floor(rounds / 3),
  });
  const trainStart = performance.now();
  const learned = await learnByMonteCarlo({
    model: isingModel,
    path,
    maxBondDim: options.bondDim,
    kind: 'born',
    training: 'sweeps',
    scheme: { kind: 'connected', noiseTime: 0.5 },
    chains: 32,
    stepsPerRound: 16,
    burnIn: 4,
    replayRounds: 2,
    seed,
    onRound(r) {
      emit({
        type: 'round',
        round: r.round,
        rounds,
        beta: Number(r.parameters.beta),
        nll: r.nllAfter,
        acceptance: r.acceptanceRate,
        bondDims: [],
      });
    },
  });
  const mps = learned.mps;
  const trainingSeconds = (performance.now() - trainStart) / 1000;

  // 2. sample pi by connected DDM Monte Carlo in segments, reporting states and running estimates
  const sampleStart = performance.now();
  const { chains, steps } = options;
  await sampleInSegments(
    {
      model: instance,
      scheme: { kind: 'connected', noiseTime: 0.5 },
      proposal: mps,
      localSweeps: 1,
    },
    { chains, steps, root: createRandom(seed + 1), means: exact.means as Record<string, number> },
    emit,
  );
  const samplingSeconds = (performance.now() - sampleStart) / 1000;

  // 3. one sample of P_theta, noised to T = 2 (nearly uniform noise), denoised exactly step by step
  const noise = uniformNoise({ physicalDim: 2 });
  const random = createRandom(seed + 2);
  const times = scheduleTimes(geometricSchedule({ startTime: 0.08, endTime: 2 }), 7);
  const clean = sample(mps, { count: 1, seed: random.split(0) });
  const noisy = addNoise(noise, clean, { time: times[0]!, seed: random.split(1) });
  let current = noisy.data.slice(0, n);
  const frames: { time: number; state: Int32Array }[] = [
    { time: times[0]!, state: Int32Array.from(current) },
  ];
  for (let k = 1; k < times.length; k++) {
    const step = denoise(mps, noise, {
      noisy: { data: current, count: 1, length: n },
      time: times[k - 1]!,
      targetTime: times[k]!,
      seed: random.split(1 + k),
    });
    current = step.data.slice(0, n);
    frames.push({ time: times[k]!, state: Int32Array.from(current) });
  }
  emit({ type: 'denoising', frames });
  emit({
    type: 'done',
    seconds: {
      training: trainingSeconds,
      sampling: samplingSeconds,
      total: (performance.now() - start) / 1000,
    },
  });
}

/** The 'samples' event of the demos: states, acceptance so far and running estimates. */
export interface SamplesEvent {
  type: 'samples';
  step: number;
  steps: number;
  states: Int32Array;
  count: number;
  acceptance: number;
  estimates: Estimate[];
}

/** The last event of the demos: how long each part took. */
export interface DoneEvent {
  type: 'done';
  seconds: { training: number; sampling: number; total: number };
}

/**
 * Runs `steps` Metropolis-Hastings steps of `chains` chains in at most ten segments (10 burn-in
 * steps before the first), emitting after each segment the states, the acceptance so far and the
 * running estimates against `means`, and yielding to the event loop between segments. Segment k
 * draws its randomness from stream k of `root`. Shared by the MPS and the neural demos.
 */
export async function sampleInSegments(
  chainOptions: Omit<
    RunChainsOptions,
    'chains' | 'steps' | 'burnIn' | 'seed' | 'observables' | 'initial'
  >,
  run: { chains: number; steps: number; root: RandomGenerator; means: Record<string, number> },
  emit: (event: SamplesEvent) => void,
): Promise<void> {
  const { chains, steps, root, means } = run;
  const segmentSteps = Math.ceil(steps / Math.min(10, steps));
  const series: Record<string, number[][]> = {};
  for (const name of ISING_OBSERVABLES) series[name] = Array.from({ length: chains }, () => []);
  let state: { data: Int32Array; count: number } | undefined;
  let accepted = 0;
  let proposed = 0;
  let done = 0;
  for (let segment = 0; done < steps; segment++) {
    const length = Math.min(segmentSteps, steps - done);
    const result = await runChains({
      ...chainOptions,
      chains,
      steps: length,
      burnIn: segment === 0 ? 10 : 0,
      seed: root.split(segment),
      observables: [...ISING_OBSERVABLES],
      ...(state ? { initial: state } : {}),
    });
    state = result.final;
    done += length;
    for (let c = 0; c < chains; c++) {
      accepted += result.accepted[c]!;
      proposed += result.proposed[c]!;
    }
    for (const name of ISING_OBSERVABLES) {
      const values = result.series[name]!;
      for (let c = 0; c < chains; c++) {
        for (let s = 0; s < length; s++) series[name]![c]!.push(values[c * length + s]!);
      }
    }
    emit({
      type: 'samples',
      step: done,
      steps,
      states: Int32Array.from(state.data),
      count: chains,
      acceptance: proposed > 0 ? accepted / proposed : 0,
      estimates: estimates(series, means),
    });
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

/** Running estimates over all chains (means, error bars, tau_int) against the exact values. */
export function estimates(
  series: Record<string, number[][]>,
  exact: Record<string, number>,
): Estimate[] {
  return ISING_OBSERVABLES.map((name) => {
    const chains = series[name]!.map((c) => Float64Array.from(c));
    const length = chains[0]?.length ?? 0;
    if (length < 4) {
      return {
        name,
        mean: Number.NaN,
        stdErr: Number.NaN,
        tauInt: Number.NaN,
        exact: exact[name]!,
      };
    }
    const s = summarize(chains);
    return { name, mean: s.mean, stdErr: s.stdErr, tauInt: s.tauInt, exact: exact[name]! };
  });
}
