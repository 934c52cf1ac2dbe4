/**
 * Training recipes: one record of everything that decides the result of a learning run (the
 * options of `latticediff train`, usable from a script), checked once by
 * {@link checkTrainingRecipe}, turned into the annealing path and the learning loop's options,
 * and run or resumed by {@link runOrResume}. The recipe record is the run's one fingerprint: a
 * saved state of another recipe is refused with a {@link CheckpointMismatchError} before any
 * work (the thermodynamic pilot and the physics-built start included).
 */
import {
  type LatticeModel,
  type LocalFactors,
  type ParameterValues,
  physicsBornMPS,
} from '@latticediff/lattice';
import { createRandom, type MPS, type SamplerPool } from '@latticediff/tensor-network';
import {
  assertInteger,
  assertKnownOptions,
  invalidArgument,
  optionKeys,
} from '@latticediff/tensor-network/internal';
import type { ChainRunner } from './chains';
import { CheckpointMismatchError } from './errors';
import {
  annealingPath,
  type CheckpointStore,
  continueLearning,
  type LearningLoopOptions,
  type LearningResult,
  mpsResult,
  type RoundReport,
  readLearningState,
  refuseOtherMethodOption,
  resolveLearning,
  restoreLearning,
  startLearning,
} from './learning-loop';
import { thermodynamicPath } from './thermodynamic-path';

/**
 * Everything that decides the result of a learning run. The optional fields are the ones with a
 * default; {@link checkTrainingRecipe} drops a field equal to its default, so one run has one
 * record (the record `latticediff train` stores in its checkpoints and output metadata).
 */
export interface TrainingRecipe {
  /** The model's id (`model.id`). */
  model: string;
  /** The target parameters (complete: as `model.create(...).parameters`). */
  parameters: ParameterValues;
  /** Largest bond dimension of the MPS. */
  bondDim: number;
  rounds: number;
  /** A non-negative safe integer: round r draws from stream r of it. */
  seed: number;
  chains: number;
  /** Recorded Monte Carlo steps per chain and round (a quarter more are burned in, at least 1). */
  steps: number;
  /** Adam epochs per round (used by Adam training; part of the record for either). */
  epochs: number;
  /** Adam's step, or the two-site sweeps' step (round 0's, with `learningRateDecay`). */
  learningRate: number;
  /** Noise time of connected proposals (unused with `scheme: 'disconnected'`). */
  noiseTime: number;
  /** The annealed parameter and its start, or null to train at the target throughout. */
  anneal: { parameter: string; from: number } | null;
  /** MPS parametrisation (absent: linear). */
  kind?: 'born';
  /** How rounds train, when not the kind's default (Adam for linear, sweeps for Born). */
  training?: 'adam' | 'sweeps';
  /** Every round refits a fresh MPS (sweep training only; absent: false). */
  restart?: true;
  /** Train on the samples of the last N rounds (absent: 1). */
  replayRounds?: number;
  /** Two-site sweeps per round (sweep training only; absent: 1). */
  sweepsPerRound?: number;
  /** Local Metropolis sweeps after every DDM step while learning (absent: 1). */
  localSweeps?: number;
  /**
   * Each round trains while the next round's chains run, with the proposal before that training
   * (learnByMonteCarlo's `overlapRounds`; absent: false).
   */
  overlapRounds?: true;
  /** Proposal while learning (absent: connected with `noiseTime`). */
  scheme?: 'disconnected';
  /** Fraction of each round's chains held out for early stopping (sweeps only; absent: 0). */
  validationFraction?: number;
  /** Annealing path (absent: linear, the last third of the rounds at the target). */
  path?: { kind: 'thermodynamic'; kappa: number };
  /** Round r trains with learningRate * learningRateDecay^r (sweeps only; absent: 1). */
  learningRateDecay?: number;
  /** Discarded weight of the sweeps' SVD truncation (sweeps only; absent: the loop's 1e-4). */
  cutoff?: number;
  /**
   * Where training starts (absent: a random MPS): `physics`, the Born MPS built from the model's
   * local factors at the target with bond dimension `bondDim` (`physicsBornMPS`).
   */
  initial?: 'physics';
}

/** Stream of the run's seed that the thermodynamic-path pilot uses (rounds use streams 0, 1, ...). */
const PILOT_STREAM = 2_000_000;
/** Grid spacing of the thermodynamic-path pilot, in units of the annealed parameter. */
export const PILOT_GRID_STEP = 0.01;
/** Most grid points of the thermodynamic-path pilot (thermodynamicPath refuses more). */
export const PILOT_MAX_GRID_POINTS = 100_000;

const RECIPE_KEYS = optionKeys<TrainingRecipe>()([
  'model',
  'parameters',
  'bondDim',
  'rounds',
  'seed',
  'chains',
  'steps',
  'epochs',
  'learningRate',
  'noiseTime',
  'anneal',
  'kind',
  'training',
  'restart',
  'replayRounds',
  'sweepsPerRound',
  'localSweeps',
  'overlapRounds',
  'scheme',
  'validationFraction',
  'path',
  'learningRateDecay',
  'cutoff',
  'initial',
]);

/** The kind and training method of a recipe (its defaults filled in). */
export function trainingMethod(recipe: TrainingRecipe): {
  kind: 'linear' | 'born';
  training: 'adam' | 'sweeps';
} {
  const kind = recipe.kind ?? 'linear';
  return { kind, training: recipe.training ?? (kind === 'born' ? 'sweeps' : 'adam') };
}

/**
 * Checks every field of a recipe and their combinations (an InvalidArgumentError naming
 * `recipe.<field>` and its value) and returns its canonical record: the fields in the order of
 * {@link TrainingRecipe}, those equal to their defaults dropped. `model` and `parameters` are
 * checked for their form only (a non-empty id, an object): this package knows no model registry,
 * so whether the id names a model and the values fit its parameter schema is for the caller that
 * has the model (the CLI checks both against its registry and the model's schema).
 */
export function checkTrainingRecipe(recipe: TrainingRecipe): TrainingRecipe {
  const fn = 'checkTrainingRecipe';
  if (typeof recipe !== 'object' || recipe === null || Array.isArray(recipe)) {
    invalidArgument(fn, 'recipe', recipe, 'a training recipe object');
  }
  assertKnownOptions(fn, recipe, RECIPE_KEYS, 'recipe');
  const r = recipe as unknown as Record<string, unknown>;
  const fail = (field: string, expected: string): never =>
    invalidArgument(fn, `recipe.${field}`, r[field], expected);
  const integer = (field: string, min: number, max = Number.MAX_SAFE_INTEGER) => {
    const v = r[field];
    if (!(Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max)) {
      fail(
        field,
        max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer in [${min}, ${max}]`,
      );
    }
    return v as number;
  };
  const positive = (field: string) => {
    const v = r[field];
    if (!(typeof v === 'number' && Number.isFinite(v) && v > 0)) fail(field, 'a finite number > 0');
    return v as number;
  };
  if (typeof recipe.model !== 'string' || recipe.model === '') fail('model', 'a model id');
  if (
    typeof recipe.parameters !== 'object' ||
    recipe.parameters === null ||
    Array.isArray(recipe.parameters)
  ) {
    fail('parameters', 'an object of parameter values');
  }
  const bondDim = integer('bondDim', 1);
  const rounds = integer('rounds', 1);
  const seed = integer('seed', 0);
  const chains = integer('chains', 1);
  const steps = integer('steps', 1);
  const epochs = integer('epochs', 0);
  const learningRate = positive('learningRate');
  const noiseTime = positive('noiseTime');
  const anneal = recipe.anneal;
  if (anneal !== null) {
    if (
      typeof anneal !== 'object' ||
      anneal === undefined ||
      typeof anneal.parameter !== 'string' ||
      typeof anneal.from !== 'number' ||
      !Number.isFinite(anneal.from) ||
      typeof recipe.parameters[anneal.parameter] !== 'number' ||
      Object.keys(anneal).some((k) => k !== 'parameter' && k !== 'from')
    ) {
      fail(
        'anneal',
        'null or { parameter, from } with a numeric parameter of the target and a finite start',
      );
    }
  }
  if (recipe.kind !== undefined && recipe.kind !== 'born' && (recipe.kind as string) !== 'linear') {
    fail('kind', '"linear" or "born"');
  }
  const kind = recipe.kind === 'born' ? 'born' : 'linear';
  if (recipe.training !== undefined && recipe.training !== 'adam' && recipe.training !== 'sweeps') {
    fail('training', '"adam" or "sweeps"');
  }
  const training = recipe.training ?? (kind === 'born' ? 'sweeps' : 'adam');
  if (training === 'sweeps' && kind !== 'born') {
    fail('training', '"adam" for a linear MPS (two-site sweeps train a Born MPS: kind "born")');
  }
  const sweepsOnly = (field: string) => {
    if (r[field] !== undefined && training !== 'sweeps') {
      fail(field, 'absent unless training is "sweeps"');
    }
  };
  for (const field of [
    'restart',
    'sweepsPerRound',
    'validationFraction',
    'learningRateDecay',
    'cutoff',
  ]) {
    sweepsOnly(field);
  }
  if (
    recipe.restart !== undefined &&
    (recipe.restart as unknown) !== true &&
    (recipe.restart as unknown) !== false
  ) {
    fail('restart', 'true, false or absent');
  }
  if (
    recipe.overlapRounds !== undefined &&
    (recipe.overlapRounds as unknown) !== true &&
    (recipe.overlapRounds as unknown) !== false
  ) {
    fail('overlapRounds', 'true, false or absent');
  }
  const replayRounds = recipe.replayRounds === undefined ? 1 : integer('replayRounds', 1);
  const sweepsPerRound = recipe.sweepsPerRound === undefined ? 1 : integer('sweepsPerRound', 1);
  const localSweeps = recipe.localSweeps === undefined ? 1 : integer('localSweeps', 0);
  if (
    recipe.scheme !== undefined &&
    recipe.scheme !== 'disconnected' &&
    (recipe.scheme as string) !== 'connected'
  ) {
    fail('scheme', '"connected" or "disconnected"');
  }
  const validationFraction = recipe.validationFraction ?? 0;
  if (
    !(typeof validationFraction === 'number' && validationFraction >= 0 && validationFraction < 1)
  ) {
    fail('validationFraction', 'a number >= 0 and < 1');
  }
  if (validationFraction > 0) {
    const heldOut = Math.max(1, Math.round(validationFraction * chains));
    if (heldOut >= chains) {
      fail(
        'validationFraction',
        `a fraction that leaves chains to train on (it holds out ${heldOut} of the ${chains} chains)`,
      );
    }
  }
  const decay = recipe.learningRateDecay ?? 1;
  if (!(typeof decay === 'number' && decay > 0 && decay <= 1)) {
    fail('learningRateDecay', 'a number > 0 and <= 1');
  }
  if (
    recipe.cutoff !== undefined &&
    !(typeof recipe.cutoff === 'number' && recipe.cutoff >= 0 && recipe.cutoff < 1)
  ) {
    fail('cutoff', 'a number >= 0 and < 1');
  }
  const path = recipe.path;
  if (path !== undefined) {
    if (
      typeof path !== 'object' ||
      path === null ||
      path.kind !== 'thermodynamic' ||
      !(typeof path.kappa === 'number' && Number.isFinite(path.kappa) && path.kappa > 0)
    ) {
      fail('path', 'absent (linear) or { kind: "thermodynamic", kappa } with kappa > 0');
    }
    if (anneal === null) fail('path', 'absent when nothing is annealed (recipe.anneal is null)');
    const end = recipe.parameters[anneal!.parameter] as number;
    if (anneal!.from === end) {
      fail('path', `absent when the annealed ${anneal!.parameter} starts at its target ${end}`);
    }
    if (rounds < 2) fail('path', 'absent for fewer than 2 rounds (recipe.rounds)');
    if (!(Math.abs(end - anneal!.from) / PILOT_GRID_STEP <= PILOT_MAX_GRID_POINTS)) {
      fail(
        'path',
        `absent for a start farther than ${PILOT_GRID_STEP * PILOT_MAX_GRID_POINTS} from the target (the pilot measures every ${PILOT_GRID_STEP}, at most ${PILOT_MAX_GRID_POINTS} points)`,
      );
    }
  }
  if (recipe.initial !== undefined && recipe.initial !== 'physics') {
    fail('initial', '"physics" or absent (a random start)');
  }
  if (recipe.initial === 'physics' && kind !== 'born') {
    fail('initial', 'absent for a linear MPS (the physics-built start is a Born MPS: kind "born")');
  }
  return {
    model: recipe.model,
    parameters: { ...recipe.parameters },
    bondDim,
    rounds,
    seed,
    chains,
    steps,
    epochs,
    learningRate,
    noiseTime,
    anneal: anneal === null ? null : { parameter: anneal.parameter, from: anneal.from },
    ...(kind === 'born' ? { kind } : {}),
    ...(training !== (kind === 'born' ? 'sweeps' : 'adam') ? { training } : {}),
    ...(recipe.restart === true ? { restart: true as const } : {}),
    ...(replayRounds !== 1 ? { replayRounds } : {}),
    ...(sweepsPerRound !== 1 ? { sweepsPerRound } : {}),
    ...(localSweeps !== 1 ? { localSweeps } : {}),
    ...(recipe.overlapRounds === true ? { overlapRounds: true as const } : {}),
    ...(recipe.scheme === 'disconnected' ? { scheme: 'disconnected' as const } : {}),
    ...(validationFraction > 0 ? { validationFraction } : {}),
    ...(path === undefined ? {} : { path: { kind: 'thermodynamic' as const, kappa: path.kappa } }),
    ...(decay !== 1 ? { learningRateDecay: decay } : {}),
    ...(recipe.cutoff === undefined ? {} : { cutoff: recipe.cutoff }),
    ...(recipe.initial === 'physics' ? { initial: 'physics' as const } : {}),
  };
}

/**
 * The parameter points of the rounds. Linear: `annealingPath` with the last third at the target.
 * Thermodynamic: at most rounds - floor(rounds / 3) points in equal steps of thermodynamic length
 * (KL kappa between neighbours, measured by a local Metropolis pilot seeded from the run's seed,
 * so a resumed run recomputes the same path), then the target for the remaining rounds.
 */
export async function recipePath(
  model: LatticeModel,
  recipe: TrainingRecipe,
  onPilot?: (done: number, total: number) => void,
): Promise<ParameterValues[]> {
  return pathOf(model, checkTrainingRecipe(recipe), onPilot);
}

/** {@link recipePath} of a checked record (the pilot's chains by `chainRunner` if given). */
async function pathOf(
  model: LatticeModel,
  run: TrainingRecipe,
  onPilot?: (done: number, total: number) => void,
  chainRunner?: ChainRunner,
): Promise<ParameterValues[]> {
  if (!run.anneal) return Array.from({ length: run.rounds }, () => ({ ...run.parameters }));
  if (run.path?.kind !== 'thermodynamic') {
    return annealingPath(run.parameters, {
      parameter: run.anneal.parameter,
      from: run.anneal.from,
      rounds: run.rounds,
      hold: Math.floor(run.rounds / 3),
    });
  }
  const { path } = await thermodynamicPath({
    model,
    target: run.parameters,
    parameter: run.anneal.parameter,
    from: run.anneal.from,
    kappa: run.path.kappa,
    maxRounds: run.rounds - Math.floor(run.rounds / 3),
    gridStep: PILOT_GRID_STEP,
    seed: createRandom(run.seed).split(PILOT_STREAM),
    ...(onPilot ? { onGridPoint: (k: number, count: number) => onPilot(k + 1, count) } : {}),
    ...(chainRunner ? { chainRunner } : {}),
  });
  while (path.length < run.rounds) path.push({ ...run.parameters });
  return path;
}

/** The learning loop's options that a recipe stands for, on the given path of rounds. */
export function recipeLearningOptions(
  model: LatticeModel,
  recipe: TrainingRecipe,
  path: readonly ParameterValues[],
): LearningLoopOptions {
  const run = checkTrainingRecipe(recipe);
  // (the options of one model were built for another's recipe without a word)
  if (model?.id !== run.model) {
    invalidArgument(
      'recipeLearningOptions',
      'recipe.model',
      run.model,
      `the id of the model given (${JSON.stringify(model?.id)})`,
    );
  }
  return optionsOf(model, run, path);
}

/** {@link recipeLearningOptions} of a checked record. */
function optionsOf(
  model: LatticeModel,
  run: TrainingRecipe,
  path: readonly ParameterValues[],
): LearningLoopOptions {
  const { kind, training } = trainingMethod(run);
  return {
    model,
    path,
    maxBondDim: run.bondDim,
    kind,
    training,
    scheme:
      run.scheme === 'disconnected'
        ? { kind: 'disconnected' }
        : { kind: 'connected', noiseTime: run.noiseTime },
    chains: run.chains,
    stepsPerRound: run.steps,
    burnIn: Math.max(1, Math.floor(run.steps / 4)),
    localSweeps: run.localSweeps ?? 1,
    ...(run.overlapRounds ? { overlapRounds: true } : {}),
    replayRounds: run.replayRounds ?? 1,
    epochsPerRound: run.epochs,
    ...(training === 'sweeps'
      ? {
          sweepsPerRound: run.sweepsPerRound ?? 1,
          ...(run.restart ? { restart: true } : {}),
          ...(run.validationFraction ? { validationFraction: run.validationFraction } : {}),
        }
      : {}),
    learningRate:
      run.learningRateDecay === undefined
        ? run.learningRate
        : (round: number) => run.learningRate * run.learningRateDecay! ** round,
    ...(run.cutoff === undefined ? {} : { cutoff: run.cutoff }),
    seed: run.seed,
  };
}

/** Options of {@link runOrResume}. */
export interface RunOrResumeOptions {
  /** The lattice model whose id is `recipe.model`. */
  model: LatticeModel;
  recipe: TrainingRecipe;
  /** Where the state goes after every round, and where a resume reads it from. */
  checkpoint?: CheckpointStore;
  /**
   * For `initial: 'physics'` on a model without `localFactors()`: the factors to build from
   * (e.g. `probeLocalFactors(instance).factors`). They must be the same on every resume.
   */
  factors?: LocalFactors;
  pool?: SamplerPool;
  /** As learnByMonteCarlo's `chainRunner` (not part of the recipe: the same result). */
  chainRunner?: ChainRunner;
  /** Progress of the thermodynamic path's pilot (grid points done of total). */
  onPilot?: (done: number, total: number) => void;
  /** Progress of the physics-built start (pair groups done of total). */
  onBuild?: (done: number, total: number) => void;
  /** Called once a saved state has been accepted as this recipe's, with its rounds done. */
  onResume?: (roundsCompleted: number) => void;
  onRound?: (report: RoundReport) => void;
  /** Stop after this many rounds in this call (to test interruption; default: all). */
  maxRoundsThisCall?: number;
}

/** Result of {@link runOrResume}: the learning loop's result and where this call started. */
export interface RunOrResumeResult extends LearningResult {
  /** The canonical recipe record (see {@link checkTrainingRecipe}). */
  recipe: TrainingRecipe;
  /** Rounds found in the saved state (0 for a fresh run). */
  resumedFromRound: number;
}

/**
 * Runs a recipe, or resumes it from `checkpoint`. The recipe is checked first; a saved state is
 * then read and its recipe record compared with this one before anything else (a mismatch
 * throws {@link CheckpointMismatchError}; an unreadable state an InvalidArgumentError naming
 * `checkpoint`), so a refusal costs nothing. The state is saved after every round with the
 * recipe record in front, and a resumed run ends bit for bit where an uninterrupted one does.
 * A state written by `learnByMonteCarlo` itself (no recipe record) is checked by the learning
 * loop's fingerprint instead.
 */
export async function runOrResume(options: RunOrResumeOptions): Promise<RunOrResumeResult> {
  const fn = 'runOrResume';
  if (typeof options !== 'object' || options === null) {
    invalidArgument(fn, 'options', options, 'an options object');
  }
  assertKnownOptions(
    fn,
    options,
    optionKeys<RunOrResumeOptions>()([
      'model',
      'recipe',
      'checkpoint',
      'factors',
      'pool',
      'chainRunner',
      'onPilot',
      'onBuild',
      'onResume',
      'onRound',
      'maxRoundsThisCall',
    ]),
  );
  for (const key of ['onPilot', 'onBuild', 'onResume', 'onRound'] as const) {
    const callback = options[key];
    if (callback !== undefined && typeof callback !== 'function') {
      invalidArgument(fn, key, callback, 'a function');
    }
  }
  if (options.maxRoundsThisCall !== undefined) {
    assertInteger(fn, 'maxRoundsThisCall', options.maxRoundsThisCall, 1);
  }
  const { model } = options;
  if (!model || typeof model.create !== 'function') {
    invalidArgument(fn, 'model', model, 'a lattice model (e.g. isingModel)');
  }
  const recipe = checkTrainingRecipe(options.recipe);
  if (recipe.model !== model.id) {
    invalidArgument(fn, 'recipe.model', recipe.model, `the id of the model given ("${model.id}")`);
  }
  if (options.chainRunner !== undefined && typeof options.chainRunner !== 'function') {
    invalidArgument(
      fn,
      'chainRunner',
      options.chainRunner,
      'a function with the contract of runChains (e.g. chainsOnWorkers(...))',
    );
  }
  const record = JSON.stringify(recipe);
  const store = options.checkpoint;
  if (
    store !== undefined &&
    (typeof store !== 'object' ||
      store === null ||
      typeof store.load !== 'function' ||
      typeof store.save !== 'function')
  ) {
    invalidArgument(
      fn,
      'checkpoint',
      store,
      'a CheckpointStore { load(), save(text) } (e.g. fileCheckpoint(path))',
    );
  }
  const saved = store ? await store.load() : undefined;
  const state = saved === undefined ? undefined : readLearningState(fn, saved);
  if (state?.recipe !== undefined && JSON.stringify(state.recipe) !== record) {
    throw new CheckpointMismatchError(fn, 'the state of a run with the same recipe');
  }
  const path = await pathOf(model, recipe, options.onPilot, options.chainRunner);
  let initialMPS: MPS | undefined;
  if (recipe.initial === 'physics') {
    // deterministic: a resumed run rebuilds the same start (part of the loop's fingerprint)
    initialMPS = physicsBornMPS(model.create(recipe.parameters), {
      maxBondDim: recipe.bondDim,
      ...(options.factors === undefined ? {} : { factors: options.factors }),
      ...(options.onBuild ? { onProgress: options.onBuild } : {}),
    }).mps;
  }
  const resolved = resolveLearning(
    {
      ...optionsOf(model, recipe, path),
      ...(initialMPS === undefined ? {} : { initialMPS }),
      ...(options.pool ? { pool: options.pool } : {}),
      ...(options.chainRunner ? { chainRunner: options.chainRunner } : {}),
    },
    fn,
  );
  if (
    state !== undefined &&
    state.recipe === undefined &&
    state.fingerprint !== resolved.fingerprint
  ) {
    throw new CheckpointMismatchError(fn, 'the state of a run with the same recipe');
  }
  if (state === undefined) {
    // sweep training has no epochs: another value than the default did nothing (refused when a
    // run starts; a checkpoint of an earlier release that recorded one still resumes)
    if (trainingMethod(recipe).training === 'sweeps' && recipe.epochs !== 4) {
      invalidArgument(
        fn,
        'recipe.epochs',
        recipe.epochs,
        '4 (the default) unless training is "adam" (sweep training has no epochs)',
      );
    }
    refuseOtherMethodOption(resolved);
  }
  const live =
    state === undefined ? await startLearning(resolved) : await restoreLearning(resolved, state);
  const resumedFromRound = live.roundsCompleted;
  if (state !== undefined) options.onResume?.(resumedFromRound);
  const result = await continueLearning(resolved, live, {
    recipe,
    ...(store ? { save: (text: string) => store.save(text) } : {}),
    ...(options.onRound ? { onRound: options.onRound } : {}),
    ...(options.maxRoundsThisCall === undefined
      ? {}
      : { maxRoundsThisCall: options.maxRoundsThisCall }),
  });
  return { ...mpsResult(result), recipe, resumedFromRound };
}
