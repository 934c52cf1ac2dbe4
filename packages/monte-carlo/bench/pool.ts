/**
 * One thread against a 2-worker SamplerPool where users feel it: runChains steps with a
 * chi-16 physics-built Born proposal on the 8x8 Ising cylinder at beta_c (256 chains;
 * disconnected, disconnected with one local sweep per step, connected T = 0.2), the connected
 * chains of `latticediff demo` (32 chains, chi-32 proposal, T = 0.5, one local sweep per step:
 * fewer rows than a chunk, which the pool splits by rows), the disconnected chains on 2 worker
 * threads (runChainsOnWorkers, which the CLI's mc uses), and one round
 * of learnByMonteCarlo with the recipe of the ising-8x8 case (512 chains, 16 + 4 steps, 20
 * local sweeps per step, 4 training sweeps) warm-started from that proposal, against the same
 * round with the pool and its chains on 2 threads (chainsOnWorkers), as `train --workers 2`, and
 * the same recipe over 4 rounds with `overlapRounds` (per round; one thread runs the two parts
 * one after the other, the pool and threads at once). The two are run
 * alternately (A B A B ...) so that a change of load hits both; every pair is checked to give
 * identical results. Prints per repeat the time per chain step (per round for the learning
 * loop) and the 1-minute load average, then the median and range of each and of the paired
 * ratio. The machine is shared: read the load average before the ratio. On Linux it also prints
 * the pool's main-thread share of CPU time and the "2-core ceiling": one thread's CPU time over
 * max(the pool's main-thread CPU time, half its total CPU time), the speed-up two idle cores
 * would give with perfect scheduling; unlike wall time it hardly moves with other processes' load.
 * Before and after each case it measures the parallel capacity the machine offers at that
 * moment (two spinning threads' throughput over one's), and the same for two threads drawing
 * from an MPS with the float64 kernels (the pool's kind of work, which two vCPUs can serve much
 * less well than a spin): a wall-time ratio cannot exceed what its kind of work gets.
 * Run: pnpm --filter @latticediff/monte-carlo bench -- --case=pool [--quick] [--repeats=N]
 * [--pool-case=TEXT] (only the cases whose name contains TEXT)
 */
import { physicsBornMPS } from '@latticediff/lattice';
import { CRITICAL_BETA, isingModel } from '@latticediff/model-ising';
import { createSamplerPool, type MPS, type SamplerPool } from '@latticediff/tensor-network';
import { learnByMonteCarlo, type ProposalScheme, runChains } from '../src/index';
import { chainsOnWorkers, runChainsOnWorkers } from '../src/node/index';
import {
  busyMachineWarning,
  kernelCapacity,
  loadAverage,
  machineLine,
  parallelCapacity,
  threadCpuSeconds,
} from './machine';

interface Outcome {
  /** Seconds of the measured work (per unit). */
  seconds: number;
  /** CPU seconds of the call on the main thread and on the other threads, where known. */
  cpu?: { main: number; other: number };
  /** What must be equal between one thread and the pool. */
  fingerprint: string;
}

/** A cheap, order-sensitive digest of typed arrays (FNV-1a over their bytes). */
function digest(...arrays: (Int32Array | Float64Array)[]): string {
  let h = 0x811c9dc5;
  for (const a of arrays) {
    const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    for (let k = 0; k < bytes.length; k++) h = Math.imul(h ^ bytes[k]!, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export async function poolBench(options: {
  quick: boolean;
  repeats: number;
  /** Only the cases whose name contains this text. */
  only?: string;
}): Promise<void> {
  const { quick, repeats } = options;
  console.log('# @latticediff/monte-carlo: one thread vs a 2-worker SamplerPool');
  console.log(machineLine());
  const busy = busyMachineWarning();
  if (busy) console.error(`warning: ${busy}`);
  const instance = isingModel.create({ lx: 8, ly: 8, beta: CRITICAL_BETA });
  const isingModule = import.meta.resolve('@latticediff/model-ising');
  const { mps } = physicsBornMPS(instance, { maxBondDim: 16 });
  const pool = await createSamplerPool({ workers: 2 });
  const defaultChains = 256;
  const chains = defaultChains;
  // the demo's proposal bond dimension (its trained MPS; the physics-built one here)
  const { mps: mps32 } = physicsBornMPS(instance, { maxBondDim: 32 });
  const observables = ['energyPerSite', 'absMagnetization'];
  console.log(
    `8x8 Ising cylinder at beta_c, physics-built Born proposal chi 16, ${chains} chains, observables ${observables.join(' and ')}; ${repeats} alternating repeats; load = 1-minute load average after each run`,
  );

  const chainsCase =
    (
      scheme: ProposalScheme,
      localSweeps: number,
      steps: number,
      proposal: MPS = mps,
      chains = defaultChains,
    ) =>
    async (p: SamplerPool | undefined): Promise<Outcome> => {
      const r = await runChains({
        model: instance,
        proposal,
        scheme,
        chains,
        steps,
        seed: 11,
        localSweeps,
        observables,
        ...(p ? { pool: p } : {}),
      });
      return {
        seconds: r.seconds / (chains * steps),
        fingerprint: digest(r.final.data, r.accepted, ...Object.values(r.series)),
      };
    };
  // the same chains on 2 worker threads (runChainsOnWorkers: each thread runs its group of
  // chains from start to end) against one thread; `seconds` is the slowest thread's time of the
  // steps, as runChains reports it (starting the threads and importing the model, about 0.1-0.3 s
  // a call, are not included: the figure of a long run)
  const onThreadsCase =
    (localSweeps: number, steps: number) =>
    async (p: SamplerPool | undefined): Promise<Outcome> => {
      const common = {
        scheme: { kind: 'disconnected' as const },
        proposal: mps,
        chains,
        steps,
        seed: 11,
        localSweeps,
        observables,
      };
      const r = p
        ? await runChainsOnWorkers({
            ...common,
            model: { module: isingModule, parameters: { ...instance.parameters } },
            workers: 2,
            // the built worker (bench runs from the sources; turbo builds first)
            workerUrl: new URL('../dist/chains-worker.js', import.meta.url),
          })
        : await runChains({ ...common, model: instance });
      return {
        seconds: r.seconds / (chains * steps),
        fingerprint: digest(r.final.data, r.accepted, ...Object.values(r.series)),
      };
    };
  // kept from call to call (as from round to round of one run; started by the warm-up)
  const chainRunner = chainsOnWorkers({
    module: isingModule,
    workers: 2,
    workerUrl: new URL('../dist/chains-worker.js', import.meta.url),
  });
  const learning =
    (rounds: number, overlapRounds: boolean) =>
    async (p: SamplerPool | undefined): Promise<Outcome> => {
      const start = performance.now();
      const learned = await learnByMonteCarlo({
        model: isingModel,
        path: Array.from({ length: rounds }, () => ({ lx: 8, ly: 8, beta: CRITICAL_BETA })),
        overlapRounds,
        initialMPS: mps as MPS,
        bondDim: 16,
        kind: 'born',
        training: 'sweeps',
        scheme: { kind: 'disconnected' },
        chains: 512,
        stepsPerRound: 16,
        burnIn: 4,
        localSweeps: 20,
        sweepsPerRound: 4,
        restart: true,
        learningRate: 0.05,
        cutoff: 1e-4,
        seed: 7,
        // what `latticediff train --workers 2` runs: the pool for the proposals' evaluations and
        // the sweeps, the chains (local sweeps included) on 2 threads
        ...(p
          ? {
              pool: p,
              chainRunner,
            }
          : {}),
      });
      const seconds = (performance.now() - start) / 1000 / rounds;
      if (rounds === 1) samplingShare.push(learned.reports[0]!.samplingSeconds / seconds);
      return {
        seconds,
        fingerprint: digest(learned.chainStates, ...learned.mps.tensors),
      };
    };
  const learningRound = learning(1, false);
  const samplingShare: number[] = [];

  const cases: {
    name: string;
    unit: string;
    scale: number;
    run: typeof learningRound;
    /** The threads end within the call, so their CPU time is not in the process's counters. */
    threadsPerCall?: boolean;
  }[] = [
    {
      name: 'runChains disconnected',
      unit: 'us per chain step',
      scale: 1e6,
      run: chainsCase({ kind: 'disconnected' }, 0, quick ? 100 : 400),
    },
    {
      name: 'runChains disconnected + 1 local sweep',
      unit: 'us per chain step',
      scale: 1e6,
      run: chainsCase({ kind: 'disconnected' }, 1, quick ? 50 : 200),
    },
    {
      name: 'runChains connected T=0.2',
      unit: 'us per chain step',
      scale: 1e6,
      run: chainsCase({ kind: 'connected', noiseTime: 0.2 }, 0, quick ? 5 : 24),
    },
    {
      name: 'runChains connected T=0.5, 32 chains, chi 32, 1 local sweep (the demo)',
      unit: 'us per chain step',
      scale: 1e6,
      run: chainsCase({ kind: 'connected', noiseTime: 0.5 }, 1, quick ? 10 : 40, mps32, 32),
    },
    {
      name: 'runChainsOnWorkers disconnected, 2 threads',
      unit: 'us per chain step',
      scale: 1e6,
      run: onThreadsCase(0, quick ? 100 : 400),
      threadsPerCall: true,
    },
    {
      name: 'runChainsOnWorkers disconnected + 1 local sweep, 2 threads',
      unit: 'us per chain step',
      scale: 1e6,
      run: onThreadsCase(1, quick ? 50 : 200),
      threadsPerCall: true,
    },
    {
      name: 'learnByMonteCarlo round (512 chains, 20 local sweeps per step, 4 training sweeps)',
      unit: 's per round',
      scale: 1,
      run: learningRound,
    },
    {
      name: 'learnByMonteCarlo, 4 rounds with overlapRounds (each round trains while the next samples)',
      unit: 's per round',
      scale: 1,
      run: learning(quick ? 3 : 4, true),
    },
  ];
  const summary: string[] = [];
  for (const c of cases.filter(
    (c) => options.only === undefined || c.name.includes(options.only),
  )) {
    console.log(`\n## ${c.name} (${c.unit})`);
    const capacityBefore = await parallelCapacity(2);
    const kernelBefore = await kernelCapacity(2);
    console.log(
      '| repeat | one thread | load | pool of 2 | load | one / pool | pool: main-thread CPU share | 2-core ceiling |',
    );
    console.log('|---|---|---|---|---|---|---|---|');
    // warm-up of both (JIT, the workers' copy of the MPS, its canonical form)
    await c.run(undefined);
    await c.run(pool);
    samplingShare.length = 0;
    const ones: number[] = [];
    const pools: number[] = [];
    const ratios: number[] = [];
    const loads: number[] = [];
    const ceilings: number[] = [];
    for (let k = 0; k < repeats; k++) {
      // alternate which goes first, so that a trend in the load does not favour one
      const order = k % 2 === 0 ? [undefined, pool] : [pool, undefined];
      const got = new Map<SamplerPool | undefined, { outcome: Outcome; load: number }>();
      for (const p of order) {
        const before = threadCpuSeconds();
        const outcome = await c.run(p);
        const after = threadCpuSeconds();
        if (before && after) {
          outcome.cpu = { main: after.main - before.main, other: after.other - before.other };
        }
        got.set(p, { outcome, load: loadAverage() });
      }
      const one = got.get(undefined)!;
      const withPool = got.get(pool)!;
      if (one.outcome.fingerprint !== withPool.outcome.fingerprint) {
        throw new Error(
          `${c.name}: the pool's result differs from one thread's (${withPool.outcome.fingerprint} vs ${one.outcome.fingerprint})`,
        );
      }
      ones.push(one.outcome.seconds * c.scale);
      pools.push(withPool.outcome.seconds * c.scale);
      ratios.push(one.outcome.seconds / withPool.outcome.seconds);
      loads.push(one.load, withPool.load);
      // what two idle cores would allow at best: one thread's CPU time over the pool's critical
      // resource, its main thread or half of all its threads' CPU time (perfect scheduling)
      const a = one.outcome.cpu;
      const b = withPool.outcome.cpu;
      let share = 'n/a';
      let ceiling = 'n/a';
      if (a && b && b.main + b.other > 0 && !c.threadsPerCall) {
        const bound = (a.main + a.other) / Math.max(b.main, (b.main + b.other) / 2);
        ceilings.push(bound);
        share = (b.main / (b.main + b.other)).toFixed(2);
        ceiling = `${bound.toFixed(2)}x`;
      }
      console.log(
        `| ${k + 1} | ${(one.outcome.seconds * c.scale).toFixed(2)} | ${one.load.toFixed(2)} | ${(withPool.outcome.seconds * c.scale).toFixed(2)} | ${withPool.load.toFixed(2)} | ${ratios[k]!.toFixed(2)}x | ${share} | ${ceiling} |`,
      );
    }
    const range = (v: number[], digits = 2) =>
      `${median(v).toFixed(digits)} (${Math.min(...v).toFixed(digits)}-${Math.max(...v).toFixed(digits)})`;
    const capacity = [capacityBefore, await parallelCapacity(2)];
    const kernel = [kernelBefore, await kernelCapacity(2)];
    console.log(
      `parallel capacity before and after the runs (2 spinning threads' throughput over one's; 2.0 on two idle cores): ${capacity.map((v) => v.toFixed(2)).join(', ')}; for the float64 sampling kernels: ${kernel.map((v) => v.toFixed(2)).join(', ')}`,
    );
    const line = `${c.name}: one thread ${range(ones)}, pool of 2 ${range(pools)} ${c.unit}; one / pool ${range(ratios)}x${ceilings.length > 0 ? `; 2-core ceiling from CPU times ${range(ceilings)}x` : ''}; load ${Math.min(...loads).toFixed(2)}-${Math.max(...loads).toFixed(2)}; parallel capacity ${Math.min(...capacity).toFixed(2)}-${Math.max(...capacity).toFixed(2)} (sampling kernels ${Math.min(...kernel).toFixed(2)}-${Math.max(...kernel).toFixed(2)}); identical results`;
    console.log(`\n${line}`);
    if (c.run === learningRound && samplingShare.length > 0) {
      console.log(
        `sampling share of a round's time: ${range(samplingShare)}; with 2 workers the chains run on 2 threads (chainsOnWorkers, not counting their start) and the training sweeps' per-sample work, the NLLs and the quality draws on the pool (the block splits, SVDs, stay on the main thread)`,
      );
    }
    summary.push(line);
  }
  await pool.close();
  await chainRunner.close();
  console.log('\n## summary (median, range in parentheses)');
  for (const line of summary) console.log(`- ${line}`);
}
