/**
 * What training and the Monte Carlo need of an autoregressive network: both {@link MADE} and
 * {@link PixelCNN} implement it, so `trainReverseKL`, `ReverseKLTrainer`, `trainNLL` and
 * `freeEnergyBound` take either.
 */
import { assertInteger, invalidArgument } from '@latticediff/tensor-network/internal';
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

/**
 * A batch that says its row length (`{ data, count, length }`, as samples carry it) must have the
 * network's N: rows of another model were read across configurations (10 rows of 16 sites given
 * to a 9-site network trained on the first 90 digits).
 */
export function checkRowLength(fn: string, name: string, batch: object, n: number): void {
  const length = (batch as { length?: unknown }).length;
  if (length !== undefined && length !== n) {
    invalidArgument(fn, `${name}.length`, length, `the network's ${n} sites`);
  }
}

/**
 * The digits of a batch `{ data, count }` of N-digit configurations as a fresh Int32Array, each
 * checked to be an integer in [0, d - 1]; bad input is refused naming `batch`, `batch.count` or
 * `batch.data` of function `fn`.
 */
export function readDigitBatch(
  fn: string,
  batch: DigitBatch,
  n: number,
  d: number,
  name = 'batch',
  minCount = 0,
): Int32Array {
  if (typeof batch !== 'object' || batch === null) {
    invalidArgument(fn, name, batch, 'a batch { data, count } of configurations');
  }
  assertInteger(fn, `${name}.count`, batch.count, minCount);
  checkRowLength(fn, name, batch, n);
  if (batch.data == null || batch.data.length < batch.count * n) {
    invalidArgument(
      fn,
      `${name}.data`,
      batch.data?.length,
      `at least count * N = ${batch.count * n} digits`,
    );
  }
  const digits = new Int32Array(batch.count * n);
  for (let k = 0; k < digits.length; k++) {
    const v = batch.data[k] as number;
    if (!Number.isInteger(v) || v < 0 || v >= d) {
      invalidArgument(fn, `${name}.data`, v, `digits in [0, ${d - 1}] (entry ${k})`);
    }
    digits[k] = v;
  }
  return digits;
}
