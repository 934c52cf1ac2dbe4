import { availableParallelism, cpus, platform, release } from 'node:os';
import { addNoise, denoise, denoiseInPool, uniformNoise } from '@latticediff/markov-jump';
import {
  createSamplerPool,
  kernelEngine,
  randomMPS,
  type SamplerPool,
  sample,
} from '@latticediff/tensor-network';
import { createInstance, JSON_FLAG } from '../common';
import { createProgress, num, printJson, progressEnabled, table } from '../io';
import { loadModel } from '../registry';
import { runMonteCarlo, type SchemeName } from './mc';
import type { Command } from './types';

/** Repeats `f` until at least `minSeconds` have passed (at least twice); returns seconds per call. */
async function timeIt(f: () => unknown | Promise<unknown>, minSeconds = 1): Promise<number> {
  await f(); // warm-up
  let calls = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    await f();
    calls++;
    elapsed = (performance.now() - start) / 1000;
  } while (elapsed < minSeconds || calls < 2);
  return elapsed / calls;
}

export const benchCommand: Command = {
  name: 'bench',
  summary: 'a short fixed benchmark of sampling, denoising and Monte Carlo on this machine',
  usage: ['bench [--json]'],
  model: 'none',
  flags: [JSON_FLAG],
  details: [
    'Exact sampling of a random linear MPS (N = 256, bond dimension 32, batches of 1000) on one',
    'thread and on a worker pool; exact one-shot denoising of the same sizes (T = 0.5); and',
    'Monte Carlo on the 4x4 Ising cylinder at beta_c (connected and disconnected proposals from',
    'the exact MPS, local sweeps, Wolff clusters), 32 chains x 1000 steps. Takes about 20 s.',
  ],
  async run({ json }) {
    const workers = Math.max(1, Math.min(2, availableParallelism()));
    const machine = {
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: availableParallelism(),
      os: `${platform()} ${release()}`,
      node: process.version,
      kernels: kernelEngine(),
    };
    const progress = createProgress('bench', 6, progressEnabled(json));
    const length = 256;
    const bondDim = 32;
    const batch = 1000;
    const mps = randomMPS({ length, bondDim, seed: 1 });
    let seed = 1;
    const single = await timeIt(() => sample(mps, { count: batch, seed: seed++ }));
    progress.update(1);
    const noise = uniformNoise({ physicalDim: 2 });
    const clean = sample(mps, { count: batch, seed: 99 });
    const noisy = addNoise(noise, clean, { time: 0.5, seed: 100 });
    const denoiseSingle = await timeIt(() =>
      denoise(mps, noise, { noisy, time: 0.5, seed: seed++ }),
    );
    progress.update(2);
    let pooled = Number.NaN;
    let denoisePooled = Number.NaN;
    const pool: SamplerPool = await createSamplerPool({ workers });
    try {
      pooled = await timeIt(() => pool.sample(mps, { count: batch, seed: seed++ }));
      progress.update(3);
      denoisePooled = await timeIt(() =>
        denoiseInPool(pool, mps, noise, { noisy, time: 0.5, seed: seed++ }),
      );
      progress.update(4);
    } finally {
      await pool.close();
    }
    const { model } = await loadModel('ising');
    const instance = createInstance(model, { lx: 4, ly: 4 });
    const exactMps = instance.exactMPS!();
    const mcRows: Record<string, unknown>[] = [];
    const schemes: SchemeName[] = ['connected', 'disconnected', 'local', 'wolff'];
    for (const scheme of schemes) {
      const result = await runMonteCarlo({
        instance,
        mps: scheme === 'connected' || scheme === 'disconnected' ? exactMps : undefined,
        scheme,
        noiseTime: 0.5,
        chains: 32,
        steps: 1000,
        seed: 3,
        pool: undefined,
        showProgress: false,
      });
      const m = result.observables.absMagnetization!;
      mcRows.push({
        scheme: scheme === 'connected' ? 'connected T=0.5' : scheme,
        acceptanceRate: result.acceptanceRate,
        seconds: result.seconds,
        absMagnetizationTauInt: m.tauInt,
        absMagnetizationEssPerSecond: m.essPerSecond,
      });
    }
    progress.update(6);
    progress.finish();
    const report = {
      machine,
      sampling: {
        sites: length,
        bondDim,
        batch,
        workers,
        singleThreadSamplesPerSecond: batch / single,
        poolSamplesPerSecond: batch / pooled,
      },
      denoising: {
        sites: length,
        bondDim,
        batch,
        noiseTime: 0.5,
        workers,
        singleThreadSamplesPerSecond: batch / denoiseSingle,
        poolSamplesPerSecond: batch / denoisePooled,
      },
      monteCarlo: {
        model: 'ising',
        parameters: instance.parameters,
        proposal: 'exact MPS (bond dimension 16)',
        chains: 32,
        steps: 1000,
        results: mcRows,
      },
    };
    if (json) {
      printJson(report);
      return;
    }
    const lines = [
      `machine: ${machine.cpu}, ${machine.cores} cores, ${machine.os}, node ${machine.node}, kernels ${machine.kernels}`,
      '',
      `exact sampling and denoising, random linear MPS N = ${length}, bond dimension ${bondDim}, batch ${batch}:`,
      table(
        ['operation', '1 thread (samples/s)', `${workers} workers (samples/s)`],
        [
          ['sample', num(batch / single, 0), num(batch / pooled, 0)],
          ['denoise (T = 0.5)', num(batch / denoiseSingle, 0), num(batch / denoisePooled, 0)],
        ],
      ),
      '',
      'Monte Carlo, Ising 4x4 cylinder at beta_c, 32 chains x 1000 steps (DDM proposals from the exact MPS):',
      table(
        ['scheme', 'acceptance', 'tau_int |m|', 'ESS/s |m|', 'seconds'],
        mcRows.map((r) => [
          String(r.scheme),
          num(r.acceptanceRate as number, 3),
          num(r.absMagnetizationTauInt as number, 2),
          num(r.absMagnetizationEssPerSecond as number, 0),
          num(r.seconds as number, 2),
        ]),
      ),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  },
};
