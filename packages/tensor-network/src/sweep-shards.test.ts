/**
 * Sweep shards: the block gradient of a weighted batch, -2 sum_m w_m Psi'_m / psi_m, against a
 * direct per-row contraction (before and after the centre has moved), the batch's NLL against
 * logProbabilities, and the same bits from a pool's workers as from this thread.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalize } from './canonical';
import { logProbabilities } from './evaluate';
import { MPS, randomMPS } from './mps';
import { createSamplerPool, type SamplerPool } from './pool';
import { sample } from './sample';
import {
  type EnvironmentShard,
  localShards,
  openPoolShards,
  SHARD_ROWS,
  type ShardMove,
  type ShardSpec,
  shardNll,
} from './sweep-shards';

const workerUrl = new URL('../dist/worker.js', import.meta.url);
const n = 7;
const d = 2;
const mps = canonicalize(randomMPS({ length: n, bondDim: 3, kind: 'born', seed: 5 }), {
  center: 0,
}).mps;
const count = SHARD_ROWS + 300; // two shards
const rows = sample(mps, { count, seed: 9 }).data;
const weights = Float64Array.from({ length: count }, (_, m) => (1 + (m % 7)) / (8 * count));

/**
 * The product of row m's site matrices over sites [from, to): a dims[from] x dims[to] matrix
 * (the identity when from = to).
 */
function chainProduct(
  tensors: readonly Float64Array[],
  dims: number[],
  m: number,
  from: number,
  to: number,
) {
  const height = dims[from]!;
  let width = height;
  let mat = new Float64Array(height * height);
  for (let a = 0; a < height; a++) mat[a * height + a] = 1;
  for (let i = from; i < to; i++) {
    const r = dims[i + 1]!;
    const s = rows[m * n + i]!;
    const next = new Float64Array(height * r);
    for (let a = 0; a < height; a++)
      for (let b = 0; b < width; b++) {
        const x = mat[a * width + b]!;
        for (let c = 0; c < r; c++) next[a * r + c]! += x * tensors[i]![(b * d + s) * r + c]!;
      }
    mat = next;
    width = r;
  }
  return mat;
}

/** -2 sum_m w_m Psi'_m / psi_m for the block at (i, i+1), row by row. */
function directGradient(
  tensors: readonly Float64Array[],
  dims: number[],
  i: number,
  block: Float64Array,
) {
  const l = dims[i]!;
  const r = dims[i + 2]!;
  const out = new Float64Array(block.length);
  for (let m = 0; m < count; m++) {
    const left = chainProduct(tensors, dims, m, 0, i); // 1 x l
    const right = chainProduct(tensors, dims, m, i + 2, n); // r x 1
    const p = rows[m * n + i]! * d + rows[m * n + i + 1]!;
    let psi = 0;
    for (let a = 0; a < l; a++)
      for (let c = 0; c < r; c++) psi += left[a]! * block[(a * d * d + p) * r + c]! * right[c]!;
    for (let a = 0; a < l; a++)
      for (let c = 0; c < r; c++)
        out[(a * d * d + p) * r + c]! += (-2 * weights[m]! * left[a]! * right[c]!) / psi;
  }
  return out;
}

function close(actual: Float64Array, expected: Float64Array) {
  let scale = 0;
  for (const x of expected) scale = Math.max(scale, Math.abs(x));
  for (let k = 0; k < expected.length; k++) {
    expect(Math.abs(actual[k]! - expected[k]!)).toBeLessThanOrEqual(1e-12 * scale);
  }
}

/** The block A_i A_{i+1} plus a deterministic perturbation (as a gradient step leaves it). */
function blockAt(tensors: readonly Float64Array[], dims: number[], i: number): Float64Array {
  const l = dims[i]!;
  const mid = dims[i + 1]!;
  const r = dims[i + 2]!;
  const out = new Float64Array(l * d * d * r);
  for (let a = 0; a < l * d; a++)
    for (let k = 0; k < mid; k++)
      for (let c = 0; c < d * r; c++)
        out[a * d * r + c]! += tensors[i]![a * mid + k]! * tensors[i + 1]![k * d * r + c]!;
  for (let k = 0; k < out.length; k++) out[k]! += 0.01 * Math.sin(k + 1);
  return out;
}

describe('sweep shards', () => {
  const pools: SamplerPool[] = [];
  beforeAll(async () => {
    if (!existsSync(fileURLToPath(workerUrl)))
      throw new Error('run `pnpm build` before this test (dist/worker.js is missing)');
    for (const workers of [1, 2]) pools.push(await createSamplerPool({ workers, workerUrl }));
  });
  afterAll(async () => {
    await Promise.all(pools.map((p) => p.close()));
  });

  const dims = [1, ...Array.from({ length: n - 1 }, (_, i) => mps.rightDim(i)), 1];
  const spec: ShardSpec = { physicalDims: [...mps.physicalDims], dims, tensors: mps.tensors };

  it('gives the block gradient of a direct contraction, before and after the centre moves', async () => {
    const local = localShards(spec, rows, weights);
    expect(local.count).toBe(2);
    const remote = await Promise.all(
      pools.map((pool) => openPoolShards('test', pool, spec, rows, weights)),
    );
    // the centre moves right from block (0, 1) to block (3, 4), each site getting a new tensor
    // (perturbed: the environments need not be orthonormal for the gradient to be checked)
    const tensors = mps.tensors.map((t) => new Float64Array(t));
    // a new tensor at `site`: this thread's shards and the pools' move their environments
    const replaceTensor = (
      site: number,
      next: (typeof tensors)[number],
      direction: 'left' | 'right',
    ) => {
      tensors[site] = next;
      const move: ShardMove = {
        site,
        tensor: next,
        leftDim: dims[site]!,
        rightDim: dims[site + 1]!,
        direction,
      };
      local.move(move);
      for (const shards of remote) shards.move(move);
    };
    for (const site of [0, 1, 2, 3]) {
      const block = blockAt(tensors, dims, site);
      const expected = directGradient(tensors, dims, site, block);
      const got = local.gradient(site, block);
      close(got, expected);
      for (const shards of remote)
        expect(Array.from(await shards.gradient(site, block))).toEqual(Array.from(got));
      // move on: a new (perturbed) tensor at `site`, the left environments follow
      const next = tensors[site]!.map((x, k) => x * (1 + 0.1 * Math.cos(k)));
      replaceTensor(site, next, 'right');
    }
    // and back left: new tensors at sites 4, 3, 2 from the right
    for (const site of [4, 3, 2]) {
      const next = tensors[site]!.map((x, k) => x * (1 - 0.05 * Math.sin(k)));
      replaceTensor(site, next, 'left');
      const block = blockAt(tensors, dims, site - 2);
      const expected = directGradient(tensors, dims, site - 2, block);
      const got = local.gradient(site - 2, block);
      close(got, expected);
      for (const shards of remote)
        expect(Array.from(await shards.gradient(site - 2, block))).toEqual(Array.from(got));
    }
    local.close();
    for (const shards of remote) shards.close();
  });

  it('gives the mean NLL of the MPS it holds, as opened and after moves back to site 0', async () => {
    // sum over rows of w_m (-log p(x_m)), p from logProbabilities
    const expectedNll = (m: MPS) => {
      const lp = logProbabilities(m, { data: rows, count });
      let total = 0;
      for (let k = 0; k < count; k++) total -= weights[k]! * lp[k]!;
      return total;
    };
    const local = localShards(spec, rows, weights);
    const remote = await Promise.all(
      pools.map((pool) => openPoolShards('test', pool, spec, rows, weights)),
    );
    // as opened, with site 0 scaled (Z = ||first||^2 = 9, not 1)
    const first = mps.tensors[0]!.map((x) => 3 * x);
    const scaled = MPS.fromTensors(
      mps.tensors.map((t, i) => ({
        data: i === 0 ? first : t,
        shape: [mps.leftDim(i), d, mps.rightDim(i)] as [number, number, number],
      })),
      { kind: 'born' },
    );
    const opened = local.nll(first)[0]!;
    expect(Math.abs(opened - expectedNll(scaled))).toBeLessThan(1e-13 * Math.abs(opened));
    for (const shards of remote) expect((await shards.nll(first))[0]).toBe(opened);
    // another right-canonical MPS (other bond dimensions), its sites N-1..1 moved in from the
    // right as a sweep that ends at site 0 moves them
    const other = canonicalize(randomMPS({ length: n, bondDim: 4, kind: 'born', seed: 6 }), {
      center: 0,
    }).mps;
    for (let site = n - 1; site >= 1; site--) {
      const move: ShardMove = {
        site,
        tensor: other.tensors[site]!,
        leftDim: other.leftDim(site),
        rightDim: other.rightDim(site),
        direction: 'left',
      };
      local.move(move);
      for (const shards of remote) shards.move(move);
    }
    const moved = local.nll(other.tensors[0]!)[0]!;
    expect(Math.abs(moved - expectedNll(other))).toBeLessThan(1e-13 * Math.abs(moved));
    expect(Math.abs(moved - opened)).toBeGreaterThan(0.1);
    for (const shards of remote) expect((await shards.nll(other.tensors[0]!))[0]).toBe(moved);
    local.close();
    for (const shards of remote) shards.close();
  });

  it('adds the logs of extreme rescaling factors one by one (no under- or overflow)', () => {
    // a hand-made shard of 2 rows over 5 sites (bond 2): row 0 with factors far out of range,
    // row 1 with ordinary ones; then a zero factor (psi = 0: an infinite NLL)
    const factors = [
      [1e-150, 1e-150, 1e-150, 1e140],
      [0.5, 2, 0.25, 3],
    ];
    const shardWith = (rows: number[][]): EnvironmentShard => ({
      physicalDims: [2, 2, 2, 2, 2],
      dims: [1, 2, 2, 2, 2, 1],
      columns: [Int32Array.of(0, 1)],
      sites: [],
      pairs: [],
      weights: Float64Array.of(0.25, 0.75),
      env: [new Float64Array(2), Float64Array.of(1, 0.5, -0.25, 1)],
      scales: [
        new Float64Array(2),
        ...[0, 1, 2, 3].map((k) => Float64Array.from(rows, (row) => row[k]!)),
      ],
    });
    const first = Float64Array.of(0.6, 0.2, 0.1, -0.7);
    const psi = [0.6 * 1 + 0.2 * 0.5, 0.1 * -0.25 + -0.7 * 1];
    const logZ = Math.log(0.36 + 0.04 + 0.01 + 0.49);
    const term = (m: number) =>
      logZ - 2 * (Math.log(Math.abs(psi[m]!)) + factors[m]!.reduce((a, f) => a + Math.log(f), 0));
    const got = shardNll(shardWith(factors), first);
    const want = 0.25 * term(0) + 0.75 * term(1);
    expect(Math.abs(got - want)).toBeLessThan(1e-13 * Math.abs(want));
    expect(shardNll(shardWith([factors[0]!, [0.5, 0, 2, 1]]), first)).toBe(
      Number.POSITIVE_INFINITY,
    );
  });

  it('refuses a pool that cannot hold shards, naming it', () => {
    expect(() => openPoolShards('trainBornSweeps', { sample() {} }, spec, rows, weights)).toThrow(
      /`pool`.*`trainBornSweeps`|`trainBornSweeps`.*`pool`/,
    );
  });
});
