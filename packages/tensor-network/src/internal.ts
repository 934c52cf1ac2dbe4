/**
 * Helpers that latticediff's own packages share: argument checks whose errors name the
 * function, the argument and the value, the overflow-safe Frobenius norm, and the digit codec and
 * batch joining of checkpoints and replay buffers. Import them from `@latticediff/tensor-network/internal`.
 * This entry point is NOT part of the semver surface: it may change in any release, so code
 * outside the latticediff packages should not depend on it (the error classes, which users
 * catch, stay in the main entry point).
 */

export { frobenius } from './canonical';
export { concatenateBatches, decodeDigits, encodeDigits } from './configurations';
export {
  assertFinite,
  assertInteger,
  assertKnownOptions,
  invalidArgument,
  optionKeys,
} from './errors';
export { product } from './linalg';
export { assertBatchSize, assertMPS } from './mps';
export { canSampleSteps, poolSampleSteps } from './pool';
export {
  adoptSamplingPlan,
  CHUNK_SIZE,
  planArrays,
  type SamplingPlanData,
  sampleEachStream,
  sampleRows,
  sampleSteps,
  sampleStreamChunks,
  samplingPlanData,
} from './sample';
export {
  canHoldShards,
  type EnvironmentShards,
  localShards,
  openPoolShards,
  SHARD_ROWS,
  type ShardMove,
  type ShardSpec,
} from './sweep-shards';
