/**
 * The run of `latticediff mc`: chains of one scheme recording the model's scalar observables,
 * their summaries, and the exact reference where the model has one.
 */
import type { ExactObservables, LatticeModelInstance } from '@latticediff/lattice';
import {
  createSummary,
  finalizeSummary,
  type IndependenceProposal,
  type MergeableSummary,
  type ProposalScheme,
  type RunChainsResult,
  rHat,
  runChains,
  runChainsInSegments,
} from '@latticediff/monte-carlo';
import { runChainsOnWorkers } from '@latticediff/monte-carlo/node';
import { MPS, type SamplerPool } from '@latticediff/tensor-network';
import { CHUNK_SIZE } from '@latticediff/tensor-network/internal';
import { scalarObservables } from '../common';
import { computeExact } from '../exact-reference';
import { createActivity, createProgress, num } from '../io';
import { estimates } from './mc-render';

export const SCHEMES = ['connected', 'disconnected', 'local', 'wolff'] as const;

/** Largest chains * steps of `mc` (each scalar observable keeps that many float64 values). */
export const MAX_RECORDED_VALUES = 2 ** 26;
export type SchemeName = (typeof SCHEMES)[number];

/** Per-observable result of a run. */
export interface ObservableEstimate {
  mean: number;
  stdErr: number;
  tauInt: number;
  ess: number;
  essPerSecond: number;
  windowConverged: boolean;
  /** Variance of the recorded values (0: the observable never changed). */
  variance: number;
  /** The series never changed (e.g. the Fredkin energy at c = 1/2): no error bar exists. */
  constant: boolean;
  exact?: number;
  /** (mean - exact) / stdErr */
  deviation?: number;
  /**
   * Rank-normalised split R-hat of the chains (`rHat` of @latticediff/monte-carlo): a run of one
   * process only (merged shards keep sufficient statistics, not the draws), absent for a constant
   * observable or chains of fewer than 4 steps; beyond R_HAT_DRAWS draws, of every k-th draw.
   */
  rHat?: number;
  autocorrelation: Float64Array;
}

/** Draws per observable beyond which R-hat is computed on every k-th draw of each chain. */
export const R_HAT_DRAWS = 2 ** 18;

export interface MonteCarloResult {
  scheme: SchemeName;
  noiseTime: number | undefined;
  localSweeps: number;
  chains: number;
  steps: number;
  burnIn: number;
  acceptanceRate: number;
  seconds: number;
  effectiveSampleSize: number;
  essPerSecond: number;
  observables: Record<string, ObservableEstimate>;
  finalStates: Int32Array;
  /** Why there are no exact values although they were asked for (the model's refusal). */
  exactUnavailable?: string;
  /**
   * The run's mergeable summary (`createSummary`: every observable's chains and the per-chain
   * acceptance counts): the estimates are its `finalizeSummary`, and a shard file stores it.
   */
  summary: MergeableSummary;
}

/** Where a worker thread imports the model from (a registry entry's moduleUrl and export). */
export interface ModelModule {
  url: string;
  exportName: string;
}

/**
 * Whether {@link runMonteCarlo} runs `chains` disconnected chains (MPS proposal) whole on
 * `workers` threads: when there is more than one and every thread has whole chunks of 128
 * proposals to draw. Otherwise they run on the calling thread, with a pool (if given) drawing
 * their proposals.
 */
export function disconnectedOnThreads(chains: number, workers: number): boolean {
  const threads = Math.min(workers, chains);
  return threads > 1 && Math.ceil(chains / CHUNK_SIZE) >= threads;
}

/**
 * Disconnected chains fewer than a chunk per thread draw on a pool only in runs whose draws
 * (rows x sum of l d r over the sites) reach this: a pool's start (two workers compiling and
 * loading the proposal) cost about 0.1 s on a 2-core machine, against a gain of about 1.3x
 * (measured with 32 chains at bond 16: the default 2,000 steps, 2.2e9, took 0.42 s on one
 * thread and 0.50 s with the pool; 20,000 steps 3.8-3.9 s and 3.0-3.1 s; 10,000 steps with one
 * local sweep each 4.5-4.7 s and 3.5-3.6 s).
 */
export const POOL_MIN_DRAW_WORK = 5e9;

/**
 * Whether runMonteCarlo should get a pool for these disconnected chains: not when they run whole
 * on threads ({@link disconnectedOnThreads}), and only when the draws (rows x sum of l d r, with
 * the 10% burn-in) reach {@link POOL_MIN_DRAW_WORK}. Local sweeps make a run longer, not its
 * draws, so they do not count (the pool draws blocks of steps ahead and this thread evaluates
 * the swept states).
 */
export function disconnectedPoolDraws(
  mps: MPS,
  run: { chains: number; steps: number; workers: number },
): boolean {
  const { chains, steps, workers } = run;
  if (workers <= 1 || disconnectedOnThreads(chains, workers)) return false;
  // (a draw's work per row is sum of l d r over the sites, up to a constant: the MPS's size)
  return chains * (steps + Math.floor(steps / 10)) * mps.parameterCount >= POOL_MIN_DRAW_WORK;
}

/**
 * Runs the chains and summarises every scalar observable. The DDM schemes run in segments (so
 * that progress can be shown; each segment continues from the previous one's states with its own
 * random stream) with `pool` sampling the proposals; disconnected chains with an MPS proposal run
 * on `workers` threads instead when more than one and there are at least as many chunks of 128
 * chains as threads (runChainsOnWorkers with the same segments, so the same result). Local and Wolff chains run in one call of
 * runChains with `seed` (burn-in 10% of the steps), on `workers` threads when more than one
 * (runChainsOnWorkers, which needs `modelModule`): the result does not depend on the number of
 * threads.
 */
export async function runMonteCarlo(options: {
  instance: LatticeModelInstance;
  /** The DDM proposal: an MPS, or (disconnected only) an independence proposal such as a network. */
  mps: MPS | IndependenceProposal | undefined;
  scheme: SchemeName;
  noiseTime: number;
  chains: number;
  steps: number;
  seed: number;
  pool: SamplerPool | undefined;
  showProgress: boolean;
  /** Local Metropolis sweeps after every DDM step (default 0). */
  localSweeps?: number;
  /** Threads of the local and Wolff chains (default 1). */
  workers?: number;
  /**
   * The model's module, for the threads of the local and Wolff chains (also used on one thread
   * while progress is shown, so that the progress line keeps moving) and of the exact reference.
   */
  modelModule?: ModelModule;
  /** Compare with the model's exact reference where it has one (default true). */
  exact?: boolean;
  /**
   * This run's chains are chains firstChain.. of a larger run (local and Wolff: their moves come
   * from those chains' streams; a shard of a job array). Runs the chains on threads.
   */
  firstChain?: number;
}): Promise<MonteCarloResult> {
  const { instance, chains, steps } = options;
  const scheme: ProposalScheme =
    options.scheme === 'connected'
      ? { kind: 'connected', noiseTime: options.noiseTime }
      : { kind: options.scheme };
  const names = scalarObservables(instance);
  const burnIn = Math.floor(steps / 10);
  const segmentSteps = Math.max(1, Math.ceil(steps / 20));
  const chainMoves: { kind: 'local' } | { kind: 'wolff' } | undefined =
    options.scheme === 'local' || options.scheme === 'wolff' ? { kind: options.scheme } : undefined;
  // a bar for the DDM segments; the local and Wolff chains show an activity line instead
  const progress = createProgress(
    `mc ${options.scheme}`,
    steps,
    options.showProgress && chainMoves === undefined,
  );
  let run: RunChainsResult;
  try {
    if (chainMoves !== undefined) {
      // one call (the per-chain streams of the seed do not depend on how chains are split); the
      // threads report no progress, so the line shows the elapsed time instead of a bar; while
      // it is shown, one chain group runs on a thread too, so that the line keeps moving
      const threads = Math.min(options.workers ?? 1, chains);
      const onThreads =
        options.modelModule !== undefined &&
        (threads > 1 || options.showProgress || options.firstChain !== undefined);
      if (threads > 1 && !options.modelModule) {
        throw new Error('runMonteCarlo: workers > 1 needs modelModule');
      }
      const activity = createActivity(
        `mc ${options.scheme}:`,
        options.showProgress,
        `${chains} chains x ${steps + burnIn} steps on ${threads} thread${threads > 1 ? 's' : ''} (threads report no per-step progress)`,
      );
      const common = {
        scheme: chainMoves,
        chains,
        steps,
        burnIn,
        seed: options.seed,
        observables: names,
      };
      try {
        if (onThreads) {
          run = await runChainsOnWorkers({
            model: {
              module: options.modelModule!.url,
              exportName: options.modelModule!.exportName,
              parameters: { ...instance.parameters },
            },
            ...common,
            workers: threads,
            ...(options.firstChain !== undefined ? { firstChain: options.firstChain } : {}),
          });
        } else {
          run = await runChains({ model: instance, ...common });
        }
      } finally {
        activity.finish();
      }
    } else if (
      options.scheme === 'disconnected' &&
      MPS.isMPS(options.mps) &&
      options.modelModule !== undefined &&
      // every thread needs proposal chunks (128 chains) of its own, or the pool is faster
      disconnectedOnThreads(chains, options.workers ?? 1)
    ) {
      // disconnected chains on threads, each running its group of chains from start to end
      // (proposals, acceptance, local sweeps, observables): the same segments and streams as
      // below, so the same result as on one thread; the bar moves when every thread has done
      // a segment
      const threads = Math.min(options.workers ?? 1, chains);
      run = await runChainsOnWorkers({
        model: {
          module: options.modelModule.url,
          exportName: options.modelModule.exportName,
          parameters: { ...instance.parameters },
        },
        scheme: { kind: 'disconnected' },
        proposal: options.mps,
        chains,
        steps,
        burnIn,
        seed: options.seed,
        observables: names,
        ...(options.localSweeps ? { localSweeps: options.localSweeps } : {}),
        segmentSteps,
        onSegment: (p) => progress.update(p.stepsDone, `acceptance ${num(p.acceptanceRate, 3)}`),
        workers: threads,
      });
    } else {
      // segments of steps (stream k of the seed for segment k), so that the bar moves
      run = await runChainsInSegments({
        model: instance,
        scheme,
        ...(options.mps ? { proposal: options.mps } : {}),
        chains,
        steps,
        burnIn,
        seed: options.seed,
        observables: names,
        ...(options.pool ? { pool: options.pool } : {}),
        ...(options.localSweeps ? { localSweeps: options.localSweeps } : {}),
        segmentSteps,
        onSegment: (p) => progress.update(p.stepsDone, `acceptance ${num(p.acceptanceRate, 3)}`),
      });
    }
  } finally {
    progress.finish();
  }
  const { series, seconds } = run;
  let accepted = 0;
  let proposed = 0;
  for (let c = 0; c < chains; c++) {
    accepted += run.accepted[c]!;
    proposed += run.proposed[c]!;
  }
  let exact: ExactObservables | undefined;
  let exactUnavailable: string | undefined;
  if (options.exact !== false && typeof instance.exactObservables === 'function') {
    const outcome = await computeExact(instance, {
      showProgress: options.showProgress,
      model: options.modelModule,
      label: `exact reference of ${instance.modelId}:`,
    });
    // a size beyond the model's limits: no exact values
    if (outcome.ok) exact = outcome.exact;
    else exactUnavailable = outcome.message;
  }
  // the summary API, as for shards and `merge`: one process and merged shards are read by the
  // same finalizeSummary (its estimates equal summarize's bit for bit)
  const summary = createSummary({
    observables: Object.fromEntries(
      names.map((name) => [
        name,
        Array.from({ length: chains }, (_, c) =>
          series[name]!.subarray(c * steps, (c + 1) * steps),
        ),
      ]),
    ),
    elapsedSeconds: seconds > 0 ? seconds : 1e-9,
    acceptance: { accepted: Array.from(run.accepted), proposed: Array.from(run.proposed) },
  });
  const { observables, effectiveSampleSize } = estimates(
    names,
    finalizeSummary(summary).observables,
    exact,
  );
  // between-chain agreement, from the draws (which only this process has); on every k-th draw
  // of each chain where chains x steps > R_HAT_DRAWS, so that it costs at most about 0.3 s an
  // observable (all 4 million draws took 4 s each, more than a cheap run itself)
  const stride = Math.ceil((chains * steps) / R_HAT_DRAWS);
  const kept = Math.floor((steps - 1) / stride) + 1;
  if (kept >= 4) {
    for (const name of names) {
      const value = rHat(
        Array.from({ length: chains }, (_, c) => {
          const chain = series[name]!.subarray(c * steps, (c + 1) * steps);
          return stride === 1
            ? chain
            : Float64Array.from({ length: kept }, (_, t) => chain[t * stride]!);
        }),
      ).rHat;
      // (NaN for a constant observable; +Infinity for chains stuck at different values)
      if (!Number.isNaN(value)) observables[name]!.rHat = value;
    }
  }
  return {
    scheme: options.scheme,
    noiseTime: options.scheme === 'connected' ? options.noiseTime : undefined,
    localSweeps: options.localSweeps ?? 0,
    chains,
    steps,
    burnIn,
    acceptanceRate: proposed > 0 ? accepted / proposed : 0,
    seconds,
    effectiveSampleSize,
    essPerSecond: effectiveSampleSize / seconds,
    observables,
    finalStates: run.final.data,
    ...(exactUnavailable !== undefined ? { exactUnavailable } : {}),
    summary,
  };
}
