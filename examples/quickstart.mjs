// A small end-to-end example of @latticediff/tensor-network: build a probability MPS, check
// its normalisation, draw exact samples with their log-probabilities, and verify them.
// Run from the repository root with `pnpm example` (builds the package first).
import {
  createSamplerPool,
  logNormalization,
  logProbabilities,
  marginals,
  randomMPS,
  sample,
  serializeMPS,
  deserializeMPS,
} from '@latticediff/tensor-network';

const length = 64;
const bondDim = 16;
const mps = randomMPS({ length, bondDim, seed: 2024 });
console.log(`random linear MPS: N = ${length}, bond dimension ${mps.maxBondDim}, ${mps.parameterCount} parameters`);
console.log(`log Z = ${logNormalization(mps).toFixed(12)}`);

const t0 = performance.now();
const samples = sample(mps, { count: 10_000, seed: 7 });
const seconds = (performance.now() - t0) / 1000;
console.log(`10000 exact samples in ${seconds.toFixed(3)} s (${(10_000 / seconds).toFixed(0)} samples/s, one thread)`);

const check = logProbabilities(mps, samples);
let maxDiff = 0;
for (let b = 0; b < samples.count; b++) maxDiff = Math.max(maxDiff, Math.abs(check[b] - samples.logProbabilities[b]));
console.log(`max |log P(sample) - log P(evaluated)| = ${maxDiff.toExponential(2)}`);

console.log('first three samples and their log-probabilities:');
for (let b = 0; b < 3; b++) {
  const row = Array.from(samples.data.subarray(b * length, (b + 1) * length)).join('');
  console.log(`  ${row}  log P = ${samples.logProbabilities[b].toFixed(6)}`);
}

// the empirical frequency of x_0 = 1 against the exact marginal
let ones = 0;
for (let b = 0; b < samples.count; b++) ones += samples.data[b * length];
const p1 = marginals(mps)[0][1];
const stdErr = Math.sqrt((p1 * (1 - p1)) / samples.count);
console.log(`P(x_0 = 1): exact ${p1.toFixed(5)}, sampled ${(ones / samples.count).toFixed(5)} ± ${stdErr.toFixed(5)}`);

// both cores, same samples as the single-threaded call
const pool = await createSamplerPool({ workers: 2 });
const parallel = await pool.sample(mps, { count: 10_000, seed: 7 });
await pool.close();
console.log(`worker pool reproduces the single-threaded samples: ${parallel.data.every((v, k) => v === samples.data[k])}`);

const text = serializeMPS(mps, { metadata: { example: 'quickstart' } });
const restored = deserializeMPS(text).mps;
console.log(`file round trip exact: ${restored.tensors.every((t, i) => t.every((v, k) => Object.is(v, mps.tensors[i][k])))} (${(text.length / 1024).toFixed(0)} KiB)`);
