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

/**
 * A pool that only draws (`sample`, `sampleConditional`): what a pool of an earlier release, or
 * another implementation of the interface, offers. Callers must then evaluate and train on their
 * own thread, with the same results.
 */
export function drawsOnlyPool(real: SamplerPool): SamplerPool {
  return {
    size: real.size,
    sample: real.sample.bind(real),
    sampleConditional: real.sampleConditional.bind(real),
    close: real.close.bind(real),
  } as unknown as SamplerPool;
}
