/**
 * What training and the Monte Carlo need of an autoregressive network: both {@link MADE} and
 * {@link PixelCNN} implement it, so `trainReverseKL`, `ReverseKLTrainer`, `trainNLL` and
 * `freeEnergyBound` take either.
 */
import type { tf } from './backend';

/** Draws of the network with the float64 log q of the process that drew them. */
export interface NeuralSampleResult {
  data: Int32Array;
  count: number;
  logProbabilities: Float64Array;
}

/** A configuration batch (`count` rows of N digits). */
export interface DigitBatch {
  data: ArrayLike<number>;
  count: number;
}

/** An autoregressive network over a lattice model's sites in its site order. */
export interface AutoregressiveNetwork {
  readonly sites: number;
  readonly localDimension: number;
  /** The trainable variables (the order of the checkpoint's tensors and of Adam's moments). */
  readonly variables: tf.Variable[];
  /** `count` exact draws of q with their float64 log q. */
  sample(count: number, seed: number): NeuralSampleResult;
  /** log q of each configuration, by the sampler's own float64 passes. */
  logProbabilities(batch: DigitBatch): Float64Array;
  /** The float32 input encoding [count, N d] that {@link logProbabilityTensor} takes. */
  oneHot(batch: DigitBatch): Float32Array;
  /** Differentiable float32 log q of encoded inputs [B, N d] (for training). */
  logProbabilityTensor(oneHot: tf.Tensor2D): tf.Tensor1D;
}
