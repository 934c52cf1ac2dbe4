/**
 * A network as a learner of the Monte Carlo learning loop (`learnByMonteCarlo` of
 * @latticediff/monte-carlo, its `learner` option): the loop samples with the network as an
 * independence proposal (disconnected scheme), then trains it by forward NLL on the chains'
 * samples (`trainNLL`, a fresh Adam each round), exactly as it trains an MPS. The factory and its
 * learners have the shape of monte-carlo's `ProposalLearnerFactory` and `ProposalLearner`
 * without importing that package (this package does not depend on it): TypeScript checks the
 * match where the two meet.
 */
import { NumericalError, type RandomGenerator } from '@latticediff/tensor-network';
import {
  assertInteger,
  assertKnownOptions,
  invalidArgument,
} from '@latticediff/tensor-network/internal';
import { MADE, type MADEOptions } from './made';
import type { DigitBatch, NeuralSampleResult } from './network';
import { PixelCNN, type PixelCNNOptions } from './pixelcnn';
import { trainNLL } from './train';

/** The network an {@link nllLearner} creates: a MADE or a PixelCNN, with its options. */
export type NLLLearnerNetwork =
  | ({ kind: 'made' } & Omit<MADEOptions, 'sites' | 'localDimension' | 'seed'>)
  | ({ kind: 'pixelcnn' } & Omit<PixelCNNOptions, 'localDimension' | 'seed'>);

/** Options of {@link nllLearner}. */
export interface NLLLearnerOptions {
  /** The network: its kind and options (sites and digits come from the model, the seed from the loop). */
  network: NLLLearnerNetwork;
  /** Epochs of `trainNLL` per round (>= 1). */
  epochs: number;
  /** Mini-batch of the epochs (default 256). */
  batch?: number;
  /** Adam learning rate of each round's fresh optimizer (default 1e-3). */
  learningRate?: number;
}

/** A batch of `count` configurations of N digits. */
interface Rows {
  data: Int32Array;
  count: number;
}

/** A network in the learning loop (monte-carlo's `ProposalLearner`). */
export interface NetworkLearner<N extends MADE | PixelCNN = MADE | PixelCNN> {
  /** The network being trained (yours once the loop has returned it: dispose it when done). */
  readonly network: N;
  /** The network as an independence proposal (disconnected scheme). */
  readonly proposal: {
    sites: number;
    localDimension: number;
    sample(count: number, seed: number): NeuralSampleResult;
    logProbabilities(batch: DigitBatch): Float64Array;
  };
  /** Float64 log q of each configuration (the sampler's own passes). */
  logProbabilities(batch: Rows): Float64Array;
  /**
   * `epochs` epochs of `trainNLL` on the data, shuffled from one seed drawn from `random`
   * (`validation` is not used: trainNLL has no early stopping; the loop reports its NLL).
   * Throws a NumericalError when the loss is not finite (a smaller learning rate usually helps).
   */
  train(data: Rows, context: { round: number; random: RandomGenerator; validation?: Rows }): void;
  /** The network's checkpoint text (`JSON.stringify(network)`: weights exactly, no metadata). */
  save(): string;
  /** Frees the network's tensors. */
  dispose(): void;
}

/** What decides a learner's results: its network options and training settings, as given. */
export interface NLLLearnerFingerprint {
  learner: 'neural-nll';
  network: Record<string, unknown>;
  epochs: number;
  batch: number;
  learningRate: number;
}

/** Makes and restores {@link NetworkLearner}s (monte-carlo's `ProposalLearnerFactory`). */
export interface NLLLearnerFactory<N extends MADE | PixelCNN = MADE | PixelCNN> {
  /** Part of the loop's resume fingerprint. */
  readonly fingerprint: NLLLearnerFingerprint;
  /** A fresh network, its initial weights seeded from `random`. */
  create(context: {
    sites: number;
    localDimension: number;
    random: RandomGenerator;
  }): NetworkLearner<N>;
  /** The learner of a saved network (`save()` text). */
  restore(text: string, context: { sites: number; localDimension: number }): NetworkLearner<N>;
}

/**
 * A factory of network learners for `learnByMonteCarlo({ learner })`: forward-NLL training of a
 * MADE or PixelCNN on the loop's Monte Carlo samples. All randomness comes from the loop's
 * streams (the initial weights from its initial stream, each round's shuffling from that
 * round's), and the saved state is the network's checkpoint (trainNLL keeps no optimizer state
 * between rounds), so an interrupted run resumes bit for bit on the same tfjs backend. The
 * backend is not part of the fingerprint: a caller that lets users choose it should add it to
 * its own record (as `latticediff train` does).
 */
export function nllLearner(
  options: NLLLearnerOptions & { network: { kind: 'made' } },
): NLLLearnerFactory<MADE>;
export function nllLearner(
  options: NLLLearnerOptions & { network: { kind: 'pixelcnn' } },
): NLLLearnerFactory<PixelCNN>;
export function nllLearner(options: NLLLearnerOptions): NLLLearnerFactory;
export function nllLearner(options: NLLLearnerOptions): NLLLearnerFactory {
  const fn = 'nllLearner';
  if (typeof options !== 'object' || options === null) {
    invalidArgument(fn, 'options', options, 'an options object { network, epochs, ... }');
  }
  assertKnownOptions(fn, options, ['network', 'epochs', 'batch', 'learningRate']);
  const { network } = options;
  if (
    typeof network !== 'object' ||
    network === null ||
    (network.kind !== 'made' && network.kind !== 'pixelcnn')
  ) {
    invalidArgument(
      fn,
      'network',
      network,
      "the network's options with its kind: { kind: 'made', ... } or { kind: 'pixelcnn', ... }",
    );
  }
  assertInteger(fn, 'epochs', options.epochs, 1);
  const batch = options.batch ?? 256;
  assertInteger(fn, 'batch', batch, 1);
  const learningRate = options.learningRate ?? 1e-3;
  if (!(typeof learningRate === 'number' && learningRate > 0 && learningRate < 1)) {
    invalidArgument(fn, 'learningRate', learningRate, 'a number in (0, 1)');
  }
  const { epochs } = options;
  const { kind, ...networkOptions } = network;
  const describe = (): Record<string, unknown> => {
    if (network.kind === 'made') return { kind, ...networkOptions };
    const { geometry, ...rest } = network;
    return {
      ...rest,
      ...(geometry === undefined
        ? {}
        : {
            geometry: { shape: [...geometry.shape], coordinates: Array.from(geometry.coordinates) },
          }),
    };
  };
  const learner = (made: MADE | PixelCNN): NetworkLearner => ({
    network: made,
    get proposal() {
      return made.proposal();
    },
    logProbabilities: (rows) => made.logProbabilities(rows),
    train(data, { round, random }) {
      const losses = trainNLL(made, data, { epochs, batch, learningRate, seed: random.uint32() });
      const last = losses[losses.length - 1]!;
      if (!Number.isFinite(last)) {
        throw new NumericalError(
          `nllLearner: training failed in round ${round}: the NLL of the last epoch is ${last}; a smaller learningRate usually helps`,
        );
      }
    },
    save: () => JSON.stringify(made),
    dispose: () => made.dispose(),
  });
  return {
    fingerprint: {
      learner: 'neural-nll',
      network: JSON.parse(JSON.stringify(describe())) as Record<string, unknown>,
      epochs,
      batch,
      learningRate,
    },
    create({ sites, localDimension, random }) {
      const seed = random.uint32();
      if (network.kind === 'made') {
        return learner(MADE.create({ ...networkOptions, sites, localDimension, seed }));
      }
      const pixel = PixelCNN.create({
        ...(networkOptions as Omit<PixelCNNOptions, 'localDimension' | 'seed'>),
        localDimension,
        seed,
      });
      if (pixel.sites !== sites) {
        pixel.dispose();
        invalidArgument(
          fn,
          'network',
          `a PixelCNN of ${pixel.sites} sites`,
          `a lattice of the model's ${sites} sites (its geometry)`,
        );
      }
      return learner(pixel);
    },
    restore(text, context) {
      const restored = network.kind === 'made' ? MADE.fromJSON(text) : PixelCNN.fromJSON(text);
      // (a 9-site network was restored for a 16-site model without a word, and refused later by
      // runChains naming `proposal`)
      if (
        context !== undefined &&
        (restored.sites !== context.sites || restored.localDimension !== context.localDimension)
      ) {
        restored.dispose();
        invalidArgument(
          'nllLearner.restore',
          'text',
          `a network of ${restored.sites} sites of dimension ${restored.localDimension}`,
          `the model's ${context.sites} sites of dimension ${context.localDimension}`,
        );
      }
      return learner(restored);
    },
  };
}
