/**
 * The pool runs the built worker (dist/worker.js), so this test needs `pnpm build` first (turbo's
 * test task depends on build).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError, LatticeDiffError } from './errors';
import { logProbabilities } from './evaluate';
import { randomMPS } from './mps';
import { canSampleSteps, createSamplerPool, poolSampleSteps, type SamplerPool } from './pool';
import { createRandom } from './random';
import {
  adoptSamplingPlan,
  type ConditionalSampleResult,
  sample,
  sampleConditional,
  sampleLogProbabilities,
  sampleSteps,
  samplingPlanData,
} from './sample';

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

  it('a Born MPS whose sampling plan this thread has is loaded with it (the workers use that plan, not one of their own)', async () => {
    // the plan of another MPS of the same shapes, given to `mps` here: workers that took this
    // thread's plan draw as `other` does; workers that computed their own would draw as `mps`
    const mps = randomMPS({ length: 10, bondDim: 5, kind: 'born', seed: 21 });
    const other = randomMPS({ length: 10, bondDim: 5, kind: 'born', seed: 22 });
    adoptSamplingPlan(mps, samplingPlanData(other)!);
    const mine = sample(mps, { count: 300, seed: 4 });
    expect(mine.data).toEqual(sample(other, { count: 300, seed: 4 }).data);
    for (const p of [pool, single]) {
      const got = await p.sample(mps, { count: 300, seed: 4 });
      expect(got.data).toEqual(mine.data);
      expect(got.logProbabilities).toEqual(mine.logProbabilities);
    }
    // without a plan here, the workers compute it (the same bits as this thread would)
    const fresh = randomMPS({ length: 10, bondDim: 5, kind: 'born', seed: 23 });
    const drawn = await pool.sample(fresh, { count: 300, seed: 4 });
    expect(samplingPlanData(fresh, true)).toBeNull();
    expect(drawn.data).toEqual(sample(fresh, { count: 300, seed: 4 }).data);
  });

  it('draws several one-chunk batches per request as sampleSteps does, idle or busy, for any number of workers', async () => {
    // large enough that an idle pool of 2 splits the batches over both workers
    const mps = randomMPS({ length: 64, bondDim: 24, kind: 'born', seed: 5 });
    const seeds = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5];
    const ref = sampleSteps(mps, seeds, 100);
    for (const p of [pool, single]) {
      expect(canSampleSteps(p)).toBe(true);
      // three at once, so that the later ones meet a busy pool (which worker draws what is not
      // observed here; the draws must be the same whatever the assignment)
      const got = await Promise.all([0, 1, 2].map(() => poolSampleSteps(p, mps, seeds, 100)!));
      for (const g of got) {
        expect(g.count).toBe(seeds.length * 100);
        expect(Array.from(g.data)).toEqual(Array.from(ref.data));
        expect(Array.from(g.logProbabilities)).toEqual(Array.from(ref.logProbabilities));
      }
    }
    // a pool without the method (another implementation of the interface) is told apart
    const plain = { size: 1, sample: pool.sample.bind(pool) };
    expect(canSampleSteps(plain)).toBe(false);
    expect(poolSampleSteps(plain, mps, seeds, 100)).toBeUndefined();
    await expect(poolSampleSteps(pool, mps, seeds, 129)!).rejects.toThrow(/`rows`/);
  });

  it('gives the single-threaded samples when busy too (batches queued: each goes whole to one worker)', async () => {
    const mps = randomMPS({ length: 10, bondDim: 4, kind: 'born', seed: 3 });
    const counts = [300, 129, 0, 256, 1, 700, 256, 128];
    // all requested at once: the first is split over the idle workers, the others are queued
    // whole on the worker with the least queued rows
    const results = await Promise.all(
      counts.flatMap((count, k) => [
        pool.sample(mps, { count, seed: 50 + k }),
        pool.sampleConditional(mps, {
          count,
          seed: 80 + k,
          weights: new Float64Array(count * 10 * 2).fill(0.5),
        }),
      ]),
    );
    counts.forEach((count, k) => {
      const ref = sample(mps, { count, seed: 50 + k });
      const got = results[2 * k]!;
      expect(Array.from(got.data), `sample ${k}`).toEqual(Array.from(ref.data));
      expect(Array.from(got.logProbabilities)).toEqual(Array.from(ref.logProbabilities));
      const refConditional = sampleConditional(mps, {
        count,
        seed: 80 + k,
        weights: new Float64Array(count * 10 * 2).fill(0.5),
      });
      const gotConditional = results[2 * k + 1] as ConditionalSampleResult;
      expect(Array.from(gotConditional.data), `conditional ${k}`).toEqual(
        Array.from(refConditional.data),
      );
      // (a batch queued whole on one worker is that worker's arrays, handed over uncopied)
      expect(Array.from(gotConditional.logProbabilities)).toEqual(
        Array.from(refConditional.logProbabilities),
      );
      expect(Array.from(gotConditional.logWeightNormalizations)).toEqual(
        Array.from(refConditional.logWeightNormalizations),
      );
    });
  });

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

  it('splits a small conditional batch (fewer chunks than workers) by rows, with the same draws', async () => {
    // Born, N = 16, bond 24: 0.81 M operations per row by the pool's measure (MIN_SPLIT_FLOPS
    // 16 M per worker), so that 100 rows (one chunk) go to 3 workers and 40 rows to 2; 5 rows
    // stay on one
    const mps = randomMPS({ length: 16, bondDim: 24, kind: 'born', seed: 6 });
    const three = await createSamplerPool({ workers: 3, workerUrl });
    try {
      for (const count of [100, 40, 5]) {
        const rng = createRandom(count);
        const weights = new Float64Array(count * 16 * 2).map(() => rng.float64());
        const ref = sampleConditional(mps, { weights, count, seed: 3 });
        for (const pl of [pool, three]) {
          const got = await pl.sampleConditional(mps, { weights, count, seed: 3 });
          expect(Array.from(got.data)).toEqual(Array.from(ref.data));
          expect(Array.from(got.logProbabilities)).toEqual(Array.from(ref.logProbabilities));
          expect(Array.from(got.logWeightNormalizations)).toEqual(
            Array.from(ref.logWeightNormalizations),
          );
        }
      }
    } finally {
      await three.close();
    }
  });

  it.each(['linear', 'born'] as const)(
    'evaluates log q and log P exactly as one thread does, for any split of the rows (%s)',
    async (kind) => {
      const mps = randomMPS({ length: 11, bondDim: 6, physicalDim: 3, kind, seed: 12 });
      const three = await createSamplerPool({ workers: 3, workerUrl });
      try {
        // draws (whose log q is known) and arbitrary configurations, which q may give 0
        for (const count of [0, 1, 15, 16, 17, 33, 48, 301]) {
          const rng = createRandom(count + 1);
          const drawn = sample(mps, { count, seed: count });
          const data = drawn.data.map((v, k) => (k % 5 === 0 ? Math.floor(rng.float64() * 3) : v));
          const batch = { data, count };
          const q = sampleLogProbabilities(mps, batch);
          const p = logProbabilities(mps, batch);
          for (const pl of [pool, single, three]) {
            expect(Array.from(await pl.sampleLogProbabilities(mps, batch))).toEqual(Array.from(q));
            expect(Array.from(await pl.logProbabilities(mps, batch))).toEqual(Array.from(p));
          }
          // a draw's log q from the pool equals its evaluation by the pool, bit for bit
          const fromPool = await pool.sample(mps, { count, seed: count });
          expect(Array.from(await three.sampleLogProbabilities(mps, fromPool))).toEqual(
            Array.from(fromPool.logProbabilities),
          );
        }
        // the caller's configurations are copied, not handed over to the workers
        const mine = sample(mps, { count: 40, seed: 3 });
        await pool.sampleLogProbabilities(mps, mine);
        expect(mine.data.length).toBe(40 * 11);
      } finally {
        await three.close();
      }
    },
  );

  it('refuses bad configurations for evaluation before sending work', async () => {
    const mps = randomMPS({ length: 4, bondDim: 2, seed: 1 });
    await expect(pool.sampleLogProbabilities({} as never, [[0, 0, 0, 0]])).rejects.toThrow(
      '`mps` passed to `SamplerPool.sampleLogProbabilities` must be an MPS',
    );
    await expect(pool.logProbabilities(mps, [[0, 2, 0, 0]])).rejects.toThrow(
      '`configurations` passed to `SamplerPool.logProbabilities`',
    );
    await expect(
      pool.sampleLogProbabilities(mps, { data: new Int32Array(3), count: 1 }),
    ).rejects.toThrow(InvalidArgumentError);
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
    // misspelt keys are refused, as by the one-thread functions (they were ignored: `worker: 4`
    // started the default pool, an extra `weigths` drew with the weights given)
    await expect(createSamplerPool({ worker: 4 } as never)).rejects.toThrow(
      '`options.worker` passed to `createSamplerPool`',
    );
    await expect(
      pool.sampleConditional(mps, {
        weights: new Float64Array(8).fill(1),
        count: 1,
        seed: 1,
        weigths: 1,
      } as never),
    ).rejects.toThrow('`options.weigths` passed to `SamplerPool.sampleConditional`');
    await expect(pool.sample(mps, { count: 1, seed: 1, cout: 2 } as never)).rejects.toThrow(
      '`options.cout` passed to `SamplerPool.sample`',
    );
  });
});

/**
 * How `promise` settles, or a failure after `ms` milliseconds: a request that is never settled
 * fails the test with this message instead of hanging it. A hang guard, not a speed check: the
 * limit is far above what a settling request takes on a loaded machine.
 */
async function settleWithin<T>(
  promise: Promise<T>,
  ms = 120_000,
): Promise<{ value: T } | { error: unknown }> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the request did not settle within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([
      promise.then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** The LatticeDiffError a settled request rejected with (fails the test otherwise). */
function rejection(settled: { value: unknown } | { error: unknown }): LatticeDiffError {
  expect(settled).toHaveProperty('error');
  const { error } = settled as { error: unknown };
  expect(LatticeDiffError.isInstance(error)).toBe(true);
  return error as LatticeDiffError;
}

/** A worker module as a data: URL (Node accepts those for worker_threads). */
function workerModule(source: string): URL {
  return new URL(`data:text/javascript,${encodeURIComponent(source)}`);
}

describe('closing the pool and failing workers settle every request (they used to hang)', () => {
  // seconds of work per worker (about 10^4 samples per second at N = 128, chi = 64): still
  // running when the pool is closed 100 ms later
  const big = randomMPS({ length: 128, bondDim: 64, seed: 3 });
  const bigCount = 100_000;

  it('requests running when the pool is closed reject with LatticeDiffPoolClosedError', async () => {
    const p = await createSamplerPool({ workers: 2, workerUrl });
    let settled = false;
    const running = p.sample(big, { count: bigCount, seed: 1 });
    const conditional = p.sampleConditional(big, {
      count: 10_000,
      seed: 2,
      weights: new Float64Array(10_000 * 128 * 2).fill(1),
    });
    for (const r of [running, conditional])
      r.then(
        () => {
          settled = true;
        },
        () => {
          settled = true;
        },
      );
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(settled).toBe(false);
    const closing = p.close();
    for (const [request, name] of [
      [running, 'SamplerPool.sample'],
      [conditional, 'SamplerPool.sampleConditional'],
    ] as const) {
      const error = rejection(await settleWithin(request));
      expect(error.name).toBe('LatticeDiffPoolClosedError');
      expect(error.message).toBe(
        `\`${name}\`: the sampler pool was closed while the request was running`,
      );
    }
    await settleWithin(closing);
    // it stays closed, and closing again is harmless
    const later = rejection(await settleWithin(p.sample(big, { count: 1, seed: 1 })));
    expect(later.name).toBe('LatticeDiffPoolClosedError');
    expect(later.message).toBe('`SamplerPool.sample`: the sampler pool is closed');
    await expect(p.close()).resolves.toBeUndefined();
    const laterConditional = rejection(
      await settleWithin(
        p.sampleConditional(big, { count: 1, seed: 1, weights: new Float64Array(256).fill(1) }),
      ),
    );
    expect(laterConditional.name).toBe('LatticeDiffPoolClosedError');
    const laterEvaluation = rejection(
      await settleWithin(p.sampleLogProbabilities(big, { data: new Int32Array(128), count: 1 })),
    );
    expect(laterEvaluation.message).toBe(
      '`SamplerPool.sampleLogProbabilities`: the sampler pool is closed',
    );
  });

  it('two concurrent close calls share one termination', async () => {
    const p = await createSamplerPool({ workers: 1, workerUrl });
    const running = p.sample(big, { count: bigCount, seed: 1 });
    const first = p.close();
    const second = p.close();
    expect(second).toBe(first);
    expect(rejection(await settleWithin(running)).name).toBe('LatticeDiffPoolClosedError');
    expect(await settleWithin(first)).toEqual({ value: undefined });
  });

  it('a script that closes its pool during a request ends normally (no unsettled await, no unhandled rejection)', async () => {
    const index = new URL('../dist/index.js', import.meta.url).href;
    const script = `
      import { createSamplerPool, randomMPS } from ${JSON.stringify(index)};
      const pool = await createSamplerPool({ workers: 2 });
      const mps = randomMPS({ length: 128, bondDim: 64, seed: 3 });
      const outcome = pool.sample(mps, { count: ${bigCount}, seed: 1 }).then(() => null, (e) => e);
      await new Promise((resolve) => setTimeout(resolve, 100));
      await pool.close();
      const error = await outcome;
      console.log(error && error.name);
    `;
    // a file, not `-e`: the workers inherit the parent's flags, and `--input-type` breaks them
    const dir = mkdtempSync(join(tmpdir(), 'latticediff-pool-'));
    const file = join(dir, 'close-while-running.mjs');
    writeFileSync(file, script);
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
      (resolve) => {
        execFile(
          process.execPath,
          ['--unhandled-rejections=strict', file],
          { timeout: 300_000 }, // a hang guard, not a speed check
          (error, stdout, stderr) =>
            resolve({ code: error ? ((error.code as number) ?? -1) : 0, stdout, stderr }),
        );
      },
    ).finally(() => rmSync(dir, { recursive: true, force: true }));
    // exit code 13 would be a top-level await left unsettled when the event loop emptied
    expect(result).toEqual({ code: 0, stdout: 'LatticeDiffPoolClosedError\n', stderr: '' });
  });

  it('a worker that exits without replying rejects the request, and the pool refuses further work', async () => {
    const p = await createSamplerPool({
      workers: 1,
      workerUrl: workerModule(
        "import { parentPort } from 'node:worker_threads'; parentPort.on('message', (m) => { if (m.type === 'sample') process.exit(0); });",
      ),
    });
    try {
      const mps = randomMPS({ length: 4, bondDim: 2, seed: 1 });
      const error = rejection(await settleWithin(p.sample(mps, { count: 5, seed: 1 })));
      expect(error.name).toBe('LatticeDiffPoolWorkerError');
      expect(error.message).toBe(
        '`SamplerPool.sample`: sampling worker 0 exited (exit code 0) without being closed; the pool cannot sample any more (close it and create a new one)',
      );
      const later = rejection(
        await settleWithin(
          p.sampleConditional(mps, { count: 1, seed: 1, weights: new Float64Array(8).fill(1) }),
        ),
      );
      expect(later.name).toBe('LatticeDiffPoolWorkerError');
      expect(later.message).toContain('`SamplerPool.sampleConditional`: sampling worker 0 exited');
    } finally {
      await settleWithin(p.close());
    }
  });

  it('a worker that throws rejects every pending request with its error as the cause', async () => {
    const p = await createSamplerPool({
      workers: 2,
      workerUrl: workerModule(
        "import { parentPort } from 'node:worker_threads'; parentPort.on('message', (m) => { if (m.type === 'sample') throw new RangeError('boom in the worker'); });",
      ),
    });
    try {
      const mps = randomMPS({ length: 4, bondDim: 2, seed: 1 });
      // 300 samples span both workers (chunks of 128)
      const error = rejection(await settleWithin(p.sample(mps, { count: 300, seed: 1 })));
      expect(error.name).toBe('LatticeDiffPoolWorkerError');
      expect(error.message).toMatch(
        /^`SamplerPool\.sample`: sampling worker [01] failed: boom in the worker; the pool cannot sample any more/,
      );
      expect((error.cause as Error).message).toBe('boom in the worker');
      const later = rejection(await settleWithin(p.sample(mps, { count: 1, seed: 1 })));
      expect(later.name).toBe('LatticeDiffPoolWorkerError');
    } finally {
      await settleWithin(p.close());
    }
  });
});
