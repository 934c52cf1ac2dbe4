/**
 * The worker runner runs the built worker (dist/chains-worker.js), so this test needs
 * `pnpm build` first (turbo's test task depends on build).
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { fredkinModel } from '@latticediff/model-fredkin';
import { isingModel } from '@latticediff/model-ising';
import {
  createSamplerPool,
  MPS,
  productState,
  randomMPS,
  type SamplerPool,
  type SeedOrGenerator,
} from '@latticediff/tensor-network';
import { adoptSamplingPlan, samplingPlanData } from '@latticediff/tensor-network/internal';
import { describe, expect, it } from 'vitest';
import { type RunChainsResult, runChains } from '../chains';
import { runChainsInSegments } from '../chains-segments';
import { learnByMonteCarlo } from '../learning-loop';
import { timelessLearning } from '../learning-result.test-helper';
import { thermodynamicPath } from '../thermodynamic-path';
import { chainsOnWorkers, type ParallelChainsOptions, runChainsOnWorkers } from './parallel-chains';

const workerUrl = new URL('../../dist/chains-worker.js', import.meta.url);
if (!existsSync(fileURLToPath(workerUrl)))
  throw new Error('run `pnpm build` before this test (dist/chains-worker.js is missing)');

function expectSameRun(a: RunChainsResult, b: RunChainsResult): void {
  expect(a.chains).toBe(b.chains);
  expect(a.steps).toBe(b.steps);
  expect(Object.keys(a.series).sort()).toEqual(Object.keys(b.series).sort());
  for (const name of Object.keys(a.series))
    expect(Array.from(a.series[name]!)).toEqual(Array.from(b.series[name]!));
  expect(Array.from(a.accepted)).toEqual(Array.from(b.accepted));
  expect(Array.from(a.proposed)).toEqual(Array.from(b.proposed));
  expect(Array.from(a.final.data)).toEqual(Array.from(b.final.data));
  expect(a.acceptanceRate).toBe(b.acceptanceRate);
  if (a.configurations || b.configurations)
    expect(Array.from(a.configurations!)).toEqual(Array.from(b.configurations!));
}

describe('runChainsOnWorkers', () => {
  const ising = { lx: 4, ly: 4, beta: 0.4 };
  it.each([
    ['local', 1],
    ['local', 2],
    ['local', 3],
    ['wolff', 2],
  ] as const)(
    'gives the chains of runChains on one thread (%s, %i workers)',
    async (kind, workers) => {
      const options = { scheme: { kind }, chains: 7, steps: 40, burnIn: 5, seed: 12 } as const;
      const single = await runChains({ ...options, model: isingModel.create(ising) });
      const parallel = await runChainsOnWorkers({
        ...options,
        model: { module: '@latticediff/model-ising', parameters: ising },
        workers,
        workerUrl,
      });
      expectSameRun(parallel, single);
      expect(parallel.seconds).toBeGreaterThan(0);
    },
  );

  it('runs the chains firstChain.. of a larger run: contiguous shards are that run', async () => {
    const options = { scheme: { kind: 'local' }, steps: 30, burnIn: 3, seed: 9 } as const;
    const model = { module: '@latticediff/model-ising', parameters: ising };
    const whole = await runChainsOnWorkers({ ...options, model, chains: 7, workers: 2, workerUrl });
    const shards = [
      [0, 3],
      [3, 2],
      [5, 2],
    ] as const;
    for (const [firstChain, chains] of shards) {
      const part = await runChainsOnWorkers({
        ...options,
        model,
        chains,
        firstChain,
        workers: 1,
        workerUrl,
      });
      for (const name of Object.keys(whole.series)) {
        expect(Array.from(part.series[name]!)).toEqual(
          Array.from(whole.series[name]!.subarray(firstChain * 30, (firstChain + chains) * 30)),
        );
      }
      expect(Array.from(part.accepted)).toEqual(
        Array.from(whole.accepted.subarray(firstChain, firstChain + chains)),
      );
    }
  });

  it('keeps configurations, starts from given states, and picks a named export', async () => {
    const model = fredkinModel.create({ sites: 12, c: 0.55 });
    const x0 = model.initialConfiguration();
    const initial = { data: new Int32Array(5 * 12), count: 5 };
    for (let c = 0; c < 5; c++) initial.data.set(x0, c * 12);
    const options = {
      scheme: { kind: 'local' },
      chains: 5,
      steps: 30,
      seed: 3,
      initial,
      keepConfigurations: true,
      observables: ['midHeight'],
    } as const;
    const single = await runChains({ ...options, model });
    const parallel = await runChainsOnWorkers({
      ...options,
      model: {
        module: import.meta.resolve('@latticediff/model-fredkin'),
        exportName: 'fredkinModel',
        parameters: { sites: 12, c: 0.55 },
      },
      workers: 2,
      workerUrl,
    });
    expectSameRun(parallel, single);
    expect(Object.keys(parallel.series)).toEqual(['midHeight']);
    // a plain array of digits is accepted as runChains accepts it
    const plain = await runChainsOnWorkers({
      ...options,
      initial: { data: Array.from(initial.data) as unknown as Int32Array, count: 5 },
      model: { module: '@latticediff/model-fredkin', parameters: { sites: 12, c: 0.55 } },
      workers: 2,
      workerUrl,
    });
    expectSameRun(plain, single);
  });

  it('a worker that exits rejects the call with an error naming the function; parameters that cannot be sent are refused, naming them, leaving nothing unhandled', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'latticediff-chains-'));
    try {
      const exiting = join(dir, 'exit-worker.mjs');
      writeFileSync(exiting, 'process.exit(3);\n');
      const options = {
        model: { module: '@latticediff/model-ising', parameters: ising },
        scheme: { kind: 'local' },
        chains: 4,
        steps: 2,
        seed: 1,
        workers: 2,
      } as const;
      await expect(
        runChainsOnWorkers({ ...options, workerUrl: pathToFileURL(exiting) }),
      ).rejects.toThrow('`runChainsOnWorkers`: a worker exited (code 3)');
      // parameters that the structured clone refuses (a proxy) are refused before any thread
      // starts, naming the argument (they were a DataCloneError from the post, after the call's
      // replies were promised, and the process then died of an unhandled rejection)
      const unsendable = new Proxy({ ...ising }, {});
      await expect(
        runChainsOnWorkers({
          ...options,
          model: { module: '@latticediff/model-ising', parameters: unsendable },
          workerUrl,
        }),
      ).rejects.toThrow(
        /`model.parameters` passed to `runChainsOnWorkers` must be parameter values that can be sent to a worker thread/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses bad input before starting any worker, naming the argument', async () => {
    const good: ParallelChainsOptions = {
      model: { module: '@latticediff/model-ising', parameters: ising },
      scheme: { kind: 'local' },
      chains: 4,
      steps: 10,
      seed: 1,
      workerUrl,
    };
    const cases: [
      Partial<Record<keyof ParallelChainsOptions, unknown>> | Record<string, unknown>,
      RegExp,
    ][] = [
      [{ scheme: { kind: 'connected', noiseTime: 0.3 } }, /`scheme`.*SamplerPool/],
      [{ scheme: { kind: 'disconnected' } }, /`proposal`.*MPS/],
      [{ proposal: randomMPS({ length: 16, bondDim: 2, seed: 1 }) }, /`proposal`.*absent/],
      [{ localSweeps: 2 }, /`localSweeps`.*absent/],
      [
        {
          scheme: { kind: 'disconnected' },
          proposal: randomMPS({ length: 16, bondDim: 2, seed: 1 }),
          localSweeps: -1,
        },
        /`localSweeps`/,
      ],
      [
        {
          scheme: { kind: 'disconnected' },
          proposal: randomMPS({ length: 16, bondDim: 2, seed: 1 }),
          firstChain: 128,
        },
        /`firstChain`/,
      ],
      [
        {
          scheme: { kind: 'disconnected' },
          proposal: randomMPS({ length: 9, bondDim: 2, seed: 1 }),
        },
        /`proposal`/,
      ],
      [{ segmentSteps: 0 }, /`segmentSteps`/],
      [{ onSegment: () => {} }, /`onSegment`.*segmentSteps/],
      [{ segmentSteps: 2, onSegment: 3 }, /`onSegment`/],
      [{ model: { module: '@latticediff/no-such-model', parameters: ising } }, /`model.module`/],
      [
        { model: { module: '@latticediff/model-ising', exportName: 'nope', parameters: ising } },
        /`model.exportName`/,
      ],
      [
        { model: { module: '@latticediff/model-ising', parameters: ising, size: 3 } },
        /`model.size`/,
      ],
      [{ model: { module: 42, parameters: ising } }, /`model.module`/],
      [{ model: null }, /`model`/],
      [{ seed: -1 }, /`seed`/],
      [{ seed: 'x' }, /`seed`/],
      [{ workers: 0 }, /`workers`/],
      [{ chains: 2.5 }, /`chains`/],
      [{ steps: 0 }, /`steps`/],
      [{ observables: ['nope'] }, /`observables`/],
      [
        { initial: { data: new Int32Array(4 * 16).fill(7), count: 4 } },
        /`initial\.data\[0\]` passed to `runChainsOnWorkers` must be a digit in 0\.\.1/,
      ],
      [{ workerUrl: 'not a url' }, /`workerUrl`/],
      [{ firstChain: -1 }, /`firstChain`/],
      [{ stepz: 10 }, /`options.stepz`/],
    ];
    for (const [change, pattern] of cases) {
      await expect(
        runChainsOnWorkers({ ...good, ...change } as ParallelChainsOptions),
      ).rejects.toThrow(pattern);
    }
    // the model's own parameter checks apply
    await expect(
      runChainsOnWorkers({
        ...good,
        model: { module: '@latticediff/model-ising', parameters: { lx: -4 } },
      }),
    ).rejects.toThrow(/`lx`/);
  });

  describe('the disconnected scheme', () => {
    const model = { module: '@latticediff/model-ising', parameters: ising };
    const instance = isingModel.create(ising);
    const proposal = randomMPS({ length: 16, bondDim: 4, kind: 'born', seed: 21 });
    // 300 chains: three chunks of proposals (128, 128, 44); 2 workers take chunks {0} and {1, 2},
    // 3 workers one chunk each, 4 workers (more than chunks) split the chains evenly, so that
    // two groups share a chunk and both draw it
    it.each([
      [1, 0],
      [2, 0],
      [3, 2],
      [4, 1],
    ])(
      'gives the chains of runChains on one thread (%i workers, %i local sweeps)',
      async (workers, localSweeps) => {
        const options = {
          scheme: { kind: 'disconnected' },
          proposal,
          chains: 300,
          steps: 6,
          burnIn: 2,
          seed: 33,
          localSweeps,
          keepConfigurations: true,
        } as const;
        const single = await runChains({ ...options, model: instance });
        expect(single.acceptanceRate).toBeGreaterThan(0);
        const parallel = await runChainsOnWorkers({ ...options, model, workers, workerUrl });
        expectSameRun(parallel, single);
      },
    );

    it("hands the threads this thread's sampling plan of the proposal (they do not compute their own)", async () => {
      // `proposal`'s copy given the plan of another MPS of the same shapes: threads that took
      // this thread's plan run the chains of runChains here (which uses it too); threads that
      // computed their own plan would draw other proposals
      const copy = MPS.unsafeCreate(
        'born',
        [...proposal.physicalDims],
        proposal.tensors.map((t) => t.slice()),
      );
      const other = randomMPS({ length: 16, bondDim: 4, kind: 'born', seed: 22 });
      adoptSamplingPlan(copy, samplingPlanData(other)!);
      const options = { scheme: { kind: 'disconnected' }, chains: 300, steps: 4, seed: 6 } as const;
      const single = await runChains({ ...options, proposal: copy, model: instance });
      const parallel = await runChainsOnWorkers({
        ...options,
        proposal: copy,
        model,
        workers: 2,
        workerUrl,
      });
      expectSameRun(parallel, single);
      const own = await runChains({ ...options, proposal, model: instance });
      expect(Array.from(own.final.data)).not.toEqual(Array.from(single.final.data));
    });

    it('gives the chains of runChainsInSegments with segmentSteps, from given states', async () => {
      const x0 = instance.initialConfiguration();
      const initial = { data: new Int32Array(150 * 16), count: 150 };
      for (let c = 0; c < 150; c++) initial.data.set(x0, c * 16);
      const options = {
        scheme: { kind: 'disconnected' },
        proposal,
        chains: 150,
        steps: 7,
        burnIn: 1,
        seed: 8,
        initial,
        localSweeps: 1,
      } as const;
      const progress: unknown[] = [];
      const single = await runChainsInSegments({
        ...options,
        model: instance,
        segmentSteps: 3,
        onSegment: (p) => progress.push(p),
      });
      const threadProgress: unknown[] = [];
      const parallel = await runChainsOnWorkers({
        ...options,
        model,
        segmentSteps: 3,
        workers: 2,
        workerUrl,
        onSegment: (p) => threadProgress.push(p),
      });
      expectSameRun(parallel, single);
      // the same progress after every segment (steps done, counts of all chains)
      expect(progress).toHaveLength(3);
      expect(threadProgress).toEqual(progress);
      // and segments are another run than one call (streams per segment)
      const whole = await runChains({ ...options, model: instance });
      expect(Array.from(whole.final.data)).not.toEqual(Array.from(single.final.data));
      // an onSegment that throws fails the call with its error, as on one thread (it was an
      // uncaught exception in the message listener, which ended the process)
      const throwing = () => {
        throw new Error('stop here');
      };
      await expect(
        runChainsInSegments({ ...options, model: instance, segmentSteps: 3, onSegment: throwing }),
      ).rejects.toThrow('stop here');
      await expect(
        runChainsOnWorkers({
          ...options,
          model,
          segmentSteps: 3,
          workers: 2,
          workerUrl,
          onSegment: throwing,
        }),
      ).rejects.toThrow('stop here');
    });

    it("starts from allowed draws where the model's initial configuration has no mass, and names a given start with none by its chain", async () => {
      // P(x_0 = 1) = 0: the model's initial configuration (all ones) is impossible under P
      const rows = [[1, 0], ...Array.from({ length: 15 }, () => [0.5, 0.5])];
      const options = {
        scheme: { kind: 'disconnected' },
        proposal: productState(rows),
        chains: 300,
        steps: 5,
        seed: 4,
      } as const;
      const single = await runChains({ ...options, model: instance });
      const parallel = await runChainsOnWorkers({ ...options, model, workers: 2, workerUrl });
      expectSameRun(parallel, single);
      expect(parallel.acceptanceRate).toBeGreaterThan(0);
      for (let c = 0; c < 300; c++) expect(parallel.final.data[c * 16]).toBe(0);
      // chain 280 (on the second thread) given the impossible start: refused on this thread,
      // naming the function called and the chain of the whole run
      const initial = { data: new Int32Array(300 * 16), count: 300 };
      initial.data.fill(1, 280 * 16, 281 * 16);
      await expect(
        runChainsOnWorkers({ ...options, initial, model, workers: 2, workerUrl }),
      ).rejects.toThrow(/`proposal` passed to `runChainsOnWorkers`.*chain 280's start/);
    });
  });

  describe('chainsOnWorkers, the chain runner of learnByMonteCarlo', () => {
    const options = {
      model: isingModel,
      path: [
        { lx: 4, ly: 4, beta: 0.2 },
        { lx: 4, ly: 4, beta: 0.3 },
      ],
      bondDim: 4,
      kind: 'born' as const,
      training: 'sweeps' as const,
      chains: 150,
      stepsPerRound: 6,
      burnIn: 1,
      localSweeps: 2,
      sweepsPerRound: 1,
      seed: 17,
    };
    const summary = timelessLearning;

    it('trains the same MPS as runChains on this thread (disconnected on threads, connected not)', async () => {
      for (const scheme of [
        { kind: 'disconnected' as const },
        { kind: 'connected' as const, noiseTime: 0.3 },
      ]) {
        const reference = summary(await learnByMonteCarlo({ ...options, scheme }));
        const calls: string[] = [];
        const runner = chainsOnWorkers({
          module: '@latticediff/model-ising',
          workers: 2,
          workerUrl,
        });
        const onThreads = summary(
          await learnByMonteCarlo({
            ...options,
            scheme,
            chainRunner: (o) => {
              calls.push(o.scheme.kind);
              return runner(o);
            },
          }),
        );
        expect(calls).toEqual([scheme.kind, scheme.kind]);
        expect(onThreads).toEqual(reference);
        await runner.close();
      }
    });

    it('trains the same MPS with overlapRounds, chains on threads and sweeps on a pool', async () => {
      const overlapped = {
        ...options,
        path: [0.2, 0.25, 0.3].map((beta) => ({ lx: 4, ly: 4, beta })),
        scheme: { kind: 'disconnected' as const },
        overlapRounds: true,
      };
      const reference = summary(await learnByMonteCarlo(overlapped));
      const runner = chainsOnWorkers({ module: '@latticediff/model-ising', workers: 2, workerUrl });
      const pool = await createSamplerPool({ workers: 2 });
      try {
        expect(
          summary(await learnByMonteCarlo({ ...overlapped, chainRunner: runner, pool })),
        ).toEqual(reference);
      } finally {
        await runner.close();
        await pool.close();
      }
    });

    it('keeps its threads between calls and starts them again after close', async () => {
      const runner = chainsOnWorkers({ module: '@latticediff/model-ising', workers: 2, workerUrl });
      const proposal = randomMPS({ length: 16, bondDim: 3, kind: 'born', seed: 4 });
      const call = {
        model: isingModel.create(ising),
        scheme: { kind: 'disconnected' as const },
        proposal,
        chains: 256,
        steps: 5,
        seed: 3,
        localSweeps: 1,
      };
      const reference = await runChains(call);
      for (let k = 0; k < 2; k++) expectSameRun(await runner(call), reference);
      // a thread keeps the model's instance per parameters: other parameters in between get
      // their own, and the first ones theirs again
      const hotter = { ...call, model: isingModel.create({ ...ising, beta: 0.1 }) };
      const field = { ...call, model: isingModel.create({ ...ising, field: 0.25 }) };
      expectSameRun(await runner(hotter), await runChains(hotter));
      expectSameRun(await runner(field), await runChains(field));
      expectSameRun(await runner(call), reference);
      await runner.close();
      expectSameRun(await runner(call), reference);
      await runner.close();
    });

    it("runs the thermodynamic path's pilot on its threads: the same path", async () => {
      const pilot = {
        model: isingModel,
        target: { lx: 4, ly: 4, beta: 0.3 },
        parameter: 'beta',
        from: 0.05,
        gridStep: 0.1,
        chains: 8,
        steps: 60,
        burnIn: 10,
        seed: 6,
      };
      const reference = await thermodynamicPath(pilot);
      const runner = chainsOnWorkers({ module: '@latticediff/model-ising', workers: 2, workerUrl });
      try {
        const onThreads = await thermodynamicPath({ ...pilot, chainRunner: runner });
        expect(onThreads.fisher).toEqual(reference.fisher);
        expect(onThreads.path).toEqual(reference.path);
      } finally {
        await runner.close();
      }
    });

    it('runs disconnected chains with fewer chunks than threads through runChains and its pool unless their local sweeps outweigh the draws', async () => {
      const runner = chainsOnWorkers({ module: '@latticediff/model-ising', workers: 2, workerUrl });
      const pool = await createSamplerPool({ workers: 1 });
      let draws = 0;
      const counting = {
        size: pool.size,
        sample: (mps: MPS, o: { count: number; seed: SeedOrGenerator }) => {
          draws++;
          return pool.sample(mps, o);
        },
        sampleConditional: pool.sampleConditional.bind(pool),
        sampleLogProbabilities: pool.sampleLogProbabilities.bind(pool),
        logProbabilities: pool.logProbabilities.bind(pool),
        close: pool.close.bind(pool),
      } as SamplerPool;
      try {
        const call = {
          model: isingModel.create(ising),
          scheme: { kind: 'disconnected' as const },
          proposal: randomMPS({ length: 16, bondDim: 3, kind: 'born', seed: 4 }),
          chains: 100,
          steps: 4,
          seed: 2,
        };
        /** The runner's result is runChains's, and the pool drew (or not). */
        const check = async (o: typeof call & { localSweeps?: number }, poolDraws: boolean) => {
          draws = 0;
          expectSameRun(await runner({ ...o, pool: counting }), await runChains(o));
          if (poolDraws) expect(draws).toBeGreaterThan(0);
          else expect(draws).toBe(0);
        };
        // one chunk of 100 chains, 2 threads: the pool draws
        await check(call, true);
        // two chunks: the threads draw, the pool is not used
        await check({ ...call, chains: 256 }, false);
        // one chunk with local sweeps, which cost more than the draws: the threads again
        await check({ ...call, localSweeps: 2 }, false);
        // at a larger bond one sweep per step does not outweigh the draws (16 sites x 1500 <
        // sum of l d r), two do
        const larger = randomMPS({ length: 16, bondDim: 56, kind: 'born', seed: 4 });
        await check({ ...call, proposal: larger, localSweeps: 1 }, true);
        await check({ ...call, proposal: larger, localSweeps: 2 }, false);
      } finally {
        await runner.close();
        await pool.close();
      }
    });

    it('refuses a module of another model and bad options, naming them', async () => {
      const runner = chainsOnWorkers({ module: '@latticediff/model-fredkin', workerUrl });
      await expect(
        learnByMonteCarlo({ ...options, scheme: { kind: 'disconnected' }, chainRunner: runner }),
      ).rejects.toThrow(/`module`.*chainsOnWorkers|chainsOnWorkers.*`module`/);
      expect(() => chainsOnWorkers({ module: 3 } as never)).toThrow(/`module`/);
      expect(() => chainsOnWorkers({ module: 'x', workers: 0 })).toThrow(/`workers`/);
      expect(() => chainsOnWorkers({ module: 'x', workerUrl: 'not a url' })).toThrow(/`workerUrl`/);
      expect(() => chainsOnWorkers({ module: 'x', worker: 2 } as never)).toThrow(
        /`options.worker`/,
      );
      await expect(
        learnByMonteCarlo({
          ...options,
          scheme: { kind: 'disconnected' },
          chainRunner: 'threads' as never,
        }),
      ).rejects.toThrow(/`chainRunner`/);
    });
  });
});
