import { createSamplerPool, type SamplerPool } from '@latticediff/tensor-network';
import { afterAll, beforeAll } from 'vitest';

/**
 * Sampler pools of 1, 2 and 3 workers for the enclosing describe block (opened before its tests,
 * closed after them): results must not depend on the number of workers.
 */
export function poolsOfOneToThreeWorkers(): SamplerPool[] {
  const pools: SamplerPool[] = [];
  beforeAll(async () => {
    for (const workers of [1, 2, 3]) pools.push(await createSamplerPool({ workers }));
  });
  afterAll(async () => {
    await Promise.all(pools.splice(0).map((p) => p.close()));
  });
  return pools;
}
