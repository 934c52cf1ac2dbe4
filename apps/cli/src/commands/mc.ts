import { readdirSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative } from 'node:path';
import type { ExactObservables, LatticeModelInstance } from '@latticediff/lattice';
import {
  addNoise,
  denoise,
  linearSchedule,
  scheduleTimes,
  uniformNoise,
} from '@latticediff/markov-jump';
import {
  type IndependenceProposal,
  type ObservableSummary,
  type ProposalScheme,
  runChains,
  runChainsInSegments,
  summarize,
} from '@latticediff/monte-carlo';
import { runChainsOnWorkers, writeFileAtomic } from '@latticediff/monte-carlo/node';
import { createRandom, type MPS, type SamplerPool } from '@latticediff/tensor-network';
import { type FlagSpec, flagValue } from '../args';
import {
  type Checkpoint,
  checkpointModel,
  createInstance,
  JSON_FLAG,
  readCheckpoint,
  SEED_FLAG,
  scalarObservables,
  WORKERS_FLAG,
  withPool,
} from '../common';
import { quote, usage } from '../errors';
import { computeExact, exactSkipReason, MC_EXACT_MAX_WORK } from '../exact-reference';
import {
  checkWritablePath,
  createActivity,
  createProgress,
  ensureDirectory,
  formatSeconds,
  num,
  printJson,
  progressEnabled,
  table,
} from '../io';
import {
  isNeuralCheckpointFile,
  loadNeural,
  type NeuralCheckpoint,
  readNeuralCheckpoint,
  startBackend,
} from '../neural';
import type { ModelEntry } from '../registry';
import {
  ddmShardSeed,
  fileDigest,
  MAX_SHARDS,
  resolveShard,
  SHARD_FORMAT,
  type ShardRun,
  shardFile,
} from '../shards';
import {
  type ChartSeries,
  type ConfigurationPanel,
  chartsSvg,
  configurationsSvg,
  modelCaption,
  timeLabel,
} from '../svg';
import { PLOTS_FLAG } from './train-flags';
import { parametersText } from './train-render';
import type { Command } from './types';

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
  autocorrelation: Float64Array;
}

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
  /** The recorded series ([chain][step] per observable) and per-chain acceptance counts. */
  chainData?: {
    series: Record<string, Float64Array>;
    accepted: number[];
    proposed: number[];
  };
}

/** Where a worker thread imports the model from (a registry entry's moduleUrl and export). */
export interface ModelModule {
  url: string;
  exportName: string;
}

/**
 * Runs the chains and summarises every scalar observable. The DDM schemes run in segments (so
 * that progress can be shown; each segment continues from the previous one's states with its own
 * random stream) with `pool` sampling the proposals. Local and Wolff chains run in one call of
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
  const series: Record<string, Float64Array> = {};
  let accepted = 0;
  let proposed = 0;
  const acceptedPerChain = new Array<number>(chains).fill(0);
  const proposedPerChain = new Array<number>(chains).fill(0);
  let seconds = 0;
  let state: { data: Int32Array; count: number } | undefined;
  const chainMoves: { kind: 'local' } | { kind: 'wolff' } | undefined =
    options.scheme === 'local' || options.scheme === 'wolff' ? { kind: options.scheme } : undefined;
  // a bar for the DDM segments; the local and Wolff chains show an activity line instead
  const progress = createProgress(
    `mc ${options.scheme}`,
    steps,
    options.showProgress && chainMoves === undefined,
  );
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
      let run: Awaited<ReturnType<typeof runChains>>;
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
      state = run.final;
      seconds = run.seconds;
      for (let c = 0; c < chains; c++) {
        accepted += run.accepted[c]!;
        proposed += run.proposed[c]!;
        acceptedPerChain[c] = run.accepted[c]!;
        proposedPerChain[c] = run.proposed[c]!;
      }
      for (const name of names) series[name] = run.series[name]!;
    } else {
      // segments of steps (stream k of the seed for segment k), so that the bar moves
      const run = await runChainsInSegments({
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
      state = run.final;
      seconds = run.seconds;
      for (let c = 0; c < chains; c++) {
        accepted += run.accepted[c]!;
        proposed += run.proposed[c]!;
        acceptedPerChain[c] = run.accepted[c]!;
        proposedPerChain[c] = run.proposed[c]!;
      }
      for (const name of names) series[name] = run.series[name]!;
    }
  } finally {
    progress.finish();
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
  const summaries: Record<string, ObservableSummary> = {};
  for (const name of names) {
    const perChain = Array.from({ length: chains }, (_, c) =>
      series[name]!.subarray(c * steps, (c + 1) * steps),
    );
    summaries[name] = summarize(perChain, { elapsedSeconds: seconds > 0 ? seconds : 1e-9 });
  }
  const { observables, effectiveSampleSize } = estimates(names, summaries, exact);
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
    finalStates: state!.data,
    ...(exactUnavailable !== undefined ? { exactUnavailable } : {}),
    chainData: { series, accepted: acceptedPerChain, proposed: proposedPerChain },
  };
}

/**
 * The table's estimates from the summaries of the observables (in `names` order), compared with
 * the exact means where known, and the smallest ESS over them (NaN when none is positive).
 */
export function estimates(
  names: readonly string[],
  summaries: Readonly<Record<string, ObservableSummary>>,
  exact: ExactObservables | undefined,
): { observables: Record<string, ObservableEstimate>; effectiveSampleSize: number } {
  const observables: Record<string, ObservableEstimate> = {};
  let minEss = Number.POSITIVE_INFINITY;
  for (const name of names) {
    const s = summaries[name]!;
    const estimate: ObservableEstimate = {
      mean: s.mean,
      stdErr: s.stdErr,
      tauInt: s.tauInt,
      ess: s.ess,
      essPerSecond: s.essPerSecond ?? Number.NaN,
      windowConverged: s.windowConverged,
      variance: s.variance,
      constant: s.variance === 0,
      autocorrelation: s.autocorrelation,
    };
    const exactMean = exact?.means[name];
    if (typeof exactMean === 'number') {
      estimate.exact = exactMean;
      estimate.deviation = deviationFromExact(s.mean, s.variance, s.stdErr, exactMean);
    }
    if (Number.isFinite(s.ess) && s.ess > 0) minEss = Math.min(minEss, s.ess);
    observables[name] = estimate;
  }
  return { observables, effectiveSampleSize: Number.isFinite(minEss) ? minEss : Number.NaN };
}

/** The result as the JSON object of `mc --json`. */
export function monteCarloJson(
  instance: LatticeModelInstance,
  result: MonteCarloResult,
  extra: Record<string, unknown>,
): Record<string, unknown> {
  const warnings = reliabilityWarnings(result);
  const observables: Record<string, unknown> = {};
  for (const [name, o] of Object.entries(result.observables)) {
    observables[name] = {
      mean: o.mean,
      stdErr: o.stdErr,
      tauInt: o.tauInt,
      ess: o.ess,
      essPerSecond: o.essPerSecond,
      windowConverged: o.windowConverged,
      ...(o.constant ? { constant: true } : {}),
      ...(o.exact !== undefined ? { exact: o.exact, deviation: o.deviation } : {}),
    };
  }
  return {
    model: instance.modelId,
    parameters: instance.parameters,
    scheme: result.scheme,
    ...(result.noiseTime !== undefined ? { noiseTime: result.noiseTime } : {}),
    ...(result.localSweeps > 0 ? { localSweeps: result.localSweeps } : {}),
    chains: result.chains,
    steps: result.steps,
    burnIn: result.burnIn,
    ...extra,
    acceptanceRate: result.acceptanceRate,
    effectiveSampleSize: result.effectiveSampleSize,
    seconds: result.seconds,
    essPerSecond: result.essPerSecond,
    observables,
    // a field a script can test: false when any warning below applies
    trustworthy: warnings.length === 0,
    warnings,
  };
}

/**
 * (mean - exact) / stdErr. A series that never changed (variance 0, e.g. the energy of the
 * Fredkin chain at c = 1/2, where every allowed path has the same energy) has no error bar: it
 * agrees (0) when its value equals the exact one to rounding, and disagrees (+-Infinity) otherwise.
 */
export function deviationFromExact(
  mean: number,
  variance: number,
  stdErr: number,
  exact: number,
): number {
  if (variance === 0 || !(stdErr > 0)) {
    const difference = mean - exact;
    if (Math.abs(difference) <= 1e-9 * Math.max(1, Math.abs(exact))) return 0;
    if (variance === 0) return difference > 0 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  }
  return (mean - exact) / stdErr;
}

/** Burn-in shorter than this many tau_int (in steps) is flagged: the start may bias the means. */
const BURN_IN_TAUS = 5;

/**
 * Why the estimates of a run may not be trusted (empty when nothing is wrong): an
 * autocorrelation window that did not converge (tau_int and the error bar are then lower
 * bounds), a burn-in shorter than 5 tau_int, or DDM chains that never accepted a proposal.
 */
export function reliabilityWarnings(result: MonteCarloResult): string[] {
  const warnings: string[] = [];
  const ddm = result.scheme === 'connected' || result.scheme === 'disconnected';
  if (ddm && result.acceptanceRate === 0) {
    warnings.push(
      'no DDM proposal was accepted: the chains did not move, so the estimates are those of the starting states (train the model better, or use --scheme local)',
    );
  }
  for (const [name, o] of Object.entries(result.observables)) {
    if (!(o.stdErr > 0)) continue; // a constant series: nothing to converge
    if (!o.windowConverged) {
      warnings.push(
        `${name}: the autocorrelation window did not converge (tau_int >= ${num(o.tauInt, 2)} steps), so its error bar is too small; run more --steps (at least 50 tau_int per chain)`,
      );
    } else if (result.burnIn < BURN_IN_TAUS * o.tauInt) {
      warnings.push(
        `${name}: the burn-in (${result.burnIn} steps, 10% of --steps) is shorter than ${BURN_IN_TAUS} tau_int (${num(BURN_IN_TAUS * o.tauInt, 1)} steps), so the start may bias the estimate; run more --steps`,
      );
    }
  }
  return warnings;
}

/**
 * An exact value that is zero up to rounding (e.g. <m> = 1.5e-16 from a transfer matrix) shown as
 * 0: below 1e-12 of the scale of the estimate and its error bar.
 */
function roundedZero(exact: number, mean: number, stdErr: number): number {
  const scale = Math.max(Math.abs(mean), Number.isFinite(stdErr) ? stdErr : 0, 1e-300);
  return Math.abs(exact) < 1e-12 * scale ? 0 : exact;
}

/**
 * Estimates beside exact values, as a text table (without the exact columns when no observable
 * has an exact value). A constant observable (one value in every recorded step, e.g. the Fredkin
 * energy at c = 1/2) shows its value marked "(constant)": it has no error bar.
 */
export function estimatesTable(result: MonteCarloResult): string {
  const entries = Object.entries(result.observables);
  const withExact = entries.some(([, o]) => o.exact !== undefined);
  const rows = entries.map(([name, o]) => {
    const agrees = o.deviation === undefined ? '' : Math.abs(o.deviation) <= 4 ? 'yes' : 'NO';
    const deviation =
      o.deviation === undefined
        ? ''
        : o.constant
          ? o.deviation === 0
            ? 'equal'
            : 'differs'
          : `${o.deviation >= 0 ? '+' : ''}${o.deviation.toFixed(2)}`;
    return [
      name,
      o.constant ? `${num(o.mean, 5)} (constant)` : `${num(o.mean, 5)} ± ${num(o.stdErr, 5)}`,
      ...(withExact
        ? [
            o.exact === undefined ? 'n/a' : num(roundedZero(o.exact, o.mean, o.stdErr), 5),
            deviation,
            agrees,
          ]
        : []),
      o.constant ? '-' : `${num(o.tauInt, 2)}${o.windowConverged ? '' : ' (>=)'}`,
      o.constant ? '-' : num(o.essPerSecond, 1),
    ];
  });
  const lines = [
    table(
      [
        'observable',
        'estimate ± stdErr',
        ...(withExact ? ['exact', 'dev/stdErr', 'within 4'] : []),
        'tau_int',
        'ESS/s',
      ],
      rows,
    ),
  ];
  if (entries.some(([, o]) => o.constant)) {
    lines.push(
      '(constant): the same value in every recorded step (no error bar, tau_int or ESS); an exact value is then either equal or not',
    );
  }
  if (entries.some(([, o]) => !o.windowConverged && o.stdErr > 0)) {
    lines.push(
      '(>=): the autocorrelation window did not converge; tau_int is a lower bound and the error bar too small',
    );
  }
  return lines.join('\n');
}

/** The autocorrelation functions rho(t) of the scalar observables. */
export function autocorrelationSvg(result: MonteCarloResult, caption: string): string {
  const entries = Object.entries(result.observables);
  let maxLag = 10;
  for (const [, o] of entries) {
    if (Number.isFinite(o.tauInt)) maxLag = Math.max(maxLag, Math.ceil(8 * o.tauInt));
  }
  const series: ChartSeries[] = entries.map(([name, o]) => {
    const n = Math.min(o.autocorrelation.length, maxLag + 1);
    return {
      name,
      x: Array.from({ length: n }, (_, t) => t),
      y: Array.from(o.autocorrelation.subarray(0, n)),
    };
  });
  return chartsSvg(
    [
      {
        title: `autocorrelation functions, ${result.scheme} scheme`,
        xLabel: 'lag t (steps)',
        yLabel: 'autocorrelation rho(t)',
        series,
        referenceLines: [0],
      },
    ],
    { caption },
  );
}

/** A few configurations (rows of `states`) as a picture. */
export function configurationsPicture(
  instance: LatticeModelInstance,
  states: Int32Array,
  count: number,
  title: string,
): string {
  const n = instance.sites;
  const shown = Math.min(count, Math.floor(states.length / n));
  const panels = Array.from({ length: shown }, (_, c) => ({
    label: `chain ${c}`,
    x: states.subarray(c * n, (c + 1) * n),
  }));
  return configurationsSvg(instance.geometry, instance.localDimension, panels, {
    title,
    digitLabels: digitLabels(instance),
  });
}

/** Names of the digits in picture legends (Ising: the spins s = 2 x - 1). */
function digitLabels(instance: LatticeModelInstance): string[] {
  if (instance.modelId === 'ising') return ['x = 0: spin down (s = -1)', 'x = 1: spin up (s = +1)'];
  return Array.from({ length: instance.localDimension }, (_, v) => `x = ${v}`);
}

/** True when configuration `x` satisfies the model's hard constraints. */
function isAllowed(instance: LatticeModelInstance, x: Int32Array): boolean {
  return instance.allowed({ data: x, count: 1 })[0] === 1;
}

/**
 * The denoising path of one configuration: noise `x` to time `time`, then denoise it exactly
 * with the MPS in `steps` ancestral steps (t_K = time > ... > 0), drawing every intermediate
 * configuration.
 */
export function denoisingPathSvg(
  instance: LatticeModelInstance,
  mps: MPS,
  x: Int32Array,
  options: { time: number; steps: number; seed: number },
): string {
  const n = instance.sites;
  const noise = uniformNoise({ physicalDim: instance.localDimension });
  const random = createRandom(options.seed);
  const times = scheduleTimes(linearSchedule({ endTime: options.time }), options.steps);
  const noisy = addNoise(
    noise,
    { data: x, count: 1 },
    { time: options.time, seed: random.split(0) },
  );
  const panels: ConfigurationPanel[] = [
    { label: "start: a chain's state", x: Int32Array.from(x) },
    { label: timeLabel(times[0]!), x: noisy.data.slice(0, n) },
  ];
  let current = noisy.data.slice(0, n);
  for (let k = 1; k < times.length; k++) {
    const step = denoise(mps, noise, {
      noisy: { data: current, count: 1, length: n },
      time: times[k - 1]!,
      targetTime: times[k]!,
      seed: random.split(k),
    });
    current = step.data.slice(0, n);
    const end = times[k] === 0;
    // the end of the path is a sample of the trained MPS, which may break the constraints
    const outside = end && !isAllowed(instance, current);
    panels.push({
      label: timeLabel(times[k]!),
      x: current,
      ...(outside ? { flag: `not allowed by ${instance.modelId}` } : {}),
    });
  }
  const flagged = panels.some((p) => p.flag !== undefined);
  return configurationsSvg(instance.geometry, instance.localDimension, panels, {
    title: `denoising path: a chain's state, noised to t = ${options.time}, denoised by the trained MPS in ${options.steps} ancestral steps`,
    perRow: Math.min(panels.length, 8),
    digitLabels: digitLabels(instance),
    notes: [
      `${modelCaption(instance.modelId, instance.parameters)}; the panels between are noisy configurations, not samples of pi`,
      ...(flagged
        ? [
            `red: the denoised configuration breaks the constraints of ${instance.modelId} (the trained MPS puts some mass outside the allowed set; mc rejects such proposals)`,
          ]
        : []),
    ],
  });
}

/** Writes the pictures of a run into `directory`; returns the file paths. */
export async function writeMonteCarloPlots(
  directory: string,
  instance: LatticeModelInstance,
  result: MonteCarloResult,
  mps: MPS | undefined,
  seed: number,
): Promise<string[]> {
  const files: string[] = [];
  const label = modelCaption(instance.modelId, instance.parameters);
  const acf = join(directory, 'autocorrelation.svg');
  await writeFileAtomic(acf, autocorrelationSvg(result, label));
  files.push(acf);
  const pictures = join(directory, 'configurations.svg');
  await writeFileAtomic(
    pictures,
    configurationsPicture(
      instance,
      result.finalStates,
      6,
      `final configurations of 6 chains (${label})`,
    ),
  );
  files.push(pictures);
  if (mps) {
    const path = join(directory, 'denoising.svg');
    await writeFileAtomic(
      path,
      denoisingPathSvg(instance, mps, result.finalStates.slice(0, instance.sites), {
        time: 1,
        steps: 6,
        seed,
      }),
    );
    files.push(path);
  }
  return files;
}

/** `--workers` of mc: it applies to every scheme. */
const MC_WORKERS_FLAG: FlagSpec = {
  ...WORKERS_FLAG,
  description:
    'worker threads (1: none): they run the local and Wolff chains (the same result for every N) or sample the DDM proposals',
};

const CHECKPOINT_FLAG: FlagSpec = {
  name: 'checkpoint',
  type: 'string',
  valueName: 'FILE',
  description:
    'a model trained by "latticediff train": the proposal of the DDM schemes (and the model, if none is named)',
};

const NOISE_TIME_FLAG = {
  name: 'noise-time',
  type: 'number',
  valueName: 'T',
  description: 'noise time of the connected scheme',
  exclusiveMinimum: 0,
  default: 0.5,
} as const satisfies FlagSpec;

const STEPS_FLAG = {
  name: 'steps',
  type: 'integer',
  valueName: 'N',
  description: 'recorded steps per chain (plus 10% burn-in)',
  minimum: 2,
  maximum: 100000000,
  default: 2000,
} as const satisfies FlagSpec;

const CHAINS_FLAG = {
  name: 'chains',
  type: 'integer',
  valueName: 'N',
  description: 'independent chains',
  minimum: 1,
  maximum: 1000000,
  default: 32,
} as const satisfies FlagSpec;

const LOCAL_SWEEPS_FLAG = {
  name: 'local-sweeps',
  type: 'integer',
  valueName: 'N',
  description:
    'local Metropolis sweeps after every DDM step (connected, disconnected); helps chains leave states the model under-weights',
  minimum: 0,
  maximum: 1000,
  default: 0,
} as const satisfies FlagSpec;

export const mcCommand: Command = {
  name: 'mc',
  summary: 'Monte Carlo estimates with DDM (learned MPS) or local/cluster proposals',
  usage: [
    'mc (<model> [model parameters] | --checkpoint FILE) --scheme connected|disconnected|local|wolff [--noise-time T] [--steps N] [--chains N] [--local-sweeps N] [--exact | --no-exact] [--workers N] [--seed S] [--plots DIR] [--json]',
  ],
  model: 'optional',
  flags: [
    CHECKPOINT_FLAG,
    {
      name: 'scheme',
      type: 'choice',
      choices: SCHEMES,
      description:
        'proposal: connected (noise for T, denoise exactly), disconnected (fresh MPS samples), local (sweeps of local moves), wolff (cluster moves)',
      required: true,
    },
    NOISE_TIME_FLAG,
    STEPS_FLAG,
    CHAINS_FLAG,
    LOCAL_SWEEPS_FLAG,
    {
      name: 'exact',
      type: 'boolean',
      description: `compute the exact reference even when it is estimated to be slow (by default mc skips a reference of estimated work above ${MC_EXACT_MAX_WORK.toExponential(1)}, about 5 s)`,
    },
    {
      name: 'no-exact',
      type: 'boolean',
      description: 'do not compute the exact reference (no exact values in the table or JSON)',
    },
    {
      name: 'shard',
      type: 'string',
      valueName: 'K/N',
      description:
        'run shard K (0-based) of N and write its shard file (--out); merge the files with "latticediff merge". Default: SLURM_ARRAY_TASK_ID of SLURM_ARRAY_TASK_COUNT (minus SLURM_ARRAY_TASK_MIN), or JOB_COMPLETION_INDEX with --shards',
    },
    {
      name: 'shards',
      type: 'integer',
      valueName: 'N',
      description:
        'the number of shards of a Kubernetes Indexed Job (its completions); the shard index is JOB_COMPLETION_INDEX',
      minimum: 1,
      maximum: MAX_SHARDS,
    },
    {
      name: 'out',
      type: 'string',
      valueName: 'FILE',
      description: 'where a shard writes its shard file (atomically)',
      defaultText: 'mc-shard-K-of-N.json',
    },
    MC_WORKERS_FLAG,
    SEED_FLAG,
    PLOTS_FLAG,
    JSON_FLAG,
  ],
  details: [
    'One step is one proposal per chain (DDM), one sweep of local moves (local) or one cluster',
    "move (wolff). The DDM acceptance min{1, pi(x') P(x) / (pi(x) P(x'))} makes every scheme exact",
    'whatever the quality of the trained model. With --checkpoint and no model, the model and',
    "parameters are the checkpoint's; naming the model lets flags override parameters of the same",
    "sizes. Error bars: stdErr = sqrt(2 tau_int var / N) with Sokal's automatic window;",
    'effectiveSampleSize is the smallest ESS over the scalar observables. --workers N threads',
    'run the local and Wolff chains (split into N groups; every chain keeps its own random',
    'stream, so the result is the same for every N) or sample the DDM proposals.',
    'Exact reference: where the model has one, the table and JSON compare the estimates with',
    'it. Its cost is estimated from the sizes (Ising: 2^Ly * (N + 1)^2 transfer-matrix updates,',
    'times 2^Ly on a torus; Fredkin: N^2); above 2^29 (about 5 s on one core) mc skips it and',
    'says so on stderr: --exact computes it anyway, --no-exact never.',
    'Shards (--shard K/N, or a scheduler index): every shard runs --chains chains. Local and Wolff',
    'shard K runs the chains K*C..(K+1)*C-1 of one run of N*C chains with the same --seed, so',
    '"latticediff merge" of all N shard files gives that run (to the rounding of the merge). DDM',
    'shards draw their proposals from stream 2^30 + K of the seed: independent and reproducible.',
    'Every shard of a run must read the same checkpoint; a shard refuses to run beside shard files',
    'of the same run made with another checkpoint, and merge refuses to mix them.',
  ],
  async run({ values, choice, parameters, hint, json }) {
    const scheme = String(values.scheme) as SchemeName;
    const checkpointPath = values.checkpoint === undefined ? undefined : String(values.checkpoint);
    if (!choice && checkpointPath === undefined) {
      usage(
        'missing <model> or --checkpoint FILE for "latticediff mc"',
        'run "latticediff mc --help" for the usage',
      );
    }
    if (values['noise-time'] !== undefined && scheme !== 'connected') {
      usage(`--noise-time applies only to --scheme connected (got --scheme ${scheme})`, hint);
    }
    const ddm = scheme === 'connected' || scheme === 'disconnected';
    if (values['local-sweeps'] !== undefined && !ddm) {
      usage(
        `--local-sweeps applies only to the DDM schemes connected and disconnected (got --scheme ${scheme})`,
        hint,
      );
    }
    let checkpoint: Checkpoint | undefined;
    let network: NeuralCheckpoint | undefined;
    let instance: LatticeModelInstance;
    let entry: ModelEntry;
    if (checkpointPath !== undefined && isNeuralCheckpointFile(checkpointPath)) {
      // a MADE network (train --proposal neural): an independence proposal only
      if (scheme === 'connected') {
        usage(
          `--scheme connected needs an MPS checkpoint, and ${quote(checkpointPath)} is a neural network: the connected scheme denoises exactly, which needs the noised distribution in closed form (an MPS has it, a network does not)`,
          'use --scheme disconnected (fresh draws of the network), or train an MPS for --scheme connected',
        );
      }
      if (ddm && values.workers !== undefined && Number(values.workers) > 1) {
        usage(
          `--workers ${values.workers}: the neural proposal draws on the main thread (worker threads sample MPS proposals and run local or Wolff chains)`,
          'drop --workers',
        );
      }
      const neural = await loadNeural(`checkpoint ${quote(checkpointPath)} (a neural network)`);
      await startBackend(neural, undefined, json);
      network = readNeuralCheckpoint(neural, checkpointPath);
      ({ entry, instance } = await checkpointModel(network, choice, parameters));
    } else if (checkpointPath !== undefined) {
      checkpoint = readCheckpoint(checkpointPath);
      ({ entry, instance } = await checkpointModel(checkpoint, choice, parameters));
    } else {
      if (ddm) {
        usage(
          `--scheme ${scheme} needs a trained model as proposal: give --checkpoint FILE`,
          `train one with "latticediff train ${choice!.model.id} [model parameters] --out FILE"`,
        );
      }
      entry = choice!.entry;
      instance = createInstance(choice!.model, parameters, hint);
    }
    if (scheme === 'wolff' && typeof instance.clusterMove !== 'function') {
      usage(
        `--scheme wolff needs a model with cluster moves; ${instance.modelId} has none at these parameters`,
        'use --scheme local, connected or disconnected',
      );
    }
    if (values.exact === true && values['no-exact'] === true) {
      usage('--exact and --no-exact exclude each other', hint);
    }
    if (values.exact === true && typeof instance.exactObservables !== 'function') {
      usage(
        `--exact: model ${instance.modelId} has no exact reference`,
        'drop --exact; the table then shows the estimates only',
      );
    }
    const skipReason =
      values.exact === true || values['no-exact'] === true
        ? undefined
        : await exactSkipReason(instance);
    const computeExactReference = values['no-exact'] !== true && skipReason === undefined;
    if (skipReason !== undefined) {
      process.stderr.write(
        `latticediff: note: skipping the exact reference of ${instance.modelId} (${parametersText(instance.parameters)}): ${skipReason}; give --exact to compute it anyway, --no-exact to skip it without this note\n`,
      );
    }
    const workers = flagValue(values, WORKERS_FLAG);
    const seed = flagValue(values, SEED_FLAG);
    const noiseTime = flagValue(values, NOISE_TIME_FLAG);
    const chains = flagValue(values, CHAINS_FLAG);
    const steps = flagValue(values, STEPS_FLAG);
    if (chains * steps > MAX_RECORDED_VALUES) {
      usage(
        `--chains ${chains} x --steps ${steps} = ${chains * steps} recorded values per observable is more than ${MAX_RECORDED_VALUES}`,
        'use fewer chains or steps',
      );
    }
    const shard = resolveShard(
      values.shard === undefined ? undefined : String(values.shard),
      values.shards === undefined ? undefined : Number(values.shards),
      process.env,
    );
    if (shard === undefined && values.out !== undefined) {
      usage('--out applies to shards (--shard K/N): mc prints its estimates', hint);
    }
    if (shard !== undefined && values.plots !== undefined) {
      usage('--plots applies to whole runs, not to shards (--shard)', hint);
    }
    let shardRun: ShardRun | undefined;
    let shardPath: string | undefined;
    if (shard !== undefined) {
      shardPath = checkWritablePath(
        '--out',
        String(values.out ?? `mc-shard-${shard.index}-of-${shard.count}.json`),
      );
      shardRun = {
        model: instance.modelId,
        parameters: { ...instance.parameters },
        scheme,
        noiseTime: scheme === 'connected' ? noiseTime : null,
        localSweeps: ddm ? flagValue(values, LOCAL_SWEEPS_FLAG) : 0,
        chains,
        steps,
        burnIn: Math.floor(steps / 10),
        seed,
        checkpoint: ddm && checkpointPath !== undefined ? fileDigest(checkpointPath) : null,
      };
      refuseOtherCheckpoint(shardPath, shardRun);
    }
    const plots =
      values.plots === undefined ? undefined : ensureDirectory('--plots', String(values.plots));
    const mps = ddm ? (network?.made.proposal() ?? checkpoint?.mps) : undefined;
    // threads (local and Wolff chains, the exact reference) import the model from its package
    const modelModule: ModelModule = {
      url: entry.moduleUrl,
      exportName: await entry.exportName(),
    };
    const result = await withPool(ddm && network === undefined ? workers : 1, (pool) =>
      runMonteCarlo({
        instance,
        mps,
        scheme,
        noiseTime,
        chains,
        steps,
        // a shard: local/Wolff chains K*C.. of the whole run; DDM proposals from stream 2^30 + K
        seed: shard !== undefined && ddm ? ddmShardSeed(seed, shard.index) : seed,
        ...(shard !== undefined && !ddm ? { firstChain: shard.index * chains } : {}),
        pool,
        showProgress: progressEnabled(json),
        localSweeps: flagValue(values, LOCAL_SWEEPS_FLAG),
        workers,
        modelModule,
        exact: computeExactReference,
      }),
    );
    const plotFiles = plots
      ? await writeMonteCarloPlots(plots, instance, result, checkpoint?.mps, seed)
      : [];
    if (shard !== undefined) {
      await writeFileAtomic(
        shardPath!,
        `${JSON.stringify(shardFile(shard, shardRun!, result.chainData!, result.seconds))}\n`,
      );
    }
    const shardInfo =
      shard !== undefined
        ? {
            shard: {
              index: shard.index,
              count: shard.count,
              source: shard.source,
              file: shardPath,
            },
          }
        : {};
    if (json) {
      printJson(
        monteCarloJson(instance, result, {
          workers,
          seed,
          ...(checkpointPath !== undefined ? { checkpoint: checkpointPath } : {}),
          exactReference: exactStatus(values['no-exact'] === true, skipReason, result),
          plots: plotFiles,
          ...shardInfo,
        }),
      );
      return;
    }
    const lines = [
      `${instance.modelId} (${parametersText(instance.parameters)}), scheme ${scheme}${
        result.noiseTime !== undefined ? ` (T = ${result.noiseTime})` : ''
      }${result.localSweeps > 0 ? ` + ${result.localSweeps} local sweep(s) per step` : ''}${
        checkpointPath !== undefined && ddm
          ? `, proposal ${quote(checkpointPath)}${network ? ' (neural network)' : ''}`
          : ''
      }`,
      `${result.chains} chains x ${result.steps} steps (+${result.burnIn} burn-in), ${formatSeconds(result.seconds)}, acceptance ${num(result.acceptanceRate, 4)}, ESS ${num(result.effectiveSampleSize, 1)} (${num(result.essPerSecond, 1)}/s)`,
      '',
      estimatesTable(result),
      ...(plotFiles.length > 0 ? ['', ...plotFiles.map((f) => `wrote ${f}`)] : []),
      ...(shard !== undefined
        ? [
            '',
            `wrote shard ${shard.index} of ${shard.count} (${shard.source}) to ${shown(shardPath!)}; merge all ${shard.count} with "latticediff merge"`,
          ]
        : []),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    if (result.exactUnavailable !== undefined) {
      process.stderr.write(
        `latticediff: note: no exact reference at these sizes: ${result.exactUnavailable}\n`,
      );
    }
    for (const warning of reliabilityWarnings(result)) {
      process.stderr.write(`latticediff: warning: ${warning}\n`);
    }
  },
};

/** What became of the exact reference, for `mc --json`. */
function exactStatus(
  off: boolean,
  skipReason: string | undefined,
  result: MonteCarloResult,
): string {
  if (off) return 'not computed (--no-exact)';
  if (skipReason !== undefined) return `skipped: ${skipReason} (--exact computes it)`;
  if (result.exactUnavailable !== undefined) return `unavailable: ${result.exactUnavailable}`;
  return Object.values(result.observables).some((o) => o.exact !== undefined)
    ? 'computed'
    : 'none (the model has no exact reference)';
}

/**
 * Refuses to run a shard beside shard files of the same run (same settings but the checkpoint)
 * that were made with another checkpoint: the shards of a run must read one trained model.
 */
function refuseOtherCheckpoint(shardPath: string, run: ShardRun): void {
  const directory = dirname(shardPath);
  let names: string[];
  try {
    names = readdirSync(directory).filter((name) => name.endsWith('.json'));
  } catch {
    return;
  }
  for (const name of names) {
    const path = join(directory, name);
    if (path === shardPath) continue;
    let other: { format?: unknown; run?: ShardRun };
    try {
      other = JSON.parse(readFileSync(path, 'utf8')) as typeof other;
    } catch {
      continue;
    }
    if (other?.format !== SHARD_FORMAT || typeof other.run !== 'object' || other.run === null)
      continue;
    const same =
      JSON.stringify({ ...other.run, checkpoint: null }) ===
      JSON.stringify({ ...run, checkpoint: null });
    if (same && other.run.checkpoint !== run.checkpoint) {
      usage(
        `${quote(shown(path))} is a shard of this run made with another checkpoint (SHA-256 ${String(other.run.checkpoint).slice(0, 12)}..., this one ${String(run.checkpoint).slice(0, 12)}...): every shard of a run must read the same trained checkpoint`,
        "use the checkpoint the other shards used, or write this run's shards elsewhere (--out)",
      );
    }
  }
}

/** A path as shown to the user: relative to the working directory when inside it. */
function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}
