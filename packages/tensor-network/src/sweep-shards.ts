/**
 * Per-sample environments of a weighted batch for two-site likelihood sweeps over a Born MPS
 * (monte-carlo's `trainBornSweeps`), kept in shards of {@link SHARD_ROWS} consecutive rows so
 * that a SamplerPool's workers can hold them and compute a block's gradient in parallel.
 *
 * A shard holds, for its rows, the digits of every site and one environment vector per bond
 * position (the left ones left of the orthogonality centre, the right ones right of it), each
 * rescaled to max |entry| = 1 (the gradient only uses Psi'_m / psi_m, which that scale leaves
 * unchanged) with the factor it was divided by kept. Three operations:
 *
 * - {@link shardBlockGradient}: sum over the shard's rows m of (-2 w_m / psi_m) Psi'_m for the
 *   two-site block B at sites (i, i+1), where psi_m = L_m B[x_i, x_i+1] R_m and
 *   Psi'_m = L_m (x) e_{x_i} (x) e_{x_i+1} (x) R_m;
 * - {@link applyShardMove}: after the block is split, the new tensor of one of its sites extends
 *   the left environments (centre moved right) or the right ones (centre moved left).
 * - {@link shardNll}: with the centre at site 0, the shard's part of the batch's mean NLL, from
 *   the right environments and their factors (no evaluation of the batch).
 *
 * Every row's environments depend on that row alone, and the gradient is the sum of the shards'
 * partial sums in shard order, so the result does not depend on which thread holds which
 * shard: one thread and a pool of any size give the same bits.
 */
import {
  accumulateOuterByDigit,
  groupRows,
  productsByDigit,
  type RowGroups,
  transferRows,
} from './environments';
import { invalidArgument } from './errors';
import { workspace } from './workspace';

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
  /** sites[i]: the shard's rows grouped by their digit at site i (fixed: computed once). */
  sites: RowGroups[];
  /** pairs[i]: the rows grouped by their digit pair s1 d_i+1 + s2 at sites (i, i+1). */
  pairs: RowGroups[];
  weights: Float64Array;
  /** env[k]: the environments at bond position k (left of site k), rows x dims[k]. */
  env: Float64Array[];
  /**
   * scales[k]: each row's factor that env[k] was divided by when it was computed from
   * env[k - 1] or env[k + 1] (its max |entry| before rescaling; the right environments' scales
   * give the amplitudes' magnitudes, see {@link shardNll}).
   */
  scales: Float64Array[];
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
  const sites = columns.map((column, i) => groupRows(column, physicalDims[i]!));
  const pairs: RowGroups[] = [];
  for (let i = 0; i + 1 < n; i++) {
    const d2 = physicalDims[i + 1]!;
    const first = columns[i]!;
    const second = columns[i + 1]!;
    const digits = new Int32Array(count);
    for (let m = 0; m < count; m++) digits[m] = first[m]! * d2 + second[m]!;
    pairs.push(groupRows(digits, physicalDims[i]! * d2));
  }
  const shard: EnvironmentShard = {
    physicalDims,
    dims: [...spec.dims],
    columns,
    sites,
    pairs,
    weights,
    env: new Array<Float64Array>(n + 1),
    scales: Array.from({ length: n + 1 }, () => new Float64Array(count).fill(1)),
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
 * each row rescaled to max |entry| = 1, written into `reuse` when it has the right length (the
 * array they replace, no longer read). The kernel calls of `transferSampleEnvironments` with the
 * rows grouped once per shard (the same bits; the digits were checked when the batch was).
 */
function transfer(
  shard: EnvironmentShard,
  site: number,
  tensor: Float64Array,
  direction: 'right' | 'left',
  reuse?: Float64Array,
): Float64Array {
  const l = shard.dims[site]!;
  const d = shard.physicalDims[site]!;
  const r = shard.dims[site + 1]!;
  const from = direction === 'right' ? shard.env[site]! : shard.env[site + 1]!;
  const outer = direction === 'right' ? r : l;
  const out = reuse?.length === shard.weights.length * outer ? reuse : undefined;
  const position = direction === 'right' ? site + 1 : site;
  return transferRows(
    tensor,
    l,
    d,
    r,
    direction,
    from,
    shard.sites[site]!,
    true,
    out,
    shard.scales[position],
  );
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
  const d = shard.physicalDims[site]! * shard.physicalDims[site + 1]!;
  const r = shard.dims[site + 2]!;
  const count = shard.weights.length;
  const left = shard.env[site]!;
  const right = shard.env[site + 2]!;
  const { rows, offsets } = shard.pairs[site]!;
  let largest = 0;
  for (let s = 0; s < d; s++) largest = Math.max(largest, offsets[s + 1]! - offsets[s]!);
  // one copy of the environments and one grouping of the rows serve the amplitudes and the
  // sum (the kernel calls of sampleAmplitudes and accumulateSampleOuterProducts: the same bits)
  const c1 = Math.max(count, 1);
  const ws = workspace();
  const x = ws.alloc(c1 * l);
  const z = ws.alloc(c1 * r);
  const y = ws.alloc(c1 * r);
  const t = ws.alloc(l * d * r);
  const list = ws.alloc(Math.ceil(c1 / 2)) * 2;
  const dots = ws.alloc(c1);
  const w = ws.alloc(c1);
  const lt = ws.alloc(l * Math.max(largest, 1));
  const rw = ws.alloc(Math.max(largest, 1) * r);
  const g = ws.alloc(l * r);
  let f = ws.f64;
  f.set(left, x);
  f.set(right, z);
  f.set(block, t);
  ws.i32.set(rows, list);
  // psi_m = L_m B[pair_m] R_m
  productsByDigit(ws, offsets, d, list, x, y, t, r, d * r, l, r);
  ws.rowDots(y, z, dots, count, 1, r);
  f = ws.f64;
  const weights = shard.weights;
  for (let m = 0; m < count; m++) {
    let p = f[dots + m]!;
    if (Math.abs(p) < TINY) p = p < 0 ? -TINY : TINY;
    f[w + m] = (-2 * weights[m]!) / p;
  }
  // out[:, pair, :] += sum over the pair's rows of coef_m L_m^T R_m^T
  const out = new Float64Array(block.length);
  accumulateOuterByDigit(ws, offsets, d, list, x, z, w, l, r, lt, rw, g, out);
  return out;
}

/**
 * The shard's part of the mean NLL of a Born MPS whose sites 1..N-1 are the right-orthonormal
 * tensors the shard's right environments were last computed from (after a sweep that ended at
 * site 0, its last move applied; or as opened) and whose site 0 is `first` ([1, d_0, dims[1]]):
 * sum over its rows m of w_m (log Z - 2 log |psi_m|), with Z = ||first||^2 and
 * log |psi_m| = log |first[x_m0] . env[1]_m| + log of the product over k >= 1 of scales[k]_m
 * (the factors the environments were divided by; multiplied in runs that stay inside float64's
 * range, each run's log added). With weights summing to 1 over the batch, the sum over the
 * shards is the mean NLL, without evaluating the batch again (the same value as
 * logProbabilities to rounding; the same bits for any split of the shards over threads).
 */
export function shardNll(shard: EnvironmentShard, first: Float64Array): number {
  const n = shard.physicalDims.length;
  const r = shard.dims[1]!;
  const column = shard.columns[0]!;
  const right = shard.env[1]!;
  const { weights, scales } = shard;
  let z = 0;
  for (let k = 0; k < first.length; k++) z += first[k]! * first[k]!;
  const logZ = Math.log(z);
  let total = 0;
  for (let m = 0; m < weights.length; m++) {
    const t = column[m]! * r;
    const e = m * r;
    let psi = 0;
    for (let a = 0; a < r; a++) psi += first[t + a]! * right[e + a]!;
    // the factors multiplied while the product stays well inside float64's range, one log per
    // run of them (a factor not strictly between 1e-100 and 1e100, 0 included, gets its own log)
    let logPsi = Math.log(Math.abs(psi));
    let product = 1;
    for (let k = 1; k < n; k++) {
      const factor = scales[k]![m]!;
      if (factor > 1e-100 && factor < 1e100) {
        product *= factor;
        if (!(product > 1e-200 && product < 1e200)) {
          logPsi += Math.log(product);
          product = 1;
        }
      } else {
        logPsi += Math.log(factor);
      }
    }
    logPsi += Math.log(product);
    total += weights[m]! * (logZ - 2 * logPsi);
  }
  return total;
}

/**
 * Shards of a whole batch, wherever they live: `gradient` returns the sum of every shard's
 * {@link shardBlockGradient} in shard order; `move` is applied before the next `gradient`.
 */
export interface EnvironmentShards<G extends Float64Array | Promise<Float64Array>> {
  /** Number of shards. */
  readonly count: number;
  gradient(site: number, block: Float64Array): G;
  /**
   * The batch's mean NLL under the MPS whose site 0 is `first` and whose other sites the moves
   * so far left in the shards (see {@link shardNll}): the sum of the shards' parts in shard
   * order, in a Float64Array of length 1 (the moves are applied first, as for `gradient`).
   */
  nll(first: Float64Array): G;
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
    nll: (first) =>
      sumPartials(
        shards.map((s) => Float64Array.of(shardNll(s, first))),
        1,
      ),
    move: (move) => {
      for (const s of shards) applyShardMove(s, move);
    },
    close: () => {
      shards.length = 0;
    },
  };
}
