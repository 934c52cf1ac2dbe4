import { createSamplerPool, randomMPS } from '@latticediff/tensor-network';
import { expect, it } from 'vitest';
import { denoise, denoiseInPool } from './denoise';
import { addNoise } from './forward';
import { uniformNoise } from './noise';

it('denoiseInPool returns exactly what denoise returns for the same seed', async () => {
  const pool = await createSamplerPool({ workers: 2 });
  try {
    const mps = randomMPS({ length: 9, bondDim: 4, seed: 3 });
    const noise = uniformNoise({ physicalDim: 2 });
    const noisy = addNoise(
      noise,
      { data: new Int32Array(300 * 9).map((_, k) => k % 2), count: 300 },
      { time: 0.4, seed: 5 },
    );
    const a = denoise(mps, noise, { noisy, time: 0.4, seed: 6 });
    const b = await denoiseInPool(pool, mps, noise, { noisy, time: 0.4, seed: 6 });
    expect(Array.from(b.data)).toEqual(Array.from(a.data));
    expect(Array.from(b.logProbabilities)).toEqual(Array.from(a.logProbabilities));
    expect(Array.from(b.noisyLogProbabilities)).toEqual(Array.from(a.noisyLogProbabilities));
    await expect(
      denoiseInPool(null as never, mps, noise, { noisy, time: 0.4, seed: 6 }),
    ).rejects.toThrow(/`pool`/);
  } finally {
    await pool.close();
  }
});
