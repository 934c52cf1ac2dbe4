/**
 * Exact denoising throughput at N = 256, bond dimension 32, batch 1000, d = 2 (uniform noise,
 * rate 1, t = 1): one-shot denoising x ~ P(x_0 | y) for a batch of different y, and generation
 * end to end (y ~ P_T, then x ~ P(x_0 | y)). Reports the median of several timed runs after a
 * warm-up. Run: pnpm --filter @latticediff/markov-jump bench
 */
import os from 'node:os';
import { createSamplerPool, kernelEngine, randomMPS, sample } from '@latticediff/tensor-network';
import { addNoise, denoise, denoiseInPool, generate, uniformNoise } from '../src/index';

const N = 256;
const CHI = 32;
const BATCH = 1000;
const TIME = 1;
const RUNS = 7;

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function time(label: string, run: (k: number) => unknown): Promise<void> {
  await run(-1); // warm-up
  const rates: number[] = [];
  for (let k = 0; k < RUNS; k++) {
    const start = performance.now();
    await run(k);
    rates.push(BATCH / ((performance.now() - start) / 1000));
  }
  console.log(
    `${label.padEnd(34)} ${median(rates).toFixed(0).padStart(7)} samples/s  (min ${Math.min(...rates).toFixed(0)}, max ${Math.max(...rates).toFixed(0)}, ${RUNS} runs)`,
  );
}

const cpus = os.cpus();
console.log(
  `machine: ${cpus[0]?.model ?? 'unknown'}, ${cpus.length} cores, node ${process.version}, ${os.platform()} ${os.arch()}, kernels: ${kernelEngine()}`,
);
console.log(
  `N = ${N}, bond dimension ${CHI}, batch ${BATCH}, d = 2, uniform noise (rate 1), t = ${TIME}, float64`,
);

const mps = randomMPS({ length: N, physicalDim: 2, bondDim: CHI, seed: 1, spread: 0.5 });
const noise = uniformNoise({ physicalDim: 2 });
const noisy = addNoise(noise, sample(mps, { count: BATCH, seed: 2 }), { time: TIME, seed: 3 });

await time('exact one-shot denoising', (k) => {
  denoise(mps, noise, { noisy, time: TIME, seed: 100 + k });
});
await time('generation end to end (one shot)', (k) => {
  generate(mps, noise, { count: BATCH, time: TIME, seed: 200 + k });
});

const pool = await createSamplerPool({ workers: Math.min(2, os.availableParallelism()) });
await time(`exact one-shot denoising, ${pool.size} workers`, (k) =>
  denoiseInPool(pool, mps, noise, { noisy, time: TIME, seed: 300 + k }),
);
await pool.close();
