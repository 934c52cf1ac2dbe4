/**
 * Throughput of exact batched sampling and conditional sampling (float64), single-threaded and
 * with the worker pool. Run from the package with `pnpm bench` (after `pnpm build`, which the
 * turbo bench task does first). Prints the machine it ran on. Flop counts are the useful
 * multiply-adds of the algorithm (2 per multiply-add), not of any padded implementation.
 */
import { availableParallelism, cpus, loadavg, platform, release, totalmem } from 'node:os';
import {
  accumulateSampleOuterProducts,
  bornMPSFromFactors,
  createRandom,
  createSamplerPool,
  kernelEngine,
  logProbabilities,
  matmul,
  qr,
  randomMPS,
  sample,
  sampleConditional,
  svd,
  transferSampleEnvironments,
} from '../src/index';

const quick = process.argv.includes('--quick');
const batch = 1000;
const sizes = quick ? [64] : [64, 256];
const bonds = quick ? [16] : [16, 32, 64];

/** Seconds per call in each of `REPEATS` timed blocks (after a warm-up call). */
const REPEATS = quick ? 3 : 5;
const BLOCK_SECONDS = quick ? 0.1 : 0.4;

function timeIt(run: () => unknown): number[] {
  run(); // warm-up
  return Array.from({ length: REPEATS }, () => {
    let reps = 0;
    const start = performance.now();
    do {
      run();
      reps++;
    } while (performance.now() - start < BLOCK_SECONDS * 1000);
    return (performance.now() - start) / 1000 / reps;
  });
}

async function timeAsync(run: () => Promise<unknown>): Promise<number[]> {
  await run();
  const blocks: number[] = [];
  for (let k = 0; k < REPEATS; k++) {
    let reps = 0;
    const start = performance.now();
    do {
      await run();
      reps++;
    } while (performance.now() - start < BLOCK_SECONDS * 1000);
    blocks.push((performance.now() - start) / 1000 / reps);
  }
  return blocks;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

console.log('# @latticediff/tensor-network benchmark');
console.log(
  `machine: ${cpus()[0]?.model ?? 'unknown cpu'}, ${availableParallelism()} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ${platform()} ${release()}, node ${process.version}`,
);
console.log(
  `kernels: ${kernelEngine()} (float64); batch ${batch}; d = 2; linear MPS (Born: the same shape, kind born); median of ${REPEATS} blocks of ${BLOCK_SECONDS} s, GF/s spread over the blocks in parentheses; load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
console.log('');
// the pool's worker is the built one (the bench task depends on build)
const pool = await createSamplerPool({
  workers: Math.min(2, availableParallelism()),
  workerUrl: new URL('../dist/worker.js', import.meta.url),
});
const rows: string[][] = [];
for (const n of sizes) {
  for (const chi of bonds) {
    const mps = randomMPS({ length: n, bondDim: chi, seed: 1 });
    const d = 2;
    // flops per sample: left update chi^2 (x2) + conditional weights d chi (x2) per site
    let flopsSample = 0;
    let flopsConditional = 0;
    for (let i = 0; i < n; i++) {
      const [l, , r] = mps.siteShape(i);
      flopsSample += 2 * l * r + 2 * d * l;
      flopsConditional +=
        2 * d * l * r /* right env */ + 2 * d * l * r /* candidates */ + 2 * d * r;
    }
    const weights = new Float64Array(batch * n * d);
    for (let k = 0; k < weights.length; k++) weights[k] = 0.25 + ((k * 2654435761) % 1000) / 1000;
    let seed = 0;
    const tSample = timeIt(() => sample(mps, { count: batch, seed: seed++ }));
    const tConditional = timeIt(() =>
      sampleConditional(mps, { weights, count: batch, seed: seed++ }),
    );
    // the Born MPS of the same shape (not canonical: sample() uses its right-canonical form,
    // computed on the first call, which the warm-up run pays)
    const born = randomMPS({ length: n, bondDim: chi, seed: 1, kind: 'born' });
    const tBorn = timeIt(() => sample(born, { count: batch, seed: seed++ }));
    const batchOfSamples = sample(mps, { count: batch, seed: 1 });
    const tLogProb = timeIt(() => logProbabilities(mps, batchOfSamples));
    const tPoolSample = await timeAsync(() => pool.sample(mps, { count: batch, seed: seed++ }));
    const tPoolConditional = await timeAsync(() =>
      pool.sampleConditional(mps, { weights, count: batch, seed: seed++ }),
    );
    // median of the blocks, and the spread of GFLOP/s over them
    const fmt = (ts: number[], flops: number) => {
      const gf = (t: number) => (batch * flops) / t / 1e9;
      const t = median(ts);
      return `${(batch / t).toFixed(0).padStart(7)} /s ${gf(t).toFixed(1).padStart(5)} GF/s (${gf(Math.max(...ts)).toFixed(1)}-${gf(Math.min(...ts)).toFixed(1)})`;
    };
    rows.push([
      `N=${n} chi=${chi}`,
      fmt(tSample, flopsSample),
      fmt(tConditional, flopsConditional),
      fmt(tLogProb, flopsSample),
      `${(batch / median(tBorn)).toFixed(0).padStart(7)} /s ${(median(tBorn) / median(tSample)).toFixed(2)}x`,
      `${pool.size} workers`,
      fmt(tPoolSample, flopsSample),
      fmt(tPoolConditional, flopsConditional),
    ]);
  }
}
await pool.close();

const header = [
  'size',
  'sample (1 thread)',
  'conditional (1 thread)',
  'logProbabilities',
  'Born sample (time vs linear)',
  'pool',
  'sample (pool)',
  'conditional (pool)',
];
const widths = header.map((h, k) => Math.max(h.length, ...rows.map((r) => r[k]!.length)));
const line = (cells: string[]) => `| ${cells.map((c, k) => c.padEnd(widths[k]!)).join(' | ')} |`;
console.log(line(header));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const r of rows) console.log(line(r));

/**
 * The Born MPS of the 2D Ising model on an L x L cylinder at beta_c (columns of L sites, periodic
 * in y), built from its pair factors at bond dimension chi: a proposal whose neighbouring digits
 * are correlated as a physics proposal's are (a random MPS's are not).
 */
function isingCylinderBorn(size: number, chi: number) {
  const beta = Math.log(1 + Math.SQRT2) / 2;
  const sites: number[] = [];
  for (let x = 0; x < size; x++) {
    for (let y = 0; y < size; y++) {
      const i = x * size + y;
      sites.push(i, x * size + ((y + 1) % size));
      if (x + 1 < size) sites.push(i, i + size);
    }
  }
  // psi = exp(-beta E / 2), E = -sum s_i s_j: log-weight +beta/2 for equal digits, -beta/2 else
  const pairCount = sites.length / 2;
  const logWeights = new Float64Array(pairCount * 4);
  for (let p = 0; p < pairCount; p++)
    logWeights.set([beta / 2, -beta / 2, -beta / 2, beta / 2], p * 4);
  return bornMPSFromFactors(
    { length: size * size, physicalDim: 2, pairs: { sites: Int32Array.from(sites), logWeights } },
    { maxBondDim: chi },
  ).mps;
}

console.log(
  `\nBorn sampling of a physics proposal (Ising 8x8 cylinder at beta_c built from its factors) against a random linear MPS of the same length and largest bond, one thread, batch ${batch}:`,
);
console.log('| chi | Born sample | linear sample | Born time vs linear |');
console.log('|---|---|---|---|');
for (const chi of quick ? [32] : [16, 24, 32, 64]) {
  const born = isingCylinderBorn(8, chi);
  const linear = randomMPS({ length: 64, bondDim: chi, seed: 1 });
  let seed = 0;
  const tBorn = timeIt(() => sample(born, { count: batch, seed: seed++ }));
  const tLinear = timeIt(() => sample(linear, { count: batch, seed: seed++ }));
  console.log(
    `| ${chi} | ${(batch / median(tBorn)).toFixed(0)} /s | ${(batch / median(tLinear)).toFixed(0)} /s | ${(median(tBorn) / median(tLinear)).toFixed(2)}x |`,
  );
}

// the steps of a two-site training sweep (monte-carlo's trainBornSweeps): the split of a block
// (an SVD on the calling thread) and the per-row work of a shard of 1,024 rows (a gradient's
// outer products, the environments' transfer with rescaling), one thread
const rng = createRandom(5);
const uniform = (length: number) => Float64Array.from({ length }, () => rng.float64() - 0.5);
console.log(
  '\nTraining steps, one thread: the split of an n x n block (rank n / 2 plus 1e-4 noise, as a two-site block at bond n / 2) and the per-row work of a 1,024-row shard at bond chi (four digit pairs):',
);
console.log('| n | svd | qr | chi | outer products | transfer + rescale |');
console.log('|---|---|---|---|---|---|');
for (const n of quick ? [32] : [32, 64]) {
  const a = matmul(uniform(n * (n / 2)), uniform((n / 2) * n), n, n / 2, n);
  const noise = uniform(n * n);
  for (let k = 0; k < a.length; k++) a[k]! += 1e-4 * noise[k]!;
  const tSvd = median(timeIt(() => svd(a, n, n)));
  const tQr = median(timeIt(() => qr(a, n, n)));
  const chi = n / 2;
  const rows = 1024;
  const pairs = Int32Array.from({ length: rows }, (_, b) => (b * 7) % 4);
  const digits = Int32Array.from({ length: rows }, (_, b) => (b * 3) % 2);
  const left = uniform(rows * chi);
  const right = uniform(rows * chi);
  const weights = uniform(rows);
  const out = {
    data: new Float64Array(chi * 4 * chi),
    leftDim: chi,
    physicalDim: 4,
    rightDim: chi,
  };
  const tOuter = median(
    timeIt(() => accumulateSampleOuterProducts(out, pairs, left, right, weights)),
  );
  const site = { data: uniform(chi * 2 * chi), leftDim: chi, physicalDim: 2, rightDim: chi };
  const tTransfer = median(
    timeIt(() => transferSampleEnvironments(site, digits, left, 'right', { rescale: true })),
  );
  const ms = (t: number) => `${(t * 1000).toFixed(3)} ms`;
  console.log(`| ${n} | ${ms(tSvd)} | ${ms(tQr)} | ${chi} | ${ms(tOuter)} | ${ms(tTransfer)} |`);
}
