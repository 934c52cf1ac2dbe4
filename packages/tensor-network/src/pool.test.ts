/**
 * The pool runs the built worker (dist/worker.js), so this test needs `pnpm build` first (turbo's
 * test task depends on build).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from './errors';
import { randomMPS } from './mps';
import { createSamplerPool, type SamplerPool } from './pool';
import { createRandom } from './random';
import { sample, sampleConditional } from './sample';

const workerUrl = new URL('../dist/worker.js', import.meta.url);

describe('sampler pool', () => {
  let pool: SamplerPool;
  let single: SamplerPool;
  beforeAll(async () => {
    if (!existsSync(fileURLToPath(workerUrl)))
      throw new Error('run `pnpm build` before this test (dist/worker.js is missing)');
    pool = await createSamplerPool({ workers: 2, workerUrl });
    single = await createSamplerPool({ workers: 1, workerUrl });
  });
  afterAll(async () => {
    await pool.close();
    await single.close();
  });

  it('refuses a non-MPS and batches beyond the size limit before sending work (was a TypeError, or a worker out of memory)', async () => {
    const mps = randomMPS({ length: 4, bondDim: 2, seed: 1 });
    await expect(pool.sample({} as never, { count: 1, seed: 1 })).rejects.toThrow(
      '`mps` passed to `SamplerPool.sample` must be an MPS',
    );
    await expect(
      pool.sampleConditional(null as never, { count: 1, seed: 1, weights: [] }),
    ).rejects.toThrow('`mps` passed to `SamplerPool.sampleConditional` must be an MPS');
    await expect(pool.sample(mps, { count: 1e12, seed: 1 })).rejects.toThrow(
      '`count` passed to `SamplerPool.sample` must be at most 268435456 for an MPS of 4 sites',
    );
    await expect(createSamplerPool(5 as never)).rejects.toThrow(InvalidArgumentError);
  });

  it.each(['linear', 'born'] as const)(
    'gives exactly the single-threaded samples for the same seed (%s)',
    async (kind) => {
      const mps = randomMPS({ length: 12, bondDim: 5, kind, seed: 2 });
      for (const count of [0, 1, 127, 128, 129, 700]) {
        const ref = sample(mps, { count, seed: 99 });
        for (const p of [pool, single]) {
          const got = await p.sample(mps, { count, seed: 99 });
          expect(got.count).toBe(count);
          expect(Array.from(got.data)).toEqual(Array.from(ref.data));
          expect(Array.from(got.logProbabilities)).toEqual(Array.from(ref.logProbabilities));
        }
      }
    },
  );

  it('gives exactly the single-threaded conditional samples', async () => {
    const mps = randomMPS({ length: 10, bondDim: 4, physicalDim: 3, seed: 4 });
    const count = 300;
    const rng = createRandom(8);
    const weights = new Float64Array(count * 10 * 3).map(() => rng.float64());
    const ref = sampleConditional(mps, { weights, count, seed: 5 });
    const got = await pool.sampleConditional(mps, { weights, count, seed: 5 });
    expect(Array.from(got.data)).toEqual(Array.from(ref.data));
    expect(Array.from(got.logWeightNormalizations)).toEqual(
      Array.from(ref.logWeightNormalizations),
    );
  });

  it('advances a generator passed as seed, like the single-threaded call', async () => {
    const mps = randomMPS({ length: 6, bondDim: 3, seed: 1 });
    const g1 = createRandom(3);
    const g2 = createRandom(3);
    const a1 = sample(mps, { count: 50, seed: g1 });
    const a2 = sample(mps, { count: 50, seed: g1 });
    const b1 = await pool.sample(mps, { count: 50, seed: g2 });
    const b2 = await pool.sample(mps, { count: 50, seed: g2 });
    expect(Array.from(b1.data)).toEqual(Array.from(a1.data));
    expect(Array.from(b2.data)).toEqual(Array.from(a2.data));
    expect(Array.from(a1.data)).not.toEqual(Array.from(a2.data));
  });

  it('rejects bad arguments and reports worker-side numerical failures', async () => {
    const mps = randomMPS({ length: 4, bondDim: 2, seed: 1 });
    await expect(pool.sample(mps, { count: -2, seed: 1 })).rejects.toThrow(InvalidArgumentError);
    await expect(pool.sampleConditional(mps, { weights: [1], count: 1, seed: 1 })).rejects.toThrow(
      /weights/,
    );
    await expect(
      pool.sampleConditional(mps, { weights: new Float64Array(8), count: 1, seed: 1 }),
    ).rejects.toThrow(/zero total probability/);
    await expect(createSamplerPool({ workers: 0 })).rejects.toThrow(
      /`workers` passed to `createSamplerPool`/,
    );
  });
});
