import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  type LatticeModel,
  type LatticeModelInstance,
  type LocalFactors,
  type ParameterValues,
  probeLocalFactors,
} from '@latticediff/lattice';
import {
  CheckpointMismatchError,
  checkTrainingRecipe,
  PILOT_GRID_STEP,
  PILOT_MAX_GRID_POINTS,
  type RoundReport,
  runOrResume,
  type TrainingRecipe,
} from '@latticediff/monte-carlo';
import { fileCheckpoint, writeFileAtomic } from '@latticediff/monte-carlo/node';
import {
  deserializeMPS,
  InvalidArgumentError,
  LatticeDiffError,
  type MetadataValue,
  type MPS,
  type MPSMetadata,
  NumericalError,
  serializeMPS,
} from '@latticediff/tensor-network';
import { type DefaultedFlag, type FlagSpec, type FlagValues, flagValue } from '../args';
import {
  createInstance,
  defaultAnnealing,
  exitOnInterrupt,
  JSON_FLAG,
  SEED_FLAG,
  WORKERS_FLAG,
  withPool,
} from '../common';
import { oneLine, quote, UsageError, usage } from '../errors';
import {
  checkWritablePath,
  createProgress,
  ensureDirectory,
  formatSeconds,
  num,
  type Progress,
  printJson,
  progressEnabled,
  removeStaleTemporaries,
  table,
} from '../io';
import { chartsSvg, modelCaption } from '../svg';
import { checkProposalFlags, NEURAL_FLAGS, NEURAL_STEPS, trainNeuralCommand } from './train-neural';
import type { Command } from './types';

export const PLOTS_FLAG: FlagSpec = {
  name: 'plots',
  type: 'string',
  valueName: 'DIR',
  description: 'write SVG pictures into this directory (created if missing)',
};

/**
 * The run record of `train`: the library's training recipe (its canonical form, with the fields
 * that equal their defaults absent, is what checkpoints and output metadata store).
 */
export type TrainingRun = TrainingRecipe;

export interface TrainResult {
  mps: MPS;
  reports: RoundReport[];
  /** Rounds found in the resume state (0 for a fresh run). */
  resumedFromRound: number;
  /** True when --out already held this finished run (nothing was trained). */
  alreadyComplete: boolean;
  seconds: number;
}

function sanitize(value: unknown): MetadataValue {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string' || typeof value === 'boolean' || value === null) return value;
  if (Array.isArray(value)) return value.map(sanitize);
  if (typeof value === 'object' && value !== undefined) {
    const out: Record<string, MetadataValue> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (v !== undefined) out[k] = sanitize(v);
    }
    return out;
  }
  return null;
}

/**
 * Trains (or resumes, or finds finished) a run and writes `out` atomically. The resume state is
 * `out + '.state'`, saved after every round and removed once `out` is written.
 */
export async function trainToFile(options: {
  model: LatticeModel;
  run: TrainingRun;
  out: string;
  workers: number;
  showProgress: boolean;
  /** Reuse an --out file that already holds this finished run (default true). */
  reuse?: boolean;
  log?: (line: string) => void;
  /** The output path as the user wrote it (for messages; default `out`). */
  displayName?: string;
}): Promise<TrainResult> {
  const { model, out } = options;
  // the canonical record: the one a finished --out and a resume state are compared with
  const run = checkTrainingRecipe(options.run);
  const statePath = `${out}.state`;
  const shownOut = options.displayName ?? out;
  const shownState = `${shownOut}.state`;
  removeStaleTemporaries(out);
  removeStaleTemporaries(statePath);
  if (existsSync(out)) {
    let metadata: MPSMetadata | undefined;
    let mps: MPS | undefined;
    try {
      const parsed = deserializeMPS(readFileSync(out, 'utf8'));
      metadata = parsed.metadata;
      mps = parsed.mps;
    } catch (error) {
      if (!LatticeDiffError.isInstance(error)) throw error;
      usage(
        `--out ${quote(shownOut)} exists and is not a latticediff checkpoint; refusing to overwrite it`,
        'choose another file or delete it',
      );
    }
    if (
      options.reuse !== false &&
      metadata?.complete === true &&
      JSON.stringify(metadata.run) === JSON.stringify(sanitize(run))
    ) {
      rmSync(statePath, { force: true });
      return {
        mps: mps!,
        reports: (metadata.reports ?? []) as unknown as RoundReport[],
        resumedFromRound: run.rounds,
        alreadyComplete: true,
        seconds: 0,
      };
    }
  }
  const differentRun = () =>
    new UsageError(
      `cannot resume from ${quote(shownState)}: it holds the training state of a different run (model, parameters or options differ)`,
      'rerun the command that created it, or delete the file to start afresh',
    );
  // the seconds of a run include the pilot of a thermodynamic path
  const start = performance.now();
  const bars: { pilot?: Progress; building?: Progress; training?: Progress } = {};
  const progress: Progress = {
    update: (done, note) => {
      bars.training ??= createProgress('training', run.rounds, options.showProgress);
      bars.training.update(done, note);
    },
    finish: () => bars.training?.finish(),
  };
  // Ctrl-C or a termination signal: the state of the last finished round is already on disk
  // (written atomically), so say how to resume and stop at once
  const stopInterruptHandler = exitOnInterrupt(
    progress,
    statePath,
    shownState,
    'no round had finished yet',
  );
  // a model without local factors had them found by probing its energy when the run was set up
  // (deterministic, so a resumed run probes the same factors)
  const factors =
    run.initial === 'physics' && typeof model.create(run.parameters).localFactors !== 'function'
      ? probedFactors(model.create(run.parameters))
      : undefined;
  if (typeof factors === 'string') throw new UsageError(`--recipe physics: ${factors}`);
  const result = await withPool(options.workers, async (pool) => {
    try {
      return await runOrResume({
        model,
        recipe: run,
        checkpoint: fileCheckpoint(statePath),
        ...(factors === undefined ? {} : { factors }),
        ...(pool ? { pool } : {}),
        onPilot: (done, total) => {
          bars.pilot ??= createProgress('path pilot', total, options.showProgress);
          bars.pilot.update(done, `${run.anneal!.parameter} grid`);
          if (done === total) bars.pilot.finish();
        },
        // minutes on large lattices (16x16 at bond dimension 128: about 4 min): show progress
        onBuild: (done, total) => {
          bars.building ??= createProgress('building MPS', total, options.showProgress);
          bars.building.update(done, 'pair groups');
          if (done === total) bars.building.finish();
        },
        onResume: (rounds) => {
          if (rounds > 0) {
            options.log?.(`resumed from ${shownState} after round ${rounds} of ${run.rounds}`);
          }
        },
        onRound: (r) => {
          progress.update(
            r.round + 1,
            `NLL ${num(r.nllAfter, 2)} acceptance ${num(r.acceptanceRate, 3)}`,
          );
        },
      });
    } catch (error) {
      if (CheckpointMismatchError.isInstance(error)) throw differentRun();
      if (
        InvalidArgumentError.isInstance(error) &&
        error.functionName === 'runOrResume' &&
        error.argument === 'checkpoint'
      ) {
        const why = `it is not a usable training state (${oneLine(error.message)})`;
        throw new UsageError(
          `cannot resume from ${quote(shownState)}: ${why}`,
          'rerun the command that created it, or delete the file to start afresh',
        );
      }
      if (NumericalError.isInstance(error)) {
        throw new NumericalError(
          `training failed: ${oneLine(error.message)}; a smaller --learning-rate usually helps`,
          { cause: error },
        );
      }
      throw error;
    } finally {
      bars.pilot?.finish();
      bars.building?.finish();
      progress.finish();
      stopInterruptHandler();
    }
  });
  const seconds = (performance.now() - start) / 1000;
  const metadata: MPSMetadata = {
    model: run.model,
    parameters: sanitize(run.parameters),
    bondDim: run.bondDim,
    rounds: run.rounds,
    seed: run.seed,
    run: sanitize(run),
    complete: true,
    reports: sanitize(result.reports),
    createdBy: 'latticediff train',
  };
  await writeFileAtomic(out, serializeMPS(result.mps, { metadata }));
  rmSync(statePath, { force: true });
  return {
    mps: result.mps,
    reports: result.reports,
    resumedFromRound: result.resumedFromRound,
    alreadyComplete: false,
    seconds,
  };
}

/**
 * NLL (with the exact entropy of the target as a line where it is known), acceptance and, where
 * the rounds report it, the estimated KL(pi || P) per round, as an SVG document; with `anneal`,
 * a first panel shows the annealed parameter of every round (the target as a dashed line).
 */
export function trainingSvg(
  reports: readonly RoundReport[],
  options: {
    caption: string;
    scheme?: 'connected' | 'disconnected';
    exactEntropy?: number | undefined;
    /** The annealed parameter (e.g. beta) and its target value. */
    anneal?: { parameter: string; target: number } | undefined;
  },
): string {
  const { caption, exactEntropy } = options;
  const scheme = options.scheme ?? 'connected';
  const rounds = reports.map((r) => r.round);
  const withQuality = reports.some((r) => r.quality !== undefined);
  const anneal = options.anneal;
  const annealed = anneal
    ? reports.map((r) => {
        const v = r.parameters?.[anneal.parameter];
        return typeof v === 'number' ? v : Number.NaN;
      })
    : [];
  const roundLabel =
    anneal && annealed.some(Number.isFinite)
      ? `round (${anneal.parameter} per round in the first panel)`
      : 'round';
  return chartsSvg(
    [
      ...(anneal && annealed.some(Number.isFinite)
        ? [
            {
              title: `${anneal.parameter} of each round, annealed to the target ${anneal.parameter} = ${Number(anneal.target.toPrecision(4))}`,
              xLabel: 'round',
              yLabel: anneal.parameter,
              series: [{ name: anneal.parameter, x: rounds, y: annealed }],
              referenceLines: [anneal.target],
            },
          ]
        : []),
      {
        title: "negative log-likelihood of each round's samples",
        xLabel: roundLabel,
        yLabel: 'NLL (nats per configuration)',
        series: [
          { name: 'before training', x: rounds, y: reports.map((r) => r.nllBefore ?? Number.NaN) },
          { name: 'after training', x: rounds, y: reports.map((r) => r.nllAfter ?? Number.NaN) },
          ...(exactEntropy === undefined
            ? []
            : [{ name: 'exact entropy S', x: rounds, y: rounds.map(() => exactEntropy) }]),
        ],
      },
      {
        title: `acceptance of ${scheme} DDM proposals`,
        xLabel: roundLabel,
        yLabel: 'acceptance rate',
        series: [
          { name: 'acceptance', x: rounds, y: reports.map((r) => r.acceptanceRate ?? Number.NaN) },
        ],
        referenceLines: [0],
      },
      ...(withQuality
        ? [
            {
              title: "KL(pi || P) estimated from the model's own samples (importance weights)",
              xLabel: roundLabel,
              yLabel: 'KL (nats)',
              series: [
                { name: 'estimate', x: rounds, y: reports.map((r) => r.quality?.kl ?? Number.NaN) },
                {
                  name: 'estimate + 2 err',
                  x: rounds,
                  y: reports.map((r) =>
                    r.quality ? r.quality.kl + 2 * r.quality.klStdErr : Number.NaN,
                  ),
                },
              ],
              referenceLines: [0],
            },
          ]
        : []),
    ],
    { caption },
  );
}

/** Sites up to which `train` asks the model for its exact entropy (exact references can be slow). */
const EXACT_ENTROPY_MAX_SITES = 128;

/**
 * The exact entropy S = ln Z + beta <E> of the target, where the model has exact values and at
 * most EXACT_ENTROPY_MAX_SITES sites.
 */
export function exactEntropy(instance: LatticeModelInstance): number | undefined {
  if (instance.sites > EXACT_ENTROPY_MAX_SITES) return undefined;
  try {
    const exact = instance.exactObservables?.();
    const energyPerSite = exact?.means.energyPerSite;
    if (exact === undefined || typeof energyPerSite !== 'number') return undefined;
    return exact.logPartitionFunction + instance.beta * energyPerSite * instance.sites;
  } catch {
    return undefined; // too large for the exact reference
  }
}

function exactEntropyField(instance: LatticeModelInstance): { exactEntropy?: number } {
  const entropy = exactEntropy(instance);
  return entropy === undefined ? {} : { exactEntropy: entropy };
}

/** What the quality columns mean, and the exact entropy beside the NLL where it is known. */
function qualityNotes(reports: readonly RoundReport[], instance: LatticeModelInstance): string[] {
  if (!reports.some((r) => r.quality !== undefined)) return [];
  const entropy = exactEntropy(instance);
  return [
    "KL(pi||P): from 2048 exact samples of each round's model by their importance weights",
    'exp(-beta E) / P (no exact reference needed); allowed: the fraction of those samples that',
    'satisfy the constraints.',
    ...(entropy === undefined
      ? []
      : [
          `exact entropy of the target: S = ln Z + beta <E> = ${num(entropy, 3)} nats (the NLL of samples of pi is S + KL(pi||P))`,
        ]),
  ];
}

/** Up to this many rounds the table shows every round. */
const TABLE_ALL_ROUNDS = 40;
/** Rows of the table for longer runs (first, evenly spaced, last). */
const TABLE_ROWS = 20;

/**
 * The round reports as a table: every round up to {@link TABLE_ALL_ROUNDS} rounds; for longer
 * runs {@link TABLE_ROWS} of them (first, evenly spaced, last) and a line saying so.
 */
export function reportTable(reports: readonly RoundReport[], anneal: string | undefined): string {
  // runs recorded before the quality figures existed have none
  const withQuality = reports.some((r) => r.quality !== undefined);
  const pick = new Set<number>();
  const n = reports.length;
  const shown = n <= TABLE_ALL_ROUNDS ? n : TABLE_ROWS;
  for (let k = 0; k < shown; k++) pick.add(Math.round((k * (n - 1)) / Math.max(1, shown - 1)));
  const rows = [...pick]
    .sort((a, b) => a - b)
    .map((i) => {
      const r = reports[i]!;
      const value = anneal ? r.parameters?.[anneal] : undefined;
      const q = r.quality;
      return [
        String(r.round),
        ...(anneal ? [typeof value === 'number' ? num(value, 4) : String(value)] : []),
        num(r.nllBefore, 3),
        num(r.nllAfter, 3),
        num(r.acceptanceRate, 3),
        ...(withQuality
          ? [
              q === undefined || !Number.isFinite(q.kl)
                ? 'n/a'
                : `${num(q.kl, 3)} ± ${num(q.klStdErr, 3)}`,
              q === undefined ? 'n/a' : num(q.allowedFraction, 4),
            ]
          : []),
      ];
    });
  const text = table(
    [
      'round',
      ...(anneal ? [anneal] : []),
      'NLL before',
      'NLL after',
      'acceptance',
      ...(withQuality ? ['KL(pi||P) ± err', 'allowed'] : []),
    ],
    rows,
  );
  return pick.size < n
    ? `${text}\n(${pick.size} of ${n} rounds shown: the first, the last and evenly spaced ones between; --json and --plots have every round)`
    : text;
}

export function parametersText(parameters: ParameterValues): string {
  return Object.entries(parameters)
    .map(([k, v]) => `${k}=${typeof v === 'number' ? Number(v.toPrecision(8)) : v}`)
    .join(' ');
}

/**
 * The flags that `--recipe physics` stands for (explicit flags override them): start from the
 * Born MPS built from the model's local factors at the target, then refine it at the target by
 * two-site sweeps on disconnected Monte Carlo samples, keeping per round the sweep with the lowest
 * held-out NLL (the start included), so refinement never makes the proposal worse on held-out data.
 */
const PHYSICS_RECIPE: Readonly<Record<string, string | number | boolean>> = {
  kind: 'born',
  training: 'sweeps',
  sweeps: 2,
  replay: 4,
  scheme: 'disconnected',
  'validation-fraction': 0.25,
  rounds: 2,
};
/** Flags that only the learning recipes use: given without --recipe, they select `anneal`. */
const LEARNING_ONLY_FLAGS = [
  'kind',
  'training',
  'restart',
  'path',
  'kappa',
  'anneal-from',
  'epochs',
  'noise-time',
] as const;

const PHYSICS_RECIPE_TEXT = Object.entries(PHYSICS_RECIPE)
  .map(([name, value]) => (value === true ? `--${name}` : `--${name} ${value}`))
  .join(' ');

/** The flags that `--recipe restart` stands for (explicit flags override them). */
const RESTART_RECIPE: Readonly<Record<string, string | number | boolean>> = {
  kind: 'born',
  training: 'sweeps',
  restart: true,
  sweeps: 4,
  replay: 4,
  'local-sweeps': 20,
  scheme: 'disconnected',
  path: 'thermodynamic',
};
const RESTART_RECIPE_TEXT = Object.entries(RESTART_RECIPE)
  .map(([name, value]) => (value === true ? `--${name}` : `--${name} ${value}`))
  .join(' ');

/**
 * The flags that `--recipe learn` stands for: the best recipe measured for learning from a random
 * MPS with the energy alone (explicit flags override them). Ising 8x8 at beta_c, bond dimension
 * 16, annealed from the model's declared start: KL(pi || P) 0.317-0.321 over three runs (seeds 1
 * and 2, starts 0.2 and 0.57 beta_c; SVD truncation of the exact MPS gives 0.33), disconnected
 * acceptance 0.61, about 30 minutes on a 2-core AMD EPYC; the same rounds without annealing end
 * at 0.43.
 */
const LEARN_RECIPE: Readonly<Record<string, string | number | boolean>> = {
  kind: 'born',
  training: 'sweeps',
  sweeps: 2,
  replay: 4,
  'validation-fraction': 0.25,
  scheme: 'disconnected',
  chains: 512,
  steps: 128,
  rounds: 22,
  'learning-rate-decay': 0.88,
  cutoff: 1e-8,
};
const LEARN_RECIPE_TEXT = Object.entries(LEARN_RECIPE)
  .map(([name, value]) => (value === true ? `--${name}` : `--${name} ${value}`))
  .join(' ');

type RecipeName = 'physics' | 'restart' | 'anneal' | 'learn';

/** The flag values a recipe stands for (anneal: none, the flags' own defaults). */
function recipeFlags(name: RecipeName): Readonly<Record<string, string | number | boolean>> {
  if (name === 'restart') return RESTART_RECIPE;
  if (name === 'physics') return PHYSICS_RECIPE;
  if (name === 'learn') return LEARN_RECIPE;
  return {};
}

/**
 * Reads the learning flags (with `--recipe` filling in the flags not given), checks their
 * combinations (exit 2 naming the flag) and returns the kind, the training method and the
 * optional fields of the run record (only those that differ from their defaults).
 */
function trainingOptions(
  values: FlagValues,
  context: {
    rounds: number;
    chains: number;
    anneal: { parameter: string; from: number } | undefined;
    target: ParameterValues;
    recipe: RecipeName;
  },
  hint: string,
): { kind: 'linear' | 'born'; training: 'adam' | 'sweeps'; record: Partial<TrainingRun> } {
  const recipeName = context.recipe;
  const recipe = recipeFlags(recipeName);
  const get = (name: string) => values[name] ?? recipe[name];
  const shown = (name: string) => {
    const value = get(name);
    const text = value === true ? `--${name}` : `--${name} ${value}`;
    return values[name] === undefined && recipe[name] !== undefined
      ? `${text} (from --recipe ${recipeName})`
      : text;
  };
  const fail = (message: string): never => usage(message, hint);
  const kind = (get('kind') ?? KIND_FLAG.default) as 'linear' | 'born';
  const training = (get('training') ?? (kind === 'born' ? 'sweeps' : 'adam')) as 'adam' | 'sweeps';
  if (training === 'sweeps' && kind !== 'born') {
    fail(`${shown('training')} needs --kind born (two-site sweeps train a Born MPS)`);
  }
  if (training === 'sweeps' && values.epochs !== undefined) {
    fail('--epochs applies to --training adam only (this run trains by sweeps)');
  }
  if (training !== 'sweeps') {
    for (const name of [
      'restart',
      'sweeps',
      'validation-fraction',
      'learning-rate-decay',
      'cutoff',
    ]) {
      if (get(name) !== undefined) {
        fail(`${shown(name)} applies to --training sweeps only (this run trains by Adam)`);
      }
    }
  }
  const scheme = (get('scheme') ?? SCHEME_FLAG.default) as 'connected' | 'disconnected';
  if (scheme === 'disconnected' && values['noise-time'] !== undefined) {
    fail(`--noise-time applies to --scheme connected only (this run uses ${shown('scheme')})`);
  }
  const validationFraction = get('validation-fraction') as number | undefined;
  const path = (get('path') ?? PATH_FLAG.default) as 'linear' | 'thermodynamic';
  if (path === 'thermodynamic') {
    const { anneal } = context;
    if (!anneal) fail(`${shown('path')}: the model has no parameter beta or c to anneal`);
    const end = context.target[anneal!.parameter];
    if (anneal!.from === end) {
      fail(
        `${shown('path')}: nothing to anneal (${anneal!.parameter} starts at its target ${end}); give --anneal-from X or --path linear`,
      );
    }
    if (context.rounds < 2) {
      fail(`--rounds ${context.rounds} is too few for ${shown('path')} (at least 2)`);
    }
    const span = Math.abs(Number(end) - anneal!.from);
    if (!(span / PILOT_GRID_STEP <= PILOT_MAX_GRID_POINTS)) {
      const start =
        values['anneal-from'] === undefined
          ? `the default start of the annealing path (${anneal!.parameter} = ${anneal!.from})`
          : `invalid value for --anneal-from: ${anneal!.from}`;
      fail(
        `${start}: ${shown('path')} measures ${anneal!.parameter} every ${PILOT_GRID_STEP} from the start to the target ${end}, at most ${PILOT_MAX_GRID_POINTS} points (a start within ${PILOT_GRID_STEP * PILOT_MAX_GRID_POINTS} of the target)`,
      );
    }
  } else if (values.kappa !== undefined) {
    fail('--kappa applies to --path thermodynamic only (this run uses --path linear)');
  }
  const replay = Number(get('replay') ?? REPLAY_FLAG.default);
  const sweeps = Number(get('sweeps') ?? SWEEPS_FLAG.default);
  const localSweeps = Number(get('local-sweeps') ?? LOCAL_SWEEPS_FLAG.default);
  // (their values are checked with the whole record, by checkTrainingRecipe: see checkRun)
  const decay = Number(get('learning-rate-decay') ?? LEARNING_RATE_DECAY_FLAG.default);
  const cutoff = get('cutoff') as number | undefined;
  const record: Partial<TrainingRun> = {
    ...(kind === 'born' ? { kind } : {}),
    ...(training !== (kind === 'born' ? 'sweeps' : 'adam') ? { training } : {}),
    ...(get('restart') === true ? { restart: true as const } : {}),
    ...(replay !== 1 ? { replayRounds: replay } : {}),
    ...(sweeps !== 1 ? { sweepsPerRound: sweeps } : {}),
    ...(localSweeps !== 1 ? { localSweeps } : {}),
    ...(scheme === 'disconnected' ? { scheme } : {}),
    ...(validationFraction !== undefined ? { validationFraction } : {}),
    ...(path === 'thermodynamic'
      ? { path: { kind: path, kappa: flagValue(values, KAPPA_FLAG) } }
      : {}),
    ...(decay !== 1 ? { learningRateDecay: decay } : {}),
    ...(cutoff !== undefined ? { cutoff } : {}),
    ...(recipeName === 'physics' ? { initial: 'physics' as const } : {}),
  };
  return { kind, training, record };
}

/** The flag behind each field of the run record (for the refusals of checkTrainingRecipe). */
const RECORD_FLAGS: Readonly<Partial<Record<keyof TrainingRun, string>>> = {
  bondDim: 'max-bond-dim',
  rounds: 'rounds',
  seed: 'seed',
  chains: 'chains',
  steps: 'steps',
  epochs: 'epochs',
  learningRate: 'learning-rate',
  noiseTime: 'noise-time',
  anneal: 'anneal-from',
  kind: 'kind',
  training: 'training',
  restart: 'restart',
  replayRounds: 'replay',
  sweepsPerRound: 'sweeps',
  localSweeps: 'local-sweeps',
  scheme: 'scheme',
  validationFraction: 'validation-fraction',
  path: 'path',
  learningRateDecay: 'learning-rate-decay',
  cutoff: 'cutoff',
  initial: 'recipe',
};

/**
 * The run record checked once, by the library's `checkTrainingRecipe`: a refusal names the flag
 * that set the field and its value (exit 2), and the record returned is the canonical one.
 */
function checkRun(run: TrainingRun, values: FlagValues, hint: string): TrainingRun {
  try {
    return checkTrainingRecipe(run);
  } catch (error) {
    if (!InvalidArgumentError.isInstance(error) || !error.argument.startsWith('recipe.')) {
      throw error;
    }
    const field = error.argument.slice('recipe.'.length) as keyof TrainingRun;
    const flag = RECORD_FLAGS[field];
    if (flag === undefined) throw error;
    const expected = /must be (.*) \(got /.exec(error.message)?.[1] ?? 'another value';
    const given = values[flag] ?? (typeof error.value === 'object' ? undefined : error.value);
    return usage(
      `invalid value for --${flag}${given === undefined ? '' : `: ${given}`} (expected ${expected})`,
      hint,
    );
  }
}

const MAX_BOND_DIM_FLAG = {
  name: 'max-bond-dim',
  deprecatedAliases: ['bond-dim'],
  type: 'integer',
  valueName: 'N',
  description: 'largest bond dimension of the MPS (ITensor maxdim)',
  minimum: 1,
  maximum: 512,
  default: 16,
} as const satisfies FlagSpec;

const EPOCHS_FLAG = {
  name: 'epochs',
  type: 'integer',
  valueName: 'N',
  description: "Adam epochs over each round's samples (--training adam)",
  minimum: 0,
  maximum: 10000,
  default: 4,
} as const satisfies FlagSpec;

const NOISE_TIME_FLAG = {
  name: 'noise-time',
  type: 'number',
  valueName: 'T',
  description: 'noise time of the connected proposals used while training',
  exclusiveMinimum: 0,
  default: 0.5,
} as const satisfies FlagSpec;

const KIND_FLAG = {
  name: 'kind',
  type: 'choice',
  choices: ['linear', 'born'],
  description: 'MPS parametrisation: non-negative (linear) or Born (P = psi^2 / Z)',
  default: 'linear',
} as const satisfies FlagSpec;

const SWEEPS_FLAG = {
  name: 'sweeps',
  type: 'integer',
  valueName: 'N',
  description: 'two-site sweeps per round (--training sweeps)',
  minimum: 1,
  maximum: 1000,
  default: 1,
} as const satisfies FlagSpec;

const REPLAY_FLAG = {
  name: 'replay',
  type: 'integer',
  valueName: 'N',
  description: 'train on the samples of the last N rounds',
  minimum: 1,
  maximum: 1000,
  default: 1,
} as const satisfies FlagSpec;

const LOCAL_SWEEPS_FLAG = {
  name: 'local-sweeps',
  type: 'integer',
  valueName: 'N',
  description: 'local Metropolis sweeps after every DDM step while training',
  minimum: 0,
  maximum: 10000,
  default: 1,
} as const satisfies FlagSpec;

const SCHEME_FLAG = {
  name: 'scheme',
  type: 'choice',
  choices: ['connected', 'disconnected'],
  description: 'DDM proposal of the chains while training',
  default: 'connected',
} as const satisfies FlagSpec;

const LEARNING_RATE_DECAY_FLAG = {
  name: 'learning-rate-decay',
  type: 'number',
  valueName: 'X',
  description:
    'round r trains with the learning rate times X^r, to settle once the path holds at the target (--training sweeps; 0 < X <= 1)',
  exclusiveMinimum: 0,
  default: 1,
} as const satisfies FlagSpec;

const PATH_FLAG = {
  name: 'path',
  type: 'choice',
  choices: ['linear', 'thermodynamic'],
  description:
    'annealing path: linear, or equal steps of thermodynamic length measured by a local Metropolis pilot before training',
  default: 'linear',
} as const satisfies FlagSpec;

const KAPPA_FLAG = {
  name: 'kappa',
  type: 'number',
  valueName: 'X',
  description: 'KL divergence between neighbouring rounds of --path thermodynamic',
  exclusiveMinimum: 0,
  default: 0.3,
} as const satisfies FlagSpec;

/**
 * The help text of a default that recipes set ("2 with --recipe physics, 22 with --recipe learn,
 * else 30"), from the recipe tables and the flag's own default, so that neither is written twice.
 */
function recipeSetFlag<S extends DefaultedFlag & { readonly default: number }>(
  spec: S,
  also = '',
): S & { readonly defaultText: string } {
  return { ...spec, defaultText: `${recipeDefaultText(spec.name, spec.default)}${also}` };
}

function recipeDefaultText(flag: string, otherwise: number): string {
  const set = (['physics', 'learn', 'restart'] as const).filter(
    (name) => recipeFlags(name)[flag] !== undefined,
  );
  return [
    ...set.map((name) => `${recipeFlags(name)[flag]} with --recipe ${name}`),
    `else ${otherwise}`,
  ].join(', ');
}

const ROUNDS_FLAG = recipeSetFlag({
  name: 'rounds',
  type: 'integer',
  valueName: 'N',
  description: 'rounds of sampling and training',
  minimum: 1,
  maximum: 100000,
  default: 30,
} as const);

const CHAINS_FLAG = recipeSetFlag({
  name: 'chains',
  type: 'integer',
  valueName: 'N',
  description: 'Markov chains per round',
  minimum: 1,
  maximum: 100000,
  default: 64,
} as const);

const STEPS_FLAG = recipeSetFlag(
  {
    name: 'steps',
    type: 'integer',
    valueName: 'N',
    description:
      'recorded Monte Carlo steps per chain and round; with --proposal neural, reverse-KL (Adam) steps',
    minimum: 1,
    maximum: 1000000,
    default: 32,
  } as const,
  `; ${NEURAL_STEPS} with --proposal neural`,
);

export const trainCommand: Command = {
  name: 'train',
  summary:
    'learn an MPS for a model by Monte Carlo with annealing, or a neural (MADE or PixelCNN) proposal by reverse KL (resumable)',
  usage: [
    'train <model> [model parameters] [--max-bond-dim N] [--rounds N] [--seed S] --out FILE [--plots DIR] [--json]',
    'train <model> [model parameters] --kind born [--training sweeps] [--restart] [--sweeps N] [--replay N] [--local-sweeps N] [--scheme connected|disconnected] [--validation-fraction X] [--path linear|thermodynamic] [--kappa X] --out FILE',
    'train <model> [model parameters] --recipe restart [--chains N] [--steps N] --out FILE',
    'train <model> [model parameters] --recipe physics|learn|anneal [--max-bond-dim N] --out FILE',
    'train <model> [model parameters] --proposal neural [--network made] [--hidden N] [--z2] [--batch N] [--steps N] [--learning-rate X] [--beta-anneal A] [--backend wasm|cpu] [--seed S] --out FILE [--plots DIR] [--json]',
    'train <model> [model parameters] --proposal neural --network pixelcnn [--kernel-size K] [--channels N] [--depth N] [--batch N] [--steps N] [--learning-rate X] [--beta-anneal A] [--backend wasm|cpu] [--seed S] --out FILE',
  ],
  model: 'required',
  flags: [
    {
      name: 'out',
      type: 'string',
      valueName: 'FILE',
      description:
        'the trained model (latticediff.mps format, or with --proposal neural latticediff.made or latticediff.pixelcnn, with the model in its metadata)',
      required: true,
    },
    MAX_BOND_DIM_FLAG,
    ROUNDS_FLAG,
    SEED_FLAG,
    CHAINS_FLAG,
    STEPS_FLAG,
    EPOCHS_FLAG,
    {
      name: 'learning-rate',
      type: 'number',
      valueName: 'X',
      description: 'Adam step size, or the step of the two-site sweeps',
      exclusiveMinimum: 0,
      defaultText: '0.03 for adam, 0.05 for sweeps, 0.003 with --proposal neural',
    },
    NOISE_TIME_FLAG,
    KIND_FLAG,
    {
      name: 'training',
      type: 'choice',
      choices: ['adam', 'sweeps'],
      description:
        'how each round trains: Adam on the NLL gradient, or two-site sweeps with SVD truncation (Born only)',
      defaultText: 'adam for linear, sweeps for born',
    },
    {
      name: 'restart',
      type: 'boolean',
      description:
        "refit every round from a fresh MPS instead of the previous round's (--training sweeps); follows a fast-moving target, e.g. across a transition",
    },
    SWEEPS_FLAG,
    REPLAY_FLAG,
    LOCAL_SWEEPS_FLAG,
    SCHEME_FLAG,
    {
      name: 'validation-fraction',
      type: 'number',
      valueName: 'X',
      description:
        "fraction (< 1) of each round's chains held out; each round keeps the sweep with the lowest held-out NLL (--training sweeps)",
      exclusiveMinimum: 0,
    },
    LEARNING_RATE_DECAY_FLAG,
    {
      name: 'cutoff',
      type: 'number',
      valueName: 'X',
      description:
        'discarded weight of the SVD truncation of the two-site sweeps (--training sweeps; 0 <= X < 1); small values let the bond dimension grow while the step decays',
      minimum: 0,
      defaultText: "the learning loop's",
    },
    PATH_FLAG,
    KAPPA_FLAG,
    {
      name: 'recipe',
      type: 'choice',
      choices: ['physics', 'learn', 'restart', 'anneal'],
      description: `physics: start from the Born MPS built from the model's local factors and refine it (${PHYSICS_RECIPE_TEXT}); learn: a random Born MPS learned along an annealing path with the best recipe measured from the energy alone (${LEARN_RECIPE_TEXT}); restart: ${RESTART_RECIPE_TEXT}; anneal: a random MPS learned along an annealing path (the flags' own defaults). Flags given explicitly override a recipe`,
      defaultText: `physics for models with local factors (ising, potts, fredkin) or a pairwise energy, unless one of ${LEARNING_ONLY_FLAGS.map((f) => `--${f}`).join(', ')} is given (then anneal); learn for other models`,
    },
    {
      name: 'anneal-from',
      type: 'number',
      valueName: 'X',
      description:
        'start of the annealed parameter (beta: 0.2 beta; Fredkin c: min(0.3, c); other models train at the target)',
    },
    WORKERS_FLAG,
    ...NEURAL_FLAGS,
    PLOTS_FLAG,
    JSON_FLAG,
  ],
  details: [
    'The default for a model with local factors (ising, potts, fredkin) is --recipe physics: the',
    "Born MPS of the target built directly from the model's energy terms (physicsBornMPS, no",
    'learning needed: ising 8x8 at beta_c, bond dimension 32, accepts about 80% of disconnected',
    'proposals), then refined for --rounds rounds by sweeps on Monte Carlo samples at the target,',
    'each round keeping the sweep with the lowest held-out NLL, the start included. A model',
    'without local factors gets them by probing its energy (probeLocalFactors) when the energy',
    'is a sum of site and pair terms with no hard constraints (at most 2,000,000 evaluations).',
    '',
    'A model whose energy is not a sum of site and pair terms learns with --recipe learn: a',
    'random Born MPS along an annealing path from the parameter the model declares (its',
    '`annealing`), trained by two sweeps per round on the last 4 rounds of 512 chains x 128',
    'disconnected steps, the step decaying by 0.88 per round. Measured on ising 8x8 at beta_c with',
    'bond dimension 16 from the energy alone: KL(pi || P) 0.32 (the SVD truncation of the exact',
    'MPS: 0.33), acceptance 0.61, about 30 min on 2 cores.',
    '',
    "With --recipe anneal (the flags' own defaults), round r samples with Metropolis-Hastings chains at the r-th point of an annealing path",
    '(the last third of the rounds at the target), using the current MPS as connected proposal,',
    'then trains the MPS on the samples. The state is saved after every round to FILE.state',
    '(atomically); after a kill, rerun the same command to resume: the result is bit for bit',
    'that of an uninterrupted run. FILE is written atomically at the end and FILE.state removed.',
    'A FILE.state of another model, parameters or options is refused (exit 2).',
    '',
    '--path thermodynamic places the annealing rounds at equal steps of thermodynamic length',
    '(KL --kappa between neighbouring rounds), with at least the last third of the rounds at the',
    'target. Its pilot runs 64 local Metropolis chains for 1300 sweeps at every 0.01 of the',
    'annealed parameter before training (about 20 s for ising 8x8 from beta 0.2 to beta_c); a',
    'resumed run repeats it (same seed, same path).',
    '',
    '--recipe restart (a Born MPS refitted every round by 4 sweeps on the samples of the last 4',
    'rounds, disconnected proposals with 20 local sweeps per step, thermodynamic path) learns',
    'across transitions where warm-started training fails (the Fredkin chain across c = 1/2);',
    'give it more data per round, e.g. --chains 512 --steps 16.',
    '',
    '--proposal neural trains a MADE network (one hidden tanh layer of --hidden units, as in',
    'variational autoregressive networks) by reverse KL: --steps Adam steps, each on --batch exact',
    'draws of the network, minimising beta F_q = E_q[ln q + beta E] with beta annealed as',
    'beta (1 - A^t) (--beta-anneal A). It needs the optional package @latticediff/neural (and',
    'its tfjs peers). Models with hard constraints (fredkin) are refused: reverse KL is infinite',
    'for a network with weight off the allowed set. The state is saved every 10 steps to',
    'FILE.state; rerun the same command to resume bit for bit. The report gives the variational',
    'bound ln Z >= -E_q[ln q + beta E] with its error bar, and KL(q || pi) where ln Z is known.',
    'Use the network with "latticediff mc --checkpoint FILE --scheme disconnected".',
    '',
    "--network pixelcnn trains a masked-convolution PixelCNN instead (VAN's network for square",
    'lattices; 2D square or rectangular lattices only): --depth masked K x K convolutions',
    '(--kernel-size K, odd; the first excludes the centre site) of --channels channels, tanh,',
    "and a 1 x 1 convolution to the logits, in the model's site order and padded periodically",
    "along the model's periodic axes. No residual connections and no --z2 yet. Its checkpoint",
    "is a latticediff.pixelcnn file, resumable and read by mc and sample like a MADE's.",
  ],
  async run({ values, choice, parameters, hint, json }) {
    const model = choice!.model;
    const instance = createInstance(model, parameters, hint);
    const target = { ...instance.parameters } as ParameterValues;
    const out = checkWritablePath('--out', String(values.out));
    if (checkProposalFlags(values, hint) === 'neural') {
      await trainNeuralCommand({ values, model, instance, target, out, hint, json });
      return;
    }
    // the default recipe: physics where the model has local factors, unless a flag that only a
    // learning run uses was given (then the flags' own defaults, as before the physics recipe)
    const learningFlag = LEARNING_ONLY_FLAGS.find((name) => values[name] !== undefined);
    // a model without localFactors() gets them by probing its energy (pairwise energies only)
    const wantsPhysics =
      values.recipe === 'physics' || (values.recipe === undefined && learningFlag === undefined);
    const probed =
      wantsPhysics && typeof instance.localFactors !== 'function'
        ? probedFactors(instance)
        : undefined;
    // no flag: physics where the energy allows it, else the best recipe measured from a random
    // start; learning flags without --recipe keep the flags' own defaults (anneal), as before
    const recipe = (values.recipe ??
      (learningFlag !== undefined
        ? 'anneal'
        : typeof probed !== 'string'
          ? 'physics'
          : 'learn')) as RecipeName;
    if (recipe === 'physics' && typeof probed === 'string') {
      usage(
        `--recipe physics: ${probed}`,
        'use --recipe learn (or anneal, restart) to learn it from its energy',
      );
    }
    if (recipe === 'physics' && probed !== undefined && !json) {
      process.stderr.write(
        `model ${model.id} has no localFactors(): its site and pair energies were found by probing its energy (probeLocalFactors)\n`,
      );
    }
    if (recipe === 'physics' && values['anneal-from'] !== undefined) {
      usage(
        '--anneal-from applies to the learning recipes (anneal, restart): --recipe physics starts at the target',
        hint,
      );
    }
    // the physics recipe trains at the target: no annealing
    const anneal =
      recipe === 'physics'
        ? undefined
        : defaultAnnealing(
            model,
            target,
            values['anneal-from'] === undefined ? undefined : Number(values['anneal-from']),
          );
    if (values['anneal-from'] !== undefined && !anneal) {
      usage(
        `--anneal-from: model ${model.id} declares no annealed parameter (its \`annealing\`), so it trains at the target`,
        hint,
      );
    }
    if (anneal) {
      // every point of the path must be a valid parameter point (checked before any work,
      // --plots included)
      try {
        createInstance(model, { ...target, [anneal.parameter]: anneal.from });
      } catch (error) {
        if (!(error instanceof UsageError)) throw error;
        const given = values['anneal-from'] !== undefined;
        throw new UsageError(
          `${given ? `invalid value for --anneal-from: ${anneal.from}` : `the default start of the annealing path (${anneal.parameter} = ${anneal.from}) is invalid`}: ${error.message}`,
          hint,
        );
      }
    }
    const flagsOfRecipe = recipeFlags(recipe);
    const rounds = Number(values.rounds ?? flagsOfRecipe.rounds ?? ROUNDS_FLAG.default);
    const chains = Number(values.chains ?? flagsOfRecipe.chains ?? CHAINS_FLAG.default);
    const method = trainingOptions(values, { rounds, chains, anneal, target, recipe }, hint);
    const run = checkRun(
      {
        model: model.id,
        parameters: target,
        bondDim: flagValue(values, MAX_BOND_DIM_FLAG),
        rounds,
        seed: flagValue(values, SEED_FLAG),
        chains,
        steps: Number(values.steps ?? flagsOfRecipe.steps ?? STEPS_FLAG.default),
        epochs: flagValue(values, EPOCHS_FLAG),
        learningRate: Number(
          values['learning-rate'] ?? (method.training === 'sweeps' ? 0.05 : 0.03),
        ),
        noiseTime: flagValue(values, NOISE_TIME_FLAG),
        anneal: anneal ?? null,
        ...method.record,
      },
      values,
      hint,
    );
    // checked (and created) before any training, so that a bad --plots loses no work
    const plots =
      values.plots === undefined ? undefined : ensureDirectory('--plots', String(values.plots));
    const result = await trainToFile({
      model,
      run,
      out,
      workers: flagValue(values, WORKERS_FLAG),
      showProgress: progressEnabled(json),
      log: json ? undefined : (line) => process.stderr.write(`${line}\n`),
      displayName: String(values.out),
    });
    const plotFiles: string[] = [];
    if (plots !== undefined) {
      const file = join(plots, 'training.svg');
      await writeFileAtomic(
        file,
        trainingSvg(result.reports, {
          caption: `training ${modelCaption(model.id, target)}`,
          scheme: run.scheme ?? 'connected',
          exactEntropy: exactEntropy(instance),
          anneal:
            anneal && typeof target[anneal.parameter] === 'number'
              ? { parameter: anneal.parameter, target: target[anneal.parameter] as number }
              : undefined,
        }),
      );
      plotFiles.push(file);
    }
    const last = result.reports[result.reports.length - 1];
    if (json) {
      printJson({
        model: model.id,
        parameters: target,
        out: String(values.out),
        bondDim: run.bondDim,
        rounds: run.rounds,
        seed: run.seed,
        kind: method.kind,
        training: method.training,
        path: run.path?.kind ?? 'linear',
        resumedFromRound: result.resumedFromRound,
        alreadyComplete: result.alreadyComplete,
        seconds: result.seconds,
        final: last
          ? {
              nll: last.nllAfter,
              acceptanceRate: last.acceptanceRate,
              ...(last.quality ? { quality: last.quality } : {}),
            }
          : null,
        ...exactEntropyField(instance),
        plots: plotFiles,
        reports: result.reports,
      });
      return;
    }
    const lines = [
      result.alreadyComplete
        ? `${String(values.out)} already holds this finished run (nothing to do)`
        : `trained ${model.id} (${parametersText(target)}): ${run.initial === 'physics' ? `the Born MPS built from its local factors, refined by ${run.rounds} rounds` : `${run.rounds} rounds${run.path ? ' on a thermodynamic path' : ''}`}, bond dimension ${run.bondDim}${method.kind === 'born' ? ` (Born MPS, ${method.training === 'sweeps' ? 'sweeps' : 'Adam'})` : ''}, ${formatSeconds(result.seconds)}${
            result.resumedFromRound > 0 ? ` (resumed after round ${result.resumedFromRound})` : ''
          }`,
      '',
      reportTable(result.reports, anneal?.parameter),
      ...qualityNotes(result.reports, instance),
      '',
      `wrote ${String(values.out)}`,
      ...plotFiles.map((f) => `wrote ${f}`),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  },
};

/** Largest number of energy evaluations spent probing a model for its local factors. */
const MAX_PROBES = 2_000_000;

/**
 * The local factors of a model without `localFactors()`, found by probing its energy, or why
 * there are none: the energy has hard constraints or terms of three or more sites, or probing
 * would take more than {@link MAX_PROBES} energy evaluations.
 */
function probedFactors(instance: LatticeModelInstance): LocalFactors | string {
  const { sites: n, localDimension: d, modelId } = instance;
  const probes = ((n * (n - 1)) / 2) * (d - 1) * (d - 1);
  const none = `model ${modelId} does not expose its energy as local factors (localFactors)`;
  if (probes > MAX_PROBES) {
    return `${none}, and probing its energy for them would take ${probes} energy evaluations (at most ${MAX_PROBES})`;
  }
  try {
    const probe = probeLocalFactors(instance);
    if (!probe.pairwise) {
      return `${none}, and its energy is not a sum of site and pair terms (probing misses it by up to ${probe.maxResidual.toPrecision(3)})`;
    }
    return probe.factors;
  } catch (error) {
    if (!(error instanceof InvalidArgumentError)) throw error;
    return `${none}, and its energy has hard constraints (E = +Infinity), which probing cannot find`;
  }
}
