/**
 * Per-sample environments of a weighted batch for two-site likelihood sweeps over a Born MPS
 * (monte-carlo's `trainBornSweeps`), kept in shards of {@link SHARD_ROWS} consecutive rows so
 * that a SamplerPool's workers can hold them and compute a block's gradient in parallel.
 *
 * A shard holds, for its rows, the digits of every site and one environment vector per bond
 * position (the left ones left of the orthogonality centre, the right ones right of it), each
 * rescaled to max |entry| = 1 (the gradient only uses Psi'_m / psi_m, which that scale leaves
 * unchanged). Two operations:
 *
 * - {@link shardBlockGradient}: sum over the shard's rows m of (-2 w_m / psi_m) Psi'_m for the
 *   two-site block B at sites (i, i+1), where psi_m = L_m B[x_i, x_i+1] R_m and
 *   Psi'_m = L_m (x) e_{x_i} (x) e_{x_i+1} (x) R_m;
 * - {@link applyShardMove}: after the block is split, the new tensor of one of its sites extends
 *   the left environments (centre moved right) or the right ones (centre moved left).
 *
 * Every row's environments depend on that row alone, and the gradient is the sum of the shards'
 * partial sums in shard order, so the result does not depend on which thread holds which
 * shard: one thread and a pool of any size give the same bits.
 */
import {
  accumulateSampleOuterProducts,
  sampleAmplitudes,
  transferSampleEnvironments,
} from './environments';
import { invalidArgument } from './errors';

/** Rows per shard (the last shard of a batch may have fewer). */
export const SHARD_ROWS = 1024;

/** |psi| below this (environments of max |entry| 1, ||B|| = 1) is clamped to keep 1/psi finite. */
const TINY = 1e-300;

/** What every shard of a batch is built from. */
export interface ShardSpec {
  /** Local dimension of every site (N entries). */
  physicalDims: readonly number[];
  /** Bond dimensions dims[0..N] (dims[0] = dims[N] = 1). */
  dims: readonly number[];
  /** The site tensors, right-canonical (centre at site 0; only sites 1..N-1 are read). */
  tensors: readonly Float64Array[];
}

/** One shard: its rows' digits per site, weights and environments. */
export interface EnvironmentShard {
  physicalDims: readonly number[];
  dims: number[];
  /** columns[i]: the digits of the shard's rows at site i. */
  columns: Int32Array[];
  weights: Float64Array;
  /** env[k]: the environments at bond position k (left of site k), rows x dims[k]. */
  env: Float64Array[];
}

/** A split's outcome that the shards must follow. */
export interface ShardMove {
  /** The site whose tensor is new. */
  site: number;
  /** Its tensor, [leftDim, physicalDim, rightDim] row-major. */
  tensor: Float64Array;
  leftDim: number;
  rightDim: number;
  /**
   * `right`: the centre moved right past `site` (its tensor is left-orthonormal), so the left
   * environments at bond site + 1 are recomputed; `left`: it moved left past `site` (right-
   * orthonormal), so the right environments at bond `site` are.
   */
  direction: 'right' | 'left';
}

/**
 * Builds the shard of rows `rows` (count x N digits, row-major) with weights `weights`: the
 * right environments of every bond from the right-canonical tensors of `spec`.
 */
export function openShard(
  spec: ShardSpec,
  rows: Int32Array,
  weights: Float64Array,
): EnvironmentShard {
  const { physicalDims } = spec;
  const n = physicalDims.length;
  const count = weights.length;
  const columns = physicalDims.map((_, i) => {
    const column = new Int32Array(count);
    for (let m = 0; m < count; m++) column[m] = rows[m * n + i]!;
    return column;
  });
  const shard: EnvironmentShard = {
    physicalDims,
    dims: [...spec.dims],
    columns,
    weights,
    env: new Array<Float64Array>(n + 1),
  };
  shard.env[0] = new Float64Array(count).fill(1);
  shard.env[n] = new Float64Array(count).fill(1);
  for (let k = n - 1; k >= 1; k--) {
    shard.env[k] = transfer(shard, k, spec.tensors[k]!, 'left');
  }
  return shard;
}

/**
 * The environments one site further: L T (`right`, from bond site) or T R (`left`, from site + 1),
 * written into `reuse` when it has the right length (the array they replace, no longer read).
 */
function transfer(
  shard: EnvironmentShard,
  site: number,
  tensor: Float64Array,
  direction: 'right' | 'left',
  reuse?: Float64Array,
): Float64Array {
  const view = {
    data: tensor,
    leftDim: shard.dims[site]!,
    physicalDim: shard.physicalDims[site]!,
    rightDim: shard.dims[site + 1]!,
  };
  const from = direction === 'right' ? shard.env[site]! : shard.env[site + 1]!;
  const outDim = direction === 'right' ? view.rightDim : view.leftDim;
  const out = reuse?.length === shard.weights.length * outDim ? reuse : undefined;
  return transferSampleEnvironments(view, shard.columns[site]!, from, direction, {
    rescale: true,
    ...(out === undefined ? {} : { out }),
  });
}

/**
 * Follows a split: the new tensor of `move.site` and the environments it changes (written over
 * the ones they replace: the right environments at bond site + 1, or the left ones at bond
 * `site`, are not read again before they are recomputed).
 */
export function applyShardMove(shard: EnvironmentShard, move: ShardMove): void {
  const { site } = move;
  shard.dims[site] = move.leftDim;
  shard.dims[site + 1] = move.rightDim;
  if (move.direction === 'right') {
    shard.env[site + 1] = transfer(shard, site, move.tensor, 'right', shard.env[site + 1]);
  } else {
    shard.env[site] = transfer(shard, site, move.tensor, 'left', shard.env[site]);
  }
}

/**
 * The shard's part of the block gradient: sum over its rows m of (-2 w_m / psi_m) Psi'_m, for the
 * block B ([dims[i], d_i d_i+1, dims[i+2]], indexed by the digit pair s1 d_i+1 + s2) at sites
 * (i, i+1). Returns a new array of B's size.
 */
export function shardBlockGradient(
  shard: EnvironmentShard,
  site: number,
  block: Float64Array,
): Float64Array {
  const l = shard.dims[site]!;
  const d2 = shard.physicalDims[site + 1]!;
  const r = shard.dims[site + 2]!;
  const first = shard.columns[site]!;
  const second = shard.columns[site + 1]!;
  const count = shard.weights.length;
  const pairs = new Int32Array(count);
  for (let m = 0; m < count; m++) pairs[m] = first[m]! * d2 + second[m]!;
  const shape = { leftDim: l, physicalDim: shard.physicalDims[site]! * d2, rightDim: r };
  const left = shard.env[site]!;
  const right = shard.env[site + 2]!;
  const psi = sampleAmplitudes({ data: block, ...shape }, pairs, left, right);
  const coef = new Float64Array(count);
  for (let m = 0; m < count; m++) {
    let p = psi[m]!;
    if (Math.abs(p) < TINY) p = p < 0 ? -TINY : TINY;
    coef[m] = (-2 * shard.weights[m]!) / p;
  }
  const out = new Float64Array(block.length);
  accumulateSampleOuterProducts({ data: out, ...shape }, pairs, left, right, coef);
  return out;
}

/**
 * Shards of a whole batch, wherever they live: `gradient` returns the sum of every shard's
 * {@link shardBlockGradient} in shard order; `move` is applied before the next `gradient`.
 */
export interface EnvironmentShards<G extends Float64Array | Promise<Float64Array>> {
  /** Number of shards. */
  readonly count: number;
  gradient(site: number, block: Float64Array): G;
  move(move: ShardMove): void;
  /** Frees the shards (a pool's workers drop them). */
  close(): void;
}

/** The first row of each shard of a batch of `rows` rows, and `rows` at the end. */
export function shardBounds(rows: number): number[] {
  const bounds: number[] = [];
  for (let start = 0; start < rows; start += SHARD_ROWS) bounds.push(start);
  bounds.push(rows);
  return bounds;
}

/**
 * The shards [bounds[k], bounds[k + 1]) of a run of rows that starts at row bounds[0] (`rows`:
 * its digits, `weights`: its weights).
 */
export function openShards(
  spec: ShardSpec,
  rows: Int32Array,
  weights: Float64Array,
  bounds: readonly number[],
): EnvironmentShard[] {
  const n = spec.physicalDims.length;
  const first = bounds[0]!;
  const shards: EnvironmentShard[] = [];
  for (let k = 0; k + 1 < bounds.length; k++) {
    const start = bounds[k]! - first;
    const end = bounds[k + 1]! - first;
    shards.push(openShard(spec, rows.subarray(start * n, end * n), weights.subarray(start, end)));
  }
  return shards;
}

/** Adds the shards' partial gradients in shard order into a new array. */
export function sumPartials(partials: readonly Float64Array[], size: number): Float64Array {
  const total = new Float64Array(size);
  for (const p of partials) for (let k = 0; k < size; k++) total[k]! += p[k]!;
  return total;
}

/**
 * The key of a SamplerPool's method that opens a batch's shards on its workers (internal: call
 * it through {@link openPoolShards}).
 */
export const OPEN_SHARDS: unique symbol = Symbol.for('@latticediff/tensor-network.openShards');

/** A pool that can hold sweep shards (every SamplerPool of this release). */
export interface ShardPool {
  [OPEN_SHARDS](
    fnName: string,
    spec: ShardSpec,
    rows: Int32Array,
    weights: Float64Array,
  ): Promise<EnvironmentShards<Promise<Float64Array>>>;
}

/** Whether `pool` can hold sweep shards (a SamplerPool of this release or a later one). */
export function canHoldShards(pool: object): boolean {
  return typeof (pool as Partial<ShardPool>)[OPEN_SHARDS] === 'function';
}

/**
 * All shards of a batch (count x N digits) on the workers of `pool`; errors name `fnName`. A
 * pool without this method (of an earlier release, or another implementation of the
 * interface) is refused: check {@link canHoldShards} first.
 */
export function openPoolShards(
  fnName: string,
  pool: object,
  spec: ShardSpec,
  rows: Int32Array,
  weights: Float64Array,
): Promise<EnvironmentShards<Promise<Float64Array>>> {
  const open = (pool as Partial<ShardPool>)[OPEN_SHARDS];
  if (typeof open !== 'function') {
    invalidArgument(
      fnName,
      'pool',
      pool,
      'a SamplerPool of this release of @latticediff/tensor-network (this one cannot hold training shards)',
    );
  }
  return open.call(pool, fnName, spec, rows, weights);
}

/** All shards of a batch (count x N digits) in this thread. */
export function localShards(
  spec: ShardSpec,
  rows: Int32Array,
  weights: Float64Array,
): EnvironmentShards<Float64Array> {
  const shards = openShards(spec, rows, weights, shardBounds(weights.length));
  return {
    count: shards.length,
    gradient: (site, block) =>
      sumPartials(
        shards.map((s) => shardBlockGradient(s, site, block)),
        block.length,
      ),
    move: (move) => {
      for (const s of shards) applyShardMove(s, move);
    },
    close: () => {
      shards.length = 0;
    },
  };
}
