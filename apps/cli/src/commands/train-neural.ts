/**
 * `latticediff train <model> --proposal neural`: a MADE network, or with `--network pixelcnn` a
 * masked-convolution PixelCNN for square lattices (@latticediff/neural, loaded on demand),
 * trained by reverse KL, the variational free energy of variational autoregressive networks,
 * with beta annealing. The complete training state (weights, Adam moments, the position of the
 * training's random stream) is saved atomically to FILE.state every {@link SAVE_EVERY} steps;
 * after a kill the same command resumes from it and ends bit for bit where an uninterrupted run
 * ends. At the end FILE is written atomically (a `latticediff.made` or `latticediff.pixelcnn`
 * checkpoint with the model, parameters and run record in its metadata) and FILE.state removed.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { LatticeModel, LatticeModelInstance, ParameterValues } from '@latticediff/lattice';
import {
  createRandom,
  deserializeMPS,
  InvalidArgumentError,
  LatticeDiffError,
} from '@latticediff/tensor-network';
import { type FlagSpec, type FlagValues, flagValue } from '../args';
import { exitOnInterrupt, SEED_FLAG } from '../common';
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
  type NetworkKind,
  type Neural,
  type NeuralNetwork,
  networkClass,
  neuralCheckpointKind,
  startBackend,
} from '../neural';
import { chartsSvg, modelCaption } from '../svg';
import { parametersText } from './train-render';

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
] as const;
/** Flags of the MADE network that a PixelCNN run refuses. */
export const MADE_ONLY_FLAGS = ['hidden', 'z2'] as const;
/** Flags of the PixelCNN network that a MADE run refuses. */
export const PIXELCNN_ONLY_FLAGS = ['kernel-size', 'channels', 'depth'] as const;
/** Defaults of the PixelCNN flags (those of the package's PixelCNN.create). */
export const PIXELCNN_DEFAULTS = { kernelSize: 3, channels: 16, depth: 3 } as const;
/** Flags of the MPS training that a neural run refuses. */
export const MPS_ONLY_FLAGS = [
  'max-bond-dim',
  'rounds',
  'chains',
  'epochs',
  'noise-time',
  'kind',
  'training',
  'restart',
  'sweeps',
  'replay',
  'local-sweeps',
  'scheme',
  'validation-fraction',
  'path',
  'kappa',
  'recipe',
  'anneal-from',
  'workers',
] as const;

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
  description: 'exact draws of the network per reverse-KL step (--proposal neural)',
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

/** Reverse-KL steps of a neural training run when --steps is not given. */
export const NEURAL_STEPS = 500;

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
 */
export type NeuralRun = MADERun | PixelCNNRun;

interface CommonRun {
  model: string;
  parameters: ParameterValues;
  proposal: 'neural';
  steps: number;
  batch: number;
  learningRate: number;
  betaAnneal: number;
  seed: number;
  backend: 'wasm' | 'cpu';
}

/** A MADE run. */
export interface MADERun extends CommonRun {
  hidden: number;
  z2: boolean;
}

/** A PixelCNN run: the convolution's sizes and its padding (from the model's boundary). */
export interface PixelCNNRun extends CommonRun {
  network: 'pixelcnn';
  kernelSize: number;
  channels: number;
  depth: number;
  periodic: [boolean, boolean];
}

/** The network kind of a run. */
export function runKind(run: NeuralRun): NetworkKind {
  return 'network' in run ? run.network : 'made';
}

/** The training fields of a run, in their order (in the record and in the JSON output). */
function trainingFields(run: NeuralRun) {
  return {
    steps: run.steps,
    batch: run.batch,
    learningRate: run.learningRate,
    betaAnneal: run.betaAnneal,
    seed: run.seed,
    backend: run.backend,
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

/** The network's seeds from the run's seed: its initial weights, training, and bound streams. */
function seeds(seed: number) {
  const root = createRandom(seed);
  return {
    network: root.split(0).uint32(),
    training: root.split(1).uint32(),
    bound: root.split(2).uint32(),
  };
}

/** Refuses flags that do not apply to the chosen proposal or network, naming them. */
export function checkProposalFlags(values: FlagValues, hint: string): 'mps' | 'neural' {
  const proposal = flagValue(values, PROPOSAL_FLAG) as 'mps' | 'neural';
  if (proposal === 'neural') {
    const other = MPS_ONLY_FLAGS.find((name) => values[name] !== undefined);
    if (other !== undefined) {
      usage(
        `--${other} applies to MPS training, not to --proposal neural (a MADE or PixelCNN network trained by reverse KL: --network, --hidden, --kernel-size, --channels, --depth, --batch, --steps, --learning-rate, --beta-anneal, --z2, --backend, --seed)`,
        hint,
      );
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
  run: NeuralRun;
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
  if (existsSync(out)) {
    const text = readFileSync(out, 'utf8');
    const found = neuralCheckpointKind(text);
    if (found !== undefined) {
      let metadata: Record<string, unknown> | undefined;
      try {
        metadata = networkClass(neural, found, why).readMetadata(text);
      } catch (error) {
        if (!LatticeDiffError.isInstance(error)) throw error;
      }
      if (metadata?.complete === true && JSON.stringify(metadata.run) === stableJson(run)) {
        rmSync(statePath, { force: true });
        return {
          run,
          history: (metadata.history ?? []) as StepRecord[],
          bound: metadata.bound as NeuralBound,
          resumedFromStep: run.steps,
          alreadyComplete: true,
          seconds: 0,
        };
      }
    } else {
      try {
        deserializeMPS(text);
      } catch (error) {
        if (!LatticeDiffError.isInstance(error)) throw error;
        usage(
          `--out ${quote(options.displayName)} exists and is not a latticediff checkpoint; refusing to overwrite it`,
          'choose another file or delete it',
        );
      }
    }
  }
  const start = performance.now();
  const streams = seeds(run.seed);
  let made: NeuralNetwork;
  let trainer: InstanceType<Neural['ReverseKLTrainer']>;
  let history: StepRecord[] = [];
  let resumedFromStep = 0;
  if (existsSync(statePath)) {
    const text = readFileSync(statePath, 'utf8');
    let metadata: Record<string, unknown>;
    try {
      // a state of the other network is a different run; a foreign file fails to decode
      const found = neuralCheckpointKind(text) ?? kind;
      metadata = networkClass(neural, found, why).readMetadata(text);
      if (JSON.stringify(metadata.run) !== stableJson(run)) {
        throw new UsageError(
          `cannot resume from ${quote(shownState)}: it holds the training state of a different run (model, parameters or options differ)`,
          'rerun the command that created it, or delete the file to start afresh',
        );
      }
      made = network.fromJSON(text);
      trainer = neural.ReverseKLTrainer.fromJSON(made, text, { model: instance });
    } catch (error) {
      if (error instanceof UsageError) throw error;
      if (!LatticeDiffError.isInstance(error)) throw error;
      throw new UsageError(
        `cannot resume from ${quote(shownState)}: it is not a usable training state (${oneLine(error.message)})`,
        'rerun the command that created it, or delete the file to start afresh',
      );
    }
    history = (metadata.history ?? []) as StepRecord[];
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
    if (InvalidArgumentError.isInstance(error) && error.argument === 'kernelSize') {
      const expected = /must be (.*) \(got /.exec(error.message)?.[1] ?? 'a smaller kernel';
      usage(
        `invalid value for --kernel-size: ${run.kernelSize} (expected ${expected} on the ${instance.geometry.shape.join(' x ')} lattice of ${instance.modelId})`,
        'choose a smaller --kernel-size',
      );
    }
    throw error;
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
  const learningRate = Number(values['learning-rate'] ?? 3e-3);
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
  if (hasHardConstraints(instance)) throw hardConstraintsError(model.id);
  const plots =
    values.plots === undefined ? undefined : ensureDirectory('--plots', String(values.plots));
  const neural = await loadNeural('--proposal neural');
  const requested = values.backend === undefined ? undefined : (String(values.backend) as 'wasm');
  const backend = await startBackend(neural, requested, json);
  const training = {
    steps: Number(values.steps ?? NEURAL_STEPS),
    batch: flagValue(values, BATCH_FLAG),
    learningRate,
    betaAnneal,
    seed: flagValue(values, SEED_FLAG),
    backend,
  };
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
  const result = await trainNeuralToFile({
    neural,
    instance,
    run,
    out,
    displayName: String(values.out),
    showProgress: progressEnabled(json),
    log: json ? undefined : (line) => process.stderr.write(`${line}\n`),
  });
  const { bound } = result;
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
      out: String(values.out),
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
    ? `${String(values.out)} already holds this finished run (nothing to do)`
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
    `wrote ${String(values.out)}`,
    ...plotFiles.map((f) => `wrote ${f}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
