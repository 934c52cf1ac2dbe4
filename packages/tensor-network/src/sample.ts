/**
 * Exact autoregressive sampling in float64, batched: right environments once, then one left to
 * right sweep over all samples together. Each left vector is kept normalised against the right
 * environment of the next site (l . r = 1 for linear, l R l^T = 1 for Born), which keeps it in
 * range without extra bookkeeping. Unconditional sampling and its evaluation run one fused
 * WebAssembly kernel per site (weights, digit, log q and the next left vectors of every row, with
 * the uniforms drawn in the same module); the log-probability of each draw is the log of the
 * product of the conditional probabilities actually used (kept as a running product that moves
 * into the log before it leaves the normal range), so it equals the float64 evaluation of the
 * same configuration to rounding.
 *
 * A Born MPS is sampled from its right-canonical form (computed once per MPS object), whose right
 * environments are the identity: the weight of digit s is ||l A_s||^2, with no per-sample
 * product by an environment. Sites of d = 2 are further rotated into the diagonal gauge (see
 * {@link diagonalGauge}), where A_0 A_0^T is diagonal, so that both weights are
 * sum_a l_a^2 p[a, s] with p the squared norms of the rows of A_s: O(chi) per row, and a draw forms
 * only the product of the digit it draws, as a linear draw does (the same cost; the issue note
 * has the figures). A weight so found has an error of the gauge's rounding times ||l||^2, so it
 * stands only above 2^-20 of the row's total (it then keeps about 2^20 eps relative accuracy, so
 * q equals P to about 1e-10 per site); a smaller weight is computed as ||l A_s||^2 where it is
 * read or could be drawn (a uniform in its tail; elsewhere the other digit is drawn, whose
 * conditional keeps the diagonal weights; see the module's $bornRow). Sites of other
 * d compute every digit's product. The process therefore samples q, the product of its own
 * per-site normalised conditionals, which equals P to that accuracy;
 * `sampleLogProbabilities` evaluates that q on any configuration with the same operations, so
 * Metropolis-Hastings with these draws is exact to the last bit.
 */
import { canonicalizeAs } from './canonical';
import { type ConfigurationsInput, readConfigurations } from './configurations';
import {
  assertInteger,
  assertKnownOptions,
  invalidArgument,
  NumericalError,
  optionKeys,
  withinWorkspace,
} from './errors';
import { rightEnvironments } from './evaluate';
import { product, symmetricEigen, transpose } from './linalg';
import { assertBatchSize, assertMPS, MPS } from './mps';
import {
  createRandom,
  type RandomGenerator,
  type SeedOrGenerator,
  toRandom,
  xoshiroStateWords,
} from './random';
import { rangeExponent, rangeForm, timesPowerOfTwo } from './range';
import { type Workspace, workspace } from './workspace';

/** Samples with their exact log-probabilities. Usable directly as a configuration batch. */
export interface SampleResult {
  /** Digits, row-major: sample b, site i at `b * length + i`. */
  data: Int32Array;
  /** Number of samples. */
  count: number;
  /** Number of sites N. */
  length: number;
  /**
   * log P(x) of each sample under the distribution it was drawn from (normalised): for
   * {@link sample} the MPS distribution, for {@link sampleConditional} the conditional
   * distribution given the weights.
   */
  logProbabilities: Float64Array;
}

/** Result of {@link sampleConditional}: samples plus the log of each conditional normaliser. */
export interface ConditionalSampleResult extends SampleResult {
  /**
   * log sum_x P(x) prod_i w_i(x_i) for each sample's weights, with P normalised. For noise
   * weights w_i(x) = k(y_i | x) this is the log marginal likelihood log P_t(y).
   */
  logWeightNormalizations: Float64Array;
}

/** Options of {@link sample}. */
export interface SampleOptions {
  /** Number of samples (>= 0). */
  count: number;
  /** Seed or generator. */
  seed: SeedOrGenerator;
}

/**
 * Exact batched samples of P(x), with log P(x) of each (for a Born MPS, the log q of the
 * process that draws it, equal to log P to about 1e-10 per site, see the module comment;
 * {@link sampleLogProbabilities} evaluates
 * it on other configurations). Cost O(count N d chi^2), plus O(N d chi^3) once per MPS object.
 */
export function sample(mps: MPS, options: SampleOptions): SampleResult {
  const fn = 'sample';
  assertMPS(fn, mps);
  if (typeof options !== 'object' || options === null)
    invalidArgument(fn, 'options', options, 'an options object { count, seed }');
  assertKnownOptions(fn, options, optionKeys<SampleOptions>()(['count', 'seed']));
  assertInteger(fn, 'count', options.count, 0);
  assertBatchSize(fn, options.count, mps.length);
  const root = streamRoot(fn, options.seed);
  return withinWorkspace(fn, 'count', options.count, () =>
    sampleRows(mps, root, options.count, 0, options.count),
  );
}

/**
 * Samples rows firstRow .. firstRow + count - 1 of a batch of `total` rows drawn from `root`
 * (chunk c of the batch from stream c of `root`, see {@link CHUNK_SIZE}): the rows that a call
 * drawing the whole batch returns there. Internal: the worker pool calls it with disjoint row
 * ranges, which is why results do not depend on the worker count.
 */
export function sampleRows(
  mps: MPS,
  root: RandomGenerator,
  total: number,
  firstRow: number,
  count: number,
): SampleResult {
  const uniforms = ChunkedUniforms.rows(root, total, firstRow, count);
  const ws = workspace();
  return sweepFused(ws, mps, count, { kind: 'draw', uniforms });
}

/**
 * Samples the chunks of several calls in one pass: chunk c (rows c * chunkRows ..; every chunk
 * full but the last) takes its uniforms from `streams[c]`, so its rows are those that the call
 * owning that stream draws (each row's draw depends on its own uniforms alone). Internal: a
 * thread of disconnected chains draws the chunks of several steps at once; {@link sampleSteps}
 * and {@link sampleEachStream} draw with smaller chunks.
 */
export function sampleStreamChunks(
  mps: MPS,
  count: number,
  streams: RandomGenerator[],
  chunkRows = CHUNK_SIZE,
): SampleResult {
  const uniforms = ChunkedUniforms.whole(streams, count, chunkRows);
  const ws = workspace();
  return sweepFused(ws, mps, count, { kind: 'draw', uniforms });
}

/**
 * One draw per generator, in one pass: row b is, bit for bit, what
 * `sample(mps, { count: 1, seed: generators[b] })` returns, and every generator is advanced as
 * that call advances it. Internal: chains that start from a draw of their own stream each (a
 * call per chain cost 0.09 ms at N = 64, bond 16, and 0.38 ms at bond 32, mostly the per-call
 * copy of the tensors into the module).
 */
export function sampleEachStream(mps: MPS, generators: readonly RandomGenerator[]): SampleResult {
  const fn = 'sample';
  assertMPS(fn, mps);
  assertBatchSize(fn, generators.length, mps.length);
  // (a one-row call draws its row as chunk 0 of the root it makes from its seed)
  const streams = generators.map((g) => streamRoot(fn, g).split(0));
  return sampleStreamChunks(mps, streams.length, streams, 1);
}

/**
 * The draws of several calls of one chunk each, in one pass: rows k * rows .. (k + 1) * rows - 1
 * are, bit for bit, what `sample(mps, { count: rows, seed: seeds[k] })` returns (rows <=
 * {@link CHUNK_SIZE}, so that each call's batch is one chunk). Internal: disconnected chains
 * fewer than a chunk draw the proposals of several steps at once (a call per step copied the
 * tensors into the module every step).
 */
export function sampleSteps(
  mps: MPS,
  seeds: readonly SeedOrGenerator[],
  rows: number,
): SampleResult {
  const fn = 'sample';
  assertMPS(fn, mps);
  assertInteger(fn, 'rows', rows, 1, CHUNK_SIZE);
  assertBatchSize(fn, seeds.length * rows, mps.length);
  const streams = seeds.map((seed) => streamRoot(fn, seed).split(0));
  return sampleStreamChunks(mps, streams.length * rows, streams, rows);
}

/**
 * log q(x) of the process that {@link sample} draws from, evaluated by the same float64
 * operations on the given configurations: for a configuration that `sample` drew, the value
 * equals its `logProbabilities` entry bit for bit. q is a normalised distribution and equals
 * the MPS distribution P to rounding (for a Born MPS, to about 1e-10 per site, the accuracy of
 * its diagonal-gauge weights; see {@link sample}).
 * Metropolis-Hastings with `sample` as an independence proposal uses it for
 * the current state, so that both sides of the acceptance ratio are values of one function.
 * -Infinity where q(x) = 0; for a Born MPS, a configuration with P(x) = 0 may keep a mass of the
 * order of the canonical form's and its gauge's rounding squared (about 1e-30), which a constrained target's
 * energy then rejects.
 */
export function sampleLogProbabilities(
  mps: MPS,
  configurations: ConfigurationsInput,
): Float64Array {
  const fn = 'sampleLogProbabilities';
  assertMPS(fn, mps);
  const { data, count } = readConfigurations(fn, 'configurations', mps, configurations);
  return withinWorkspace(
    fn,
    'configurations',
    count,
    () => sweepFused(workspace(), mps, count, { kind: 'read', data }).logProbabilities,
  );
}

/**
 * The sweep of {@link sample} and {@link sampleLogProbabilities}: a linear MPS with its shared
 * right environments, a Born MPS through its right-canonical form (identity environments), one
 * fused kernel call per site (weights, digit, log q and the next left vectors, row by row).
 */
function sweepFused(ws: Workspace, mps: MPS, count: number, digits: SweepDigits): SampleResult {
  const born = mps.kind === 'born';
  const plan = born
    ? samplingPlan(mps, digits.kind === 'read' ? 'sampleLogProbabilities' : 'sample')
    : null;
  // (the draws and their log q are those of the range form: the same conditionals)
  const form = plan === null ? rangeForm(mps).mps : plan.form;
  const shared = born ? null : rightEnvironments(form).map((e) => e.values);
  const n = form.length;
  const maxChi = form.maxBondDim;
  const maxD = Math.max(...form.physicalDims);
  const c1 = Math.max(count, 1);
  let cur = ws.alloc(c1 * maxChi);
  let nxt = ws.alloc(c1 * maxChi);
  const tOff = ws.alloc(maxTensorSize(form));
  const pOff = ws.alloc(maxChi * maxD);
  // the Born kernels' products: one row's (d = 2) or every row's (other d)
  const vOff = ws.alloc(born ? c1 * maxD * maxChi : 0);
  const wOff = ws.alloc(maxD);
  const statusOff = ws.alloc(1);
  const uOff = ws.alloc(c1 + 1);
  const logqOff = ws.alloc(c1 + 1);
  const prodOff = ws.alloc(c1 + 1);
  const digitsOff = ws.alloc(Math.ceil((c1 * n) / 2)) * 2;
  const draw = digits.kind === 'draw' ? digits.uniforms : null;
  const statesOff = draw === null ? 0 : ws.alloc(2 * draw.chunkCount);
  const kernelUniforms = draw?.copyStates(ws, statesOff) === true;
  let f = ws.f64;
  f.fill(0, logqOff, logqOff + c1 + 1);
  f.fill(1, prodOff, prodOff + c1 + 1);
  f[uOff + count] = 0.5;
  for (let b = 0; b < count; b++) f[cur + b] = 1;
  if (digits.kind === 'read') ws.i32.set(digits.data.subarray(0, count * n), digitsOff);
  for (let i = 0; i < n; i++) {
    const [l, d, r] = form.siteShape(i);
    copyTensor(ws, form, i, tOff);
    f = ws.f64;
    if (kernelUniforms) ws.uniforms(statesOff, count, draw!.chunkRows, uOff);
    else if (draw !== null) draw.fill(f.subarray(uOff, uOff + count));
    const u = draw === null ? -1 : uOff;
    const diagonal = plan === null ? null : plan.weights[i]!;
    // the arguments as they are, not spread from a shared tuple: a spread call into the bound
    // kernel made a one-row draw of a 128-site MPS 1.35-1.5x slower (a per-site overhead)
    const dg = digitsOff + i;
    if (plan !== null && diagonal === null) {
      ws.bornSampleSite(
        cur,
        nxt,
        tOff,
        u,
        dg,
        n,
        logqOff,
        prodOff,
        count,
        l,
        d,
        r,
        vOff,
        wOff,
        statusOff,
      );
    } else {
      if (diagonal !== null) f.set(diagonal, pOff);
      else {
        // P[a, s] = sum_b T[a, s, b] r[b], the weights' vector per left index and digit
        const t = form.tensors[i]!;
        const renv = shared![i + 1]!;
        for (let a = 0; a < l; a++) {
          for (let s = 0; s < d; s++) {
            const base = (a * d + s) * r;
            let acc = 0;
            for (let k = 0; k < r; k++) acc += t[base + k]! * renv[k]!;
            f[pOff + a * d + s] = acc;
          }
        }
      }
      ws.linearSampleSite(
        cur,
        nxt,
        tOff,
        pOff,
        u,
        dg,
        n,
        logqOff,
        prodOff,
        count,
        l,
        d,
        r,
        wOff,
        statusOff,
        diagonal === null ? 0 : 1,
        vOff,
      );
    }
    f = ws.f64;
    const status = f[statusOff]!;
    if (status >= 0) zeroTotal(null, status);
    const swap = cur;
    cur = nxt;
    nxt = swap;
  }
  const logProbabilities = ws.f64.slice(logqOff, logqOff + count);
  for (let b = 0; b < count; b++) logProbabilities[b]! += Math.log(f[prodOff + b]!);
  return {
    data: ws.i32.slice(digitsOff, digitsOff + count * n),
    count,
    length: n,
    logProbabilities,
  };
}

/** A Born MPS's sampling form and the diagonal weights of its sites of d = 2. */
interface SamplingPlan {
  /**
   * The right-canonical form (orthogonality centre at site 0, unit norm) in the diagonal gauge
   * (see {@link diagonalGauge}).
   */
  form: MPS;
  /** Per site of d = 2: p[a, s] = ||row a of T_s||^2 ([l][2]); null at other sites. */
  weights: (Float64Array | null)[];
}

/** Computed once per MPS object (the pool's workers compute the same bits from the same MPS). */
const samplingPlans = new WeakMap<MPS, SamplingPlan>();
function samplingPlan(mps: MPS, fn = 'sample'): SamplingPlan {
  let plan = samplingPlans.get(mps);
  if (plan === undefined) {
    plan = diagonalGauge(canonicalizeAs(fn, rangeForm(mps).mps, 0).mps);
    samplingPlans.set(mps, plan);
  }
  return plan;
}

/** A sampling plan as plain arrays, to give to another thread's copy of the MPS. Internal. */
export interface SamplingPlanData {
  /** The gauged right-canonical form's site tensors. */
  tensors: Float64Array[];
  /** Per site: p[a, s] for d = 2, null elsewhere. */
  weights: (Float64Array | null)[];
}

/**
 * The sampling plan of a Born MPS, as copies that may be handed over to a worker (computed here
 * if this thread has not yet; `onlyIfKnown`: then null instead), or null for a linear MPS.
 * A thread starting from a copy of the MPS would otherwise compute the canonical form and the
 * gauge again, the same bits, in code its engine has not yet optimised. Internal.
 */
export function samplingPlanData(mps: MPS, onlyIfKnown = false): SamplingPlanData | null {
  if (mps.kind !== 'born') return null;
  if (onlyIfKnown && !samplingPlans.has(mps)) return null;
  const plan = samplingPlan(mps);
  return {
    tensors: plan.form.tensors.map((t) => t.slice()),
    weights: plan.weights.map((w) => (w === null ? null : w.slice())),
  };
}

/** The arrays of a plan (to hand over with it). Internal. */
export function planArrays(plan: SamplingPlanData | null): Float64Array[] {
  if (plan === null) return [];
  return [...plan.tensors, ...plan.weights.filter((w): w is Float64Array => w !== null)];
}

/**
 * Gives `mps` (another thread's copy of the MPS whose {@link samplingPlanData} this is) that
 * plan, so that its draws and their log q are the ones the original gives, without computing
 * them again. Throws when the plan's shapes do not fit the MPS. Internal.
 */
export function adoptSamplingPlan(mps: MPS, data: SamplingPlanData): void {
  const n = mps.length;
  const misfit = () => {
    throw new Error('adoptSamplingPlan: the sampling plan does not fit the MPS');
  };
  if (mps.kind !== 'born' || data.tensors.length !== n || data.weights.length !== n) misfit();
  const form = MPS.unsafeCreate('born', [...mps.physicalDims], data.tensors);
  for (let i = 0; i < n; i++) {
    const [l, d, r] = form.siteShape(i);
    const w = data.weights[i];
    if (!Number.isInteger(l) || !Number.isInteger(r) || l < 1 || r < 1) misfit();
    if (l * d * r !== data.tensors[i]!.length || (i === n - 1 && r !== 1)) misfit();
    if (d === 2 ? w?.length !== 2 * l : w !== null) misfit();
  }
  samplingPlans.set(mps, { form, weights: data.weights });
}

/**
 * A right-canonical Born MPS (sum_s A_s A_s^T = 1 at every site) in the gauge where, at each site
 * of d = 2, M = A_0 A_0^T is diagonal: the left bond of such a site is rotated by the eigenvectors
 * U of M (A_s -> U^T A_s, and A_s -> A_s U at the site before), which keeps every site
 * right-canonical and changes no amplitude. Then ||x A_0||^2 = sum_a x_a^2 M_aa and
 * ||x A_1||^2 = sum_a x_a^2 (1 - M_aa) up to the rotation's rounding (eps ||x||^2), so a Born draw
 * needs the product of the drawn digit only: the cost of a linear draw. Returns the rotated form
 * and, per site of d = 2, the squared norms of the rows of A_0 and A_1 ([l][2]). Internal.
 */
export function diagonalGauge(form: MPS): SamplingPlan {
  const n = form.length;
  // the rotation of each site's left bond (null: none)
  const rotations: (Float64Array | null)[] = [];
  for (let i = 0; i < n; i++) {
    const [l, d, r] = form.siteShape(i);
    if (d !== 2 || l === 1) {
      rotations.push(null);
      continue;
    }
    const t = form.tensors[i]!;
    const m = new Float64Array(l * l);
    for (let a = 0; a < l; a++)
      for (let b = 0; b <= a; b++) {
        let acc = 0;
        for (let j = 0; j < r; j++) acc += t[2 * a * r + j]! * t[2 * b * r + j]!;
        m[a * l + b] = acc;
        m[b * l + a] = acc;
      }
    rotations.push(symmetricEigen(m, l).vectors);
  }
  const tensors: Float64Array[] = [];
  const weights: (Float64Array | null)[] = [];
  for (let i = 0; i < n; i++) {
    const [l, d, r] = form.siteShape(i);
    let t = form.tensors[i]!;
    const left = rotations[i]!;
    const right = i + 1 < n ? rotations[i + 1]! : null;
    // U_left^T A (as [l][d r]), then A U_right (as [l d][r])
    if (left !== null) t = product(transpose(left, l, l), t, l, l, d * r);
    if (right !== null) t = product(t, right, l * d, r, r);
    tensors.push(t);
    if (d !== 2) {
      weights.push(null);
      continue;
    }
    const p = new Float64Array(2 * l);
    for (let a = 0; a < l; a++)
      for (let s = 0; s < 2; s++) {
        let acc = 0;
        for (let j = 0; j < r; j++) acc += t[(2 * a + s) * r + j]! ** 2;
        p[2 * a + s] = acc;
      }
    weights.push(p);
  }
  return { form: MPS.unsafeCreate('born', [...form.physicalDims], tensors), weights };
}

/** Options of {@link sampleConditional}. */
export interface ConditionalSampleOptions {
  /**
   * Per-sample, per-site, per-digit non-negative weights w^{(b)}_i(s), flat row-major
   * [count][N][d] (all sites must share d). Sample b is drawn from P(x) prod_i w^{(b)}_i(x_i)
   * normalised.
   */
  weights: ArrayLike<number>;
  /** Number of samples (rows of `weights`). */
  count: number;
  /** Seed or generator. */
  seed: SeedOrGenerator;
}

/**
 * Exact samples of the reweighted distributions P(x) prod_i w^{(b)}_i(x_i), a different weight
 * set per sample (this is exact denoising: w_i(x) = k_t(y_i | x)). Returns the conditional
 * log-probability of each draw and the log normaliser of each weight set.
 * Cost O(count N d chi^2) for linear; O(count N d chi^3) for Born (per-sample double-layer
 * environments).
 */
export function sampleConditional(
  mps: MPS,
  options: ConditionalSampleOptions,
): ConditionalSampleResult {
  const fn = 'sampleConditional';
  assertMPS(fn, mps);
  if (typeof options !== 'object' || options === null) {
    invalidArgument(fn, 'options', options, 'an options object { weights, count, seed }');
  }
  assertKnownOptions(
    fn,
    options,
    optionKeys<ConditionalSampleOptions>()(['weights', 'count', 'seed']),
  );
  const { weights, count } = options;
  assertInteger(fn, 'count', count, 0);
  assertBatchSize(fn, count, mps.length);
  const n = mps.length;
  const d = mps.physicalDims[0]!;
  if (!mps.physicalDims.every((x) => x === d)) {
    invalidArgument(
      fn,
      'mps',
      `physicalDims [${mps.physicalDims.join(', ')}]`,
      'an MPS whose sites share one local dimension',
    );
  }
  if (weights == null || weights.length !== count * n * d) {
    invalidArgument(
      fn,
      'weights',
      weights?.length,
      `an array of count * N * d = ${count * n * d} weights`,
    );
  }
  for (let k = 0; k < weights.length; k++) {
    const w = weights[k] as number;
    if (!(w >= 0) || !Number.isFinite(w)) {
      invalidArgument(fn, `weights[${k}]`, w, 'a finite non-negative weight');
    }
  }
  const w = weights instanceof Float64Array ? weights : Float64Array.from(weights);
  const root = streamRoot(fn, options.seed);
  return withinWorkspace(fn, 'count', count, () =>
    sampleConditionalRows(mps, w, root, count, 0, count),
  );
}

/**
 * Conditional sampling of rows firstRow .. firstRow + count - 1 (their weights `w`) of a batch of
 * `total` rows drawn from `root`, as {@link sampleRows} (internal).
 */
export function sampleConditionalRows(
  input: MPS,
  w: Float64Array,
  root: RandomGenerator,
  total: number,
  firstRow: number,
  count: number,
): ConditionalSampleResult {
  // (the conditionals and the weights' normalisers are those of the range form)
  const mps = rangeForm(input).mps;
  const { weights, logShifts } = weightsInRange(w, count, mps.length, mps.physicalDims[0]!);
  const uniforms = ChunkedUniforms.rows(root, total, firstRow, count);
  const ws = workspace();
  const { offsets, logScales } = batchedRightEnvironments(ws, mps, weights, count);
  const environments = { offsets, weights };
  const result =
    mps.kind === 'linear'
      ? sweepLinear(ws, mps, count, environments, uniforms)
      : sweepBorn(ws, mps, count, environments, uniforms);
  const logZ = rightEnvironments(mps)[0]!;
  const logZvalue = logZ.logScale + Math.log(logZ.values[0]!);
  const logWeightNormalizations = new Float64Array(count);
  const f = ws.f64;
  for (let b = 0; b < count; b++) {
    const v = f[offsets[0]! + b]!;
    logWeightNormalizations[b] =
      v > 0 ? logScales[b]! + Math.log(v) - logZvalue : Number.NEGATIVE_INFINITY;
    if (logShifts !== null) logWeightNormalizations[b]! += logShifts[b]!;
  }
  return { ...result, logWeightNormalizations };
}

/**
 * The weights [count][N][d] with every (row, site) group whose largest weight lies outside
 * 2^-100 .. 2^100 multiplied by the power of two that brings it into [1, 2) (exact; the group's
 * conditionals do not change), and per row the natural log of what was divided out. Weights of
 * 1e308 or 1e-310 made a site's sums overflow or underflow ("zero total probability"). Weights in
 * range come back as they are, with null shifts (the same bits as before).
 */
function weightsInRange(
  w: Float64Array,
  count: number,
  n: number,
  d: number,
): { weights: Float64Array; logShifts: Float64Array | null } {
  let weights = w;
  let logShifts: Float64Array | null = null;
  for (let b = 0; b < count; b++) {
    for (let i = 0; i < n; i++) {
      const base = (b * n + i) * d;
      let max = 0;
      for (let s = 0; s < d; s++) max = Math.max(max, w[base + s]!);
      const e = rangeExponent(max);
      if (e === 0) continue;
      if (logShifts === null) {
        weights = w.slice();
        logShifts = new Float64Array(count);
      }
      for (let s = 0; s < d; s++) weights[base + s] = timesPowerOfTwo(w[base + s]!, -e);
      logShifts[b]! += e * Math.LN2;
    }
  }
  return { weights, logShifts };
}

/**
 * Samples are drawn in chunks of this many; chunk c takes its uniforms from `root.split(c)`, one
 * per row and site in row order, so a batch split across workers (at chunk boundaries, or inside
 * a chunk by {@link sampleRows}) gives the same samples as one thread.
 */
export const CHUNK_SIZE = 128;

/**
 * The seed of a call's root stream: the seed itself, or one drawn from a generator (which
 * advances it, so consecutive calls with the same generator differ).
 */
export function rootSeed(fn: string, seed: SeedOrGenerator): number {
  const g = toRandom(fn, seed);
  if (typeof seed === 'number') return seed;
  return (g.uint32() >>> 0) * 2097152 + (g.uint32() >>> 11);
}

function streamRoot(fn: string, seed: SeedOrGenerator): RandomGenerator {
  return createRandom(rootSeed(fn, seed));
}

/**
 * Per-site uniforms: sample b of chunk c draws, site after site, from stream c. A batch's chunk
 * of R rows takes R values of its stream per site, in the order of its rows; a call that draws
 * only some rows of a chunk (a pool's worker with part of a small batch) takes the same R values
 * per site and keeps those of its rows, so that every row gets the numbers it gets in one call.
 */
/**
 * One chunk of a draw: its stream, the rows of the chunk (the values its stream gives per site),
 * and the part [skip, skip + take) of them drawn here.
 */
interface ChunkPart {
  stream: RandomGenerator;
  rows: number;
  skip: number;
  take: number;
}

class ChunkedUniforms {
  private readonly chunks: readonly ChunkPart[];
  readonly count: number;
  /** Rows per chunk (the last may have fewer): CHUNK_SIZE unless a caller of `whole` chose fewer. */
  readonly chunkRows: number;

  private constructor(chunks: ChunkPart[], count: number, chunkRows = CHUNK_SIZE) {
    this.chunks = chunks;
    this.count = count;
    this.chunkRows = chunkRows;
  }

  /** Chunk c (rows c * chunkRows ..) draws from streams[c]; only the last chunk may be short. */
  static whole(streams: RandomGenerator[], count: number, chunkRows = CHUNK_SIZE): ChunkedUniforms {
    return new ChunkedUniforms(
      streams.map((stream, c) => {
        const rows = Math.min(chunkRows, count - c * chunkRows);
        return { stream, rows, skip: 0, take: rows };
      }),
      count,
      chunkRows,
    );
  }

  /**
   * Rows firstRow .. firstRow + count - 1 of a batch of `total` rows drawn from `root` (chunk c
   * of the batch from stream c).
   */
  static rows(
    root: RandomGenerator,
    total: number,
    firstRow: number,
    count: number,
  ): ChunkedUniforms {
    const first = Math.floor(firstRow / CHUNK_SIZE);
    const last = count > 0 ? Math.floor((firstRow + count - 1) / CHUNK_SIZE) : first - 1;
    const chunks: ChunkPart[] = [];
    for (let c = first; c <= last; c++) {
      const start = c * CHUNK_SIZE;
      const rows = Math.min(CHUNK_SIZE, total - start);
      const lo = Math.max(firstRow, start);
      const hi = Math.min(firstRow + count, start + rows);
      chunks.push({ stream: root.split(c), rows, skip: lo - start, take: hi - lo });
    }
    return new ChunkedUniforms(chunks, count);
  }

  /**
   * Copies the streams' states into the workspace at `offset` (4 uint32 words per chunk, 2 float64
   * units) for the `uniforms` kernel, which then draws the same numbers as {@link fill}; false
   * (nothing written) when a stream is not a latticediff generator, or when the rows drawn are
   * part of a chunk (the kernel draws whole chunks).
   */
  copyStates(ws: Workspace, offset: number): boolean {
    if (this.chunks.some((c) => c.skip !== 0 || c.take !== c.rows)) return false;
    const words = this.chunks.map((c) => xoshiroStateWords(c.stream));
    if (words.some((w) => w === null)) return false;
    const u32 = new Uint32Array(ws.f64.buffer, ws.f64.byteOffset + offset * 8, words.length * 4);
    for (let c = 0; c < words.length; c++) u32.set(words[c]!, 4 * c);
    return true;
  }

  /** The number of chunk streams. */
  get chunkCount(): number {
    return this.chunks.length;
  }

  /** One site's uniforms of the rows drawn here, in order. */
  fill(u: Float64Array): void {
    let b = 0;
    for (const { stream, rows, skip, take } of this.chunks) {
      for (let k = 0; k < skip; k++) stream.float64();
      for (let k = 0; k < take; k++) u[b++] = stream.float64();
      for (let k = skip + take; k < rows; k++) stream.float64();
    }
  }
}

function draw(u: number, probs: Float64Array, d: number, total: number): number {
  let target = u * total;
  for (let s = 0; s < d - 1; s++) {
    const p = probs[s]!;
    if (target < p) return s;
    target -= p;
  }
  // the last digit with positive weight (guards against rounding leaving target >= last weight)
  for (let s = d - 1; s >= 0; s--) if (probs[s]! > 0) return s;
  return d - 1;
}

function zeroTotal(weights: Float64Array | null, b: number): never {
  throw new NumericalError(
    weights === null
      ? '`sample`: a conditional distribution has zero total weight (the MPS is not normalisable)'
      : `\`sampleConditional\`: the weights of sample ${b} give zero total probability`,
  );
}

/** Copies site tensor i into the workspace at `to` (contiguous [l][d][r]). */
function copyTensor(ws: Workspace, mps: MPS, site: number, to: number): void {
  ws.f64.set(mps.tensors[site]!, to);
}

function maxTensorSize(mps: MPS): number {
  let m = 1;
  for (const t of mps.tensors) if (t.length > m) m = t.length;
  return m;
}

/** The digits of a fused sweep: drawn from the uniforms, or read from `data` (evaluating log q). */
type SweepDigits =
  | { readonly kind: 'draw'; readonly uniforms: ChunkedUniforms }
  | { readonly kind: 'read'; readonly data: Int32Array };

/**
 * Per-sample right environments of a conditional sweep: `offsets[i]` is the workspace offset of
 * count rows of chi_i (linear) or chi_i^2 (Born) entries, `weights` the per-sample site weights.
 */
interface PerSampleEnvironments {
  readonly offsets: number[];
  readonly weights: Float64Array;
}

/** Linear conditional sweep: the weight of s is w_s (V_s . r_b) with V = L @ T. */
function sweepLinear(
  ws: Workspace,
  mps: MPS,
  count: number,
  environments: PerSampleEnvironments,
  rng: ChunkedUniforms,
): SampleResult {
  const { offsets: perSample, weights } = environments;
  const n = mps.length;
  const maxChi = mps.maxBondDim;
  const maxD = Math.max(...mps.physicalDims);
  const data = new Int32Array(count * n);
  const logProbabilities = new Float64Array(count);
  const c1 = Math.max(count, 1);
  let cur = ws.alloc(c1 * maxChi);
  let nxt = ws.alloc(c1 * maxChi);
  const tOff = ws.alloc(maxTensorSize(mps));
  const wOff = ws.alloc(c1 * maxD * maxChi);
  const dotOff = ws.alloc(c1 * maxD);
  const probs = new Float64Array(maxD);
  const u = new Float64Array(count);
  let f = ws.f64;
  for (let b = 0; b < count; b++) f[cur + b] = 1;
  for (let i = 0; i < n; i++) {
    const [l, d, r] = mps.siteShape(i);
    copyTensor(ws, mps, i, tOff);
    rng.fill(u);
    // V = L @ T as (l) x (d r); weight of s: w_s * (V_s . r_b); l' = V_s / (V_s . r_b)
    const renv = perSample[i + 1]!;
    const dr = d * r;
    ws.gemm(cur, tOff, dr, wOff, count, l, dr);
    ws.rowDots(wOff, renv, dotOff, count * d, d, r);
    f = ws.f64;
    for (let b = 0; b < count; b++) {
      let total = 0;
      const wo = (b * n + i) * d;
      for (let s = 0; s < d; s++) {
        probs[s] = f[dotOff + b * d + s]! * weights[wo + s]!;
        total += probs[s]!;
      }
      if (!(total > 0)) zeroTotal(weights, b);
      const s = draw(u[b]!, probs, d, total);
      data[b * n + i] = s;
      logProbabilities[b]! += Math.log(probs[s]! / total);
      const inv = weights[wo + s]! / probs[s]!;
      const so = wOff + b * dr + s * r;
      const no = nxt + b * r;
      for (let k = 0; k < r; k++) f[no + k] = f[so + k]! * inv;
    }
    const swap = cur;
    cur = nxt;
    nxt = swap;
  }
  return { data, count, length: n, logProbabilities };
}

/** Born conditional sweep: the weight of s is w_s (l T_s) R_b (l T_s)^T. */
function sweepBorn(
  ws: Workspace,
  mps: MPS,
  count: number,
  environments: PerSampleEnvironments,
  rng: ChunkedUniforms,
): SampleResult {
  const { offsets: perSample, weights } = environments;
  const n = mps.length;
  const maxChi = mps.maxBondDim;
  const maxD = Math.max(...mps.physicalDims);
  const data = new Int32Array(count * n);
  const logProbabilities = new Float64Array(count);
  const c1 = Math.max(count, 1);
  let cur = ws.alloc(c1 * maxChi);
  let nxt = ws.alloc(c1 * maxChi);
  const tOff = ws.alloc(maxTensorSize(mps));
  const vOff = ws.alloc(c1 * maxD * maxChi);
  const vrOff = ws.alloc(c1 * maxD * maxChi);
  const dotOff = ws.alloc(c1 * maxD);
  const probs = new Float64Array(maxD);
  const u = new Float64Array(count);
  let f = ws.f64;
  for (let b = 0; b < count; b++) f[cur + b] = 1;
  for (let i = 0; i < n; i++) {
    const [l, d, r] = mps.siteShape(i);
    copyTensor(ws, mps, i, tOff);
    rng.fill(u);
    const dr = d * r;
    ws.gemm(cur, tOff, dr, vOff, count, l, dr);
    const renv = perSample[i + 1]!;
    for (let b = 0; b < count; b++)
      ws.gemm(vOff + b * dr, renv + b * r * r, r, vrOff + b * dr, d, r, r);
    ws.rowDots(vOff, vrOff, dotOff, count * d, 1, r);
    f = ws.f64;
    for (let b = 0; b < count; b++) {
      let total = 0;
      const wo = (b * n + i) * d;
      for (let s = 0; s < d; s++) {
        let acc = f[dotOff + b * d + s]!;
        if (acc < 0) acc = 0; // rounding in a positive semi-definite form
        probs[s] = acc * weights[wo + s]!;
        total += probs[s]!;
      }
      if (!(total > 0)) zeroTotal(weights, b);
      const s = draw(u[b]!, probs, d, total);
      data[b * n + i] = s;
      logProbabilities[b]! += Math.log(probs[s]! / total);
      const inv = 1 / Math.sqrt(probs[s]! / weights[wo + s]!);
      const o = vOff + b * dr + s * r;
      const no = nxt + b * r;
      for (let k = 0; k < r; k++) f[no + k] = f[o + k]! * inv;
    }
    const swap = cur;
    cur = nxt;
    nxt = swap;
  }
  return { data, count, length: n, logProbabilities };
}

/**
 * Per-sample right environments for per-sample weights, in the workspace: offsets[i] holds
 * count rows of chi_i (linear) or chi_i^2 (Born) entries, each row rescaled to max |entry| 1;
 * logScales accumulates the log factors (so the true environment of sites 0.. is
 * exp(logScales[b]) * row b of offsets[0]).
 */
function batchedRightEnvironments(
  ws: Workspace,
  mps: MPS,
  w: Float64Array,
  count: number,
): { offsets: number[]; logScales: Float64Array } {
  const n = mps.length;
  const d = mps.physicalDims[0]!;
  const born = mps.kind === 'born';
  const c1 = Math.max(count, 1);
  const offsets: number[] = [];
  for (let i = 0; i <= n; i++) {
    const chi = i === n ? 1 : mps.leftDim(i);
    offsets.push(ws.alloc(c1 * (born ? chi * chi : chi)));
  }
  const maxChi = mps.maxBondDim;
  const size = maxTensorSize(mps);
  const ttOff = ws.alloc(size);
  const tsOff = ws.alloc(size);
  const tmpOff = ws.alloc(born ? 2 * maxChi * maxChi : c1 * maxChi * d);
  const maxOff = ws.alloc(c1);
  const wOff = ws.alloc(w.length);
  const logScales = new Float64Array(count);
  let f = ws.f64;
  f.set(w, wOff);
  for (let b = 0; b < count; b++) f[offsets[n]! + b] = 1;
  for (let i = n - 1; i >= 0; i--) {
    const [l, , r] = mps.siteShape(i);
    const t = mps.tensors[i]!;
    const prev = offsets[i + 1]!;
    const out = offsets[i]!;
    f = ws.f64;
    const rowSize = born ? l * l : l;
    if (!born) {
      // tmp = R_{i+1} (count x r) @ TT (r x l d), TT[k, a d + s] = T[a, s, k]
      const ld = l * d;
      for (let a = 0; a < l; a++)
        for (let s = 0; s < d; s++)
          for (let k = 0; k < r; k++) f[ttOff + k * ld + a * d + s] = t[(a * d + s) * r + k]!;
      ws.gemm(prev, ttOff, ld, tmpOff, count, r, ld);
      ws.weightedSum(tmpOff, wOff + i * d, n * d, out, count, l, d);
    } else {
      // out_b = sum_s w_s T_s (R_b T_s^T); T_s contiguous (l x r) at tsOff + s l r, T_s^T (r x l) at ttOff + s r l
      for (let s = 0; s < d; s++) {
        for (let a = 0; a < l; a++) {
          for (let k = 0; k < r; k++) {
            const v = t[(a * d + s) * r + k]!;
            f[tsOff + s * l * r + a * r + k] = v;
            f[ttOff + s * r * l + k * l + a] = v;
          }
        }
      }
      ws.bornEnvironmentStep(
        tsOff,
        ttOff,
        prev,
        out,
        wOff + i * d,
        n * d,
        count,
        l,
        r,
        d,
        tmpOff,
        tmpOff + maxChi * maxChi,
        // symmetric from the 1 x 1 environment at the right end on
        1,
      );
    }
    ws.rescaleRows(out, count, rowSize, maxOff);
    f = ws.f64;
    for (let b = 0; b < count; b++) {
      const m = f[maxOff + b]!;
      if (m > 0) logScales[b]! += Math.log(m);
    }
  }
  return { offsets, logScales };
}
