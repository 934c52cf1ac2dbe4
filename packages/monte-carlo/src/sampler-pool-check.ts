import type { SamplerPool } from '@latticediff/tensor-network';
import { invalidArgument } from '@latticediff/tensor-network/internal';

/**
 * Refuses a `pool` option that is not a SamplerPool (an object without `sample` was a TypeError
 * deep in the first step that used it). Undefined passes.
 */
export function assertSamplerPool(
  fn: string,
  pool: unknown,
): asserts pool is SamplerPool | undefined {
  if (
    pool !== undefined &&
    (typeof pool !== 'object' ||
      pool === null ||
      typeof (pool as { sample?: unknown }).sample !== 'function')
  ) {
    invalidArgument(fn, 'pool', pool, 'a SamplerPool (createSamplerPool) or undefined');
  }
}
