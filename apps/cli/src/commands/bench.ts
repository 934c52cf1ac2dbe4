import { availableParallelism, cpus, loadavg, platform, release } from 'node:os';
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
import { runMonteCarlo, type SchemeName } from './mc-run';
import type { Command } from './types';

/** Timed repeats of each throughput figure: the table shows their median, minimum and maximum. */
export const BENCH_REPEATS = 5;

/** The spread of a throughput over repeats. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  repeats: number;
}

/** Median, minimum and maximum of `values` (at least one). */
export function spread(values: readonly number[]): Spread {
  if (values.length === 0) throw new Error('spread of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]!, repeats: sorted.length };
}

/**
 * The warning for a busy machine: the 1-minute load average above the number of cores means
 * other processes wait for a core, so the figures come out low and spread. Undefined otherwise.
 */
export function busyMachineWarning(load1: number, cores: number): string | undefined {
  if (!(load1 > cores)) return undefined;
  return `the machine is busy (load average ${load1.toFixed(2)} over the last minute on ${cores} core${cores === 1 ? '' : 's'}): other processes compete for the cores, so the figures below come out low and spread; rerun when the load average is below ${cores}`;
}

/**
 * After a warm-up call, `repeats` timed repeats, each calling `f` until at least `minSeconds`
 * have passed (at least once); returns the calls per second of each repeat, times `perCall`.
 */
async function rates(
  f: () => unknown | Promise<unknown>,
  perCall: number,
  repeats = BENCH_REPEATS,
  minSeconds = 0.25,
): Promise<number[]> {
  await f(); // warm-up
  const out: number[] = [];
  for (let r = 0; r < repeats; r++) {
    let calls = 0;
    const start = performance.now();
    let elapsed = 0;
    do {
      await f();
      calls++;
      elapsed = (performance.now() - start) / 1000;
    } while (elapsed < minSeconds);
    out.push((calls * perCall) / elapsed);
  }
  return out;
}

/** "median (min-max)" of a throughput, for the table. */
function rateText(s: Spread): string {
  return `${num(s.median, 0)} (${num(s.min, 0)}-${num(s.max, 0)})`;
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
    'the exact MPS, local sweeps, Wolff clusters), 32 chains x 1000 steps. Takes about 10 s on 2 cores.',
    `Sampling and denoising rates are timed in ${BENCH_REPEATS} repeats: the table gives the median and`,
    'the range (min-max). A warning on stderr says when the 1-minute load average is above the',
    'number of cores (other processes compete for them and the figures come out low and spread).',
  ],
  async run({ json }) {
    const workers = Math.max(1, Math.min(2, availableParallelism()));
    const cores = availableParallelism();
    const load1 = loadavg()[0] ?? 0;
    const busy = busyMachineWarning(load1, cores);
    const machine = {
      cpu: cpus()[0]?.model ?? 'unknown',
      cores,
      os: `${platform()} ${release()}`,
      node: process.version,
      kernels: kernelEngine(),
      loadAverage: load1,
      busy: busy !== undefined,
    };
    if (busy) process.stderr.write(`latticediff: warning: ${busy}\n`);
    const progress = createProgress('bench', 6, progressEnabled(json));
    const length = 256;
    const bondDim = 32;
    const batch = 1000;
    const mps = randomMPS({ length, bondDim, seed: 1 });
    let seed = 1;
    const single = spread(await rates(() => sample(mps, { count: batch, seed: seed++ }), batch));
    progress.update(1);
    const noise = uniformNoise({ physicalDim: 2 });
    const clean = sample(mps, { count: batch, seed: 99 });
    const noisy = addNoise(noise, clean, { time: 0.5, seed: 100 });
    const denoiseSingle = spread(
      await rates(() => denoise(mps, noise, { noisy, time: 0.5, seed: seed++ }), batch),
    );
    progress.update(2);
    let pooled: Spread;
    let denoisePooled: Spread;
    const pool: SamplerPool = await createSamplerPool({ workers });
    try {
      pooled = spread(await rates(() => pool.sample(mps, { count: batch, seed: seed++ }), batch));
      progress.update(3);
      denoisePooled = spread(
        await rates(
          () => denoiseInPool(pool, mps, noise, { noisy, time: 0.5, seed: seed++ }),
          batch,
        ),
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
        singleThreadSamplesPerSecond: single.median,
        poolSamplesPerSecond: pooled.median,
        singleThreadSpread: single,
        poolSpread: pooled,
      },
      denoising: {
        sites: length,
        bondDim,
        batch,
        noiseTime: 0.5,
        workers,
        singleThreadSamplesPerSecond: denoiseSingle.median,
        poolSamplesPerSecond: denoisePooled.median,
        singleThreadSpread: denoiseSingle,
        poolSpread: denoisePooled,
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
      `load average at the start: ${load1.toFixed(2)} (1 min)${busy ? ', busy: see the warning on stderr' : ''}`,
      '',
      `exact sampling and denoising, random linear MPS N = ${length}, bond dimension ${bondDim}, batch ${batch},`,
      `samples/s as the median (min-max) of ${BENCH_REPEATS} repeats:`,
      table(
        ['operation', '1 thread', `${workers} workers`],
        [
          ['sample', rateText(single), rateText(pooled)],
          ['denoise (T = 0.5)', rateText(denoiseSingle), rateText(denoisePooled)],
        ],
      ),
      '',
      'Monte Carlo, Ising 4x4 cylinder at beta_c, 32 chains x 1000 steps, one run each',
      '(DDM proposals from the exact MPS):',
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
