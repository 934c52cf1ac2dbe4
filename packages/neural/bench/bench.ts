/**
 * Neural (MADE and PixelCNN) proposals next to the MPS proposals and the local and Wolff baselines, on one
 * footing: the same model, the same `runChains`, one thread each, in one run. Prints the machine,
 * the training cost, KL(q || pi) from the variational bound against the exact ln Z, and per
 * scheme the acceptance, tau_int and ESS per second of the energy and |m|.
 * Run with `pnpm --filter @latticediff/neural bench` (`--quick` for a short run; `--size=16` for
 * the 16x16 cylinder: MADE with 256 hidden units, no PixelCNN, the chi-64 MPS, no exact ln Z).
 */
import { availableParallelism, cpus, platform, release } from 'node:os';
import { physicsBornMPS } from '@latticediff/lattice';
import { isingModel } from '@latticediff/model-ising';
import { type ProposalScheme, runChains, summarize } from '@latticediff/monte-carlo';
import type { MPS } from '@latticediff/tensor-network';
import { freeEnergyBound, initBackend, MADE, PixelCNN, trainReverseKL } from '../dist/index.js';

const quick = process.argv.includes('--quick');
const size = Number(process.argv.find((a) => a.startsWith('--size='))?.slice(7) ?? 8);
if (size !== 8 && size !== 16) throw new Error(`--size must be 8 or 16 (got ${size})`);
const large = size === 16;
const backend = await initBackend('wasm');
console.log('# @latticediff/neural benchmark');
console.log(
  `machine: ${cpus()[0]?.model ?? 'unknown cpu'}, ${availableParallelism()} cores, ${platform()} ${release()}, node ${process.version}; tfjs backend ${backend} (float32, one thread)`,
);
const beta = Math.log(1 + Math.SQRT2) / 2;
const model = isingModel.create({ lx: size, ly: size, beta });
// the transfer matrix gives ln Z up to L_y = 14: at 16x16 only the bound is reported
const exact = large ? undefined : model.exactObservables!();
const trainingSteps = quick ? 100 : 400;
const chains = 64;
// a 16x16 MADE draw costs about 16 times an 8x8 one (4x the sites, 4x the work per site)
const ddmSteps = quick ? 150 : large ? 200 : 600;
const localSteps = quick ? 600 : 3000;
console.log(
  `Ising ${size}x${size} cylinder at beta_c; ${chains} chains; ${exact ? `exact ln Z ${exact.logPartitionFunction.toFixed(4)}` : 'no exact ln Z (L_y > 14): the variational bound only'}`,
);
const klText = (b: { logPartitionBound: number; stdErr: number }) =>
  exact
    ? `KL(q || pi) = ${(exact.logPartitionFunction - b.logPartitionBound).toFixed(3)} ± ${b.stdErr.toFixed(3)}`
    : `ln Z >= ${b.logPartitionBound.toFixed(3)} ± ${b.stdErr.toFixed(3)}`;

let start = performance.now();
// at 16x16 the default hidden width (4 N = 1024) costs about 2.2 s a step: 256, as at 8x8
const made = MADE.create({ sites: model.sites, seed: 1, ...(large ? { hidden: 256 } : {}) });
trainReverseKL(made, { model, steps: trainingSteps, batch: 256, learningRate: 3e-3, seed: 2 });
const madeSeconds = (performance.now() - start) / 1000;
const bound = freeEnergyBound(made, model, { count: 2000, seed: 3 });
console.log(
  `MADE (hidden ${made.hidden}): ${trainingSteps} reverse-KL steps of batch 256 in ${madeSeconds.toFixed(1)} s; ${klText(bound)}`,
);
start = performance.now();
// the PixelCNN's convolutions are dense in N (the selection matrices): not run at 16x16
const pixel = large
  ? undefined
  : PixelCNN.create({
      geometry: model.geometry,
      periodic: model.geometry.periodic,
      kernelSize: 3,
      channels: 16,
      depth: 3,
      seed: 1,
    });
if (pixel) {
  trainReverseKL(pixel, { model, steps: trainingSteps, batch: 256, learningRate: 3e-3, seed: 2 });
  const pixelSeconds = (performance.now() - start) / 1000;
  const pixelBound = freeEnergyBound(pixel, model, { count: 2000, seed: 3 });
  console.log(
    `PixelCNN (kernel 3, 16 channels, depth 3, periodic along y): ${trainingSteps} reverse-KL steps of batch 256 in ${pixelSeconds.toFixed(1)} s; ${klText(pixelBound)}`,
  );
}
start = performance.now();
// chi 32 at 8x8 (acceptance 0.8); chi 64 at 16x16 (0.21, monte-carlo benchmark)
const chi = large ? 64 : 32;
const mps: MPS = physicsBornMPS(model, { maxBondDim: chi }).mps;
console.log(
  `MPS: physics-built Born MPS, chi ${chi}, in ${((performance.now() - start) / 1000).toFixed(1)} s`,
);

const rows: string[][] = [];
const cases: [string, ProposalScheme, unknown, number][] = [
  ['MADE, disconnected', { kind: 'disconnected' }, made.proposal(), ddmSteps],
  ...(pixel
    ? [
        ['PixelCNN, disconnected', { kind: 'disconnected' }, pixel.proposal(), ddmSteps] as [
          string,
          ProposalScheme,
          unknown,
          number,
        ],
      ]
    : []),
  [`MPS chi ${chi}, disconnected`, { kind: 'disconnected' }, mps, ddmSteps],
  ['local Metropolis (sweeps)', { kind: 'local' }, undefined, localSteps],
  ['Wolff', { kind: 'wolff' }, undefined, localSteps],
];
for (const [name, scheme, proposal, steps] of cases) {
  const result = await runChains({
    model,
    scheme,
    ...(proposal ? { proposal: proposal as MPS } : {}),
    chains,
    steps,
    burnIn: Math.round(steps / 10),
    seed: 5,
  });
  const cells = [
    name,
    result.acceptanceRate.toFixed(3),
    `${((result.seconds / (chains * steps)) * 1e6).toFixed(1)}`,
  ];
  for (const observable of ['energyPerSite', 'absMagnetization']) {
    const series = Array.from({ length: chains }, (_, c) =>
      result.series[observable]!.subarray(c * steps, (c + 1) * steps),
    );
    const s = summarize(series, { elapsedSeconds: result.seconds });
    cells.push(
      `${s.tauInt.toFixed(1)}${s.windowConverged ? '' : ' (>=)'}`,
      (s.essPerSecond ?? Number.NaN).toFixed(0),
    );
  }
  if (large) {
    // no exact values at 16x16: the means, to compare the schemes with each other
    for (const observable of ['energyPerSite', 'absMagnetization']) {
      const series = Array.from({ length: chains }, (_, c) =>
        result.series[observable]!.subarray(c * steps, (c + 1) * steps),
      );
      const s = summarize(series, { elapsedSeconds: result.seconds });
      cells.push(`${s.mean.toFixed(4)} ± ${s.stdErr.toFixed(4)}`);
    }
  }
  rows.push(cells);
}
const header = [
  'scheme',
  'acceptance',
  'us/step',
  'tau E',
  'ESS/s E',
  'tau |m|',
  'ESS/s |m|',
  ...(large ? ['E/N', '|m|'] : []),
];
const widths = header.map((h, k) => Math.max(h.length, ...rows.map((r) => r[k]!.length)));
const line = (cells: string[]) => `| ${cells.map((c, k) => c.padEnd(widths[k]!)).join(' | ')} |`;
console.log('');
console.log(line(header));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const r of rows) console.log(line(r));
console.log('');
console.log(
  'tau in steps of each scheme (a DDM proposal, a sweep, a cluster flip); (>=): window not converged',
);
made.dispose();
pixel?.dispose();
