/**
 * Two-site sweep ("DMRG-style") maximum-likelihood training of a Born MPS with an adaptive bond
 * dimension (Han, Wang, Fan, Wang, Zhang, "Unsupervised generative modeling using matrix product
 * states", PRX 8, 031012, 2018).
 *
 * The MPS is kept in mixed canonical form with the orthogonality centre on the two-site block
 * B = A_i A_{i+1} (shape [chi_i, d_i, d_{i+1}, chi_{i+2}]), so Z = ||B||^2. With the other sites
 * fixed, psi(x_m) = L_m^T B[x_i, x_{i+1}] R_m, where L_m (R_m) is the sample's left (right)
 * environment vector, and the mean negative log-likelihood and its gradient are
 *
 *   NLL(B)  = -(1/M) sum_m ln psi(x_m)^2 + ln ||B||^2 (+ a constant from the environment scales),
 *   dNLL/dB = -(2/M) sum_m Psi'_m / psi(x_m) + 2 B / ||B||^2,
 *
 * Psi'_m = L_m (x) e_{x_i} (x) e_{x_{i+1}} (x) R_m. One block update takes `stepsPerBlock` steps
 * B <- B - learningRate * ||B|| * g / ||g|| (the gradient normalised per block, as in Han et al.,
 * so the step is a fixed fraction of the block's norm whatever the data size), renormalises B,
 * then splits it by an SVD truncated to { maxBondDim, cutoff } (cutoff = ITensor's relative
 * discarded weight, as in tensor-network's CONVENTIONS.md) and moves the centre on: to the right
 * (U left-orthonormal at site i, S V^T at site i+1) during a left-to-right pass and to the left
 * (U S at site i, V^T right-orthonormal at site i+1) during the way back. Bond dimensions grow
 * (by at most a factor d per pass) wherever the data ask for it and shrink where the spectrum
 * allows. One sweep = a left-to-right pass over the blocks (0,1) .. (N-2,N-1) then a
 * right-to-left pass back to (0,1); every block update costs O(M chi^2 d^2) (in fact O(M chi^2):
 * each sample touches one physical slice) plus an SVD of a (chi d) x (d chi) matrix.
 *
 * Per-sample environments are cached, one vector per bond position, in float64: the left
 * environments left of the centre and the right ones right of it. Every per-sample contraction
 * (environment transfers, amplitudes, the gradient's outer products) runs on tensor-network's
 * float64 kernels (tensor-network's sweep shards), samples grouped by digit. Each cached vector is
 * rescaled to max |entry| = 1: the gradient uses only Psi'_m / psi(x_m), which is invariant under
 * that scale, so nothing under- or overflows whatever N is; the factors are kept for the NLL.
 * Repeated configurations are merged (with multiplicities) before training.
 *
 * Defaults: learningRate 0.05 (Han et al.'s normalised step; a function of the sweep
 * number is accepted too), stepsPerBlock 1, cutoff 1e-4. The cutoff must stay well below
 * learningRate^2: a new bond direction created by one step carries a relative weight of about
 * learningRate^2, and a larger cutoff discards it, so the bond dimension never grows. With a
 * larger cutoff (or decaying steps) the bond dimension stays smaller, which also regularises.
 * Sweep training fits the training set fast and then overfits once the bond dimension allows it
 * (the training NLL drops below the entropy of the data's source); pass `validation` data to
 * stop early and return the best sweep. The reported NLL of the training data (`initialNll` and
 * each sweep's) comes from the cached environments and their rescaling factors, equal to
 * `logProbabilities` of the MPS at that point to about 1e-15 relative; the validation NLL is
 * evaluated with `logProbabilities` (on the pool's workers with a pool).
 */

import {
  type ConfigurationBatch,
  canonicalize,
  logProbabilities,
  MPS,
  NumericalError,
  type SamplerPool,
  type SeedOrGenerator,
  svd,
  toRandom,
  truncationRank,
} from '@latticediff/tensor-network';
import {
  assertFinite,
  assertInteger,
  assertKnownOptions,
  assertMPS,
  canHoldShards,
  frobenius,
  invalidArgument,
  localShards,
  openPoolShards,
  optionKeys,
  product,
  type ShardMove,
  type ShardSpec,
} from '@latticediff/tensor-network/internal';
import { assertSamplerPool } from './sampler-pool-check';

/**
 * Training data: `count` configurations of N digits, row-major (tensor-network's batch type).
 * @deprecated Use `ConfigurationBatch<Int32Array | Uint8Array>` from tensor-network; this alias
 * goes in the next minor release.
 */
export type SweepTrainingData = ConfigurationBatch<Int32Array | Uint8Array>;

/** Progress report after each sweep. */
export interface SweepInfo {
  /** Sweep number, from 1. */
  sweep: number;
  /** Mean negative log-likelihood (nats) of the training data under the MPS after this sweep. */
  nll: number;
  /** Bond dimensions after this sweep (N - 1 entries). */
  bondDims: number[];
  /** Mean NLL of the validation data after this sweep (when `validation` is given). */
  validationNll?: number;
  /** Largest bond dimension after this sweep. */
  maxBondDim: number;
  /** Seconds since the start of training (time spent in `onSweep` excluded). */
  seconds: number;
  /** The MPS after this sweep (right-canonical, unit norm). */
  mps: MPS;
}

/** Options of {@link trainBornSweeps}. */
export interface SweepTrainingOptions {
  /** Number of sweeps (left-to-right and back), >= 0. */
  sweeps: number;
  /** Largest bond dimension kept by the SVD splits (a positive integer). */
  maxBondDim: number;
  /**
   * Step size of the normalised gradient step on the block, relative to ||B|| (default 0.05),
   * or a function of the sweep number (from 1) returning the step size.
   */
  learningRate?: number | ((sweep: number) => number);
  /**
   * Relative discarded weight per split, ITensor's convention (default 1e-4): the smallest
   * singular values are dropped while sum(dropped s^2) / sum(s^2) <= cutoff. Keep it well below
   * learningRate^2 (see the module comment), e.g. 1e-8 with a decaying learning rate.
   */
  cutoff?: number;
  /** Gradient steps per block before it is split (default 1). */
  stepsPerBlock?: number;
  /**
   * Held-out configurations for early stopping. When given, the validation NLL is computed after
   * every sweep, the MPS with the lowest validation NLL is returned, and training stops after
   * `patience` sweeps without improvement. Sweep training fits the training set quickly and then
   * overfits when the bond dimension allows it, so this is recommended.
   */
  validation?: SweepTrainingData;
  /** Sweeps without a validation improvement before stopping (default 3; needs `validation`). */
  patience?: number;
  /** Called after every sweep. */
  onSweep?: (info: SweepInfo) => void;
  /**
   * Worker pool for the per-sample work (environments, amplitudes, block gradients, NLLs): the
   * distinct configurations are split into shards of 1,024 rows held by the workers. The call
   * then returns a Promise of the same result, bit for bit, whatever the pool's size.
   */
  pool?: SamplerPool;
}

/** Result of {@link trainBornSweeps}. */
export interface SweepTrainingResult {
  /** The trained Born MPS, right-canonical with unit norm (orthogonality centre at site 0). */
  mps: MPS;
  /** Mean NLL of the data under the initial MPS (its right-canonical form: the same to rounding). */
  initialNll: number;
  /** One entry per sweep run. */
  history: {
    sweep: number;
    nll: number;
    validationNll?: number;
    maxBondDim: number;
    seconds: number;
  }[];
  /**
   * The sweep whose MPS is returned: the last one, or with `validation` the one with the lowest
   * validation NLL (0: the initial MPS, canonicalised).
   */
  bestSweep: number;
}

const DEFAULT_LEARNING_RATE = 0.05;
const DEFAULT_CUTOFF = 1e-4;
const DEFAULT_STEPS_PER_BLOCK = 1;
const DEFAULT_PATIENCE = 3;

function meanNll(mps: MPS, data: SweepTrainingData): number {
  return meanOf(logProbabilities(mps, data));
}

/** Minus the mean of log-probabilities. */
function meanOf(lp: Float64Array): number {
  let total = 0;
  for (let b = 0; b < lp.length; b++) total -= lp[b]!;
  return total / lp.length;
}

function validateData(
  fn: string,
  data: unknown,
  physicalDims: readonly number[],
  name = 'data',
): SweepTrainingData {
  if (typeof data !== 'object' || data === null || !('data' in data) || !('count' in data)) {
    invalidArgument(fn, name, data, 'a batch { data, count } of configurations');
  }
  const batch = data as SweepTrainingData;
  const n = physicalDims.length;
  assertInteger(fn, `${name}.count`, batch.count, 1);
  if (!(batch.data instanceof Int32Array || batch.data instanceof Uint8Array)) {
    invalidArgument(fn, `${name}.data`, batch.data, 'an Int32Array or Uint8Array of digits');
  }
  if (batch.data.length !== batch.count * n) {
    invalidArgument(
      fn,
      `${name}.data`,
      batch.data.length,
      `an array of count * length = ${batch.count * n} digits (${n} sites)`,
    );
  }
  for (let b = 0; b < batch.count; b++) {
    for (let i = 0; i < n; i++) {
      const v = batch.data[b * n + i]!;
      if (v < 0 || v >= physicalDims[i]!) {
        invalidArgument(
          fn,
          `${name}.data`,
          v,
          `digits in [0, ${physicalDims[i]! - 1}] (configuration ${b}, site ${i})`,
        );
      }
    }
  }
  return batch;
}

/**
 * Distinct configurations and their relative frequencies, in order of first appearance: an
 * open-addressing table of row hashes, rows compared digit by digit on a hash match (a key
 * made by joining the digits read [1, 11] and [11, 1] alike once d > 10).
 */
function deduplicate(
  batch: SweepTrainingData,
  n: number,
): { configs: Int32Array; weights: Float64Array } {
  const data = batch.data;
  const count = batch.count;
  let size = 16;
  while (size < 2 * count) size *= 2;
  const mask = size - 1;
  /** slot -> 1 + index of the distinct row there (0: empty) */
  const slots = new Int32Array(size);
  /** first row of each distinct configuration, and how often it appears */
  const firstRow = new Int32Array(count);
  const counts = new Int32Array(count);
  let distinct = 0;
  for (let b = 0; b < count; b++) {
    const start = b * n;
    let h = 0x811c9dc5;
    for (let i = 0; i < n; i++) h = Math.imul(h ^ data[start + i]!, 0x01000193);
    h ^= h >>> 15;
    let slot = h & mask;
    for (;;) {
      const k = slots[slot]! - 1;
      if (k < 0) {
        slots[slot] = distinct + 1;
        firstRow[distinct] = b;
        counts[distinct] = 1;
        distinct++;
        break;
      }
      const other = firstRow[k]! * n;
      let same = true;
      for (let i = 0; i < n; i++) {
        if (data[other + i] !== data[start + i]) {
          same = false;
          break;
        }
      }
      if (same) {
        counts[k]!++;
        break;
      }
      slot = (slot + 1) & mask;
    }
  }
  const configs = new Int32Array(distinct * n);
  const weights = new Float64Array(distinct);
  for (let k = 0; k < distinct; k++) {
    const b = firstRow[k]!;
    for (let i = 0; i < n; i++) configs[k * n + i] = data[b * n + i]!;
    weights[k] = counts[k]! / count;
  }
  return { configs, weights };
}

/**
 * What the sweep loop needs from its driver: a block's gradient sum, the training batch's mean
 * NLL from the shards (`batchNll`: the MPS whose site 0 is `first` and whose other sites the
 * shards hold, see shardNll), or another batch's mean NLL.
 */
type SweepRequest =
  | { kind: 'gradient'; site: number; block: Float64Array; moves: ShardMove[] }
  | { kind: 'batchNll'; first: Float64Array; moves: ShardMove[] }
  | { kind: 'nll'; mps: MPS; data: SweepTrainingData };

/**
 * Trains a Born MPS on samples by two-site sweeps (see the module comment). The input MPS is
 * the starting point (any bond dimensions; it is canonicalised first, and bonds above
 * `maxBondDim` are truncated at their first split). Deterministic: no randomness is used.
 * With `pool`, the per-sample work (environments, amplitudes, gradients, NLLs) runs on its
 * workers and the call returns a Promise of the same result, bit for bit.
 */
export function trainBornSweeps(
  mps: MPS,
  data: SweepTrainingData,
  options: SweepTrainingOptions & { pool: SamplerPool },
): Promise<SweepTrainingResult>;
export function trainBornSweeps(
  mps: MPS,
  data: SweepTrainingData,
  options: SweepTrainingOptions & { pool?: undefined },
): SweepTrainingResult;
export function trainBornSweeps(
  mps: MPS,
  data: SweepTrainingData,
  options: SweepTrainingOptions,
): SweepTrainingResult | Promise<SweepTrainingResult>;
export function trainBornSweeps(
  mps: MPS,
  data: SweepTrainingData,
  options: SweepTrainingOptions,
): SweepTrainingResult | Promise<SweepTrainingResult> {
  const fn = 'trainBornSweeps';
  const prepared = prepare(fn, mps, data, options);
  const { pool } = options;
  if (pool === undefined) {
    const shards = localShards(prepared.spec, prepared.configs, prepared.weights);
    try {
      const loop = sweepLoop(fn, prepared, options);
      let step = loop.next();
      while (!step.done) {
        const need = step.value;
        if (need.kind !== 'nll') for (const move of need.moves) shards.move(move);
        step = loop.next(
          need.kind === 'gradient'
            ? shards.gradient(need.site, need.block)
            : need.kind === 'batchNll'
              ? shards.nll(need.first)[0]!
              : meanNll(need.mps, need.data),
        );
      }
      return step.value;
    } finally {
      shards.close();
    }
  }
  return (async () => {
    // a pool of an earlier release (or another implementation of the interface) cannot hold
    // shards: they stay on this thread, which gives the same result
    const shards = canHoldShards(pool)
      ? await openPoolShards(fn, pool, prepared.spec, prepared.configs, prepared.weights)
      : localShards(prepared.spec, prepared.configs, prepared.weights);
    const evaluates = typeof pool.logProbabilities === 'function';
    try {
      const loop = sweepLoop(fn, prepared, options);
      let step = loop.next();
      while (!step.done) {
        const need = step.value;
        if (need.kind !== 'nll') for (const move of need.moves) shards.move(move);
        step = loop.next(
          need.kind === 'gradient'
            ? await shards.gradient(need.site, need.block)
            : need.kind === 'batchNll'
              ? (await shards.nll(need.first))[0]!
              : evaluates
                ? meanOf(await pool.logProbabilities(need.mps, need.data))
                : meanNll(need.mps, need.data),
        );
      }
      return step.value;
    } finally {
      shards.close();
    }
  })();
}

interface PreparedSweeps {
  n: number;
  physicalDims: number[];
  validation: SweepTrainingData | undefined;
  /** The right-canonical form of the MPS given (the shards start from it). */
  canonical: MPS;
  /** The distinct configurations (rows of N digits) and their relative frequencies. */
  configs: Int32Array;
  weights: Float64Array;
  spec: ShardSpec;
  rate: number | ((sweep: number) => number);
  cutoff: number;
  stepsPerBlock: number;
  patience: number;
  start: number;
}

/** Checks the arguments and sets up what the loop starts from. */
function prepare(
  fn: string,
  mps: MPS,
  data: SweepTrainingData,
  options: SweepTrainingOptions,
): PreparedSweeps {
  // an MPS of another installed copy of tensor-network is accepted (brand and structure are
  // checked): it is only read through its public fields, and canonicalize copies it
  assertMPS(fn, mps);
  if (mps.kind !== 'born') {
    invalidArgument(
      fn,
      'mps.kind',
      mps.kind,
      '"born": sweep training splits blocks by SVD, which needs amplitudes of any sign',
    );
  }
  const n = mps.length;
  if (n < 2) invalidArgument(fn, 'mps.length', n, 'at least 2 sites (two-site blocks)');
  if (typeof options !== 'object' || options === null) {
    invalidArgument(fn, 'options', options, 'an options object { sweeps, maxBondDim, ... }');
  }
  assertKnownOptions(
    fn,
    options,
    optionKeys<SweepTrainingOptions>()([
      'sweeps',
      'maxBondDim',
      'learningRate',
      'cutoff',
      'stepsPerBlock',
      'validation',
      'patience',
      'onSweep',
      'pool',
    ]),
  );
  const physicalDims = [...mps.physicalDims];
  const batch = validateData(fn, data, physicalDims);
  const { sweeps, maxBondDim, onSweep, pool } = options;
  const rate = options.learningRate ?? DEFAULT_LEARNING_RATE;
  const cutoff = options.cutoff ?? DEFAULT_CUTOFF;
  const stepsPerBlock = options.stepsPerBlock ?? DEFAULT_STEPS_PER_BLOCK;
  assertInteger(fn, 'sweeps', sweeps, 0);
  assertInteger(fn, 'maxBondDim', maxBondDim, 1);
  if (typeof rate !== 'function') assertFinite(fn, 'learningRate', rate, Number.MIN_VALUE);
  assertFinite(fn, 'cutoff', cutoff, 0, 1);
  assertInteger(fn, 'stepsPerBlock', stepsPerBlock, 1);
  if (onSweep !== undefined && typeof onSweep !== 'function') {
    invalidArgument(fn, 'onSweep', onSweep, 'a function');
  }
  assertSamplerPool(fn, pool);
  const validation =
    options.validation === undefined
      ? undefined
      : validateData(fn, options.validation, physicalDims, 'validation');
  const patience = options.patience ?? DEFAULT_PATIENCE;
  assertInteger(fn, 'patience', patience, 1);
  // (it was accepted and did nothing)
  if (options.patience !== undefined && validation === undefined) {
    invalidArgument(
      fn,
      'patience',
      patience,
      'absent unless validation is given (patience is the early stopping on held-out data)',
    );
  }
  const start = performance.now();
  const { configs, weights } = deduplicate(batch, n);
  // Working chain, right-canonical: sites 1..N-1 right-orthonormal, centre at site 0.
  const canonical = canonicalize(mps, { center: 0 }).mps;
  const dims: number[] = [];
  for (let i = 0; i < n; i++) dims.push(canonical.leftDim(i));
  dims.push(1);
  return {
    n,
    physicalDims,
    validation,
    canonical,
    configs,
    weights,
    spec: { physicalDims, dims, tensors: canonical.tensors },
    rate,
    cutoff,
    stepsPerBlock,
    patience,
    start,
  };
}

/**
 * The sweeps themselves, one code path for every driver: yields what it needs computed over
 * the per-sample shards (a block's gradient sum, or a mean NLL) and is resumed with the answer.
 * A gradient request carries the splits made since the previous one, which the shards apply
 * first.
 */
function* sweepLoop(
  fn: string,
  prepared: PreparedSweeps,
  options: SweepTrainingOptions,
): Generator<SweepRequest, SweepTrainingResult, Float64Array | number> {
  const { n, physicalDims, validation, canonical, rate, cutoff, stepsPerBlock, patience } =
    prepared;
  const { sweeps, maxBondDim, onSweep } = options;
  let start = prepared.start;
  let learningRate = typeof rate === 'function' ? 0 : rate;
  // the canonical form's NLL (the initial MPS's to rounding), from the shards as opened
  const initialNll = (yield {
    kind: 'batchNll',
    first: canonical.tensors[0]!,
    moves: [],
  }) as number;
  const tensors = canonical.tensors.map((t) => new Float64Array(t));
  const dims = [...prepared.spec.dims];
  let moves: ShardMove[] = [];

  /** Gradient steps on the normalised block b ([l, d1, d2, r]); returns the updated block. */
  function* optimiseBlock(
    i: number,
    block: Float64Array,
  ): Generator<SweepRequest, Float64Array, Float64Array | number> {
    let b = block;
    const grad = new Float64Array(b.length);
    for (let step = 0; step < stepsPerBlock; step++) {
      const nb = frobenius(b);
      const invZ = 1 / (nb * nb);
      // grad = 2 B / Z - 2 sum_m w_m Psi'_m / psi_m (the second term summed over the shards)
      const sum = (yield { kind: 'gradient', site: i, block: b, moves }) as Float64Array;
      moves = [];
      for (let k = 0; k < b.length; k++) grad[k] = 2 * b[k]! * invZ + sum[k]!;
      const ng = frobenius(grad);
      if (!(ng > 0) || !Number.isFinite(ng)) break;
      const next = new Float64Array(b.length);
      const f = (learningRate * nb) / ng;
      for (let k = 0; k < b.length; k++) next[k] = b[k]! - f * grad[k]!;
      const nn = frobenius(next);
      if (!(nn > 0 && Number.isFinite(nn))) {
        // (a learning rate of 1e308 gave a block of NaN, which the split then refused as a bad
        // argument of svd)
        throw new NumericalError(
          `\`${fn}\`: the gradient step on sites ${i} and ${i + 1} gave a block of norm ${nn}: the learning rate ${learningRate} is too large for float64`,
        );
      }
      for (let k = 0; k < next.length; k++) next[k]! /= nn;
      b = next;
    }
    return b;
  }

  /** Optimises block (i, i+1), splits it and moves the centre to site i+1 (right) or i (left). */
  function* updateBlock(
    i: number,
    toRight: boolean,
  ): Generator<SweepRequest, void, Float64Array | number> {
    const l = dims[i]!;
    const d1 = physicalDims[i]!;
    const d2 = physicalDims[i + 1]!;
    const mid = dims[i + 1]!;
    const r = dims[i + 2]!;
    const rows = l * d1;
    const cols = d2 * r;
    // the module's product kernel (the same bits as matmul's loop for finite entries)
    let block = product(tensors[i]!, tensors[i + 1]!, rows, mid, cols);
    const nb = frobenius(block);
    if (!(nb > 0)) invalidArgument(fn, 'mps', 'psi = 0', 'a Born MPS with non-zero amplitudes');
    for (let k = 0; k < block.length; k++) block[k]! /= nb;
    block = yield* optimiseBlock(i, block);
    const { u: uu, s, vt } = svd(block, rows, cols);
    const full = s.length;
    const { keep } = truncationRank(s, { maxBondDim, cutoff });
    let ss = 0;
    for (let k = 0; k < keep; k++) ss += s[k]! * s[k]!;
    const inv = 1 / Math.sqrt(ss);
    const left = new Float64Array(rows * keep);
    const right = new Float64Array(keep * cols);
    for (let a = 0; a < rows; a++) {
      for (let k = 0; k < keep; k++) {
        left[a * keep + k] = uu[a * full + k]! * (toRight ? 1 : s[k]! * inv);
      }
    }
    for (let k = 0; k < keep; k++) {
      const f = toRight ? s[k]! * inv : 1;
      for (let c = 0; c < cols; c++) right[k * cols + c] = f * vt[k * cols + c]!;
    }
    tensors[i] = left;
    tensors[i + 1] = right;
    dims[i + 1] = keep;
    // the shards extend the left environments by site i (centre now at i + 1) or the right
    // ones by site i + 1 (centre now at i)
    moves.push(
      toRight
        ? { site: i, tensor: left, leftDim: l, rightDim: keep, direction: 'right' }
        : { site: i + 1, tensor: right, leftDim: keep, rightDim: r, direction: 'left' },
    );
  }

  const snapshot = (): MPS => MPS.unsafeCreate('born', [...physicalDims], tensors.slice());
  const history: SweepTrainingResult['history'] = [];
  let current = canonical;
  let best = canonical;
  let bestSweep = 0;
  let bestValidation =
    validation === undefined
      ? Number.POSITIVE_INFINITY
      : ((yield { kind: 'nll', mps: canonical, data: validation }) as number);
  for (let sweep = 1; sweep <= sweeps; sweep++) {
    if (typeof rate === 'function') {
      learningRate = rate(sweep);
      assertFinite(fn, `learningRate(${sweep})`, learningRate, Number.MIN_VALUE);
    }
    for (let i = 0; i <= n - 2; i++) yield* updateBlock(i, true);
    for (let i = n - 2; i >= 0; i--) yield* updateBlock(i, false);
    current = snapshot();
    // (the last split's move is applied first: the shards then hold sites 1..N-1 of current)
    const nll = (yield { kind: 'batchNll', first: tensors[0]!, moves }) as number;
    moves = [];
    const validationNll =
      validation === undefined
        ? undefined
        : ((yield { kind: 'nll', mps: current, data: validation }) as number);
    const seconds = (performance.now() - start) / 1000;
    history.push({
      sweep,
      nll,
      ...(validationNll === undefined ? {} : { validationNll }),
      maxBondDim: current.maxBondDim,
      seconds,
    });
    if (validationNll === undefined || validationNll < bestValidation) {
      best = current;
      bestSweep = sweep;
      if (validationNll !== undefined) bestValidation = validationNll;
    }
    if (onSweep !== undefined) {
      const before = performance.now();
      onSweep({
        sweep,
        nll,
        ...(validationNll === undefined ? {} : { validationNll }),
        bondDims: [...current.bondDims],
        maxBondDim: current.maxBondDim,
        seconds,
        mps: current,
      });
      start += performance.now() - before;
    }
    if (sweep - bestSweep >= patience && validation !== undefined) break;
  }
  return { mps: best, initialNll, history, bestSweep };
}

/** Options of {@link initialBornMPS}. */
export interface InitialBornMPSOptions {
  /** Number of sites N (>= 1). */
  length: number;
  /** Local dimension d (default 2). */
  physicalDim?: number;
  /** Bond dimension (default 2; capped at d^distance near the edges). */
  bondDim?: number;
  /** Standard deviation of the Gaussian noise added to every entry (default 0.01). */
  noise?: number;
  /** Seed or generator of the noise. */
  seed: SeedOrGenerator;
}

/** The sizes initialBornMPS builds at most: the tensor-network factories' limits. */
const INITIAL_MAX_SITES = 2 ** 22;
const INITIAL_MAX_ENTRIES = 2 ** 28;

/**
 * A starting point for {@link trainBornSweeps}: the uniform product state (amplitude 1 in bond
 * channel 0 of every site) padded to `bondDim` with small seeded Gaussian noise on every entry,
 * which breaks the symmetry between bond indices.
 */
export function initialBornMPS(options: InitialBornMPSOptions): MPS {
  const fn = 'initialBornMPS';
  if (typeof options !== 'object' || options === null) {
    invalidArgument(fn, 'options', options, 'an options object { length, seed, ... }');
  }
  assertKnownOptions(
    fn,
    options,
    optionKeys<InitialBornMPSOptions>()(['length', 'physicalDim', 'bondDim', 'noise', 'seed']),
  );
  const { length } = options;
  const d = options.physicalDim ?? 2;
  const bondDim = options.bondDim ?? 2;
  const noise = options.noise ?? 0.01;
  // (2^31 sites ended the process with "invalid size")
  assertInteger(fn, 'length', length, 1, INITIAL_MAX_SITES);
  assertInteger(fn, 'physicalDim', d, 2);
  assertInteger(fn, 'bondDim', bondDim, 1);
  assertFinite(fn, 'noise', noise, 0);
  const rng = toRandom(fn, options.seed);
  const gaussian = (): number => {
    const a = 1 - rng.float64();
    const b = rng.float64();
    return Math.sqrt(-2 * Math.log(a)) * Math.cos(2 * Math.PI * b);
  };
  const dims = [1];
  for (let i = 1; i < length; i++) {
    const cap = Math.min(bondDim, d ** Math.min(i, 30), d ** Math.min(length - i, 30));
    dims.push(cap);
  }
  dims.push(1);
  let entries = 0;
  for (let i = 0; i < length; i++) entries += dims[i]! * d * dims[i + 1]!;
  if (entries > INITIAL_MAX_ENTRIES) {
    invalidArgument(
      fn,
      'bondDim',
      bondDim,
      `small enough that the ${length} site tensors have at most ${INITIAL_MAX_ENTRIES} entries together (these sizes give ${entries})`,
    );
  }
  const tensors: Float64Array[] = [];
  for (let i = 0; i < length; i++) {
    const l = dims[i]!;
    const r = dims[i + 1]!;
    const t = new Float64Array(l * d * r);
    for (let a = 0; a < l; a++) {
      for (let s = 0; s < d; s++) {
        for (let c = 0; c < r; c++) {
          t[(a * d + s) * r + c] = (a === 0 && c === 0 ? 1 : 0) + noise * gaussian();
        }
      }
    }
    tensors.push(t);
  }
  return MPS.unsafeCreate('born', new Array<number>(length).fill(d), tensors);
}
