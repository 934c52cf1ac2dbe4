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
 * product by an environment (about half the work of a site). Canonical form holds only to
 * rounding, so the process samples q, the product of its own per-site normalised conditionals,
 * which equals P to rounding; `sampleLogProbabilities` evaluates that q on any configuration with
 * the same operations, so Metropolis-Hastings with these draws is exact to the last bit.
 *
 * Where d = 2 and the site's right bond is at least 32, or above 16 at a site whose digit equals
 * the previous one with probability at least 0.75 or at most 0.25 (the MPS's own two-site
 * marginal, computed with the canonical form), a row forms only the product of the digit it
 * guesses (its digit at the previous site, or the other digit where neighbouring digits mostly
 * differ; 0 at site 0): the other digit's weight is the
 * complement ||l||^2 - ||l A_g||^2 (sum_s ||l A_s||^2 = ||l||^2 in right-canonical form), and
 * its product is formed only if that digit is drawn. The complement's error is the canonical
 * form's rounding times ||l||^2, so it is used only where it is at least 2^-20 ||l||^2 (the
 * weight then keeps about 2^20 eps relative accuracy, and q equals P to about 1e-10 per site);
 * smaller weights are computed. On physics proposals the guess is right at 80-90% of sites, so
 * such a site costs about 0.6 of computing both products.
 */
import { canonicalize } from './canonical';
import { type ConfigurationsInput, readConfigurations } from './configurations';
import {
  assertInteger,
  assertKnownOptions,
  invalidArgument,
  NumericalError,
  optionKeys,
} from './errors';
import { rightEnvironments } from './evaluate';
import { product, transpose } from './linalg';
import { assertBatchSize, assertMPS, type MPS } from './mps';
import {
  createRandom,
  type RandomGenerator,
  type SeedOrGenerator,
  toRandom,
  xoshiroStateWords,
} from './random';
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
 * canonical-form process, equal to log P to rounding, or to about 1e-10 per site at the sites
 * that draw by a guessed digit, see the module comment; {@link sampleLogProbabilities} evaluates
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
  return sampleRows(mps, root, options.count, 0, options.count);
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
 * the MPS distribution P to rounding (for a Born MPS, the rounding of its right-canonical form,
 * and about 1e-10 per site at the sites that draw by a guessed digit; see {@link sample}).
 * Metropolis-Hastings with `sample` as an independence proposal uses it for
 * the current state, so that both sides of the acceptance ratio are values of one function.
 * -Infinity where q(x) = 0; for a Born MPS, a configuration with P(x) = 0 may keep a mass of the
 * order of the canonical form's rounding squared (about 1e-30), which a constrained target's
 * energy then rejects.
 */
export function sampleLogProbabilities(
  mps: MPS,
  configurations: ConfigurationsInput,
): Float64Array {
  const fn = 'sampleLogProbabilities';
  assertMPS(fn, mps);
  const { data, count } = readConfigurations(fn, 'configurations', mps, configurations);
  return sweepFused(workspace(), mps, count, { kind: 'read', data }).logProbabilities;
}

/**
 * The sweep of {@link sample} and {@link sampleLogProbabilities}: a linear MPS with its shared
 * right environments, a Born MPS through its right-canonical form (identity environments), one
 * fused kernel call per site (weights, digit, log q and the next left vectors, row by row).
 */
function sweepFused(ws: Workspace, mps: MPS, count: number, digits: SweepDigits): SampleResult {
  const born = mps.kind === 'born';
  const plan = born ? samplingPlan(mps) : null;
  const form = plan === null ? mps : plan.form;
  const guessed = plan === null ? null : plan.guessed;
  const shared = born ? null : rightEnvironments(mps).map((e) => e.values);
  const n = form.length;
  const maxChi = form.maxBondDim;
  const maxD = Math.max(...form.physicalDims);
  const c1 = Math.max(count, 1);
  // left vectors by rows or, at sites that draw by pairs, by pairs of rows (one more row for
  // an odd count's last pair)
  let cur = ws.alloc((c1 + 1) * maxChi);
  let nxt = ws.alloc((c1 + 1) * maxChi);
  const tOff = ws.alloc((born ? 2 : 1) * maxTensorSize(form));
  const pOff = ws.alloc(maxChi * maxD);
  // (at least 8 chi: the pair kernel's two pairs of rows)
  const vOff = ws.alloc(born ? Math.max(c1, 4) * maxD * maxChi : 0);
  // the Born kernel's per-row weights (4 doubles) and list of rows (int32)
  const pendOff = ws.alloc(born ? 4 * c1 + Math.ceil(c1 / 2) : 0);
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
  // l = 1 at site 0, where rows and pairs are the same layout
  for (let b = 0; b <= count; b++) f[cur + b] = 1;
  let byPairs = false;
  if (digits.kind === 'read') ws.i32.set(digits.data.subarray(0, count * n), digitsOff);
  for (let i = 0; i < n; i++) {
    const [l, d, r] = form.siteShape(i);
    const pairSite = shared === null && isPairSite(l, d, r);
    // the kernel's guess: bit 0 the previous digit (else 0), bit 1 the other digit
    const mode = guessed === null ? GUESS_NONE : guessed[i]!;
    const guess = mode === GUESS_NONE ? -1 : (i > 0 ? 1 : 0) | (mode === GUESS_OTHER ? 2 : 0);
    // the pair kernel reads every entry twice (one per lane)
    if (pairSite) ws.f64.set(splatted(form.tensors[i]!), tOff);
    else copyTensor(ws, form, i, tOff);
    f = ws.f64;
    if (kernelUniforms) ws.uniforms(statesOff, count, draw!.chunkRows, uOff);
    else if (draw !== null) draw.fill(f.subarray(uOff, uOff + count));
    const u = draw === null ? -1 : uOff;
    if (pairSite !== byPairs && i > 0) {
      relayout(ws.f64, cur, nxt, count, l, pairSite);
      const swap = cur;
      cur = nxt;
      nxt = swap;
    }
    byPairs = pairSite;
    // the arguments as they are, not spread from a shared tuple: a spread call into the bound
    // kernel made a one-row draw of a 128-site MPS 1.35-1.5x slower (a per-site overhead)
    const dg = digitsOff + i;
    if (pairSite) {
      ws.bornPairSite(cur, nxt, tOff, u, dg, n, logqOff, prodOff, count, l, r, vOff, statusOff);
    } else if (shared === null) {
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
        guess,
        pendOff,
      );
    } else {
      // P[a, s] = sum_b T[a, s, b] r[b], the weights' vector per left index and digit
      const t = form.tensors[i]!;
      const renv = shared[i + 1]!;
      for (let a = 0; a < l; a++) {
        for (let s = 0; s < d; s++) {
          const base = (a * d + s) * r;
          let acc = 0;
          for (let k = 0; k < r; k++) acc += t[base + k]! * renv[k]!;
          f[pOff + a * d + s] = acc;
        }
      }
      ws.linearSampleSite(
        cur,
        nxt,
        tOff,
        pOff,
        u,
        digitsOff + i,
        n,
        logqOff,
        prodOff,
        count,
        l,
        d,
        r,
        wOff,
        statusOff,
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

/**
 * Sites of a Born MPS with d = 2 whose bonds are at most this size draw two rows per vector
 * (`bornPairSite`): at small bonds the per-row steps (weights, digit, conditional, scale) cost
 * as much as the products, and pairs of rows halve them; the products take two pairs (four
 * rows) per load of the tensor. Measured on one site against the row kernel (issue note): 1.5x
 * per row at bond 6, 1.3x at 8 and 12, 1.1x at 16 and 20, 0.96x at 24; on whole proposals
 * (physics-built Ising 8x8 at chi 16, Fredkin N = 128) a bound of 16 beat 12 and 20.
 */
const BORN_PAIR_MAX_BOND = 16;

/** Each entry of a tensor twice, cached per tensor (the pair kernel's layout). */
const splattedTensors = new WeakMap<Float64Array, Float64Array>();
function splatted(t: Float64Array): Float64Array {
  let out = splattedTensors.get(t);
  if (out === undefined) {
    out = new Float64Array(2 * t.length);
    for (let k = 0; k < t.length; k++) {
      out[2 * k] = t[k]!;
      out[2 * k + 1] = t[k]!;
    }
    splattedTensors.set(t, out);
  }
  return out;
}

/**
 * The left vectors (count rows of l entries) from rows to pairs of rows (`toPairs`) or back,
 * from `from` into `to`. Pairs: [pair][a][lane], the last pair of an odd count repeating its row.
 */
function relayout(
  f: Float64Array,
  from: number,
  to: number,
  count: number,
  l: number,
  toPairs: boolean,
): void {
  for (let b = 0; b < count; b++) {
    const row = b * l;
    const pair = (b >> 1) * 2 * l + (b & 1);
    for (let a = 0; a < l; a++) {
      if (toPairs) f[to + pair + 2 * a] = f[from + row + a]!;
      else f[to + row + a] = f[from + pair + 2 * a]!;
    }
  }
  if (toPairs && count % 2 === 1) {
    const last = (count - 1) * l;
    const pair = ((count - 1) >> 1) * 2 * l + 1;
    for (let a = 0; a < l; a++) f[to + pair + 2 * a] = f[from + last + a]!;
  }
}

/**
 * Sites of a Born MPS with d = 2 and a right bond of at least this size draw by a guessed digit
 * and its complement (see {@link sample}), whatever the digits' correlation: the product saved
 * outweighs the kernel's extra steps even where the guess is right half of the time. The guess
 * is the previous site's digit, or the other digit where the MPS's own two-site marginal gives
 * P(s_i = s_(i-1)) < 0.5 (an antiferromagnet's neighbours).
 */
const BORN_GUESS_MIN_BOND = 32;

/**
 * Smaller sites that are not pair sites (a bond above BORN_PAIR_MAX_BOND) draw by the guessed
 * digit where P(s_i = s_(i-1)) is at least this (guessing the previous digit) or at most 1 minus
 * this (guessing the other one); the others compute both weights. Measured (one thread, batch
 * 1,000, N = 64, against a random linear MPS of the same bond, see the issue note): at bond 20
 * and 24 the guess costs 1.4x a linear draw on the physics-built Ising proposal (agreement about
 * 0.8) and 1.6-1.7x on a random Born MPS (about 0.5), computing both weights 1.5-1.7x on both.
 */
const BORN_GUESS_MIN_AGREEMENT = 0.75;

/** A site's draw: both weights, or by guessing the previous digit or the other digit. */
const GUESS_NONE = 0;
const GUESS_PREVIOUS = 1;
const GUESS_OTHER = 2;

/** A Born MPS's sampling form and which of its sites draw by the guessed digit. */
interface SamplingPlan {
  /**
   * The right-canonical form (orthogonality centre at site 0, unit norm), whose right
   * environments are the identity, so that a sample's weight of digit s is ||l A_s||^2 with no
   * per-sample product by an environment.
   */
  form: MPS;
  /** Per site: GUESS_NONE, GUESS_PREVIOUS or GUESS_OTHER (see {@link guessedSites}). */
  guessed: Uint8Array;
}

/** Computed once per MPS object (the pool's workers compute the same bits from the same MPS). */
const samplingPlans = new WeakMap<MPS, SamplingPlan>();
function samplingPlan(mps: MPS): SamplingPlan {
  let plan = samplingPlans.get(mps);
  if (plan === undefined) {
    const form = canonicalize(mps, { center: 0 }).mps;
    plan = { form, guessed: guessedSites(form) };
    samplingPlans.set(mps, plan);
  }
  return plan;
}

/** Whether a site of this shape draws by pairs of rows (`bornPairSite`). */
function isPairSite(l: number, d: number, r: number): boolean {
  return d === 2 && Math.max(l, r) <= BORN_PAIR_MAX_BOND;
}

/**
 * How each site of a right-canonical Born MPS draws (see the two bounds above): GUESS_NONE (both
 * weights), GUESS_PREVIOUS (the previous site's digit; digit 0 at site 0) or GUESS_OTHER (the
 * other digit). Rounding of the canonical form moves an agreement by about eps, which only
 * matters for a site at a bound; every thread computes the same bits, so all draw alike.
 * Internal.
 */
export function guessedSites(form: MPS): Uint8Array {
  const n = form.length;
  // sites of d = 2 outside the pair kernel; the agreements are needed up to the last of them
  const mayGuess = (i: number): boolean => {
    const [l, d, r] = form.siteShape(i);
    return d === 2 && !isPairSite(l, d, r);
  };
  let last = -1;
  for (let i = 1; i < n; i++) if (mayGuess(i)) last = i;
  const agreement = neighbourAgreements(form, last);
  const guessed = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    if (!mayGuess(i)) continue;
    const a = agreement[i]!; // NaN at site 0 and after a site of d != 2
    if (form.siteShape(i)[2] >= BORN_GUESS_MIN_BOND)
      guessed[i] = a < 0.5 ? GUESS_OTHER : GUESS_PREVIOUS;
    else if (a >= BORN_GUESS_MIN_AGREEMENT) guessed[i] = GUESS_PREVIOUS;
    else if (a <= 1 - BORN_GUESS_MIN_AGREEMENT) guessed[i] = GUESS_OTHER;
  }
  return guessed;
}

/**
 * P(s_i = s_(i-1)) of a normalised right-canonical MPS for the sites 1 <= i <= last with
 * d_(i-1) = d_i = 2 (NaN elsewhere): sum_a tr(A_a^T M_a A_a) / sum_a tr M_a, with
 * M_a = A_a^T E A_a at site i - 1 (so that P(s_(i-1) = a) = tr M_a, as sum_b A_b A_b^T = 1 at
 * site i) and E the left environment, sum_s A_s^T E A_s from E = 1. Internal (tested against
 * enumeration).
 */
export function neighbourAgreements(form: MPS, last: number): Float64Array {
  const agreement = new Float64Array(form.length).fill(Number.NaN);
  let env = new Float64Array([1]);
  let previous: Float64Array[] = [];
  for (let i = 0; i <= last; i++) {
    const [l, d, r] = form.siteShape(i);
    const t = form.tensors[i]!;
    const slices: Float64Array[] = [];
    for (let s = 0; s < d; s++) {
      const a = new Float64Array(l * r);
      for (let x = 0; x < l; x++) a.set(t.subarray((x * d + s) * r, (x * d + s + 1) * r), x * r);
      slices.push(a);
    }
    if (d === 2 && previous.length === 2) {
      let same = 0;
      let total = 0;
      for (let a = 0; a < 2; a++) {
        const m = previous[a]!;
        const y = product(m, slices[a]!, l, l, r);
        for (let k = 0; k < l * r; k++) same += slices[a]![k]! * y[k]!;
        for (let k = 0; k < l; k++) total += m[k * l + k]!;
      }
      agreement[i] = same / total;
    }
    previous = slices.map((a) => product(transpose(a, l, r), product(env, a, l, l, r), r, l, r));
    env = new Float64Array(r * r);
    for (const m of previous) for (let k = 0; k < r * r; k++) env[k]! += m[k]!;
  }
  return agreement;
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
  return sampleConditionalRows(mps, w, streamRoot(fn, options.seed), count, 0, count);
}

/**
 * Conditional sampling of rows firstRow .. firstRow + count - 1 (their weights `w`) of a batch of
 * `total` rows drawn from `root`, as {@link sampleRows} (internal).
 */
export function sampleConditionalRows(
  mps: MPS,
  w: Float64Array,
  root: RandomGenerator,
  total: number,
  firstRow: number,
  count: number,
): ConditionalSampleResult {
  const uniforms = ChunkedUniforms.rows(root, total, firstRow, count);
  const ws = workspace();
  const { offsets, logScales } = batchedRightEnvironments(ws, mps, w, count);
  const environments = { offsets, weights: w };
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
  }
  return { ...result, logWeightNormalizations };
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
