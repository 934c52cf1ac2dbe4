/**
 * Training with tfjs autodiff and Adam: reverse KL (the variational free energy, VAN) from the
 * energy alone, and forward NLL on samples (e.g. Monte Carlo chains of the learning loop).
 *
 * Reverse KL: with x ~ q (the network's own exact draws) and r(x) = ln q(x) + beta E(x),
 * beta F_q = E_q[r] >= -ln Z, and grad E_q[r] = E_q[(r - b) grad ln q] for any baseline b; the
 * batch mean of r is the baseline (VAN). beta is annealed as beta_t = beta (1 - a^t) (VAN's
 * schedule; a = 0 trains at beta throughout). Every reported quantity (r, the bound and its
 * error bar) is computed in float64 from the float64 log q of the draws; only the gradient is
 * float32.
 */
import { createRandom, type RandomGenerator } from '@latticediff/tensor-network';
import {
  assertInteger,
  assertKnownOptions,
  invalidArgument,
} from '@latticediff/tensor-network/internal';
import { Adam } from './adam';
import { tf } from './backend';
import {
  decodeCheckpoint,
  type MADECheckpoint,
  MAX_TRAINING_STEPS,
  type ReverseKLTrainingState,
} from './checkpoint';
import { MADE } from './made';
import { type AutoregressiveNetwork, type DigitBatch, readDigitBatch } from './network';
import { PixelCNN } from './pixelcnn';
import { decodePixelCNNCheckpoint, type PixelCNNCheckpoint } from './pixelcnn-checkpoint';

/**
 * What training needs of the target: any `LatticeModelInstance` of @latticediff/lattice (a
 * model's `create(...)`) is one. Declared here so that this package needs the lattice package
 * for its tests only.
 */
export interface TrainingTarget {
  readonly sites: number;
  readonly localDimension: number;
  readonly beta: number;
  /** E(x) of each configuration of the batch (+Infinity off the allowed set). */
  energy(batch: { data: Int32Array; count: number }): ArrayLike<number>;
}

/** Progress of {@link trainReverseKL} after one step. */
export interface ReverseKLStep {
  step: number;
  /** The inverse temperature of this step (annealed). */
  beta: number;
  /** Batch mean of ln q + beta E (beta F_q at this step's beta), float64. */
  freeEnergy: number;
  /** Its standard error over the batch. */
  stdErr: number;
}

/** Options of {@link trainReverseKL}. */
export interface ReverseKLOptions {
  /** The target (finite energies: reverse KL is infinite for a proposal that breaks constraints). */
  model: TrainingTarget;
  /** Adam steps (>= 1). */
  steps: number;
  /** Draws per step (default 256). */
  batch?: number;
  /** Adam learning rate (default 1e-3). */
  learningRate?: number;
  /** beta annealing factor a in beta_t = beta (1 - a^t), in [0, 1) (default 0.98; 0: none). */
  betaAnneal?: number;
  /** Seed of the draws. */
  seed: number;
  /** Called after every step. */
  onStep?: (info: ReverseKLStep) => void;
}

/** Trains the network by minimising the variational free energy; returns one entry per step. */
export function trainReverseKL(
  made: AutoregressiveNetwork,
  options: ReverseKLOptions,
): ReverseKLStep[] {
  const fn = 'trainReverseKL';
  if (typeof options !== 'object' || options === null) {
    invalidArgument(fn, 'options', options, 'an options object { model, steps, seed, ... }');
  }
  assertKnownOptions(fn, options, [
    'model',
    'steps',
    'batch',
    'learningRate',
    'betaAnneal',
    'seed',
    'onStep',
  ]);
  assertInteger(fn, 'steps', options.steps, 1, MAX_TRAINING_STEPS);
  const { steps, onStep, ...rest } = options;
  const trainer = new ReverseKLTrainer(made, rest, fn);
  try {
    return trainer.run(steps, onStep);
  } finally {
    trainer.dispose();
  }
}

/** Options of {@link ReverseKLTrainer} (those of {@link trainReverseKL} but `steps`). */
export type ReverseKLTrainerOptions = Omit<ReverseKLOptions, 'steps' | 'onStep'>;

/**
 * Reverse-KL training that can stop and continue: `run(k)` trains k more steps, and
 * `made.toJSON({ trainer })` saves the network with the trainer's complete state (Adam moments,
 * the step, the position of its random stream), from which {@link ReverseKLTrainer.fromJSON}
 * continues bit for bit: j steps, a checkpoint, a fresh process, K - j steps give the weights of
 * K steps in one go. {@link trainReverseKL} is one `run` of a fresh trainer.
 */
export class ReverseKLTrainer {
  /** The network trained (a {@link MADE} or a {@link PixelCNN}). */
  readonly made: AutoregressiveNetwork;
  readonly model: TrainingTarget;
  readonly batch: number;
  readonly learningRate: number;
  readonly betaAnneal: number;
  readonly seed: number;
  private streams: RandomGenerator;
  private readonly adam: Adam;
  private randomWords = 0;
  private done = 0;

  constructor(
    made: AutoregressiveNetwork,
    options: ReverseKLTrainerOptions,
    fn = 'ReverseKLTrainer',
    state?: ReverseKLTrainingState,
  ) {
    if (typeof options !== 'object' || options === null) {
      invalidArgument(fn, 'options', options, 'an options object { model, seed, ... }');
    }
    assertKnownOptions(fn, options, ['model', 'batch', 'learningRate', 'betaAnneal', 'seed']);
    const { model } = options;
    checkModel(fn, made, model);
    const batch = options.batch ?? 256;
    assertInteger(fn, 'batch', batch, 2);
    const learningRate = options.learningRate ?? 1e-3;
    // (< 1, as the checkpoint reader takes it: a rate of 1 wrote a checkpoint that could not be
    // read back)
    if (!(typeof learningRate === 'number' && learningRate > 0 && learningRate < 1)) {
      invalidArgument(fn, 'learningRate', learningRate, 'a number in (0, 1)');
    }
    const anneal = options.betaAnneal ?? 0.98;
    if (typeof anneal !== 'number' || !(anneal >= 0 && anneal < 1)) {
      invalidArgument(fn, 'betaAnneal', anneal, 'a number in [0, 1)');
    }
    assertInteger(fn, 'seed', options.seed, 0);
    this.made = made;
    this.model = model;
    this.batch = batch;
    this.learningRate = learningRate;
    this.betaAnneal = anneal;
    this.seed = options.seed;
    this.streams = createRandom(options.seed);
    if (state) {
      // the stream's position: the words drawn before the checkpoint
      for (let k = 0; k < state.randomWords; k++) this.streams.uint32();
      this.randomWords = state.randomWords;
      this.done = state.step;
    }
    this.adam = new Adam(made.variables, learningRate, state?.adam);
  }

  /**
   * Continues the training state saved in a checkpoint (`made.toJSON({ trainer })`) on `made`,
   * the network read from the same checkpoint (`MADE.fromJSON`). The options that decide the
   * result (seed, batch, learning rate, annealing) come from the checkpoint.
   */
  static fromJSON(
    made: AutoregressiveNetwork,
    json: string | MADECheckpoint | PixelCNNCheckpoint | Record<string, unknown>,
    options: { model: TrainingTarget },
  ): ReverseKLTrainer {
    const fn = 'ReverseKLTrainer.fromJSON';
    let state: ReverseKLTrainingState | undefined;
    if (made instanceof PixelCNN) {
      const decoded = decodePixelCNNCheckpoint(json);
      state = decoded.training;
      if (!state) {
        invalidArgument(
          fn,
          'json',
          'a checkpoint without training state',
          'a checkpoint saved with network.toJSON({ trainer })',
        );
      }
      if (!made.sameArchitecture(decoded)) {
        invalidArgument(
          fn,
          'made',
          `a PixelCNN of ${made.sites} sites, kernel ${made.kernelSize}, ${made.channels} channels, depth ${made.depth}`,
          `the checkpoint's network (${decoded.sites} sites, kernel ${decoded.kernelSize}, ${decoded.channels} channels, depth ${decoded.depth}, the same site order and padding)`,
        );
      }
    } else {
      if (!(made instanceof MADE)) {
        invalidArgument(fn, 'made', made, 'a MADE or PixelCNN network');
      }
      const decoded = decodeCheckpoint(json);
      state = decoded.training;
      if (!state) {
        invalidArgument(
          fn,
          'json',
          'a checkpoint without training state',
          'a checkpoint saved with made.toJSON({ trainer })',
        );
      }
      if (
        decoded.sites !== made.sites ||
        decoded.localDimension !== made.localDimension ||
        decoded.hidden !== made.hidden ||
        decoded.z2 !== made.z2
      ) {
        invalidArgument(
          fn,
          'made',
          `a network of ${made.sites} sites and ${made.hidden} hidden units`,
          `the checkpoint's network (${decoded.sites} sites, ${decoded.hidden} hidden units)`,
        );
      }
    }
    return new ReverseKLTrainer(
      made,
      {
        model: options.model,
        batch: state!.batch,
        learningRate: state!.learningRate,
        betaAnneal: state!.betaAnneal,
        seed: state!.seed,
      },
      fn,
      state,
    );
  }

  /** Steps done so far. */
  get step(): number {
    return this.done;
  }

  /** Trains `steps` more steps; returns one entry per step. */
  run(steps: number, onStep?: (info: ReverseKLStep) => void): ReverseKLStep[] {
    const fn = 'ReverseKLTrainer.run';
    assertInteger(fn, 'steps', steps, 0, MAX_TRAINING_STEPS - this.done);
    const history: ReverseKLStep[] = [];
    for (let k = 0; k < steps; k++) {
      const step = this.done + 1;
      const beta = this.model.beta * (this.betaAnneal > 0 ? 1 - this.betaAnneal ** step : 1);
      const seed = this.streams.uint32() * 2097152 + (this.streams.uint32() >>> 11);
      let info: ReverseKLStep;
      try {
        info = this.trainStep(step, beta, seed);
      } catch (error) {
        // a failed step (a draw of infinite energy) leaves the trainer as it was before it, its
        // stream too, so that a checkpoint taken after the error is consistent (2 random words
        // a step) and resumes
        this.streams = createRandom(this.seed);
        for (let w = 0; w < this.randomWords; w++) this.streams.uint32();
        throw error;
      }
      this.randomWords += 2;
      this.done = step;
      history.push(info);
      onStep?.(info);
    }
    return history;
  }

  /** One step from the draws of `seed`; throws before any update where a draw is not allowed. */
  private trainStep(step: number, beta: number, seed: number): ReverseKLStep {
    const { made, model, batch } = this;
    const n = made.sites;
    const draws = made.sample(batch, seed);
    const energies = model.energy({ data: draws.data, count: batch });
    const r = new Float64Array(batch);
    let mean = 0;
    for (let b = 0; b < batch; b++) {
      if (!Number.isFinite(energies[b]!)) {
        invalidArgument(
          'trainReverseKL',
          'model',
          `E = ${energies[b]} at a draw (sites ${n})`,
          'a model with finite energies (reverse KL cannot train a proposal against hard constraints; use trainNLL on Monte Carlo samples)',
        );
      }
      r[b] = draws.logProbabilities[b]! + beta * energies[b]!;
      mean += r[b]! / batch;
    }
    let square = 0;
    for (let b = 0; b < batch; b++) square += (r[b]! - mean) ** 2;
    const stdErr = Math.sqrt(square / (batch - 1) / batch);
    const centred = Float32Array.from(r, (v) => v - mean);
    const oneHot = made.oneHot(draws);
    tf.tidy(() => {
      const x = tf.tensor2d(oneHot, [batch, n * made.localDimension]);
      const weights = tf.tensor1d(centred);
      this.adam.minimize(
        () => tf.mean(tf.mul(weights, made.logProbabilityTensor(x))) as tf.Scalar,
        false,
      );
    });
    return { step, beta, freeEnergy: mean, stdErr };
  }

  /** The complete training state (what `made.toJSON({ trainer })` saves). */
  trainingState(): ReverseKLTrainingState {
    return {
      seed: this.seed,
      batch: this.batch,
      learningRate: this.learningRate,
      betaAnneal: this.betaAnneal,
      step: this.done,
      randomWords: this.randomWords,
      adam: this.adam.state(),
    };
  }

  /** Frees the optimizer's tensors (not the network's). */
  dispose(): void {
    this.adam.dispose();
  }
}

/** Options of {@link trainNLL}. */
export interface NLLOptions {
  /** Passes over the data (>= 1). */
  epochs: number;
  /** Configurations per Adam step (default 256). */
  batch?: number;
  /** Adam learning rate (default 1e-3). */
  learningRate?: number;
  /** Seed of the shuffling. */
  seed: number;
}

/**
 * Trains the network on samples (forward KL: minimises the mean negative log-likelihood) with
 * mini-batch Adam; returns the mean float32 NLL of each epoch (nats per configuration).
 */
export function trainNLL(
  made: AutoregressiveNetwork,
  data: DigitBatch,
  options: NLLOptions,
): number[] {
  const fn = 'trainNLL';
  if (typeof options !== 'object' || options === null) {
    invalidArgument(fn, 'options', options, 'an options object { epochs, seed, ... }');
  }
  assertKnownOptions(fn, options, ['epochs', 'batch', 'learningRate', 'seed']);
  assertInteger(fn, 'epochs', options.epochs, 1);
  const batch = options.batch ?? 256;
  assertInteger(fn, 'batch', batch, 1);
  const learningRate = options.learningRate ?? 1e-3;
  if (!(typeof learningRate === 'number' && learningRate > 0 && learningRate < 1)) {
    invalidArgument(fn, 'learningRate', learningRate, 'a number in (0, 1)');
  }
  assertInteger(fn, 'seed', options.seed, 0);
  const { sites: n, localDimension: d } = made;
  const rowsOf = readDigitBatch(fn, data, n, d, 'data', 1);
  const rng = createRandom(options.seed);
  const optimizer = new Adam(made.variables, learningRate);
  const order = Array.from({ length: data.count }, (_, k) => k);
  const losses: number[] = [];
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    for (let k = order.length - 1; k > 0; k--) {
      const j = Math.floor(rng.float64() * (k + 1));
      [order[k], order[j]] = [order[j]!, order[k]!];
    }
    let total = 0;
    for (let start = 0; start < order.length; start += batch) {
      const rows = order.slice(start, start + batch);
      const digits = new Int32Array(rows.length * n);
      rows.forEach((row, b) => {
        for (let i = 0; i < n; i++) digits[b * n + i] = rowsOf[row * n + i]!;
      });
      const oneHot = made.oneHot({ data: digits, count: rows.length });
      const x = tf.tensor2d(oneHot, [rows.length, n * d]);
      const loss = optimizer.minimize(
        () => tf.neg(tf.mean(made.logProbabilityTensor(x))) as tf.Scalar,
        true,
      );
      x.dispose();
      total += (loss?.dataSync()[0] ?? 0) * rows.length;
      loss?.dispose();
    }
    losses.push(total / order.length);
  }
  optimizer.dispose();
  return losses;
}

/** Result of {@link freeEnergyBound}. */
export interface FreeEnergyBound {
  /** Estimate of -E_q[ln q + beta E], a lower bound on ln Z in expectation (float64). */
  logPartitionBound: number;
  /** Its standard error. */
  stdErr: number;
  /** Draws used. */
  count: number;
}

/**
 * The variational bound ln Z >= -E_q[ln q + beta E] estimated from `count` exact draws of the
 * network, with its error bar (float64). Compared with an exact ln Z it gives KL(q || pi) =
 * ln Z - bound.
 */
export function freeEnergyBound(
  made: AutoregressiveNetwork,
  model: TrainingTarget,
  options: { count: number; seed: number },
): FreeEnergyBound {
  const fn = 'freeEnergyBound';
  checkModel(fn, made, model);
  if (typeof options !== 'object' || options === null) {
    invalidArgument(fn, 'options', options, 'an options object { count, seed }');
  }
  assertKnownOptions(fn, options, ['count', 'seed']);
  assertInteger(fn, 'count', options.count, 2);
  assertInteger(fn, 'seed', options.seed, 0);
  const draws = made.sample(options.count, options.seed);
  const energies = model.energy({ data: draws.data, count: options.count });
  let mean = 0;
  const values = new Float64Array(options.count);
  for (let b = 0; b < options.count; b++) {
    // (a draw that pi forbids made the bound -Infinity with an error bar of NaN, silently)
    if (!Number.isFinite(energies[b]!)) {
      invalidArgument(
        fn,
        'model',
        `E = ${energies[b]} at draw ${b}`,
        'a model with finite energies (the bound is -Infinity once q gives weight to configurations pi forbids; estimate ln Z by Monte Carlo instead)',
      );
    }
    values[b] = -model.beta * energies[b]! - draws.logProbabilities[b]!;
    mean += values[b]! / options.count;
  }
  let square = 0;
  for (const v of values) square += (v - mean) ** 2;
  return {
    logPartitionBound: mean,
    stdErr: Math.sqrt(square / (options.count - 1) / options.count),
    count: options.count,
  };
}

function checkModel(fn: string, made: AutoregressiveNetwork, model: TrainingTarget): void {
  if (typeof model !== 'object' || model === null || typeof model.energy !== 'function') {
    invalidArgument(fn, 'model', model, 'a lattice model instance (model.create(...))');
  }
  if (model.sites !== made.sites || model.localDimension !== made.localDimension) {
    invalidArgument(
      fn,
      'model',
      `${model.sites} sites of dimension ${model.localDimension}`,
      `the network's ${made.sites} sites of dimension ${made.localDimension}`,
    );
  }
}
