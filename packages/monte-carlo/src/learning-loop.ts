/**
 * The Monte Carlo learning loop: start from an easy point, run Metropolis-Hastings chains with
 * the current MPS as proposal, train the MPS on the chain samples, repeat, while the model
 * parameters move along a path towards the target (annealing). Every round is reported (NLL,
 * acceptance, ESS per second, time) and can be checkpointed; a run resumed from its last
 * checkpoint reaches exactly the result of an uninterrupted run, because round r draws all its
 * randomness from stream r of the seed and the checkpoint holds the complete state (MPS, Adam
 * moments, chain states).
 *
 * The learner is pluggable: the MPS learners (Adam, sweeps) are built in, and any other proposal
 * that can be trained on samples (e.g. a neural network of @latticediff/neural) takes part
 * through a {@link ProposalLearnerFactory} given as the `learner` option: same chains, replay
 * buffer, streams, reports and checkpoints.
 */

import {
  checkSymmetry,
  type LatticeModel,
  type LatticeModelInstance,
  type LatticeSymmetry,
  type ParameterValues,
  randomSymmetryImages,
} from '@latticediff/lattice';
import {
  createRandom,
  deserializeMPS,
  FormatError,
  InvalidArgumentError,
  LatticeDiffError,
  logProbabilities,
  MPS,
  type MPSKind,
  type RandomGenerator,
  randomMPS,
  type SamplerPool,
  sample,
  serializeMPS,
} from '@latticediff/tensor-network';
import {
  assertFinite,
  assertInteger,
  assertKnownOptions,
  assertMPS,
  concatenateBatches,
  invalidArgument,
  optionKeys,
} from '@latticediff/tensor-network/internal';
import {
  type ChainRunner,
  type IndependenceProposal,
  type RunChainsResult,
  runChains,
} from './chains';
import { summarize } from './diagnostics-summary';
import { CheckpointMismatchError } from './errors';
import { MPSTrainer } from './learn';
import { LEARNING_STATE_FORMAT, LEARNING_STATE_VERSION, LearningState } from './learning-state';
import { type ProposalQuality, proposalQuality } from './proposal-quality';
import { assertSamplerPool } from './sampler-pool-check';
import { initialBornMPS, trainBornSweeps } from './sweep-training';

/** Where checkpoints go: any store of text (a file with atomic writes in Node: `fileCheckpoint`). */
export interface CheckpointStore {
  save(text: string): void | Promise<void>;
  load(): string | undefined | Promise<string | undefined>;
}

/** A batch of configurations: `count` rows of N digits, row after row. */
export interface ConfigurationRows {
  data: Int32Array;
  count: number;
}

/** What a {@link ProposalLearner} is told when it trains (see {@link ProposalLearner.train}). */
export interface LearnerTrainingContext {
  /** The round (from 0). */
  round: number;
  /**
   * The round's own random stream (stream 5 000 000 + round of the seed): all the randomness of
   * training must come from it, so that a resumed run trains exactly as an uninterrupted one.
   */
  random: RandomGenerator;
  /** The held-out chains of this round (with `validationFraction`), never trained on. */
  validation?: ConfigurationRows;
}

/**
 * A proposal that the learning loop samples with and trains, other than the built-in MPS
 * learners: e.g. a MADE or PixelCNN network (`nllLearner` of @latticediff/neural). The loop
 * proposes with {@link ProposalLearner.proposal} (an independence proposal serves the
 * disconnected scheme only), trains it on the chains' samples after every round, and saves its
 * state text in the checkpoint (the `trainer` field of the `latticediff.learning` state).
 */
export interface ProposalLearner {
  /**
   * The current proposal: an MPS, or an independence proposal of `runChains` (draws with the
   * float64 log q of the process that drew them). Read again after every `train`.
   */
  readonly proposal: MPS | IndependenceProposal;
  /** Float64 log q of each configuration (the NLL figures of the reports). */
  logProbabilities(batch: ConfigurationRows): Float64Array | Promise<Float64Array>;
  /**
   * Trains on a round's samples (the replay buffer, augmented when asked). Deterministic given
   * the data, the learner's state and `context.random`.
   */
  train(data: ConfigurationRows, context: LearnerTrainingContext): void | Promise<void>;
  /**
   * The complete trainable state as text: `restore` of its factory rebuilds a learner that trains
   * and proposes exactly as this one does.
   */
  save(): string;
  /** Frees what the learner holds (e.g. tfjs tensors); called by the loop when a run fails. */
  dispose?(): void;
}

/** How the learning loop makes and restores a {@link ProposalLearner} (the `learner` option). */
export interface ProposalLearnerFactory<L extends ProposalLearner = ProposalLearner> {
  /**
   * A JSON-able description of everything that decides the learner's results (architecture,
   * training settings): part of the run's resume fingerprint, so that a checkpoint of other
   * settings is refused.
   */
  readonly fingerprint: unknown;
  /** A fresh learner for the model's sites; its random initialisation must come from `random`. */
  create(context: {
    sites: number;
    localDimension: number;
    random: RandomGenerator;
  }): L | Promise<L>;
  /** The learner whose `save()` gave `text`. */
  restore(text: string, context: { sites: number; localDimension: number }): L | Promise<L>;
}

/** Options of {@link learnByMonteCarlo} that belong to the built-in MPS learners. */
export type MPSLearnerOption =
  | 'maxBondDim'
  | 'bondDim'
  | 'initialMPS'
  | 'kind'
  | 'training'
  | 'sweepsPerRound'
  | 'restart'
  | 'cutoff'
  | 'patience'
  | 'epochsPerRound'
  | 'batchSize'
  | 'learningRate';

const MPS_LEARNER_OPTIONS: readonly MPSLearnerOption[] = [
  'maxBondDim',
  'bondDim',
  'initialMPS',
  'kind',
  'training',
  'sweepsPerRound',
  'restart',
  'cutoff',
  'patience',
  'epochsPerRound',
  'batchSize',
  'learningRate',
];

/**
 * Options of {@link learnByMonteCarlo} with a custom learner: those of the loop (path, chains,
 * steps, scheme, replay, validation hold-out, symmetry images, seed, checkpoint, ...) and the
 * learner's factory; the MPS learners' options are refused. The scheme defaults to
 * `disconnected`.
 */
export type LearnerLoopOptions<L extends ProposalLearner = ProposalLearner> = Omit<
  LearningLoopOptions,
  MPSLearnerOption
> & {
  /** The learner's factory (its settings enter the resume fingerprint). */
  learner: ProposalLearnerFactory<L>;
};

/** Result of {@link learnByMonteCarlo} with a custom learner. */
export interface LearnerLoopResult<L extends ProposalLearner = ProposalLearner> {
  /** The trained learner (the caller's to use and dispose). */
  learner: L;
  reports: RoundReport[];
  /** Rounds completed in total (including those of earlier, interrupted calls). */
  roundsCompleted: number;
  /** True when every round of the path is done. */
  finished: boolean;
  /** Final chain states. */
  chainStates: Int32Array;
}

/** Options of {@link learnByMonteCarlo}. */
export interface LearningLoopOptions {
  /** The lattice model (the contract object, e.g. `isingModel`). */
  model: LatticeModel;
  /**
   * Parameter points, one per round (see {@link annealingPath} and {@link thermodynamicPath});
   * the last is the target. A single point repeated is plain training at fixed parameters.
   * Required (under this name or its deprecated old name `schedule`).
   */
  path?: readonly ParameterValues[];
  /**
   * @deprecated The old name of {@link path}, accepted for one release ("schedule" now means
   * noise times only, as in markov-jump).
   */
  schedule?: readonly ParameterValues[];
  /**
   * Largest bond dimension of the learned MPS (default 8; ITensor's `maxdim`, the name used
   * wherever tensor-network truncates).
   */
  maxBondDim?: number;
  /** @deprecated The old name of {@link maxBondDim}, accepted for one release. */
  bondDim?: number;
  /**
   * Warm start: the MPS the first round proposes with and training starts from, instead of a
   * random one (e.g. `physicsBornMPS(model.create(target), { maxBondDim })` from
   * `@latticediff/lattice`, the Born MPS built from the model's local factors). Its kind must be
   * `kind` and its sites those of the model. The chains then start from allowed draws of it
   * (the model's initial configuration where a draw is not allowed). Part of the resume
   * fingerprint.
   */
  initialMPS?: MPS;
  /** MPS parametrisation (default `linear`). */
  kind?: MPSKind;
  /** Proposal used to sample in each round (default connected with noise time 0.5). */
  scheme?: { kind: 'disconnected' } | { kind: 'connected'; noiseTime: number };
  /** Chains per round (default 64). */
  chains?: number;
  /** Recorded MH steps per chain and round (default 64). */
  stepsPerRound?: number;
  /** Steps discarded at the start of each round (default 8). */
  burnIn?: number;
  /** Local Metropolis sweeps after every DDM step while sampling (default 1; see runChains). */
  localSweeps?: number;
  /**
   * How each round trains: `adam` (default for a linear MPS: Adam epochs on the exact NLL
   * gradient) or `sweeps` (Born MPS only, the default for Born: two-site sweeps with SVD
   * truncation that adapt the bond dimension up to `maxBondDim`; much faster to fit).
   */
  training?: 'adam' | 'sweeps';
  /**
   * Train on the samples of the last `replayRounds` rounds (default 1: the current round only).
   * More data per round fits better and overfits less; older rounds come from earlier points of
   * the path. The buffer is part of the checkpoint.
   */
  replayRounds?: number;
  /** Two-site sweeps per round for `training: 'sweeps'` (default 1). */
  sweepsPerRound?: number;
  /**
   * For `training: 'sweeps'`: train round r from a fresh initial MPS (the uniform state plus
   * seeded noise, bond dimension 2, grown by the sweeps) instead of the previous round's model,
   * when `restart` is true or returns true for r (default false). Warm-started sweeps follow a
   * slowly moving target well but can fail to follow a fast one (e.g. across a transition, where
   * the relevant bond states change): a restart with a few sweeps (about 4) fits each round's
   * samples afresh. Chains always continue.
   */
  restart?: boolean | ((round: number) => boolean);
  /** Relative discarded weight per split for `training: 'sweeps'` (default 1e-4). */
  cutoff?: number;
  /**
   * For `training: 'sweeps'`: hold out this fraction of each round's chains (whole chains, the
   * last ones; at least one) as validation data and stop each round's sweeps early, keeping the
   * sweep with the lowest validation NLL (default 0: no hold-out, every sweep is kept). Sweeps
   * fit a replay buffer fast and then overfit once the bond dimension allows it; the held-out
   * chains join the training data of later rounds through the replay buffer. With a custom
   * `learner` the held-out chains go to its `train` as `validation` and their NLL is reported.
   */
  validationFraction?: number;
  /**
   * Train on `symmetryImages` random images of every training configuration under the model's
   * declared symmetries (`instance.symmetries()`: translations, reflections, spin flip, ...),
   * drawn afresh each round, instead of the configurations themselves (default 0: no
   * augmentation). A draw from pi mapped by a symmetry is a draw from pi, so no distribution
   * changes: one image decorrelates the chains' successive samples at no cost, k images give k
   * times the data at k times the training cost. Validation data stay as drawn. Refused for a
   * model that declares no symmetries.
   */
  symmetryImages?: number;
  /** Sweeps without a validation improvement before a round stops (default 3; needs `validationFraction`). */
  patience?: number;
  /** Training epochs over each round's samples (default 4). */
  epochsPerRound?: number;
  /** Minibatch size (default 256). */
  batchSize?: number;
  /**
   * Learning rate: Adam's (default 0.02) or the sweep step size (default 0.05). For `training:
   * 'sweeps'` also a function of the round index (from 0) returning the step size of that
   * round, e.g. to decay the step once the path holds at the target (the normalised
   * sweep step has a fixed size, so with a constant rate the model keeps moving by about that
   * fraction per round and the fit stops improving at a noise floor set by the rate).
   */
  learningRate?: number | ((round: number) => number);
  /** Seed (a non-negative safe integer: round r uses stream r). */
  seed: number;
  /** Checkpoint store: saved after every round, loaded at the start to resume. */
  checkpoint?: CheckpointStore;
  /**
   * Worker pool for the proposals, and (MPS sweeps) the training sweeps' per-sample work, the
   * NLLs and the quality draws: the same results as without it.
   */
  pool?: SamplerPool;
  /**
   * Runs each round's chains in place of `runChains` (default runChains): e.g.
   * `chainsOnWorkers({ module })` of `@latticediff/monte-carlo/node`, which runs the disconnected
   * chains, local sweeps included, on worker threads. It must give runChains's result for the
   * same options, so it is not part of the run's fingerprint.
   */
  chainRunner?: ChainRunner;
  /**
   * Train each round at the same time as the next round's chains run (default false). Those
   * chains cannot wait for the training, so they propose with the model as it stood before it:
   * round r's chains use the proposal trained through round r - 2 (the initial one for rounds 0
   * and 1), one round staler than by default. Every round's Metropolis-Hastings is still exact
   * (its proposal is fixed while it runs); the results differ from the default's, and are the
   * same for any pool and chain runner (with neither, the two parts run one after the other).
   * With a pool or a chain runner on threads the chains fill the cores while the training
   * waits on its serial steps (the SVD splits, the sums of the workers' gradients). Needs an MPS
   * proposal (MPS are immutable, so the snapshot costs nothing); checkpoints then also hold
   * the chains' proposal (`chainProposal` in FORMAT.md). Chains that ran ahead and failed do not
   * lose the round: it completes, and the next round runs them again. Part of the resume
   * fingerprint.
   */
  overlapRounds?: boolean;
  /** Called after every round. */
  onRound?: (report: RoundReport) => void;
  /** Stop after this many rounds in this call (to test interruption; default: all). */
  maxRoundsThisCall?: number;
}

/** What one round did. */
export interface RoundReport {
  round: number;
  parameters: ParameterValues;
  /**
   * Mean NLL of the training data (the replay buffer, without the held-out chains of this round)
   * under the model before training (nats per configuration).
   */
  nllBefore: number;
  /** Mean NLL of the training data after training. */
  nllAfter: number;
  /** Mean NLL of the held-out chains after training (with `validationFraction`). */
  validationNll?: number;
  acceptanceRate: number;
  /** ESS per second of the energy in the sampling phase. */
  essPerSecond: number;
  /** Integrated autocorrelation time of the energy (steps). */
  tauInt: number;
  samplingSeconds: number;
  trainingSeconds: number;
  /**
   * The trained model of this round judged from 2048 of its own exact samples at this round's
   * parameters (`proposalQuality`): allowed mass, ln Z and KL(pi || P) with error bars.
   */
  quality?: ProposalQuality;
}

/** Draws per round for the quality figures of {@link RoundReport.quality}. */
const QUALITY_DRAWS = 2048;
/** Stream QUALITY_STREAM + r of the seed draws round r's quality samples. */
const QUALITY_STREAM = 3_000_000;
const AUGMENTATION_STREAM = 4_000_000;
/** Stream LEARNER_STREAM + r of the seed is a custom learner's `random` in round r. */
const LEARNER_STREAM = 5_000_000;
/** Stream INITIAL_STREAM of the seed initialises the learner (random MPS, or a custom learner). */
const INITIAL_STREAM = 1_000_000;

/** Result of {@link learnByMonteCarlo}. */
export interface LearningResult {
  mps: MPS;
  reports: RoundReport[];
  /** Rounds completed in total (including those of earlier, interrupted calls). */
  roundsCompleted: number;
  /** True when every round of the path is done. */
  finished: boolean;
  /** The Adam trainer (to continue training or save its state); absent for sweep training. */
  trainer?: MPSTrainer;
  /** Final chain states. */
  chainStates: Int32Array;
}

/**
 * The learner of a run: a custom {@link ProposalLearner}, or one of the MPS learners (which also
 * give their MPS and, for Adam, the trainer). The MPS learners are handed round r's stream
 * itself as `random` (their draws keep the stream numbers of earlier releases).
 */
export type Learner = ProposalLearner & { readonly mps?: MPS; readonly trainer?: MPSTrainer };

function adamLearner(trainer: MPSTrainer, epochs: number, batchSize: number): Learner {
  return {
    get mps() {
      return trainer.mps;
    },
    get proposal() {
      return trainer.mps;
    },
    logProbabilities: (batch) => logProbabilities(trainer.mps, batch),
    train(data, { random }) {
      for (let e = 0; e < epochs; e++)
        trainer.epoch(data, { batchSize, seed: random.split(1 + e) });
    },
    save: () => trainer.saveState(),
    trainer,
  };
}

function sweepLearner(
  initial: MPS,
  options: {
    sweeps: number;
    bondDim: number;
    learningRates: readonly number[];
    cutoff: number;
    restarts: readonly boolean[];
    patience: number;
    /** The run's pool: the sweeps' per-sample work and the NLLs run on its workers. */
    pool: SamplerPool | undefined;
  },
): Learner {
  let current = initial;
  const { pool } = options;
  return {
    get mps() {
      return current;
    },
    get proposal() {
      return current;
    },
    // (a pool of an earlier release, or another implementation, may only draw)
    logProbabilities: (batch) =>
      typeof pool?.logProbabilities === 'function'
        ? pool.logProbabilities(current, batch)
        : logProbabilities(current, batch),
    async train(data, { random: stream, round, validation }) {
      const start = options.restarts[round]
        ? initialBornMPS({
            length: current.length,
            physicalDim: current.physicalDims[0]!,
            seed: stream.split(2),
          })
        : current;
      current = (
        await trainBornSweeps(start, data, {
          sweeps: options.sweeps,
          maxBondDim: options.bondDim,
          learningRate: options.learningRates[round]!,
          cutoff: options.cutoff,
          ...(validation ? { validation, patience: options.patience } : {}),
          pool,
        })
      ).mps;
    },
    save: () => serializeMPS(current),
  };
}

/** Largest number of rounds of an {@link annealingPath}. */
export const MAX_PATH_ROUNDS = 1_000_000;

/**
 * A linear path of one numeric parameter from `from` to the target's value over `rounds` rounds
 * (at most {@link MAX_PATH_ROUNDS}; the last `hold` rounds stay at the target), other parameters
 * fixed.
 */
export function annealingPath(
  target: ParameterValues,
  options: { parameter: string; from: number; rounds: number; hold?: number },
): ParameterValues[] {
  const fn = 'annealingPath';
  const end = target[options.parameter];
  if (typeof end !== 'number')
    invalidArgument(
      fn,
      'parameter',
      options.parameter,
      'the name of a numeric parameter of the target',
    );
  assertFinite(fn, 'from', options.from);
  // (a path is an array of rounds: 10^9 of them exhausted memory)
  assertInteger(fn, 'rounds', options.rounds, 1, MAX_PATH_ROUNDS);
  const hold = options.hold ?? 0;
  assertInteger(fn, 'hold', hold, 0, options.rounds - 1);
  const moving = options.rounds - hold;
  return Array.from({ length: options.rounds }, (_, r) => {
    const fraction = moving <= 1 ? 1 : Math.min(1, r / (moving - 1));
    return { ...target, [options.parameter]: options.from + fraction * (end - options.from) };
  });
}

/**
 * A learning run with every option checked and its defaults filled in (the first of the loop's
 * three parts: resolve, state, round). `fingerprint` is the canonical text of the options that
 * decide the result.
 */
export interface ResolvedLearning {
  readonly fn: string;
  readonly model: LatticeModel;
  readonly schedule: readonly ParameterValues[];
  readonly instances: readonly LatticeModelInstance[];
  readonly n: number;
  readonly d: number;
  readonly bondDim: number;
  readonly kind: MPSKind;
  readonly training: 'adam' | 'sweeps';
  readonly scheme: { kind: 'disconnected' } | { kind: 'connected'; noiseTime: number };
  readonly chains: number;
  readonly steps: number;
  readonly burnIn: number;
  readonly epochs: number;
  readonly batchSize: number;
  readonly sweepsPerRound: number;
  readonly replayRounds: number;
  readonly cutoff: number;
  readonly learningRates: readonly number[];
  readonly restarts: readonly boolean[];
  readonly patience: number;
  readonly heldOutChains: number;
  readonly symmetryImages: number;
  readonly symmetriesOf: readonly (readonly LatticeSymmetry[])[];
  readonly localSweeps: number;
  readonly initialMPS: MPS | undefined;
  /** The custom learner's factory (undefined: an MPS learner, `training`). */
  readonly learner: ProposalLearnerFactory | undefined;
  readonly root: RandomGenerator;
  readonly pool: SamplerPool | undefined;
  readonly chainRunner: ChainRunner;
  /** See {@link LearningLoopOptions.overlapRounds}. */
  readonly overlapRounds: boolean;
  readonly fingerprint: string;
  /**
   * An option of the other training method with another value than its default (it does nothing):
   * refused when a run starts, accepted when a checkpoint of an earlier release resumes.
   */
  readonly otherMethodOption?: { key: string; value: unknown; expected: string };
}

/** The live state of a run between rounds (the second part; saved as a {@link LearningState}). */
export interface LiveLearning {
  learner: Learner;
  chainStates: Int32Array;
  roundsCompleted: number;
  reports: RoundReport[];
  replay: Int32Array[];
  /**
   * With `overlapRounds`: the proposal the next round's chains use (the learner's before the
   * last training; undefined before the first round: the learner's own).
   */
  chainProposal?: MPS;
  /** With `overlapRounds`: the next round's chain run, done during the last training. */
  nextRun?: RunChainsResult;
}

/**
 * Runs (or resumes) the learning loop: with the options of an MPS learner, or with a custom
 * `learner` (see {@link ProposalLearnerFactory}), whose result holds the trained learner instead
 * of an MPS.
 */
export function learnByMonteCarlo<L extends ProposalLearner>(
  options: LearnerLoopOptions<L>,
): Promise<LearnerLoopResult<L>>;
export function learnByMonteCarlo(options: LearningLoopOptions): Promise<LearningResult>;
export async function learnByMonteCarlo(
  options: LearningLoopOptions | LearnerLoopOptions,
): Promise<LearningResult | LearnerLoopResult> {
  const resolved = resolveLearning(options);
  const { fn } = resolved;
  if (
    options.checkpoint !== undefined &&
    (typeof options.checkpoint !== 'object' ||
      options.checkpoint === null ||
      typeof options.checkpoint.load !== 'function' ||
      typeof options.checkpoint.save !== 'function')
  ) {
    invalidArgument(
      fn,
      'checkpoint',
      options.checkpoint,
      'a CheckpointStore { load(): Promise<string | undefined>, save(text): Promise<void> } (e.g. fileCheckpoint(path))',
    );
  }
  const saved = options.checkpoint ? await options.checkpoint.load() : undefined;
  let live: LiveLearning;
  if (saved !== undefined) {
    const state = readLearningState(fn, saved);
    if (state.fingerprint !== resolved.fingerprint) {
      throw new CheckpointMismatchError(
        fn,
        'the checkpoint of a run with the same model, path and options',
      );
    }
    live = await restoreLearning(resolved, state);
  } else {
    refuseOtherMethodOption(resolved);
    live = await startLearning(resolved);
  }
  let outcome: LearningOutcome;
  try {
    outcome = await continueLearning(resolved, live, {
      ...(options.checkpoint ? { save: (text: string) => options.checkpoint!.save(text) } : {}),
      ...(options.onRound ? { onRound: options.onRound } : {}),
      ...(options.maxRoundsThisCall === undefined
        ? {}
        : { maxRoundsThisCall: options.maxRoundsThisCall }),
    });
  } catch (error) {
    if (resolved.learner !== undefined) live.learner.dispose?.();
    throw error;
  }
  if (resolved.learner === undefined) return mpsResult(outcome);
  return {
    learner: outcome.learner,
    reports: outcome.reports,
    roundsCompleted: outcome.roundsCompleted,
    finished: outcome.finished,
    chainStates: outcome.chainStates,
  };
}

/** The loop's state at the end of a call of {@link continueLearning}. */
export interface LearningOutcome {
  learner: Learner;
  reports: RoundReport[];
  roundsCompleted: number;
  finished: boolean;
  chainStates: Int32Array;
}

/** The result of an MPS learner's run (the loop's result since the first release). */
export function mpsResult(outcome: LearningOutcome): LearningResult {
  const { learner } = outcome;
  return {
    mps: learner.mps!,
    reports: outcome.reports,
    roundsCompleted: outcome.roundsCompleted,
    finished: outcome.finished,
    ...(learner.trainer ? { trainer: learner.trainer } : {}),
    chainStates: outcome.chainStates,
  };
}

/**
 * Reads a saved state for `fn`: a {@link LearningState}, or an InvalidArgumentError naming the
 * `checkpoint` argument (with the format error as its cause).
 */
export function readLearningState(fn: string, saved: string): LearningState {
  try {
    return LearningState.fromJSON(saved);
  } catch (error) {
    if (!FormatError.isInstance(error)) throw error;
    if (error.field === 'state') {
      throw invalidArgumentWithCause(
        fn,
        'checkpoint',
        'unreadable text',
        `a checkpoint written by ${fn}`,
        error,
      );
    }
    if (error.field === 'format' || error.field === 'version') {
      const parsed = JSON.parse(saved) as Record<string, unknown>;
      throw invalidArgumentWithCause(
        fn,
        'checkpoint',
        parsed.format,
        `a "${LEARNING_STATE_FORMAT}" version ${LEARNING_STATE_VERSION} checkpoint`,
        error,
      );
    }
    throw invalidArgumentWithCause(
      fn,
      'checkpoint',
      `a state with an invalid field ${error.field}`,
      `a checkpoint written by ${fn}`,
      error,
    );
  }
}

/** Checks the options of {@link learnByMonteCarlo} and fills in the defaults. */
export function resolveLearning(
  given: LearningLoopOptions | LearnerLoopOptions,
  fn = 'learnByMonteCarlo',
): ResolvedLearning {
  if (typeof given !== 'object' || given === null)
    invalidArgument(fn, 'options', given, 'an options object');
  const options = given as LearningLoopOptions & { learner?: ProposalLearnerFactory };
  assertKnownOptions(
    fn,
    options,
    optionKeys<LearningLoopOptions & { learner?: unknown }>()([
      'model',
      'path',
      'schedule',
      'maxBondDim',
      'bondDim',
      'initialMPS',
      'kind',
      'scheme',
      'chains',
      'stepsPerRound',
      'burnIn',
      'localSweeps',
      'training',
      'replayRounds',
      'sweepsPerRound',
      'restart',
      'cutoff',
      'validationFraction',
      'patience',
      'symmetryImages',
      'epochsPerRound',
      'batchSize',
      'learningRate',
      'seed',
      'checkpoint',
      'pool',
      'chainRunner',
      'overlapRounds',
      'onRound',
      'maxRoundsThisCall',
      'learner',
    ]),
  );
  const learner = resolveLearnerFactory(fn, options);
  // (checked before any round runs: a bad onRound failed after round 0 was saved)
  if (options.onRound !== undefined && typeof options.onRound !== 'function') {
    invalidArgument(fn, 'onRound', options.onRound, 'a function (report) called after every round');
  }
  if (options.maxRoundsThisCall !== undefined) {
    assertInteger(fn, 'maxRoundsThisCall', options.maxRoundsThisCall, 1);
  }
  const { model } = options;
  if (!model || typeof model.create !== 'function')
    invalidArgument(fn, 'model', model, 'a lattice model (e.g. isingModel)');
  if (options.path !== undefined && options.schedule !== undefined) {
    invalidArgument(
      fn,
      'schedule',
      'given',
      'absent when path is given (schedule is its deprecated old name)',
    );
  }
  // the name the caller used, for errors; the value keeps its old name inside (and in the resume
  // fingerprint, so that checkpoints of earlier releases still resume)
  const pathName =
    options.path === undefined && options.schedule !== undefined ? 'schedule' : 'path';
  const schedule = options.path ?? options.schedule;
  if (!Array.isArray(schedule) || schedule.length < 1)
    invalidArgument(fn, pathName, schedule, 'a non-empty array of parameter points');
  const instances = schedule.map((p) => model.create(p));
  const first = instances[0]!;
  const n = first.sites;
  const d = first.localDimension;
  if (instances.some((m) => m.sites !== n || m.localDimension !== d)) {
    invalidArgument(
      fn,
      pathName,
      'points with different sizes',
      'parameter points of one lattice size',
    );
  }
  if (options.maxBondDim !== undefined && options.bondDim !== undefined) {
    invalidArgument(
      fn,
      'bondDim',
      options.bondDim,
      'absent when maxBondDim is given (bondDim is its deprecated old name)',
    );
  }
  const bondDim = options.maxBondDim ?? options.bondDim ?? 8;
  const chains = options.chains ?? 64;
  const steps = options.stepsPerRound ?? 64;
  const burnIn = options.burnIn ?? 8;
  const epochs = options.epochsPerRound ?? 4;
  const batchSize = options.batchSize ?? 256;
  const kind = options.kind ?? 'linear';
  // checked before anything is derived from them (chains = 0 was reported as a bad
  // validationFraction, an unknown kind by randomMPS)
  if (kind !== 'linear' && kind !== 'born') invalidArgument(fn, 'kind', kind, '"linear" or "born"');
  assertInteger(fn, 'chains', chains, 1);
  assertInteger(fn, 'stepsPerRound', steps, 1);
  assertInteger(fn, 'burnIn', burnIn, 0);
  assertInteger(fn, 'epochsPerRound', epochs, 0);
  // (these were refused later naming MPSTrainer.epoch, trainBornSweeps and runChains)
  assertInteger(fn, 'batchSize', batchSize, 1);
  if (
    options.cutoff !== undefined &&
    !(typeof options.cutoff === 'number' && options.cutoff >= 0 && options.cutoff < 1)
  ) {
    invalidArgument(fn, 'cutoff', options.cutoff, 'a number in [0, 1)');
  }
  assertSamplerPool(fn, options.pool);
  const training = options.training ?? (kind === 'born' ? 'sweeps' : 'adam');
  if (training !== 'adam' && training !== 'sweeps') {
    invalidArgument(fn, 'training', training, '"adam" or "sweeps"');
  }
  if (training === 'sweeps' && kind !== 'born') {
    invalidArgument(
      fn,
      'training',
      training,
      '"adam" for a linear MPS (sweep training needs kind "born")',
    );
  }
  const sweepsPerRound = options.sweepsPerRound ?? 1;
  const replayRounds = options.replayRounds ?? 1;
  assertInteger(fn, 'replayRounds', replayRounds, 1);
  const cutoff = options.cutoff ?? 1e-4;
  const learningRate = options.learningRate ?? (training === 'sweeps' ? 0.05 : 0.02);
  if (typeof learningRate === 'function' && training !== 'sweeps') {
    invalidArgument(
      fn,
      'learningRate',
      learningRate,
      'a number for training "adam" (a per-round rate function needs training "sweeps")',
    );
  }
  const restart = options.restart ?? false;
  if (typeof restart !== 'boolean' && typeof restart !== 'function') {
    invalidArgument(fn, 'restart', restart, 'a boolean or a function of the round index');
  }
  if (restart !== false && training !== 'sweeps') {
    invalidArgument(fn, 'restart', restart, 'false for training "adam" (restarts need "sweeps")');
  }
  const validationFraction = options.validationFraction ?? 0;
  if (
    typeof validationFraction !== 'number' ||
    !(validationFraction >= 0 && validationFraction < 1)
  ) {
    invalidArgument(fn, 'validationFraction', validationFraction, 'a number in [0, 1)');
  }
  if (validationFraction > 0 && training !== 'sweeps' && learner === undefined) {
    invalidArgument(
      fn,
      'validationFraction',
      validationFraction,
      '0 for training "adam" (early stopping is part of sweep training)',
    );
  }
  const patience = options.patience ?? 3;
  assertInteger(fn, 'patience', patience, 1);
  if (options.patience !== undefined && validationFraction === 0) {
    invalidArgument(
      fn,
      'patience',
      patience,
      'absent unless validationFraction > 0 (patience is the early stopping of held-out chains)',
    );
  }
  // The other training method's options did nothing, silently (sweepsPerRound: 4 under Adam).
  // A value equal to the default is accepted: it changes nothing, and training recipes list
  // these fields for either method. Refused when a run starts (refuseOtherMethodOption), not when
  // it resumes: a checkpoint of an earlier release may hold such a value in its fingerprint.
  let otherMethodOption: ResolvedLearning['otherMethodOption'];
  const otherMethod: [keyof LearningLoopOptions, unknown][] =
    training === 'adam'
      ? [
          ['sweepsPerRound', 1],
          ['cutoff', 1e-4],
        ]
      : [
          ['epochsPerRound', 4],
          ['batchSize', 256],
        ];
  for (const [key, byDefault] of otherMethod) {
    const value = options[key];
    if (
      learner === undefined &&
      otherMethodOption === undefined &&
      value !== undefined &&
      value !== byDefault
    ) {
      otherMethodOption = {
        key,
        value,
        expected: `absent with training "${training}" (it applies to training "${training === 'adam' ? 'sweeps' : 'adam'}" only)`,
      };
    }
  }
  const symmetryImages = options.symmetryImages ?? 0;
  assertInteger(fn, 'symmetryImages', symmetryImages, 0, 1024);
  const symmetriesOf = instances.map((m) => m.symmetries?.() ?? []);
  if (symmetryImages > 0) {
    symmetriesOf.forEach((symmetries, r) => {
      if (symmetries.length === 0) {
        invalidArgument(
          fn,
          'symmetryImages',
          true,
          `false for a model that declares no symmetries (model "${model.id}" at ${pathName}[${r}] has no symmetries())`,
        );
      }
      symmetries.forEach((g, k) => {
        checkSymmetry(fn, `model symmetries()[${k}]`, g, n, d);
      });
    });
  }
  const heldOutChains =
    validationFraction > 0 ? Math.max(1, Math.round(validationFraction * chains)) : 0;
  if (heldOutChains >= chains) {
    invalidArgument(
      fn,
      'validationFraction',
      validationFraction,
      `a fraction that leaves training chains (${heldOutChains} of ${chains} held out)`,
    );
  }
  const restarts = schedule.map((_, r) => (typeof restart === 'function' ? restart(r) : restart));
  restarts.forEach((value, r) => {
    if (typeof value !== 'boolean') invalidArgument(fn, `restart(${r})`, value, 'a boolean');
  });
  // one rate per round, validated up front (a rate function is evaluated once for every round)
  const learningRates = schedule.map((_, r) => {
    const rate = typeof learningRate === 'function' ? learningRate(r) : learningRate;
    assertFinite(
      fn,
      typeof learningRate === 'function' ? `learningRate(${r})` : 'learningRate',
      rate,
      Number.MIN_VALUE,
    );
    return rate;
  });
  const scheme =
    options.scheme ??
    (learner === undefined
      ? { kind: 'connected' as const, noiseTime: 0.5 }
      : { kind: 'disconnected' as const });
  // the scheme before any round runs (a bad one was found by runChains after the set-up)
  if (typeof scheme !== 'object' || scheme === null) {
    invalidArgument(
      fn,
      'scheme',
      scheme,
      '{ kind: "disconnected" } or { kind: "connected", noiseTime }',
    );
  }
  if (scheme.kind === 'connected') {
    assertKnownOptions(fn, scheme, ['kind', 'noiseTime'], 'scheme');
    assertFinite(fn, 'scheme.noiseTime', scheme.noiseTime, Number.MIN_VALUE);
  } else if (scheme.kind === 'disconnected') {
    assertKnownOptions(fn, scheme, ['kind'], 'scheme');
  } else {
    invalidArgument(
      fn,
      'scheme',
      scheme,
      '{ kind: "disconnected" } or { kind: "connected", noiseTime }',
    );
  }
  assertInteger(fn, options.bondDim !== undefined ? 'bondDim' : 'maxBondDim', bondDim, 1);
  assertInteger(fn, 'seed', options.seed, 0, Number.MAX_SAFE_INTEGER);
  const localSweeps = options.localSweeps ?? 1;
  assertInteger(fn, 'localSweeps', localSweeps, 0);
  const root = createRandom(options.seed);
  const initialMPS = options.initialMPS;
  if (initialMPS !== undefined) {
    assertMPS(fn, initialMPS, 'initialMPS');
    if (
      initialMPS.length !== n ||
      initialMPS.physicalDims.some((pd) => pd !== d) ||
      initialMPS.kind !== kind
    ) {
      invalidArgument(
        fn,
        'initialMPS',
        `a ${initialMPS.kind} MPS of ${initialMPS.length} sites`,
        `a ${kind} MPS (the \`kind\` option) of ${n} sites of dimension ${d} (the model's)`,
      );
    }
  }
  const overlapRounds = options.overlapRounds ?? false;
  if (typeof overlapRounds !== 'boolean')
    invalidArgument(fn, 'overlapRounds', overlapRounds, 'true or false');
  const fingerprint = learner
    ? JSON.stringify({
        model: model.id,
        schedule,
        learner: learner.fingerprint,
        scheme,
        chains,
        steps,
        burnIn,
        seed: options.seed,
        replayRounds,
        localSweeps,
        ...(validationFraction > 0 ? { validationFraction } : {}),
        ...(symmetryImages > 0 ? { symmetryImages } : {}),
        ...(overlapRounds ? { overlapRounds } : {}),
      })
    : mpsFingerprint();
  function mpsFingerprint(): string {
    return JSON.stringify({
      model: model.id,
      schedule,
      bondDim,
      kind,
      scheme,
      chains,
      steps,
      burnIn,
      epochs,
      batchSize,
      seed: options.seed,
      lr: typeof learningRate === 'function' ? learningRates : learningRate,
      training,
      sweepsPerRound,
      cutoff,
      replayRounds,
      ...(restart === false ? {} : { restarts }),
      ...(validationFraction > 0 ? { validationFraction, patience } : {}),
      // (listed only when not the default, so that older checkpoints still resume)
      ...(localSweeps !== 1 ? { localSweeps } : {}),
      ...(symmetryImages > 0 ? { symmetryImages } : {}),
      ...(initialMPS === undefined ? {} : { initialMPS: textDigest(serializeMPS(initialMPS)) }),
      ...(overlapRounds ? { overlapRounds } : {}),
    });
  }
  if (options.chainRunner !== undefined && typeof options.chainRunner !== 'function') {
    invalidArgument(
      fn,
      'chainRunner',
      options.chainRunner,
      'a function (options) => Promise<RunChainsResult>, e.g. chainsOnWorkers({ module }) of @latticediff/monte-carlo/node',
    );
  }
  return {
    fn,
    model,
    schedule,
    instances,
    n,
    d,
    bondDim,
    kind,
    training,
    scheme,
    chains,
    steps,
    burnIn,
    epochs,
    batchSize,
    sweepsPerRound,
    replayRounds,
    cutoff,
    learningRates,
    restarts,
    patience,
    heldOutChains,
    symmetryImages,
    symmetriesOf,
    localSweeps,
    initialMPS,
    learner,
    root,
    pool: options.pool,
    chainRunner: options.chainRunner ?? runChains,
    overlapRounds,
    fingerprint,
    ...(otherMethodOption === undefined ? {} : { otherMethodOption }),
  };
}

/**
 * Refuses, when a run starts, an option of the other training method given with another value
 * than its default (see resolveLearning). @internal (runOrResume too)
 */
export function refuseOtherMethodOption(resolved: ResolvedLearning): void {
  const o = resolved.otherMethodOption;
  if (o !== undefined) invalidArgument(resolved.fn, o.key, o.value, o.expected);
}

/**
 * The `learner` option checked: a factory with a JSON-able fingerprint, and none of the MPS
 * learners' options beside it (each refused by name).
 */
function resolveLearnerFactory(
  fn: string,
  options: LearningLoopOptions & { learner?: ProposalLearnerFactory },
): ProposalLearnerFactory | undefined {
  const factory = options.learner;
  if (factory === undefined) return undefined;
  if (
    typeof factory !== 'object' ||
    factory === null ||
    typeof factory.create !== 'function' ||
    typeof factory.restore !== 'function'
  ) {
    invalidArgument(
      fn,
      'learner',
      factory,
      'a ProposalLearnerFactory { fingerprint, create(context), restore(text, context) }',
    );
  }
  let text: string | undefined;
  try {
    text = JSON.stringify(factory.fingerprint);
  } catch {
    text = undefined;
  }
  if (typeof text !== 'string') {
    invalidArgument(
      fn,
      'learner.fingerprint',
      factory.fingerprint,
      "a JSON-able description of the learner's settings",
    );
  }
  for (const name of MPS_LEARNER_OPTIONS) {
    if (options[name] !== undefined) {
      invalidArgument(
        fn,
        name,
        options[name],
        'absent with a custom learner (an option of the MPS learners; the learner factory holds its own settings)',
      );
    }
  }
  return factory;
}

/**
 * The learner of a run, from its starting MPS, or for Adam from a restored trainer (parameters
 * and moments).
 */
function newLearner(resolved: ResolvedLearning, start: MPS | MPSTrainer): Learner {
  if (resolved.training === 'adam') {
    return adamLearner(
      start instanceof MPSTrainer
        ? start
        : new MPSTrainer(start, { learningRate: resolved.learningRates[0]! }),
      resolved.epochs,
      resolved.batchSize,
    );
  }
  return sweepLearner(start as MPS, {
    sweeps: resolved.sweepsPerRound,
    bondDim: resolved.bondDim,
    learningRates: resolved.learningRates,
    cutoff: resolved.cutoff,
    restarts: resolved.restarts,
    patience: resolved.patience,
    pool: resolved.pool,
  });
}

/**
 * A fresh run: the warm start, or a random MPS (adam) / the uniform state plus noise (sweeps),
 * or a custom learner's `create`.
 */
export async function startLearning(resolved: ResolvedLearning): Promise<LiveLearning> {
  const { n, d, chains, root, initialMPS } = resolved;
  let learner: Learner;
  if (resolved.learner !== undefined) {
    learner = checkedLearner(
      resolved,
      await resolved.learner.create({
        sites: n,
        localDimension: d,
        random: root.split(INITIAL_STREAM),
      }),
      'learner.create()',
    );
  } else {
    const initial =
      initialMPS ??
      (resolved.training === 'adam'
        ? randomMPS({
            length: n,
            physicalDim: d,
            bondDim: resolved.bondDim,
            kind: resolved.kind,
            seed: root.split(INITIAL_STREAM),
            spread: 0.05,
          })
        : initialBornMPS({ length: n, physicalDim: d, seed: root.split(INITIAL_STREAM) }));
    learner = newLearner(resolved, initial);
  }
  assertOverlapProposal(resolved, learner, true);
  const first = resolved.instances[0]!;
  const chainStates = new Int32Array(chains * n);
  const x0 = first.initialConfiguration();
  for (let c = 0; c < chains; c++) chainStates.set(x0, c * n);
  if (initialMPS !== undefined) {
    // start where the proposal puts its mass: allowed draws of the warm start
    const draws = sample(initialMPS, { count: chains, seed: root.split(1_000_001) });
    const energies = first.energy(draws);
    for (let c = 0; c < chains; c++) {
      if (Number.isFinite(energies[c]!)) {
        chainStates.set(draws.data.subarray(c * n, (c + 1) * n), c * n);
      }
    }
  }
  return {
    learner,
    chainStates,
    roundsCompleted: 0,
    reports: [],
    replay: [],
  };
}

/**
 * A custom learner as the loop needs it: the methods of a {@link ProposalLearner}, a proposal
 * over the model's sites, and an MPS where the scheme is connected (denoising needs one).
 */
function checkedLearner(resolved: ResolvedLearning, learner: unknown, source: string): Learner {
  const { fn, n, d, scheme } = resolved;
  const l = learner as ProposalLearner;
  if (
    typeof l !== 'object' ||
    l === null ||
    typeof l.train !== 'function' ||
    typeof l.save !== 'function' ||
    typeof l.logProbabilities !== 'function' ||
    typeof l.proposal !== 'object' ||
    l.proposal === null
  ) {
    invalidArgument(
      fn,
      'learner',
      `a factory whose ${source} gave ${l === null ? 'null' : typeof l}`,
      'a factory whose learners have proposal, logProbabilities(batch), train(data, context) and save()',
    );
  }
  const proposal = l.proposal;
  const isMPS = MPS.isMPS(proposal);
  const sites = isMPS ? proposal.length : proposal.sites;
  const dims = isMPS ? proposal.physicalDims : [proposal.localDimension];
  if (sites !== n || dims.some((x) => x !== d)) {
    invalidArgument(
      fn,
      'learner',
      `a factory whose ${source} gave a proposal of ${sites} sites`,
      `a proposal over the model's ${n} sites of dimension ${d}`,
    );
  }
  if (scheme.kind === 'connected' && !isMPS) {
    l.dispose?.();
    invalidArgument(
      fn,
      'scheme',
      'connected',
      '"disconnected" (the default with a learner) for a learner whose proposal is not an MPS (denoising needs one)',
    );
  }
  return l;
}

/**
 * A run continued from a saved state of the same run (the caller has checked that it is: by
 * fingerprint or by recipe). Refuses chain states that do not fit the model and a state with
 * more rounds than the path.
 */
export async function restoreLearning(
  resolved: ResolvedLearning,
  state: LearningState,
): Promise<LiveLearning> {
  const { fn, chains, n, d } = resolved;
  let learner: Learner;
  try {
    if (resolved.learner !== undefined) {
      learner = checkedLearner(
        resolved,
        await resolved.learner.restore(state.trainer, { sites: n, localDimension: d }),
        'learner.restore()',
      );
    } else {
      learner =
        resolved.training === 'adam'
          ? newLearner(resolved, MPSTrainer.restore(state.trainer))
          : newLearner(resolved, deserializeMPS(state.trainer).mps);
    }
  } catch (error) {
    if (InvalidArgumentError.isInstance(error) && error.functionName === fn) throw error;
    if (!LatticeDiffError.isInstance(error)) throw error;
    throw invalidArgumentWithCause(
      fn,
      'checkpoint',
      'a state whose trainer cannot be read',
      `a checkpoint written by ${fn}`,
      error,
    );
  }
  const { chainStates } = state;
  if (chainStates.length !== chains * n || chainStates.some((v) => !(v >= 0 && v < d))) {
    if (resolved.learner !== undefined) learner.dispose?.();
    invalidArgument(
      fn,
      'checkpoint',
      'chain states of the wrong size or range',
      `${chains} chains of ${n} digits in [0, ${d - 1}]`,
    );
  }
  // the replayed rounds: checked here, not by the training after the next round's chains ran
  // (digits of 5 were reported there by logProbabilities; a wrong length as a fractional count)
  const roundDigits = chains * resolved.steps * n;
  if (
    state.replay.length > resolved.replayRounds ||
    state.replay.some((r) => r.length !== roundDigits || r.some((v) => !(v >= 0 && v < d)))
  ) {
    if (resolved.learner !== undefined) learner.dispose?.();
    invalidArgument(
      fn,
      'checkpoint',
      'replayed rounds of the wrong number, size or range',
      `at most ${resolved.replayRounds} rounds of ${chains} chains x ${resolved.steps} steps x ${n} digits in [0, ${d - 1}]`,
    );
  }
  if (state.roundsCompleted > resolved.schedule.length) {
    if (resolved.learner !== undefined) learner.dispose?.();
    invalidArgument(
      fn,
      'checkpoint',
      `a state after round ${state.roundsCompleted}`,
      `a state of at most ${resolved.schedule.length} rounds (the path's)`,
    );
  }
  let chainProposal: MPS | undefined;
  if (resolved.overlapRounds && state.roundsCompleted > 0) {
    try {
      if (state.chainProposal === undefined) throw new FormatError('chainProposal', 'missing');
      chainProposal = deserializeMPS(state.chainProposal).mps;
    } catch (error) {
      if (resolved.learner !== undefined) learner.dispose?.();
      if (!LatticeDiffError.isInstance(error)) throw error;
      throw invalidArgumentWithCause(
        fn,
        'checkpoint',
        'a state without a readable chainProposal',
        `a checkpoint written by ${fn} with overlapRounds`,
        error,
      );
    }
    if (chainProposal.length !== n || chainProposal.physicalDims.some((x) => x !== d)) {
      if (resolved.learner !== undefined) learner.dispose?.();
      invalidArgument(
        fn,
        'checkpoint',
        `a chainProposal of ${chainProposal.length} sites`,
        `an MPS over the model's ${n} sites of dimension ${d}`,
      );
    }
  }
  assertOverlapProposal(resolved, learner, true);
  return {
    learner,
    chainStates,
    roundsCompleted: state.roundsCompleted,
    reports: state.reports,
    replay: state.replay,
    ...(chainProposal === undefined ? {} : { chainProposal }),
  };
}

/**
 * `overlapRounds` keeps the proposal before each training: it must be an (immutable) MPS. With
 * `dispose` (a learner not yet handed to the loop), a refused custom learner is disposed first.
 */
function assertOverlapProposal(
  resolved: ResolvedLearning,
  learner: Learner,
  dispose = false,
): void {
  if (resolved.overlapRounds && !MPS.isMPS(learner.proposal)) {
    if (dispose && resolved.learner !== undefined) learner.dispose?.();
    invalidArgument(
      resolved.fn,
      'overlapRounds',
      true,
      "false with a learner whose proposal is not an MPS (the next round's chains keep the proposal before each training, which only an MPS, immutable, guarantees)",
    );
  }
}

/** The saved form of a live run (with the recipe record of `runOrResume`, when given). */
export function saveLearning(
  resolved: ResolvedLearning,
  live: LiveLearning,
  recipe?: unknown,
): LearningState {
  return new LearningState({
    fingerprint: resolved.fingerprint,
    roundsCompleted: live.roundsCompleted,
    trainer: live.learner.save(),
    chainStates: live.chainStates,
    replay: live.replay,
    reports: live.reports,
    ...(live.chainProposal === undefined
      ? {}
      : { chainProposal: serializeMPS(live.chainProposal) }),
    ...(recipe === undefined ? {} : { recipe }),
  });
}

/**
 * Runs rounds from `live` to the end of the path (or `maxRoundsThisCall` rounds), saving the
 * state after each, and returns where the loop stands.
 */
export async function continueLearning(
  resolved: ResolvedLearning,
  live: LiveLearning,
  options: {
    save?: (text: string) => void | Promise<void>;
    recipe?: unknown;
    onRound?: (report: RoundReport) => void;
    maxRoundsThisCall?: number;
  },
): Promise<LearningOutcome> {
  const limit = options.maxRoundsThisCall ?? Number.POSITIVE_INFINITY;
  let doneThisCall = 0;
  while (live.roundsCompleted < resolved.schedule.length && doneThisCall < limit) {
    // (with overlapRounds, the next round's chains run during this round's training when this
    // call goes on to that round)
    const report = await learningRound(resolved, live, {
      runNext: doneThisCall + 1 < limit,
    });
    doneThisCall++;
    if (options.save) {
      await options.save(JSON.stringify(saveLearning(resolved, live, options.recipe)));
    }
    options.onRound?.(report);
  }
  return {
    learner: live.learner,
    reports: live.reports,
    roundsCompleted: live.roundsCompleted,
    finished: live.roundsCompleted === resolved.schedule.length,
    chainStates: live.chainStates,
  };
}

/**
 * One round (the third part): sample with the current proposal (with `overlapRounds`, the one
 * before the last training), train, report; updates `live`. With `overlapRounds` and `runNext`,
 * the next round's chains run while this round trains.
 */
export async function learningRound(
  resolved: ResolvedLearning,
  live: LiveLearning,
  options: { runNext?: boolean } = {},
): Promise<RoundReport> {
  const { n, chains, steps, root, heldOutChains, symmetryImages, overlapRounds } = resolved;
  const { learner } = live;
  const r = live.roundsCompleted;
  const instance = resolved.instances[r]!;
  const stream = root.split(r);
  const run =
    live.nextRun ??
    (await roundChains(
      resolved,
      r,
      live.chainStates,
      overlapRounds ? (live.chainProposal ?? learner.proposal) : learner.proposal,
    ));
  const replay = [...live.replay, run.configurations!].slice(-resolved.replayRounds);
  // the last heldOutChains chains of this round validate; everything else trains
  const trainingChains = chains - heldOutChains;
  const current = run.configurations!;
  let data = concatenateBatches(
    [...replay.slice(0, -1), current.subarray(0, trainingChains * steps * n)],
    n,
  );
  if (symmetryImages > 0) {
    const random = root.split(AUGMENTATION_STREAM + r);
    const images = Array.from(
      { length: symmetryImages },
      () => randomSymmetryImages(resolved.symmetriesOf[r]!, data, n, random).data,
    );
    data = concatenateBatches(images, n);
  }
  const validation =
    heldOutChains > 0
      ? { data: current.slice(trainingChains * steps * n), count: heldOutChains * steps }
      : undefined;
  const chainEnergies = instance.energy({ data: current, count: chains * steps });
  const energyChains = Array.from({ length: chains }, (_, c) =>
    chainEnergies.subarray(c * steps, (c + 1) * steps),
  );
  let tauInt = Number.NaN;
  let essPerSecond = Number.NaN;
  try {
    const s = summarize(energyChains, { elapsedSeconds: run.seconds });
    tauInt = s.tauInt;
    essPerSecond = s.essPerSecond ?? Number.NaN;
  } catch {
    // a constant energy series (e.g. all chains stuck) has no autocorrelation time
  }
  // overlapRounds: the proposal before this training is the next round's (an MPS: immutable)
  const before = learner.proposal;
  if (overlapRounds) assertOverlapProposal(resolved, learner);
  const training = (async () => {
    const trainStart = performance.now();
    const nllBefore = await meanNll(learner, data);
    // the MPS learners keep the stream numbers of earlier releases (round r's stream itself)
    const random = resolved.learner === undefined ? stream : root.split(LEARNER_STREAM + r);
    await learner.train(data, { round: r, random, ...(validation ? { validation } : {}) });
    const nllAfter = await meanNll(learner, data);
    const validationNll = validation ? await meanNll(learner, validation) : undefined;
    const trainingSeconds = (performance.now() - trainStart) / 1000;
    // an MPS proposal draws on the pool's workers (the same draws)
    const quality = await proposalQuality(instance, learner.proposal, {
      count: QUALITY_DRAWS,
      seed: root.split(QUALITY_STREAM + r),
      ...(resolved.pool && MPS.isMPS(learner.proposal) ? { pool: resolved.pool } : {}),
    });
    return { nllBefore, nllAfter, validationNll, trainingSeconds, quality };
  })();
  // (async: a chain runner that throws at once rejects this promise, and the training is still
  // awaited below)
  const next =
    overlapRounds && options.runNext !== false && r + 1 < resolved.schedule.length
      ? (async () => roundChains(resolved, r + 1, run.final.data, before))()
      : undefined;
  // both settle before the round ends (no work left running when one of them fails)
  const [trained, nextRun] = await Promise.allSettled([training, next]);
  if (trained.status === 'rejected') throw trained.reason;
  const { nllBefore, nllAfter, validationNll, trainingSeconds, quality } = trained.value;
  const report: RoundReport = {
    round: r,
    parameters: { ...resolved.schedule[r]! },
    nllBefore,
    nllAfter,
    ...(validationNll === undefined ? {} : { validationNll }),
    acceptanceRate: run.acceptanceRate,
    essPerSecond,
    tauInt,
    samplingSeconds: run.seconds,
    trainingSeconds,
    quality,
  };
  live.chainStates = run.final.data;
  live.replay = replay;
  live.reports = [...live.reports, report];
  live.roundsCompleted = r + 1;
  if (overlapRounds) {
    live.chainProposal = before as MPS;
    // the next round's chains ran ahead: kept when they succeeded; when they failed, this round
    // still completes (and is saved) and the next round runs them again, failing there with
    // their error if it recurs (the same inputs, so the same result when it does not)
    if (nextRun.status === 'fulfilled' && nextRun.value !== undefined) live.nextRun = nextRun.value;
    else delete live.nextRun;
  }
  return report;
}

/**
 * Round r's chains, from a copy of `states` (those no longer allowed at round r's parameters
 * restart from the model's initial configuration). `states` itself is not changed, even by a
 * chain runner that writes into its `initial` (the overlapped rounds save the states after the
 * next round's chains have run).
 */
function roundChains(
  resolved: ResolvedLearning,
  r: number,
  states: Int32Array,
  proposal: Learner['proposal'],
): Promise<RunChainsResult> {
  const { n, chains } = resolved;
  const instance = resolved.instances[r]!;
  const energies = instance.energy({ data: states, count: chains });
  const initial = states.slice();
  for (let c = 0; c < chains; c++) {
    if (!Number.isFinite(energies[c]!)) initial.set(instance.initialConfiguration(), c * n);
  }
  return resolved.chainRunner({
    model: instance,
    proposal,
    scheme: resolved.scheme,
    chains,
    steps: resolved.steps,
    burnIn: resolved.burnIn,
    seed: resolved.root.split(r).split(0),
    initial: { data: initial, count: chains },
    keepConfigurations: true,
    // the energy series comes from the kept configurations: the contract does not require
    // an `energyPerSite` observable of a model
    observables: [],
    localSweeps: resolved.localSweeps,
    ...(resolved.pool ? { pool: resolved.pool } : {}),
  });
}

async function meanNll(learner: Learner, data: ConfigurationRows): Promise<number> {
  const lp = await learner.logProbabilities(data);
  let total = 0;
  for (let b = 0; b < lp.length; b++) total -= lp[b]!;
  return total / lp.length;
}

function invalidArgumentWithCause(
  fn: string,
  argument: string,
  value: unknown,
  expected: string,
  cause: unknown,
): Error {
  try {
    invalidArgument(fn, argument, value, expected);
  } catch (error) {
    (error as { cause?: unknown }).cause = cause;
    return error as Error;
  }
  return new Error('unreachable');
}

/** A short digest of a text for the resume fingerprint: two 32-bit FNV-1a hashes, as hex. */
function textDigest(text: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let k = 0; k < text.length; k++) {
    const c = text.charCodeAt(k);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x01000193) ^ (b >>> 15);
  }
  return `${(a >>> 0).toString(16).padStart(8, '0')}${(b >>> 0).toString(16).padStart(8, '0')}`;
}
