/**
 * `latticediff train <model> --proposal neural`: a MADE network, or with `--network pixelcnn` a
 * masked-convolution PixelCNN for square lattices (@latticediff/neural, loaded on demand),
 * trained by reverse KL, the variational free energy of variational autoregressive networks,
 * with beta annealing. The complete training state (weights, Adam moments, the position of the
 * training's random stream) is saved atomically to FILE.state every {@link SAVE_EVERY} steps;
 * after a kill the same command resumes from it and ends bit for bit where an uninterrupted run
 * ends. At the end FILE is written atomically (a `latticediff.made` or `latticediff.pixelcnn`
 * checkpoint with the model, parameters and run record in its metadata) and FILE.state removed.
 *
 * With `--objective nll` the network learns instead by forward NLL on Monte Carlo samples, in a
 * learning loop like the MPS's (see {@link trainNeuralNLLToFile}): no energy of the network's own
 * draws enters the loss, so models with hard constraints (fredkin) can have a neural proposal.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { LatticeModel, LatticeModelInstance, ParameterValues } from '@latticediff/lattice';
import {
  annealingPath,
  CheckpointMismatchError,
  learnByMonteCarlo,
  type ProposalQuality,
  type RoundReport,
} from '@latticediff/monte-carlo';
import { fileCheckpoint, writeFileAtomic } from '@latticediff/monte-carlo/node';
import {
  createRandom,
  deserializeMPS,
  InvalidArgumentError,
  LatticeDiffError,
  NumericalError,
} from '@latticediff/tensor-network';
import { type FlagSpec, type FlagValues, flagValue } from '../args';
import { createInstance, defaultAnnealing, exitOnInterrupt, SEED_FLAG } from '../common';
import { oneLine, quote, UsageError, usage } from '../errors';
import {
  AtomicFileWriter,
  createProgress,
  ensureDirectory,
  formatSeconds,
  num,
  printJson,
  progressEnabled,
  removeStaleTemporaries,
  table,
} from '../io';
import {
  hardConstraintsError,
  hasHardConstraints,
  loadNeural,
  NEURAL_PACKAGE,
  type NetworkKind,
  type Neural,
  type NeuralNetwork,
  networkClass,
  neuralCheckpointKind,
  startBackend,
} from '../neural';
import { chartsSvg, modelCaption } from '../svg';
import { exactEntropy, klPanel, parametersText, roundsTable } from './train-render';

/** Steps between two saves of FILE.state. */
export const SAVE_EVERY = 10;
/** Exact draws of the trained network behind the variational bound. */
export const BOUND_DRAWS = 4096;
/** Sites up to which `train` asks the model for its exact ln Z (exact references can be slow). */
const EXACT_MAX_SITES = 128;

/** Flags only neural training uses. */
export const NEURAL_ONLY_FLAGS = [
  'network',
  'hidden',
  'kernel-size',
  'channels',
  'depth',
  'batch',
  'beta-anneal',
  'z2',
  'backend',
  'objective',
] as const;
/** Flags of the MADE network that a PixelCNN run refuses. */
export const MADE_ONLY_FLAGS = ['hidden', 'z2'] as const;
/** Flags of the PixelCNN network that a MADE run refuses. */
export const PIXELCNN_ONLY_FLAGS = ['kernel-size', 'channels', 'depth'] as const;
/** Defaults of the PixelCNN flags (those of the package's PixelCNN.create). */
export const PIXELCNN_DEFAULTS = { kernelSize: 3, channels: 16, depth: 3 } as const;
/** Flags of the MPS training that every neural run refuses. */
export const MPS_ONLY_FLAGS = [
  'max-bond-dim',
  'noise-time',
  'kind',
  'training',
  'restart',
  'sweeps',
  'overlap-rounds',
  'scheme',
  'validation-fraction',
  'path',
  'kappa',
  'recipe',
  'workers',
] as const;
/**
 * Flags of the Monte Carlo learning loop (defined with the MPS training) that a neural run takes
 * with `--objective nll` and refuses with reverse KL.
 */
export const NLL_LOOP_FLAGS = [
  'rounds',
  'chains',
  'epochs',
  'local-sweeps',
  'replay',
  'anneal-from',
] as const;
/** Flags of the reverse-KL training that `--objective nll` refuses. */
export const REVERSE_KL_ONLY_FLAGS = ['beta-anneal'] as const;

const PROPOSAL_FLAG = {
  name: 'proposal',
  type: 'choice',
  choices: ['mps', 'neural'],
  description:
    'what to train: an MPS (tensor-network DDM proposal), or a neural network, MADE or PixelCNN (needs the optional package @latticediff/neural)',
  default: 'mps',
} as const satisfies FlagSpec;

const NETWORK_FLAG = {
  name: 'network',
  type: 'choice',
  choices: ['made', 'pixelcnn'],
  description:
    'which network: a dense MADE (any model), or a masked-convolution PixelCNN (2D square lattices only, padded periodically along the periodic axes of the model) (--proposal neural)',
  default: 'made',
} as const satisfies FlagSpec;

const KERNEL_SIZE_FLAG = {
  name: 'kernel-size',
  type: 'integer',
  valueName: 'K',
  description:
    "odd size K of the K x K masked convolutions of the PixelCNN (kernelSize; VAN's half-kernel size is (K - 1) / 2) (--network pixelcnn)",
  minimum: 1,
  maximum: 63,
  default: PIXELCNN_DEFAULTS.kernelSize,
} as const satisfies FlagSpec;

const CHANNELS_FLAG = {
  name: 'channels',
  type: 'integer',
  valueName: 'N',
  description: "channels of the hidden layers of the PixelCNN (VAN's width) (--network pixelcnn)",
  minimum: 1,
  maximum: 4096,
  default: PIXELCNN_DEFAULTS.channels,
} as const satisfies FlagSpec;

const DEPTH_FLAG = {
  name: 'depth',
  type: 'integer',
  valueName: 'N',
  description:
    'masked convolution layers of the PixelCNN: one that excludes the centre site, N - 1 that include it (--network pixelcnn)',
  minimum: 1,
  maximum: 64,
  default: PIXELCNN_DEFAULTS.depth,
} as const satisfies FlagSpec;

const BATCH_FLAG = {
  name: 'batch',
  type: 'integer',
  valueName: 'N',
  description:
    'exact draws of the network per reverse-KL step, or with --objective nll the mini-batch of the NLL epochs (--proposal neural)',
  minimum: 2,
  maximum: 1000000,
  default: 256,
} as const satisfies FlagSpec;

const BETA_ANNEAL_FLAG = {
  name: 'beta-anneal',
  type: 'number',
  valueName: 'A',
  description:
    'beta annealing of the reverse-KL steps, beta_t = beta (1 - A^t), in [0, 1); 0: none (--proposal neural)',
  minimum: 0,
  default: 0.98,
} as const satisfies FlagSpec;

const OBJECTIVE_FLAG = {
  name: 'objective',
  type: 'choice',
  choices: ['reverse-kl', 'nll'],
  description:
    'how the network learns: reverse KL (the variational free energy, from the energy alone), or forward NLL on Monte Carlo samples in a learning loop (--rounds, --chains, --steps, --local-sweeps, --epochs, --replay, --anneal-from), which also trains models with hard constraints (fredkin) (--proposal neural)',
  default: 'reverse-kl',
} as const satisfies FlagSpec;

/** Reverse-KL steps of a neural training run when --steps is not given. */
export const NEURAL_STEPS = 500;

/**
 * The learning loop of `--objective nll` when its flags are not given (the flags are those of
 * the MPS training, whose help gives the MPS defaults). Measured on fredkin (see the docs).
 */
export const NLL_DEFAULTS = {
  rounds: 10,
  chains: 64,
  steps: 32,
  localSweeps: 100,
  epochs: 8,
  replay: 3,
  learningRate: 3e-3,
} as const;
/** Largest chains x steps x sites of one round of `--objective nll` (the samples it keeps). */
const MAX_ROUND_DIGITS = 2 ** 26;

export const NEURAL_FLAGS: readonly FlagSpec[] = [
  PROPOSAL_FLAG,
  NETWORK_FLAG,
  {
    name: 'hidden',
    type: 'integer',
    valueName: 'N',
    description:
      "hidden units of the MADE network (one hidden layer; --depth is the PixelCNN's) (--network made)",
    minimum: 1,
    maximum: 65536,
    defaultText: 'max(8, 4 x sites)',
  },
  KERNEL_SIZE_FLAG,
  CHANNELS_FLAG,
  DEPTH_FLAG,
  BATCH_FLAG,
  BETA_ANNEAL_FLAG,
  OBJECTIVE_FLAG,
  {
    name: 'z2',
    type: 'boolean',
    description:
      'symmetrise the MADE network under flipping every digit, q(x) = (q(x) + q(1 - x)) / 2, for targets with that symmetry (Ising without field) (--network made)',
  },
  {
    name: 'backend',
    type: 'choice',
    choices: ['wasm', 'cpu'],
    description:
      'tfjs backend of the training (float32; the results differ in the last bits between backends) (--proposal neural)',
    defaultText: 'wasm, cpu if WebAssembly cannot start',
  },
];

/**
 * Everything that decides the result of a neural training run (a resumed run must match it). A
 * MADE run has no `network` field (its record is the one written before the PixelCNN existed,
 * so that older checkpoints and states still match); a PixelCNN run has `network: 'pixelcnn'`.
 * Likewise a reverse-KL run has no `objective` field (its record is the one written before NLL
 * training existed); an NLL run has `objective: 'nll'` and the fields of its learning loop.
 */
export type NeuralRun = MADERun | PixelCNNRun;

interface CommonRun {
  model: string;
  parameters: ParameterValues;
  proposal: 'neural';
}

/** The training of a reverse-KL run (the default objective). */
export interface ReverseKLTraining {
  steps: number;
  batch: number;
  learningRate: number;
  betaAnneal: number;
  seed: number;
  backend: 'wasm' | 'cpu';
}

/**
 * The training of an NLL run: `rounds` rounds of `chains` chains x `steps` recorded steps with
 * the network as independence proposal and `localSweeps` local sweeps after every step, then
 * `epochs` epochs of Adam (mini-batch `batch`) on the samples of the last `replay` rounds;
 * `anneal` (`--anneal-from`): the model's annealed parameter from `from` to the target (the last
 * third of the rounds held at the target), or null (the default) to sample at the target
 * throughout.
 */
export interface NLLTraining {
  objective: 'nll';
  rounds: number;
  chains: number;
  steps: number;
  localSweeps: number;
  epochs: number;
  replay: number;
  batch: number;
  learningRate: number;
  anneal: { parameter: string; from: number } | null;
  seed: number;
  backend: 'wasm' | 'cpu';
}

/** The network fields of a MADE run. */
interface MADEFields {
  hidden: number;
  z2: boolean;
}

/** The network fields of a PixelCNN run: the convolution's sizes and its padding. */
interface PixelCNNFields {
  network: 'pixelcnn';
  kernelSize: number;
  channels: number;
  depth: number;
  periodic: [boolean, boolean];
}

/** A run of the default objective, reverse KL. */
export type ReverseKLRun = NeuralRun & ReverseKLTraining;
/** A run of `--objective nll`. */
export type NLLRun = NeuralRun & NLLTraining;

/** A MADE run. */
export type MADERun = CommonRun & MADEFields & (ReverseKLTraining | NLLTraining);

/** A PixelCNN run (the padding follows the model's boundary). */
export type PixelCNNRun = CommonRun & PixelCNNFields & (ReverseKLTraining | NLLTraining);

/** The network kind of a run. */
export function runKind(run: NeuralRun): NetworkKind {
  return 'network' in run ? run.network : 'made';
}

/** True for a run of `--objective nll`. */
export function isNLLRun(run: NeuralRun): run is NLLRun {
  return 'objective' in run && run.objective === 'nll';
}

/** The training fields of a run, in their order (in the record and in the JSON output). */
function trainingFields(run: NeuralRun): ReverseKLTraining | NLLTraining {
  if (isNLLRun(run)) {
    return {
      objective: run.objective,
      rounds: run.rounds,
      chains: run.chains,
      steps: run.steps,
      localSweeps: run.localSweeps,
      epochs: run.epochs,
      replay: run.replay,
      batch: run.batch,
      learningRate: run.learningRate,
      anneal:
        run.anneal === null ? null : { parameter: run.anneal.parameter, from: run.anneal.from },
      seed: run.seed,
      backend: run.backend,
    };
  }
  const r = run as CommonRun & ReverseKLTraining;
  return {
    steps: r.steps,
    batch: r.batch,
    learningRate: r.learningRate,
    betaAnneal: r.betaAnneal,
    seed: r.seed,
    backend: r.backend,
  };
}

/** The record of a run in the order of its fields (the resume fingerprint). */
function canonicalRun(run: NeuralRun): NeuralRun {
  const common = {
    model: run.model,
    parameters: run.parameters,
    proposal: run.proposal,
  };
  const training = trainingFields(run);
  if ('network' in run) {
    return {
      ...common,
      network: run.network,
      kernelSize: run.kernelSize,
      channels: run.channels,
      depth: run.depth,
      periodic: run.periodic,
      ...training,
    };
  }
  return { ...common, hidden: run.hidden, z2: run.z2, ...training };
}

interface StepRecord {
  step: number;
  beta: number;
  freeEnergy: number;
  stdErr: number;
}

/** The bound on ln Z of the trained network and, where the model has it, the exact ln Z. */
export interface NeuralBound {
  logPartitionBound: number;
  stdErr: number;
  count: number;
  exactLogPartitionFunction?: number;
  kl?: number;
}

/**
 * The seeds of a reverse-KL run from its seed: the initial weights, the training and the bound
 * (an NLL run's streams are those of the learning loop, learnByMonteCarlo).
 */
function seeds(seed: number) {
  const root = createRandom(seed);
  return {
    network: root.split(0).uint32(),
    training: root.split(1).uint32(),
    bound: root.split(2).uint32(),
  };
}

/** Refuses flags that do not apply to the chosen proposal, objective or network, naming them. */
export function checkProposalFlags(values: FlagValues, hint: string): 'mps' | 'neural' {
  const proposal = flagValue(values, PROPOSAL_FLAG) as 'mps' | 'neural';
  if (proposal === 'neural') {
    const objective = flagValue(values, OBJECTIVE_FLAG) as 'reverse-kl' | 'nll';
    const other = MPS_ONLY_FLAGS.find((name) => values[name] !== undefined);
    if (other !== undefined) {
      usage(
        objective === 'nll'
          ? `--${other} applies to MPS training, not to --proposal neural (a MADE or PixelCNN network trained by NLL on Monte Carlo samples: --rounds, --chains, --steps, --local-sweeps, --epochs, --replay, --anneal-from, --batch, --learning-rate and the network's flags)`
          : `--${other} applies to MPS training, not to --proposal neural (a MADE or PixelCNN network trained by reverse KL: --network, --hidden, --kernel-size, --channels, --depth, --batch, --steps, --learning-rate, --beta-anneal, --z2, --backend, --seed)`,
        hint,
      );
    }
    if (objective === 'nll') {
      const reverse = REVERSE_KL_ONLY_FLAGS.find((name) => values[name] !== undefined);
      if (reverse !== undefined) {
        usage(
          `--${reverse} ${values[reverse]} applies to --objective reverse-kl, not to --objective nll (which can anneal the model's parameter along its rounds instead: --anneal-from)`,
          hint,
        );
      }
    } else {
      const loop = NLL_LOOP_FLAGS.find((name) => values[name] !== undefined);
      if (loop !== undefined) {
        usage(
          `--${loop} ${values[loop]} applies to MPS training and to --objective nll (a Monte Carlo learning loop), not to reverse-KL training of --proposal neural (${values.objective === undefined ? 'the default' : '--objective reverse-kl'})`,
          'add --objective nll to train the network on Monte Carlo samples',
        );
      }
    }
    const network = flagValue(values, NETWORK_FLAG) as NetworkKind;
    if (network === 'made') {
      const pixel = PIXELCNN_ONLY_FLAGS.find((name) => values[name] !== undefined);
      if (pixel !== undefined) {
        usage(
          `--${pixel} applies to --network pixelcnn, not to the MADE network (${values.network === undefined ? 'the default' : '--network made'}; its size is --hidden)`,
          hint,
        );
      }
    } else {
      const made = MADE_ONLY_FLAGS.find((name) => values[name] !== undefined);
      if (made !== undefined) {
        usage(
          `--${made} applies to the MADE network (--network made), not to --network pixelcnn${made === 'hidden' ? ' (its sizes are --kernel-size, --channels and --depth)' : ' (the PixelCNN has no z2 symmetrisation yet)'}`,
          hint,
        );
      }
    }
  } else {
    const other = NEURAL_ONLY_FLAGS.find((name) => values[name] !== undefined);
    if (other !== undefined) usage(`--${other} applies to --proposal neural only`, hint);
  }
  return proposal;
}

function stableJson(run: NeuralRun): string {
  return JSON.stringify(canonicalRun(run));
}

/** Saves the network with its training state and the run record (atomically). */
function saveState(
  path: string,
  made: NeuralNetwork,
  trainer: InstanceType<Neural['ReverseKLTrainer']>,
  run: NeuralRun,
  history: StepRecord[],
): void {
  const json = made.toJSON({
    trainer,
    metadata: {
      model: run.model,
      parameters: run.parameters,
      run: JSON.parse(stableJson(run)),
      complete: false,
      history,
      createdBy: 'latticediff train --proposal neural',
    },
  });
  writeText(path, JSON.stringify(json, null, 1));
}

function writeText(path: string, text: string): void {
  const file = new AtomicFileWriter(path);
  try {
    file.write(`${text}\n`);
    file.commit();
  } catch (error) {
    file.abort();
    throw error;
  }
}

/**
 * The metadata of `out` when it already holds this finished run (undefined when it holds
 * something else that may be overwritten: another neural or MPS checkpoint); refuses to
 * overwrite a file that is not a latticediff checkpoint.
 */
function finishedMetadata(
  neural: Neural,
  run: NeuralRun,
  out: string,
  displayName: string,
): Record<string, unknown> | undefined {
  if (!existsSync(out)) return undefined;
  const text = readFileSync(out, 'utf8');
  const found = neuralCheckpointKind(text);
  if (found !== undefined) {
    let metadata: Record<string, unknown> | undefined;
    try {
      metadata = networkClass(neural, found, `--network ${runKind(run)}`).readMetadata(text);
    } catch (error) {
      if (!LatticeDiffError.isInstance(error)) throw error;
    }
    return metadata?.complete === true && JSON.stringify(metadata.run) === stableJson(run)
      ? metadata
      : undefined;
  }
  try {
    deserializeMPS(text);
  } catch (error) {
    if (!LatticeDiffError.isInstance(error)) throw error;
    usage(
      `--out ${quote(displayName)} exists and is not a latticediff checkpoint; refusing to overwrite it`,
      'choose another file or delete it',
    );
  }
  return undefined;
}

/**
 * Reads the saved state of this run: its metadata, after `restore(text, metadata)` has rebuilt
 * the network and whatever else the run keeps (returned as `restored`). A state of a different run, or a file that is
 * not a usable state (a library error while reading or restoring it), is a one-line usage error.
 */
function readState<T>(
  neural: Neural,
  run: NeuralRun,
  statePath: string,
  shownState: string,
  restore: (text: string, metadata: Record<string, unknown>) => T,
): { metadata: Record<string, unknown>; restored: T } {
  const text = readFileSync(statePath, 'utf8');
  const kind = runKind(run);
  try {
    // a state of the other network is a different run; a foreign file fails to decode
    const found = neuralCheckpointKind(text) ?? kind;
    const metadata = networkClass(neural, found, `--network ${kind}`).readMetadata(text);
    if (JSON.stringify(metadata.run) !== stableJson(run)) {
      throw new UsageError(
        `cannot resume from ${quote(shownState)}: it holds the training state of a different run (model, parameters or options differ)`,
        'rerun the command that created it, or delete the file to start afresh',
      );
    }
    return { metadata, restored: restore(text, metadata) };
  } catch (error) {
    if (error instanceof UsageError) throw error;
    if (!LatticeDiffError.isInstance(error)) throw error;
    throw new UsageError(
      `cannot resume from ${quote(shownState)}: it is not a usable training state (${oneLine(error.message)})`,
      'rerun the command that created it, or delete the file to start afresh',
    );
  }
}

/** The exact ln Z of the target where the model has it at these sizes. */
function exactLogZ(instance: LatticeModelInstance): number | undefined {
  if (instance.sites > EXACT_MAX_SITES || typeof instance.exactObservables !== 'function') {
    return undefined;
  }
  try {
    return instance.exactObservables().logPartitionFunction;
  } catch (error) {
    if (LatticeDiffError.isInstance(error)) return undefined;
    throw error;
  }
}

export interface NeuralTrainResult {
  run: NeuralRun;
  history: StepRecord[];
  bound: NeuralBound;
  resumedFromStep: number;
  alreadyComplete: boolean;
  seconds: number;
}

/**
 * Trains (or resumes, or finds finished) a neural run and writes `out` atomically. The state
 * is `out + '.state'`, saved every {@link SAVE_EVERY} steps and removed once `out` is written.
 */
export async function trainNeuralToFile(options: {
  neural: Neural;
  instance: LatticeModelInstance;
  run: ReverseKLRun;
  out: string;
  displayName: string;
  showProgress: boolean;
  log?: (line: string) => void;
}): Promise<NeuralTrainResult> {
  const { neural, instance, run, out } = options;
  const statePath = `${out}.state`;
  const shownState = `${options.displayName}.state`;
  removeStaleTemporaries(out);
  removeStaleTemporaries(statePath);
  const kind = runKind(run);
  const why = `--network ${kind}`;
  const network = networkClass(neural, kind, why);
  const finished = finishedMetadata(neural, run, out, options.displayName);
  if (finished !== undefined) {
    rmSync(statePath, { force: true });
    return {
      run,
      history: (finished.history ?? []) as StepRecord[],
      bound: finished.bound as NeuralBound,
      resumedFromStep: run.steps,
      alreadyComplete: true,
      seconds: 0,
    };
  }
  const start = performance.now();
  const streams = seeds(run.seed);
  let made: NeuralNetwork;
  let trainer: InstanceType<Neural['ReverseKLTrainer']>;
  let history: StepRecord[] = [];
  let resumedFromStep = 0;
  if (existsSync(statePath)) {
    const state = readState(neural, run, statePath, shownState, (text) => {
      const restored = network.fromJSON(text);
      return {
        made: restored,
        trainer: neural.ReverseKLTrainer.fromJSON(restored, text, { model: instance }),
      };
    });
    ({ made, trainer } = state.restored);
    history = (state.metadata.history ?? []) as StepRecord[];
    resumedFromStep = trainer.step;
    options.log?.(`resumed from ${shownState} after step ${resumedFromStep} of ${run.steps}`);
  } else {
    made = createNetwork(neural, instance, run, streams.network);
    trainer = new neural.ReverseKLTrainer(made, {
      model: instance,
      batch: run.batch,
      learningRate: run.learningRate,
      betaAnneal: run.betaAnneal,
      seed: streams.training,
    });
  }
  const progress = createProgress('training', run.steps, options.showProgress);
  const stopInterruptHandler = exitOnInterrupt(
    progress,
    statePath,
    shownState,
    'no training state had been saved yet',
  );
  try {
    while (trainer.step < run.steps) {
      const chunk = Math.min(SAVE_EVERY, run.steps - trainer.step);
      try {
        trainer.run(chunk, (info) => {
          history.push({ ...info });
          progress.update(info.step, `beta F_q ${num(info.freeEnergy, 3)}`);
        });
      } catch (error) {
        if (InvalidArgumentError.isInstance(error) && error.argument === 'model') {
          // a constraint the probe missed: the first draw that breaks it
          throw hardConstraintsError(instance.modelId);
        }
        throw error;
      }
      if (trainer.step < run.steps) saveState(statePath, made, trainer, run, history);
      // let a signal handler run between chunks
      await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    progress.finish();
    stopInterruptHandler();
  }
  const estimate = neural.freeEnergyBound(made, instance, {
    count: BOUND_DRAWS,
    seed: streams.bound,
  });
  const exact = exactLogZ(instance);
  const bound: NeuralBound = {
    logPartitionBound: estimate.logPartitionBound,
    stdErr: estimate.stdErr,
    count: estimate.count,
    ...(exact === undefined
      ? {}
      : { exactLogPartitionFunction: exact, kl: exact - estimate.logPartitionBound }),
  };
  const json = made.toJSON({
    trainer,
    metadata: {
      model: run.model,
      parameters: run.parameters,
      run: JSON.parse(stableJson(run)),
      complete: true,
      history,
      bound: { ...bound },
      createdBy: 'latticediff train --proposal neural',
    },
  });
  writeText(out, JSON.stringify(json, null, 1));
  rmSync(statePath, { force: true });
  trainer.dispose();
  made.dispose();
  return {
    run,
    history,
    bound,
    resumedFromStep,
    alreadyComplete: false,
    seconds: (performance.now() - start) / 1000,
  };
}

/**
 * One round of an NLL run, as the checkpoint's metadata and the JSON report record it: the
 * library's round report without its wall-clock fields (so that a resumed run writes the same
 * file as an uninterrupted one), with the allowed fraction and the number of training samples.
 */
export interface NLLRoundReport {
  round: number;
  /** The parameter point of this round's chains (annealed, or the target). */
  parameters: ParameterValues;
  /** Acceptance of the network's independence proposals (the local sweeps not counted). */
  acceptanceRate: number;
  /** Mean NLL of the training samples (the replay buffer) before this round's epochs (nats). */
  nllBefore: number;
  /** The same after them. */
  nllAfter: number;
  /** Integrated autocorrelation time of the energy in this round's chains (steps; null if none). */
  tauInt: number | null;
  /**
   * The trained network judged from 2048 of its own exact draws at this round's parameters
   * (`proposalQuality`): allowed fraction, ln Z and KL(pi || q) with error bars (null: none).
   */
  quality: ProposalQuality | null;
  /** `quality.allowedFraction`: the fraction of those draws that the model allows. */
  allowedFraction: number;
  /** Configurations trained on (chains x steps x the rounds in the replay buffer). */
  samples: number;
}

export interface NLLTrainResult {
  run: NLLRun;
  reports: NLLRoundReport[];
  resumedFromRound: number;
  alreadyComplete: boolean;
  seconds: number;
}

/** The parameter points of the rounds: annealed, with the last third at the target, or fixed. */
function nllPath(run: NLLRun): ParameterValues[] {
  if (run.anneal === null) return Array.from({ length: run.rounds }, () => ({ ...run.parameters }));
  return annealingPath(run.parameters, {
    parameter: run.anneal.parameter,
    from: run.anneal.from,
    rounds: run.rounds,
    hold: Math.floor(run.rounds / 3),
  });
}

/** A library round report as the CLI records it (plain JSON: a NaN becomes null). */
function nllRoundReport(report: RoundReport, run: NLLRun): NLLRoundReport {
  const shown: NLLRoundReport = {
    round: report.round,
    parameters: report.parameters,
    acceptanceRate: report.acceptanceRate,
    nllBefore: report.nllBefore,
    nllAfter: report.nllAfter,
    tauInt: report.tauInt,
    quality: report.quality ?? null,
    allowedFraction: report.quality?.allowedFraction ?? Number.NaN,
    samples: run.chains * run.steps * Math.min(report.round + 1, run.replay),
  };
  return JSON.parse(JSON.stringify(shown)) as NLLRoundReport;
}

/**
 * The learner of a run: `nllLearner` of @latticediff/neural with the run's network and
 * training, and the tfjs backend added to its fingerprint (the float32 results differ between
 * backends in the last bits, so a state is resumed on the backend that wrote it).
 */
function runLearner(neural: Neural, instance: LatticeModelInstance, run: NLLRun) {
  if (typeof neural.nllLearner !== 'function') {
    usage(
      `--objective nll: the installed ${NEURAL_PACKAGE} is too old for this CLI (it needs nllLearner)`,
      `update it: "npm install ${NEURAL_PACKAGE}@latest"`,
    );
  }
  const network =
    'network' in run
      ? {
          kind: 'pixelcnn' as const,
          geometry: instance.geometry,
          kernelSize: run.kernelSize,
          channels: run.channels,
          depth: run.depth,
          periodic: run.periodic,
        }
      : { kind: 'made' as const, hidden: run.hidden, z2: run.z2 };
  const factory = neural.nllLearner({
    network,
    epochs: run.epochs,
    batch: run.batch,
    learningRate: run.learningRate,
  });
  return { ...factory, fingerprint: { ...factory.fingerprint, backend: run.backend } };
}

/**
 * Trains (or resumes, or finds finished) a network by forward NLL on Monte Carlo samples and
 * writes `out` atomically: `learnByMonteCarlo` of @latticediff/monte-carlo with the network as
 * its learner (`nllLearner`), the loop that trains the MPS. Round r samples with `chains`
 * Metropolis-Hastings chains at the r-th point of the path (the network as disconnected
 * independence proposal, with float64 log q of its draws, and local sweeps after every step so
 * that the chains move while the network is still poor; chains continue from the previous round,
 * starting at the model's initial configuration), then trains the network by `trainNLL` (fresh
 * Adam) on the samples of the last `replay` rounds. The loop's state (network, chains, replay
 * buffer, reports) is saved atomically to `out + '.state'` after every round; a rerun resumes
 * from it and ends bit for bit where an uninterrupted run ends.
 */
export async function trainNeuralNLLToFile(options: {
  neural: Neural;
  model: LatticeModel;
  instance: LatticeModelInstance;
  run: NLLRun;
  out: string;
  displayName: string;
  showProgress: boolean;
  log?: (line: string) => void;
}): Promise<NLLTrainResult> {
  const { neural, model, instance, run, out } = options;
  const statePath = `${out}.state`;
  const shownState = `${options.displayName}.state`;
  removeStaleTemporaries(out);
  removeStaleTemporaries(statePath);
  const finished = finishedMetadata(neural, run, out, options.displayName);
  if (finished !== undefined) {
    rmSync(statePath, { force: true });
    return {
      run,
      reports: (finished.reports ?? []) as NLLRoundReport[],
      resumedFromRound: run.rounds,
      alreadyComplete: true,
      seconds: 0,
    };
  }
  const start = performance.now();
  const progress = createProgress('training', run.rounds, options.showProgress);
  const stopInterruptHandler = exitOnInterrupt(
    progress,
    statePath,
    shownState,
    'no round had finished yet',
  );
  const unusable = (why: string) =>
    new UsageError(
      `cannot resume from ${quote(shownState)}: ${why}`,
      'rerun the command that created it, or delete the file to start afresh',
    );
  let roundsThisCall = 0;
  let result: Awaited<ReturnType<typeof learnNLL>>;
  try {
    result = await learnNLL(neural, model, instance, run, statePath, (report) => {
      if (roundsThisCall === 0 && report.round > 0) {
        options.log?.(`resumed from ${shownState} after round ${report.round} of ${run.rounds}`);
      }
      roundsThisCall++;
      progress.update(
        report.round + 1,
        `NLL ${num(report.nllAfter, 2)} acceptance ${num(report.acceptanceRate, 3)} allowed ${num(report.quality?.allowedFraction ?? Number.NaN, 3)}`,
      );
    });
  } catch (error) {
    if (CheckpointMismatchError.isInstance(error)) {
      throw unusable(
        'it holds the training state of a different run (model, parameters or options differ)',
      );
    }
    if (
      InvalidArgumentError.isInstance(error) &&
      error.functionName === 'learnByMonteCarlo' &&
      error.argument === 'checkpoint'
    ) {
      throw unusable(`it is not a usable training state (${oneLine(error.message)})`);
    }
    kernelSizeUsage(error, run, instance);
    if (NumericalError.isInstance(error)) {
      throw new NumericalError(
        `training failed: ${oneLine(error.message)}; a smaller --learning-rate usually helps`,
        { cause: error },
      );
    }
    throw error;
  } finally {
    progress.finish();
    stopInterruptHandler();
  }
  const network = result.learner.network;
  const resumedFromRound = result.roundsCompleted - roundsThisCall;
  if (roundsThisCall === 0 && resumedFromRound > 0) {
    options.log?.(`resumed from ${shownState} after round ${resumedFromRound} of ${run.rounds}`);
  }
  const reports = result.reports.map((r) => nllRoundReport(r, run));
  try {
    const json = network.toJSON({
      metadata: {
        model: run.model,
        parameters: run.parameters,
        run: JSON.parse(stableJson(run)),
        complete: true,
        reports,
        createdBy: 'latticediff train --proposal neural --objective nll',
      },
    });
    await writeFileAtomic(out, `${JSON.stringify(json, null, 1)}\n`);
  } finally {
    network.dispose();
  }
  rmSync(statePath, { force: true });
  return {
    run,
    reports,
    resumedFromRound,
    alreadyComplete: false,
    seconds: (performance.now() - start) / 1000,
  };
}

/** The learning loop of an NLL run, its state in `statePath` (the library's file checkpoint). */
function learnNLL(
  neural: Neural,
  model: LatticeModel,
  instance: LatticeModelInstance,
  run: NLLRun,
  statePath: string,
  onRound: (report: RoundReport) => void,
) {
  return learnByMonteCarlo({
    model,
    path: nllPath(run),
    scheme: { kind: 'disconnected' },
    chains: run.chains,
    stepsPerRound: run.steps,
    // every recorded step trains (chains continue from round to round)
    burnIn: 0,
    localSweeps: run.localSweeps,
    replayRounds: run.replay,
    seed: run.seed,
    learner: runLearner(neural, instance, run),
    checkpoint: fileCheckpoint(statePath),
    onRound,
  });
}

/**
 * The fresh network of a run, seeded. The PixelCNN follows the model's site order and periodic
 * axes (its `geometry`); a kernel the package refuses for this lattice is a usage error naming
 * --kernel-size.
 */
function createNetwork(
  neural: Neural,
  instance: LatticeModelInstance,
  run: NeuralRun,
  seed: number,
): NeuralNetwork {
  if (!('network' in run)) {
    return neural.MADE.create({
      sites: instance.sites,
      localDimension: instance.localDimension,
      hidden: run.hidden,
      seed,
      z2: run.z2,
    });
  }
  try {
    return neural.PixelCNN.create({
      geometry: instance.geometry,
      localDimension: instance.localDimension,
      kernelSize: run.kernelSize,
      channels: run.channels,
      depth: run.depth,
      periodic: run.periodic,
      seed,
    });
  } catch (error) {
    kernelSizeUsage(error, run, instance);
    throw error;
  }
}

/** A kernel the package refuses for this lattice, as a usage error naming --kernel-size. */
function kernelSizeUsage(error: unknown, run: NeuralRun, instance: LatticeModelInstance): void {
  if (
    'network' in run &&
    InvalidArgumentError.isInstance(error) &&
    error.argument === 'kernelSize'
  ) {
    const expected = /must be (.*) \(got /.exec(error.message)?.[1] ?? 'a smaller kernel';
    usage(
      `invalid value for --kernel-size: ${run.kernelSize} (expected ${expected} on the ${instance.geometry.shape.join(' x ')} lattice of ${instance.modelId})`,
      'choose a smaller --kernel-size',
    );
  }
}

/** A one-line description of the run's network. */
function networkText(run: NeuralRun): string {
  return 'network' in run
    ? `PixelCNN with ${run.depth} masked ${run.kernelSize} x ${run.kernelSize} convolution layers of ${run.channels} channels${run.periodic.some((p) => p) ? ` (periodic along ${run.periodic[0] ? (run.periodic[1] ? 'x and y' : 'x') : 'y'})` : ''}`
    : `MADE with ${run.hidden} hidden units${run.z2 ? ', z2-symmetrised' : ''}`;
}

/** The network of the run as the JSON report gives it. */
function networkJson(run: NeuralRun): Record<string, unknown> {
  return 'network' in run
    ? {
        kind: 'PixelCNN',
        kernelSize: run.kernelSize,
        channels: run.channels,
        depth: run.depth,
        periodic: run.periodic,
      }
    : { kind: 'MADE', hidden: run.hidden, z2: run.z2 };
}

/** Rows of the step table for long runs (first, evenly spaced, last). */
const TABLE_ROWS = 12;

function historyTable(history: readonly StepRecord[]): string {
  const n = history.length;
  const pick = new Set<number>();
  const shown = Math.min(n, TABLE_ROWS);
  for (let k = 0; k < shown; k++) pick.add(Math.round((k * (n - 1)) / Math.max(1, shown - 1)));
  return table(
    ['step', 'beta', 'beta F_q (batch)', '± err'],
    [...pick]
      .sort((a, b) => a - b)
      .map((i) => {
        const r = history[i]!;
        return [String(r.step), num(r.beta, 4), num(r.freeEnergy, 4), num(r.stdErr, 4)];
      }),
  );
}

/** The free energy per step as an SVG chart, with -ln Z as a reference line where known. */
function neuralTrainingSvg(
  history: readonly StepRecord[],
  caption: string,
  exact: number | undefined,
): string {
  const steps = history.map((r) => r.step);
  return chartsSvg(
    [
      {
        title: 'variational free energy beta F_q = E_q[ln q + beta E] of each step (annealed beta)',
        xLabel: 'step',
        yLabel: 'beta F_q (nats)',
        series: [
          { name: 'batch mean', x: steps, y: history.map((r) => r.freeEnergy) },
          ...(exact === undefined
            ? []
            : [
                { name: '-ln Z (exact, at the target beta)', x: steps, y: steps.map(() => -exact) },
              ]),
        ],
      },
    ],
    { caption },
  );
}

/** `train <model> --proposal neural`: reads the flags, trains, prints the report. */
export async function trainNeuralCommand(context: {
  values: FlagValues;
  model: LatticeModel;
  instance: LatticeModelInstance;
  target: ParameterValues;
  out: string;
  hint: string;
  json: boolean;
}): Promise<void> {
  const { values, model, instance, target, out, hint, json } = context;
  const objective = flagValue(values, OBJECTIVE_FLAG) as 'reverse-kl' | 'nll';
  const learningRate = Number(
    values['learning-rate'] ?? (objective === 'nll' ? NLL_DEFAULTS.learningRate : 3e-3),
  );
  if (learningRate >= 1) {
    usage(
      `invalid value for --learning-rate: ${learningRate} (expected a number > 0 and < 1 with --proposal neural)`,
      hint,
    );
  }
  const betaAnneal = flagValue(values, BETA_ANNEAL_FLAG);
  if (betaAnneal >= 1) {
    usage(`invalid value for --beta-anneal: ${betaAnneal} (expected a number >= 0 and < 1)`, hint);
  }
  const kind = flagValue(values, NETWORK_FLAG) as NetworkKind;
  if (kind === 'pixelcnn' && instance.geometry.kind !== 'square') {
    usage(
      `--network pixelcnn needs a 2D square (or rectangular) lattice, and ${model.id} is a ${instance.geometry.kind} of ${instance.sites} sites (${instance.geometry.dimension}D)`,
      'use --network made (the default), which takes any model',
    );
  }
  const kernelSize = flagValue(values, KERNEL_SIZE_FLAG);
  if (kernelSize % 2 !== 1) {
    usage(
      `invalid value for --kernel-size: ${kernelSize} (expected an odd integer: a K x K kernel centred on the site)`,
      hint,
    );
  }
  const z2 = values.z2 === true;
  if (z2 && instance.localDimension !== 2) {
    usage(
      `--z2 flips digits 0 and 1, and ${model.id} has ${instance.localDimension} digits per site`,
      hint,
    );
  }
  const loop = objective === 'nll' ? nllLoopFields(values, model, target, hint) : undefined;
  if (objective === 'reverse-kl' && hasHardConstraints(instance)) {
    throw hardConstraintsError(model.id);
  }
  const plots =
    values.plots === undefined ? undefined : ensureDirectory('--plots', String(values.plots));
  const neural = await loadNeural('--proposal neural');
  const requested = values.backend === undefined ? undefined : (String(values.backend) as 'wasm');
  const backend = await startBackend(neural, requested, json);
  const seed = flagValue(values, SEED_FLAG);
  const batch = flagValue(values, BATCH_FLAG);
  const training: ReverseKLTraining | NLLTraining =
    loop === undefined
      ? {
          steps: Number(values.steps ?? NEURAL_STEPS),
          batch,
          learningRate,
          betaAnneal,
          seed,
          backend,
        }
      : { objective: 'nll', ...loop, batch, learningRate, seed, backend };
  const common = { model: model.id, parameters: target, proposal: 'neural' as const };
  const periodic = instance.geometry.periodic;
  const run: NeuralRun =
    kind === 'pixelcnn'
      ? {
          ...common,
          network: 'pixelcnn',
          kernelSize,
          channels: flagValue(values, CHANNELS_FLAG),
          depth: flagValue(values, DEPTH_FLAG),
          periodic: [periodic[0] === true, periodic[1] === true],
          ...training,
        }
      : {
          ...common,
          hidden: Number(values.hidden ?? Math.max(8, 4 * instance.sites)),
          z2,
          ...training,
        };
  const shared = {
    neural,
    instance,
    out,
    displayName: String(values.out),
    showProgress: progressEnabled(json),
    log: json ? undefined : (line: string) => process.stderr.write(`${line}\n`),
  };
  const render = { model, target, out: String(values.out), plots, json };
  if (isNLLRun(run)) {
    const result = await trainNeuralNLLToFile({ ...shared, model, run });
    await renderNLL(result, instance, render);
  } else {
    const result = await trainNeuralToFile({ ...shared, run: run as ReverseKLRun });
    renderReverseKL(result, render);
  }
}

/**
 * The learning-loop fields of an `--objective nll` run from the flags (the loop's own defaults
 * where not given), each checked with a one-line error naming the flag and its value; the path
 * anneals the model's declared parameter (`annealing`) from `--anneal-from` when it is given,
 * and otherwise samples at the target throughout.
 */
function nllLoopFields(
  values: FlagValues,
  model: LatticeModel,
  target: ParameterValues,
  hint: string,
): Omit<NLLTraining, 'objective' | 'batch' | 'learningRate' | 'seed' | 'backend'> {
  const given = (name: string, fallback: number) =>
    values[name] === undefined ? fallback : Number(values[name]);
  const epochs = given('epochs', NLL_DEFAULTS.epochs);
  if (epochs < 1) {
    usage(
      `invalid value for --epochs: ${epochs} (expected an integer >= 1 with --objective nll)`,
      hint,
    );
  }
  // annealing is asked for with --anneal-from: measured on fredkin at c = 0.55, the rounds
  // spent on the way from the declared start (c = 0.3) across the transition at c = 1/2 are lost
  // (acceptance 0.18 -> 0.05 there), while rounds at the target with local sweeps reach 0.48
  // (N = 64) and 0.70 against 0.52 (N = 16, six rounds); see the CLI README
  const from = values['anneal-from'] === undefined ? undefined : Number(values['anneal-from']);
  const annealing = from === undefined ? undefined : defaultAnnealing(model, target, from);
  if (from !== undefined && annealing === undefined) {
    usage(
      `--anneal-from ${from}: model ${model.id} declares no annealed parameter (its \`annealing\`), so it trains at the target`,
      hint,
    );
  }
  if (annealing !== undefined) {
    // every point of the path must be a valid parameter point (checked before any work)
    try {
      createInstance(model, { ...target, [annealing.parameter]: annealing.from });
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      throw new UsageError(`invalid value for --anneal-from: ${from}: ${error.message}`, hint);
    }
  }
  const chains = given('chains', NLL_DEFAULTS.chains);
  const steps = given('steps', NLL_DEFAULTS.steps);
  const sites = createInstance(model, target).sites;
  if (chains * steps * sites > MAX_ROUND_DIGITS) {
    usage(
      `--chains ${chains} x --steps ${steps} x ${sites} sites = ${chains * steps * sites} sampled digits per round is more than ${MAX_ROUND_DIGITS} (--objective nll keeps every sample of the last --replay rounds)`,
      'use fewer chains or steps',
    );
  }
  return {
    rounds: given('rounds', NLL_DEFAULTS.rounds),
    chains,
    steps,
    localSweeps: given('local-sweeps', NLL_DEFAULTS.localSweeps),
    epochs,
    replay: given('replay', NLL_DEFAULTS.replay),
    anneal:
      annealing === undefined ? null : { parameter: annealing.parameter, from: annealing.from },
  };
}

interface RenderContext {
  model: LatticeModel;
  target: ParameterValues;
  out: string;
  plots: string | undefined;
  json: boolean;
}

/** The report of a reverse-KL run: the step table and the variational bound. */
function renderReverseKL(result: NeuralTrainResult, context: RenderContext): void {
  const { model, target, plots, json } = context;
  const { bound, run } = result;
  const plotFiles: string[] = [];
  if (plots !== undefined) {
    const file = join(plots, 'training.svg');
    const svg = neuralTrainingSvg(
      result.history,
      `neural training ${modelCaption(model.id, target)}`,
      bound.exactLogPartitionFunction,
    );
    writeText(file, svg.trimEnd());
    plotFiles.push(file);
  }
  if (json) {
    printJson({
      model: model.id,
      parameters: target,
      out: context.out,
      proposal: 'neural',
      network: networkJson(run),
      ...trainingFields(run),
      resumedFromStep: result.resumedFromStep,
      alreadyComplete: result.alreadyComplete,
      seconds: result.seconds,
      bound,
      final: result.history[result.history.length - 1] ?? null,
      plots: plotFiles,
      history: result.history,
    });
    return;
  }
  const header = result.alreadyComplete
    ? `${context.out} already holds this finished run (nothing to do)`
    : `trained a neural proposal for ${model.id} (${parametersText(target)}): ${networkText(run)}, ${run.steps} reverse-KL steps of batch ${run.batch}, learning rate ${run.learningRate}, tfjs ${run.backend} backend, ${formatSeconds(result.seconds)}${
        result.resumedFromStep > 0 ? ` (resumed after step ${result.resumedFromStep})` : ''
      }`;
  const lines = [
    header,
    '',
    historyTable(result.history),
    '',
    `variational bound: ln Z >= ${num(bound.logPartitionBound, 4)} ± ${num(bound.stdErr, 4)} (-E_q[ln q + beta E] from ${bound.count} exact draws of the network)`,
    bound.exactLogPartitionFunction === undefined
      ? 'exact ln Z: not available for this model at these sizes'
      : `exact ln Z = ${num(bound.exactLogPartitionFunction, 4)}: KL(q || pi) = ln Z - bound = ${num(bound.kl!, 4)} ± ${num(bound.stdErr, 4)}`,
    '',
    // (a finished run found in --out is not written again)
    ...(result.alreadyComplete ? [] : [`wrote ${context.out}`]),
    ...plotFiles.map((f) => `wrote ${f}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** The NLL rounds as a table (see roundsTable). */
function nllTable(reports: readonly NLLRoundReport[], anneal: string | undefined): string {
  return roundsTable(
    reports.length,
    [
      'round',
      ...(anneal ? [anneal] : []),
      'NLL before',
      'NLL after',
      'acceptance',
      'KL(pi||q) ± err',
      'allowed',
    ],
    (i) => {
      const r = reports[i]!;
      const value = anneal ? r.parameters[anneal] : undefined;
      const q = r.quality;
      return [
        String(r.round),
        ...(anneal ? [typeof value === 'number' ? num(value, 4) : String(value)] : []),
        num(r.nllBefore, 3),
        num(r.nllAfter, 3),
        num(r.acceptanceRate, 3),
        q === null || q === undefined || typeof q.kl !== 'number'
          ? 'n/a'
          : `${num(q.kl, 3)} ± ${num(q.klStdErr, 3)}`,
        typeof r.allowedFraction === 'number' ? num(r.allowedFraction, 3) : 'n/a',
      ];
    },
  );
}

/** NLL (with the exact entropy where known), acceptance and allowed fraction per round, as SVG. */
function nllTrainingSvg(
  reports: readonly NLLRoundReport[],
  caption: string,
  entropy: number | undefined,
): string {
  const rounds = reports.map((r) => r.round);
  return chartsSvg(
    [
      {
        title: "negative log-likelihood of each round's samples under the network",
        xLabel: 'round',
        yLabel: 'NLL (nats per configuration)',
        series: [
          { name: 'before training', x: rounds, y: reports.map((r) => r.nllBefore) },
          { name: 'after training', x: rounds, y: reports.map((r) => r.nllAfter) },
          ...(entropy === undefined
            ? []
            : [{ name: 'exact entropy S of the target', x: rounds, y: rounds.map(() => entropy) }]),
        ],
      },
      {
        title: "acceptance of the network's proposals, and the allowed fraction of its draws",
        xLabel: 'round',
        yLabel: 'fraction',
        series: [
          { name: 'acceptance', x: rounds, y: reports.map((r) => r.acceptanceRate) },
          {
            name: 'allowed draws',
            x: rounds,
            y: reports.map((r) => r.allowedFraction ?? Number.NaN),
          },
        ],
        referenceLines: [0, 1],
      },
      klPanel(
        "KL(pi || q) estimated from the network's own draws (importance weights)",
        'round',
        rounds,
        reports,
      ),
    ],
    { caption },
  );
}

/** The report of an NLL run: the round table, the exact entropy where known, the files. */
async function renderNLL(
  result: NLLTrainResult,
  instance: LatticeModelInstance,
  context: RenderContext,
): Promise<void> {
  const { model, target, plots, json } = context;
  const { run, reports } = result;
  const entropy = exactEntropy(instance);
  const plotFiles: string[] = [];
  if (plots !== undefined) {
    const file = join(plots, 'training.svg');
    const svg = nllTrainingSvg(
      reports,
      `neural NLL training ${modelCaption(model.id, target)}`,
      entropy,
    );
    await writeFileAtomic(file, `${svg.trimEnd()}\n`);
    plotFiles.push(file);
  }
  const last = reports[reports.length - 1];
  if (json) {
    printJson({
      model: model.id,
      parameters: target,
      out: context.out,
      proposal: 'neural',
      network: networkJson(run),
      ...trainingFields(run),
      resumedFromRound: result.resumedFromRound,
      alreadyComplete: result.alreadyComplete,
      seconds: result.seconds,
      ...(entropy === undefined ? {} : { exactEntropy: entropy }),
      final: last ?? null,
      plots: plotFiles,
      reports,
    });
    return;
  }
  const anneal = run.anneal;
  const header = result.alreadyComplete
    ? `${context.out} already holds this finished run (nothing to do)`
    : `trained a neural proposal for ${model.id} (${parametersText(target)}) by NLL on Monte Carlo samples: ${networkText(run)}, ${run.rounds} rounds of ${run.chains} chains x ${run.steps} steps (${run.localSweeps} local sweep(s) per step${anneal ? `, ${anneal.parameter} annealed from ${Number(anneal.from.toPrecision(6))}` : ''}), ${run.epochs} epochs of batch ${run.batch} on the last ${run.replay} round(s), learning rate ${run.learningRate}, tfjs ${run.backend} backend, ${formatSeconds(result.seconds)}${
        result.resumedFromRound > 0 ? ` (resumed after round ${result.resumedFromRound})` : ''
      }`;
  const lines = [
    header,
    '',
    nllTable(reports, anneal?.parameter),
    "acceptance: of the network's independence proposals (the local sweeps not counted); KL(pi||q):",
    "from 2048 exact draws of each round's trained network by their importance weights exp(-beta E) / q",
    '(no exact reference needed); allowed: the fraction of those draws that the model allows.',
    ...(entropy === undefined
      ? []
      : [
          `exact entropy of the target: S = ln Z + beta <E> = ${num(entropy, 4)} nats (the NLL of samples of pi is S + KL(pi||q))`,
        ]),
    '',
    // (a finished run found in --out is not written again)
    ...(result.alreadyComplete ? [] : [`wrote ${context.out}`]),
    ...plotFiles.map((f) => `wrote ${f}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
