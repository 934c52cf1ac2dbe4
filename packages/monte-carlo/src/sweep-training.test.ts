import { physicsBornMPS } from '@latticediff/lattice';
import { isingModel } from '@latticediff/model-ising';
import {
  InvalidArgumentError,
  logProbabilities,
  type MPS,
  NumericalError,
  randomMPS,
  sample,
  toDense,
} from '@latticediff/tensor-network';
import { SHARD_ROWS } from '@latticediff/tensor-network/internal';
import { describe, expect, it } from 'vitest';
import { drawsOnlyPool, poolsOfOneToThreeWorkers } from './pools.test-helper';
import { withSecondCopy } from './second-copy.test-helper';
import { initialBornMPS, trainBornSweeps } from './sweep-training';

/** Exact KL(P || Q) by enumeration (toDense gives the normalised probability vector). */
function exactKL(target: MPS, model: MPS): number {
  const p = toDense(target);
  const q = toDense(model);
  let kl = 0;
  for (let k = 0; k < p.length; k++) if (p[k]! > 0) kl += p[k]! * Math.log(p[k]! / q[k]!);
  return kl;
}

function meanNll(mps: MPS, batch: { data: Int32Array; count: number }): number {
  const lp = logProbabilities(mps, batch);
  let total = 0;
  for (const v of lp) total -= v;
  return total / lp.length;
}

const target = randomMPS({ length: 8, bondDim: 3, kind: 'born', seed: 11, spread: 1 });
const data = sample(target, { count: 4000, seed: 5 });
const batch = { data: data.data, count: data.count };

describe('trainBornSweeps', () => {
  it('reduces the exact KL to a small random Born target by a large factor', () => {
    // sizes beyond the factories' are refused (2^31 sites ended the process)
    expect(() => initialBornMPS({ length: 2 ** 31, seed: 1 })).toThrow(
      '`length` passed to `initialBornMPS` must be an integer in [1, 4194304]',
    );
    expect(() => initialBornMPS({ length: 64, bondDim: 2 ** 14, seed: 1 })).toThrow(
      '`bondDim` passed to `initialBornMPS` must be small enough',
    );
    const init = initialBornMPS({ length: 8, seed: 3 });
    const kl0 = exactKL(target, init);
    const nlls: number[] = [];
    const { mps, history, initialNll } = trainBornSweeps(init, batch, {
      sweeps: 6,
      maxBondDim: 4,
      onSweep: ({ nll }) => nlls.push(nll),
    });
    const kl = exactKL(target, mps);
    expect(kl0).toBeGreaterThan(0.5);
    expect(kl).toBeLessThan(kl0 / 50);
    expect(kl).toBeLessThan(0.03);
    expect(history.map((h) => h.nll)).toEqual(nlls);
    // monotone-ish: each sweep at most slightly above the previous, and far below the start
    for (let k = 1; k < nlls.length; k++) expect(nlls[k]!).toBeLessThan(nlls[k - 1]! + 0.01);
    expect(nlls[nlls.length - 1]!).toBeLessThan(initialNll - 0.5);
  });

  it('fits a linear (non-negative) target too', () => {
    const linear = randomMPS({ length: 8, bondDim: 2, seed: 4, spread: 1.5 });
    const d = sample(linear, { count: 4000, seed: 9 });
    const init = initialBornMPS({ length: 8, seed: 1 });
    const kl0 = exactKL(linear, init);
    const { mps } = trainBornSweeps(init, d, { sweeps: 6, maxBondDim: 4 });
    const kl = exactKL(linear, mps);
    expect(kl).toBeLessThan(kl0 / 20);
    expect(kl).toBeLessThan(0.05);
  });

  it('reports the NLL of the returned MPS on the data', () => {
    const init = initialBornMPS({ length: 8, seed: 2 });
    const u8 = { data: Uint8Array.from(batch.data), count: batch.count };
    const { mps, history } = trainBornSweeps(init, u8, { sweeps: 2, maxBondDim: 3 });
    expect(mps.kind).toBe('born');
    expect(Math.abs(history[1]!.nll - meanNll(mps, batch))).toBeLessThan(1e-10);
    expect(history.map((h) => h.sweep)).toEqual([1, 2]);
  });

  it('reports NLLs that logProbabilities confirms to 1e-12 (from the shards, d = 3 too)', () => {
    // three states per site, 3,000 rows: three shards, duplicates weighted
    const target3 = randomMPS({ length: 6, physicalDim: 3, bondDim: 3, kind: 'born', seed: 21 });
    const data3 = sample(target3, { count: 3000, seed: 4 });
    const batch3 = { data: data3.data, count: data3.count };
    const init = initialBornMPS({ length: 6, physicalDim: 3, seed: 8 });
    const bySweep: MPS[] = [];
    const { initialNll, history } = trainBornSweeps(init, batch3, {
      sweeps: 3,
      maxBondDim: 5,
      onSweep: ({ mps }) => bySweep.push(mps),
    });
    const near = (got: number, want: number) =>
      expect(Math.abs(got - want)).toBeLessThan(1e-12 * Math.abs(want));
    near(initialNll, meanNll(init, batch3));
    expect(history).toHaveLength(3);
    for (const [k, h] of history.entries()) near(h.nll, meanNll(bySweep[k]!, batch3));
    expect(history[2]!.nll).toBeLessThan(initialNll - 0.1);
  });

  it('keeps bond dimensions within maxBondDim and grows them from a small start', () => {
    const init = initialBornMPS({ length: 8, bondDim: 1, seed: 2 });
    expect(init.maxBondDim).toBe(1);
    const seen: number[][] = [];
    const { mps } = trainBornSweeps(init, batch, {
      sweeps: 3,
      maxBondDim: 3,
      onSweep: ({ bondDims }) => seen.push(bondDims),
    });
    for (const dims of seen) for (const b of dims) expect(b).toBeLessThanOrEqual(3);
    expect(mps.maxBondDim).toBe(3);
    // a bigger start is truncated to maxBondDim at its first split
    const big = initialBornMPS({ length: 8, bondDim: 8, seed: 2 });
    const small = trainBornSweeps(big, batch, { sweeps: 1, maxBondDim: 2 }).mps;
    expect(small.maxBondDim).toBe(2);
  });

  it('refuses bad inputs with an InvalidArgumentError naming the argument', () => {
    const init = initialBornMPS({ length: 8, seed: 2 });
    const argumentOf = (f: () => unknown): string => {
      try {
        f();
      } catch (error) {
        expect(InvalidArgumentError.isInstance(error)).toBe(true);
        return (error as InvalidArgumentError).argument;
      }
      throw new Error('no error thrown');
    };
    // patience without validation data did nothing
    expect(
      argumentOf(() => trainBornSweeps(init, batch, { sweeps: 1, maxBondDim: 2, patience: 2 })),
    ).toBe('patience');
    const linear = randomMPS({ length: 8, bondDim: 2, seed: 1 });
    expect(argumentOf(() => trainBornSweeps(linear, batch, { sweeps: 1, maxBondDim: 2 }))).toBe(
      'mps.kind',
    );
    expect(argumentOf(() => trainBornSweeps(init, batch, { sweeps: 1, maxBondDim: 0 }))).toBe(
      'maxBondDim',
    );
    expect(
      argumentOf(() =>
        trainBornSweeps(init, { data: new Int32Array(0), count: 0 }, { sweeps: 1, maxBondDim: 2 }),
      ),
    ).toBe('data.count');
    expect(
      argumentOf(() =>
        trainBornSweeps(
          init,
          { data: new Int32Array(7 * 3), count: 3 },
          { sweeps: 1, maxBondDim: 2 },
        ),
      ),
    ).toBe('data.data');
    const bad = Int32Array.from(batch.data);
    bad[5] = 2;
    expect(
      argumentOf(() =>
        trainBornSweeps(init, { data: bad, count: batch.count }, { sweeps: 1, maxBondDim: 2 }),
      ),
    ).toBe('data.data');
    expect(argumentOf(() => trainBornSweeps(init, batch, { sweeps: 1.5, maxBondDim: 2 }))).toBe(
      'sweeps',
    );
    expect(
      argumentOf(() =>
        trainBornSweeps(init, batch, { sweeps: 1, maxBondDim: 2, learningRate: -1 }),
      ),
    ).toBe('learningRate');
    expect(
      argumentOf(() => trainBornSweeps(init, batch, { sweeps: 1, maxBondDim: 2, cutoff: 2 })),
    ).toBe('cutoff');
    expect(
      argumentOf(() =>
        trainBornSweeps(init, batch, { sweeps: 1, maxBondDim: 2, stepsPerBlock: 0 }),
      ),
    ).toBe('stepsPerBlock');
    expect(
      argumentOf(() =>
        trainBornSweeps(initialBornMPS({ length: 1, seed: 1 }), batch, {
          sweeps: 1,
          maxBondDim: 2,
        }),
      ),
    ).toBe('mps.length');
    expect(argumentOf(() => initialBornMPS({ length: 0, seed: 1 }))).toBe('length');
  });

  it('stops early on validation data and returns the best sweep', () => {
    const init = initialBornMPS({ length: 8, seed: 2 });
    const small = { data: batch.data.subarray(0, 300 * 8), count: 300 };
    const validation = { data: batch.data.subarray(3000 * 8), count: 1000 };
    const { mps, history, bestSweep } = trainBornSweeps(init, small, {
      sweeps: 40,
      maxBondDim: 8,
      cutoff: 0,
      validation,
      patience: 2,
    });
    const values = history.map((h) => h.validationNll!);
    const best = Math.min(...values);
    expect(values[bestSweep - 1]).toBe(best);
    expect(history.length).toBeLessThanOrEqual(bestSweep + 2);
    expect(history.length).toBeLessThan(40);
    expect(Math.abs(meanNll(mps, validation) - best)).toBeLessThan(1e-10);
  });

  it('tells apart configurations whose digits would read alike joined (d = 12)', () => {
    // [1, 11] and [11, 1] are both "111" as joined digit strings; each is half of the data,
    // so the trained model must give them similar probabilities
    const init = initialBornMPS({ length: 2, physicalDim: 12, bondDim: 2, seed: 2 });
    const rows = { data: Int32Array.from([1, 11, 11, 1, 1, 11, 11, 1]), count: 4 };
    const { mps } = trainBornSweeps(init, rows, { sweeps: 8, maxBondDim: 4, learningRate: 0.3 });
    const [a, b] = logProbabilities(mps, { data: Int32Array.from([1, 11, 11, 1]), count: 2 });
    expect(a!).toBeGreaterThan(Math.log(0.3));
    expect(b!).toBeGreaterThan(Math.log(0.3));
  });

  it('is deterministic and initialBornMPS is seeded', () => {
    const a = initialBornMPS({ length: 6, seed: 5 });
    const b = initialBornMPS({ length: 6, seed: 5 });
    const c = initialBornMPS({ length: 6, seed: 6 });
    expect(a.tensors).toEqual(b.tensors);
    expect(a.tensors).not.toEqual(c.tensors);
  });
});

describe('trainBornSweeps and initialBornMPS: misspelt options and MPS from another copy', () => {
  const init = initialBornMPS({ length: 8, seed: 3 });
  const small = { data: batch.data.subarray(0, 200 * 8), count: 200 };

  it.each([
    [
      'trainBornSweeps',
      'maxBondDims',
      () => trainBornSweeps(init, small, { sweeps: 1, maxBondDim: 4, maxBondDims: 8 } as never),
    ],
    [
      'trainBornSweeps',
      'patiense',
      () => trainBornSweeps(init, small, { sweeps: 1, maxBondDim: 4, patiense: 2 } as never),
    ],
    [
      'trainBornSweeps',
      'onsweep',
      () => trainBornSweeps(init, small, { sweeps: 1, maxBondDim: 4, onsweep: () => {} } as never),
    ],
    ['initialBornMPS', 'nosie', () => initialBornMPS({ length: 4, seed: 1, nosie: 0.5 } as never)],
    ['initialBornMPS', 'seeed', () => initialBornMPS({ length: 4, seeed: 1 } as never)],
  ] as [string, string, () => unknown][])('%s refuses `%s`', (name, key, call) => {
    let caught: unknown;
    try {
      call();
    } catch (error) {
      caught = error;
    }
    expect(InvalidArgumentError.isInstance(caught)).toBe(true);
    const error = caught as InvalidArgumentError;
    expect(error.functionName).toBe(name);
    expect(error.argument).toBe(`options.${key}`);
    expect(error.message).toContain(`\`${name}\` has no option \`${key}\``);
  });

  it('refuses a plain object as the MPS', () => {
    const plain = {
      kind: 'born',
      length: 8,
      physicalDims: init.physicalDims,
      tensors: init.tensors,
    };
    expect(() => trainBornSweeps(plain as never, small, { sweeps: 1, maxBondDim: 4 })).toThrow(
      /`mps` passed to `trainBornSweeps` must be an MPS \(from MPS.fromTensors/,
    );
  });

  it('trains an MPS made by a second installed copy exactly as its local twin', async () => {
    // a copy of the built package in a temporary node_modules: its MPS class is a different one
    await withSecondCopy(async (other) => {
      const foreign = other.MPS.fromTensors(
        init.tensors.map((data, i) => ({ shape: init.siteShape(i), data })),
        { kind: 'born' },
      ) as unknown as MPS;
      expect(foreign.constructor).not.toBe(init.constructor);
      const options = { sweeps: 2, maxBondDim: 4, cutoff: 0 };
      const a = trainBornSweeps(foreign, small, options);
      const b = trainBornSweeps(init, small, options);
      expect(a.history.map((h) => h.nll)).toEqual(b.history.map((h) => h.nll));
      expect(a.mps.tensors).toEqual(b.mps.tensors);
    });
  });
});

describe('trainBornSweeps with a pool', () => {
  const pools = poolsOfOneToThreeWorkers();

  // 24 sites, 2,500 training draws: more than two shards of distinct rows, so that the shards'
  // partial gradients are summed across workers (1 worker: all three; 2: two and one; 3: one
  // each)
  const n = 24;
  const wide = randomMPS({ length: n, bondDim: 3, kind: 'born', seed: 29, spread: 0.5 });
  const draws = sample(wide, { count: 3000, seed: 31 });
  const train = { data: draws.data.slice(0, 2500 * n), count: 2500 };
  const validation = { data: draws.data.slice(2500 * n), count: 500 };
  const start = initialBornMPS({ length: n, bondDim: 2, seed: 37 });
  const options = {
    sweeps: 3,
    maxBondDim: 5,
    cutoff: 1e-8,
    stepsPerBlock: 2,
    learningRate: (sweep: number) => 0.08 * 0.7 ** (sweep - 1),
    validation,
    patience: 2,
  };
  const plain = (r: { mps: MPS; initialNll: number; history: unknown[]; bestSweep: number }) => ({
    tensors: r.mps.tensors.map((t) => Array.from(t)),
    bondDims: [...r.mps.bondDims],
    initialNll: r.initialNll,
    history: r.history.map((h) => ({ ...(h as object), seconds: 0 })),
    bestSweep: r.bestSweep,
  });

  it('gives the one-thread result bit for bit for 1, 2 and 3 workers', async () => {
    const distinct = new Set<string>();
    for (let b = 0; b < train.count; b++)
      distinct.add(train.data.subarray(b * n, (b + 1) * n).join(''));
    expect(distinct.size).toBeGreaterThan(2 * SHARD_ROWS);
    const reference = plain(trainBornSweeps(start, train, options));
    // it trained: the bond dimension grew and the NLL fell
    expect(reference.bondDims.some((b) => b > 2)).toBe(true);
    expect(reference.history.length).toBeGreaterThan(0);
    for (const pool of pools) {
      const result = trainBornSweeps(start, train, { ...options, pool });
      expect(result).toBeInstanceOf(Promise);
      expect(plain(await result)).toEqual(reference);
    }
  });

  it('trains on this thread, with the same result, with a pool that only draws', async () => {
    const drawsOnly = drawsOnlyPool(pools[1]!);
    const small = { data: train.data.slice(0, 300 * n), count: 300 };
    const reference = plain(trainBornSweeps(start, small, { sweeps: 2, maxBondDim: 4 }));
    expect(
      plain(await trainBornSweeps(start, small, { sweeps: 2, maxBondDim: 4, pool: drawsOnly })),
    ).toEqual(reference);
  });

  it('refuses a pool that is not one, naming it', () => {
    expect(() =>
      trainBornSweeps(start, train, { sweeps: 1, maxBondDim: 4, pool: 3 as never }),
    ).toThrow(/`pool`.*trainBornSweeps|trainBornSweeps.*`pool`/);
  });
});

describe('trainBornSweeps with a step too large for float64', () => {
  it('throws a NumericalError that names the learning rate (it was an svd argument error)', () => {
    // (the CLI's first training step of the 4 x 4 Ising model at --learning-rate 1e308)
    const instance = isingModel.create({ lx: 4, ly: 4 });
    const { mps } = physicsBornMPS(instance, { maxBondDim: 4 });
    const data = sample(mps, { count: 256, seed: 1 });
    let caught: unknown;
    try {
      trainBornSweeps(mps, data, { sweeps: 1, maxBondDim: 4, learningRate: 1e308 });
    } catch (error) {
      caught = error;
    }
    expect(NumericalError.isInstance(caught), String(caught)).toBe(true);
    expect(String((caught as Error).message)).toContain('the learning rate 1e+308 is too large');
  });
});
