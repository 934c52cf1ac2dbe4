/**
 * Canonical forms, SVD truncation and Schmidt spectra of Born MPS.
 *
 * Conventions (see CONVENTIONS.md): site tensors are [left, physical, right]; bond i joins
 * sites i and i+1. A site tensor A is *left-orthonormal* when, reshaped to a (left * d) x right
 * matrix, its columns are orthonormal (sum_{l,s} A[l,s,r] A[l,s,r'] = delta_{r r'}), and
 * *right-orthonormal* when, reshaped to a left x (d * right) matrix, its rows are orthonormal.
 *
 * Why only Born MPS. Every routine here is a gauge transformation (insert X X^-1 on a bond, with
 * X from a QR / LQ factorisation) or an SVD truncation. For a Born MPS, P ∝ psi^2 and psi is an
 * element of a Euclidean space, so orthogonal gauges leave psi (hence P) unchanged and the SVD
 * gives the best approximation of psi in the 2-norm. For a linear MPS the entries must stay
 * >= 0 so that every contraction is a probability weight; orthogonal factors and singular
 * vectors have entries of both signs, so the transformed tensors are no longer a valid linear
 * MPS (and a truncated one can give negative "probabilities"). Non-negative compression is a
 * different problem (non-negative matrix factorisation, no Eckart-Young optimum), so these
 * functions refuse `kind: 'linear'` with an InvalidArgumentError instead of silently returning
 * signed tensors.
 */
import {
  assertFinite,
  assertInteger,
  assertKnownOptions,
  invalidArgument,
  optionKeys,
} from './errors';
import { lq, matmul, qr, svd } from './linalg';
import { assertMPS, MPS } from './mps';
import { rangeForm } from './range';

/** Options of {@link canonicalize}. */
export interface CanonicalizeOptions {
  /**
   * The orthogonality center: sites left of it become left-orthonormal, sites right of it
   * right-orthonormal. Default 0 (the right-canonical form).
   */
  center?: number;
}

/** Result of {@link canonicalize}. */
export interface CanonicalizeResult {
  /** The same state in mixed canonical form, scaled to unit 2-norm (sum_x psi(x)^2 = 1). */
  mps: MPS;
  /** The site that carries the norm (equal to the requested `center`). */
  orthogonalityCenter: number;
  /** Natural log of the 2-norm of the input amplitudes: psi_in = exp(logNorm) * psi_out. */
  logNorm: number;
}

/** Options of {@link compress}. */
export interface CompressOptions {
  /** Largest bond dimension kept at every bond: a positive integer or Infinity (default). */
  maxBondDim?: number;
  /**
   * Relative discarded weight per bond, as in ITensor (default 0): at each bond the smallest
   * singular values are dropped while (sum of their squares) / (sum of all squares) <= cutoff.
   * With 0 only exact zeros are dropped. quimb: `cutoff_mode='rsum2'`; TeNPy: `trunc_cut` is
   * its square root (TeNPy bounds the norm of the discarded part: sum of squares <= trunc_cut^2;
   * its `svd_min` is a different, absolute, threshold).
   */
  cutoff?: number;
}

/** Result of {@link compress}. */
export interface CompressResult {
  /**
   * The compressed state, left-canonical (orthogonality center at the last site) and scaled
   * to unit 2-norm.
   */
  mps: MPS;
  /**
   * Per bond (N - 1 entries): discarded weight sum(s_dropped^2) / sum(s^2) of the normalised
   * Schmidt spectrum at that bond during the left-to-right sweep.
   */
  truncationError: Float64Array;
  /**
   * Total relative error 1 - prod_i (1 - truncationError[i]). It equals exactly
   * ||psi - psi_trunc||^2 / ||psi||^2, where psi_trunc is the (unnormalised) orthogonal
   * projection produced by the sweep, and 1 - |<psi_hat, mps_hat>|^2 for the normalised states.
   */
  totalTruncationError: number;
  /** Bond dimensions of the result (N - 1 entries). */
  bondDims: number[];
  /** Natural log of the 2-norm of the input amplitudes. */
  logNorm: number;
}

/** Throws unless `mps` is a Born MPS; explains why linear MPS are refused. */
function requireBorn(fn: string, mps: unknown): asserts mps is MPS {
  assertMPS(fn, mps);
  if (mps.kind !== 'born') {
    invalidArgument(
      fn,
      'mps.kind',
      mps.kind,
      '"born": QR gauge transformations and SVD truncation produce tensors with entries of both ' +
        'signs, so they cannot keep a linear MPS non-negative; use a Born MPS (amplitudes sqrt(P)) ' +
        'for canonical forms, compression and Schmidt spectra',
    );
  }
}

/** Frobenius norm, scaled against overflow. @internal */
export function frobenius(a: Float64Array): number {
  let scale = 0;
  for (let k = 0; k < a.length; k++) {
    const v = Math.abs(a[k]!);
    if (v > scale) scale = v;
  }
  if (scale === 0) return 0;
  let ss = 0;
  for (let k = 0; k < a.length; k++) {
    const v = a[k]! / scale;
    ss += v * v;
  }
  return scale * Math.sqrt(ss);
}

function zeroState(fn: string, site?: number): never {
  return invalidArgument(
    fn,
    'mps',
    'psi = 0',
    site === undefined
      ? 'a Born MPS with a non-zero amplitude vector'
      : `a Born MPS with a non-zero amplitude vector (its amplitudes cancel at site ${site}, or the canonical form loses every digit there: what is left of a product is within float64's rounding of its terms, psi = 0 written with terms of both signs, or entries far larger than the state in directions the rest of the chain does not use)`,
  );
}

/**
 * A product of a gauge step (a unit-norm factor times a neighbour's tensor) whose Frobenius norm
 * is below this fraction of the size of its terms is rounding residue: about 128 units of
 * rounding. A state that cancels this far (psi = 0 written with terms of both signs) has no
 * significant digit left; it was sampled, canonicalised and compressed as if the residue were a
 * state.
 */
const CANCELLED = 2 ** -45;

/**
 * The product a (rows x inner) times b (inner x cols), refused as the zero state where it cancels
 * to rounding: its norm <= CANCELLED * sum_k ||column k of a|| ||row k of b||, a bound on the
 * norm of |a| |b| that leaves out the directions the product does not use.
 */
function gaugeProduct(
  site: number,
  a: Float64Array,
  b: Float64Array,
  rows: number,
  inner: number,
  cols: number,
): Float64Array {
  const product = matmul(a, b, rows, inner, cols);
  let terms = 0;
  for (let k = 0; k < inner; k++) {
    // (squares in range: the chain's entries are those of the range form, within 2^-100..2^100,
    // or of unit-norm factors)
    let aa = 0;
    for (let i = 0; i < rows; i++) aa += a[i * inner + k]! ** 2;
    if (aa === 0) continue;
    let bb = 0;
    for (let j = 0; j < cols; j++) bb += b[k * cols + j]! ** 2;
    terms += Math.sqrt(aa * bb);
  }
  if (frobenius(product) <= CANCELLED * terms) throw new Cancelled(site);
  return product;
}

/** A gauge step whose product is rounding residue (see gaugeProduct), at `site`. */
class Cancelled {
  constructor(readonly site: number) {}
}

/** Working copy of an MPS: tensors and bond dimensions dims[i] = left dim of site i (dims[N] = 1). */
interface Chain {
  tensors: Float64Array[];
  dims: number[];
  physicalDims: number[];
}

function toChain(mps: MPS): Chain {
  const dims: number[] = [];
  for (let i = 0; i < mps.length; i++) dims.push(mps.leftDim(i));
  dims.push(1);
  return {
    tensors: mps.tensors.map((t) => new Float64Array(t)),
    dims,
    physicalDims: [...mps.physicalDims],
  };
}

/**
 * Brings the chain into mixed canonical form around `center` (QR from the left, LQ from the
 * right), scales it to unit 2-norm and returns log of the removed norm.
 */
function gauge(fn: string, chain: Chain, center: number): number {
  const saved = { tensors: [...chain.tensors], dims: [...chain.dims] };
  try {
    return gaugeSweeps(fn, chain, center);
  } catch (error) {
    if (!(error instanceof Cancelled)) throw error;
    if (center > 0) {
      // the left-to-right pass multiplies raw tensors, whose large entries in directions the
      // rest of the chain does not use inflate the size of the terms (a review found psi = 2
      // everywhere refused at centre 1): from the right-canonical form those are gone
      try {
        chain.tensors.splice(0, chain.tensors.length, ...saved.tensors);
        chain.dims.splice(0, chain.dims.length, ...saved.dims);
        const logNorm = gaugeSweeps(fn, chain, 0);
        return logNorm + gaugeSweeps(fn, chain, center);
      } catch (again) {
        if (again instanceof Cancelled) zeroState(fn, again.site);
        throw again;
      }
    }
    return zeroState(fn, error.site);
  }
}

function gaugeSweeps(fn: string, chain: Chain, center: number): number {
  const { tensors, dims, physicalDims } = chain;
  const n = tensors.length;
  let logNorm = 0;
  for (let i = 0; i < center; i++) {
    const l = dims[i]!;
    const d = physicalDims[i]!;
    const r = dims[i + 1]!;
    const { q, r: rr } = qr(tensors[i]!, l * d, r);
    const k = Math.min(l * d, r);
    const norm = frobenius(rr);
    if (norm === 0) zeroState(fn);
    for (let t = 0; t < rr.length; t++) rr[t]! /= norm;
    logNorm += Math.log(norm);
    tensors[i] = q;
    const cols = physicalDims[i + 1]! * dims[i + 2]!;
    tensors[i + 1] = gaugeProduct(i + 1, rr, tensors[i + 1]!, k, r, cols);
    dims[i + 1] = k;
  }
  for (let i = n - 1; i > center; i--) {
    const l = dims[i]!;
    const cols = physicalDims[i]! * dims[i + 1]!;
    const { l: ll, q } = lq(tensors[i]!, l, cols);
    const k = Math.min(l, cols);
    const norm = frobenius(ll);
    if (norm === 0) zeroState(fn);
    for (let t = 0; t < ll.length; t++) ll[t]! /= norm;
    logNorm += Math.log(norm);
    tensors[i] = q;
    const rows = dims[i - 1]! * physicalDims[i - 1]!;
    tensors[i - 1] = gaugeProduct(i - 1, tensors[i - 1]!, ll, rows, l, k);
    dims[i] = k;
  }
  const c = tensors[center]!;
  const norm = frobenius(c);
  if (norm === 0) zeroState(fn);
  for (let t = 0; t < c.length; t++) c[t]! /= norm;
  return logNorm + Math.log(norm);
}

/**
 * Number of singular values to keep (ITensor semantics): at most `maxBondDim`, then drop the
 * smallest while their relative squared weight stays <= cutoff; at least one is kept.
 * Returns the count and the discarded relative weight. @internal (shared with the factor builder)
 */
export function rankToKeep(
  s: Float64Array,
  maxBondDim: number,
  cutoff: number,
): { keep: number; discarded: number } {
  const k = s.length;
  // tail[j] = sum_{i >= j} s_i^2, summed from the smallest value up
  const tail = new Float64Array(k + 1);
  for (let j = k - 1; j >= 0; j--) tail[j] = tail[j + 1]! + s[j]! * s[j]!;
  const total = tail[0]!;
  if (total === 0) return { keep: 1, discarded: 0 };
  let keep = Math.min(k, maxBondDim);
  while (keep > 1 && tail[keep - 1]! <= cutoff * total) keep--;
  return { keep, discarded: tail[keep]! / total };
}

/**
 * Left-to-right SVD sweep over a right-canonical, unit-norm chain (center 0): truncates every
 * bond, leaves the chain left-canonical with the norm on the last site, and returns the
 * normalised Schmidt values (before truncation) and the per-bond discarded weights.
 */
function svdSweep(
  chain: Chain,
  maxBondDim: number,
  cutoff: number,
): { schmidt: Float64Array[]; errors: Float64Array } {
  const { tensors, dims, physicalDims } = chain;
  const n = tensors.length;
  const schmidt: Float64Array[] = [];
  const errors = new Float64Array(Math.max(0, n - 1));
  for (let i = 0; i < n - 1; i++) {
    const l = dims[i]!;
    const d = physicalDims[i]!;
    const r = dims[i + 1]!;
    const rows = l * d;
    const { u, s, vt } = svd(tensors[i]!, rows, r);
    const k = s.length;
    const norm = frobenius(s);
    schmidt.push(norm > 0 ? s.map((v) => v / norm) : new Float64Array(s));
    const { keep, discarded } = rankToKeep(s, maxBondDim, cutoff);
    errors[i] = discarded;
    const left = new Float64Array(rows * keep);
    for (let a = 0; a < rows; a++)
      for (let b = 0; b < keep; b++) left[a * keep + b] = u[a * k + b]!;
    const sv = new Float64Array(keep * r);
    for (let b = 0; b < keep; b++) {
      const sb = s[b]!;
      for (let c = 0; c < r; c++) sv[b * r + c] = sb * vt[b * r + c]!;
    }
    tensors[i] = left;
    const cols = physicalDims[i + 1]! * dims[i + 2]!;
    tensors[i + 1] = matmul(sv, tensors[i + 1]!, keep, r, cols);
    dims[i + 1] = keep;
  }
  return { schmidt, errors };
}

/** Validates `{ maxBondDim, cutoff }` (defaults Infinity and 0), naming `fn`. @internal */
/**
 * How many singular values a truncation keeps, with the semantics of every truncation here
 * (ITensor's maxdim/cutoff): at most `maxBondDim`, then the smallest dropped while their
 * squared weight relative to the total stays <= `cutoff`; at least one. `singularValues` are
 * in non-increasing order. Returns the count and the discarded relative weight.
 */
export function truncationRank(
  singularValues: Float64Array,
  options: CompressOptions = {},
): { keep: number; discarded: number } {
  const fn = 'truncationRank';
  if (typeof options === 'object' && options !== null) {
    assertKnownOptions(fn, options, optionKeys<CompressOptions>()(['maxBondDim', 'cutoff']));
  }
  if (!(singularValues instanceof Float64Array) || singularValues.length < 1) {
    invalidArgument(fn, 'singularValues', singularValues, 'a non-empty Float64Array');
  }
  for (let k = 0; k < singularValues.length; k++) {
    const v = singularValues[k]!;
    if (!(v >= 0 && Number.isFinite(v)) || (k > 0 && v > singularValues[k - 1]!)) {
      invalidArgument(
        fn,
        'singularValues',
        v,
        `finite non-negative values in non-increasing order (entry ${k})`,
      );
    }
  }
  const { maxBondDim, cutoff } = checkCompressOptions(fn, options);
  return rankToKeep(singularValues, maxBondDim, cutoff);
}

export function checkCompressOptions(
  fn: string,
  options: unknown,
): { maxBondDim: number; cutoff: number } {
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    invalidArgument(fn, 'options', options, 'an options object');
  }
  const o = (options ?? {}) as CompressOptions;
  const maxBondDim = o.maxBondDim ?? Number.POSITIVE_INFINITY;
  if (
    typeof maxBondDim !== 'number' ||
    !(maxBondDim === Number.POSITIVE_INFINITY || (Number.isInteger(maxBondDim) && maxBondDim >= 1))
  ) {
    invalidArgument(fn, 'maxBondDim', maxBondDim, 'a positive integer (or Infinity)');
  }
  const cutoff = o.cutoff ?? 0;
  assertFinite(fn, 'cutoff', cutoff, 0, 1);
  return { maxBondDim, cutoff };
}

function chainToMPS(chain: Chain): MPS {
  return MPS.unsafeCreate('born', chain.physicalDims, chain.tensors);
}

/**
 * Mixed canonical form of a Born MPS: sites left of `center` left-orthonormal, sites right of
 * it right-orthonormal (by QR / LQ sweeps), the state scaled to unit 2-norm with the removed
 * scale returned as `logNorm` (natural log of ||psi||_2). A gauge transformation: psi, hence
 * the distribution P ∝ psi^2, is unchanged up to the scale. Bond dimensions can only shrink
 * (to min(left * d, right) along the sweeps). Refuses linear MPS (see the module comment) and
 * the zero state.
 */
export function canonicalize(mps: MPS, options: CanonicalizeOptions = {}): CanonicalizeResult {
  const fn = 'canonicalize';
  requireBorn(fn, mps);
  if (typeof options !== 'object' || options === null) {
    invalidArgument(fn, 'options', options, 'an options object');
  }
  assertKnownOptions(fn, options, optionKeys<CanonicalizeOptions>()(['center']));
  const center = options.center ?? 0;
  assertInteger(fn, 'center', center, 0, mps.length - 1);
  return canonicalizeAs(fn, mps, center);
}

/**
 * {@link canonicalize} of a checked Born MPS and centre, with errors naming the calling function
 * `fn` (the samplers' canonical form). @internal
 */
export function canonicalizeAs(fn: string, mps: MPS, center: number): CanonicalizeResult {
  // (the form in float64's range: the same state up to a power of two per site)
  const range = rangeForm(mps);
  const chain = toChain(range.mps);
  const logNorm = gauge(fn, chain, center) + range.logFactor / 2;
  return { mps: chainToMPS(chain), orthogonalityCenter: center, logNorm };
}

/**
 * SVD compression of a Born MPS: right-canonicalize, then sweep left to right, truncating the
 * Schmidt spectrum of every bond to at most `maxBondDim` values and dropping the smallest
 * values while their relative squared weight stays <= `cutoff` (ITensor's convention; see
 * {@link CompressOptions}). The result is left-canonical and normalised; `truncationError`
 * reports the discarded weight per bond and `totalTruncationError` the exact overall relative
 * 2-norm error. With the defaults (cutoff 0, maxBondDim Infinity) the result is exact up to
 * rounding and only exactly-zero singular values are removed. Refuses linear MPS.
 */
export function compress(mps: MPS, options: CompressOptions = {}): CompressResult {
  if (typeof options === 'object' && options !== null) {
    assertKnownOptions(
      'compress',
      options,
      optionKeys<CompressOptions>()(['maxBondDim', 'cutoff']),
    );
  }
  return compressAs('compress', mps, options);
}

/**
 * {@link compress} with error messages naming the calling function `fn` (used by `applyMPO`).
 * @internal
 */
export function compressAs(fn: string, mps: MPS, options: CompressOptions): CompressResult {
  requireBorn(fn, mps);
  const { maxBondDim, cutoff } = checkCompressOptions(fn, options);
  const range = rangeForm(mps);
  const chain = toChain(range.mps);
  const logNorm = gauge(fn, chain, 0) + range.logFactor / 2;
  const { errors } = svdSweep(chain, maxBondDim, cutoff);
  let logKept = 0;
  for (const e of errors) logKept += Math.log1p(-e);
  const totalTruncationError = Math.max(0, -Math.expm1(logKept));
  const last = chain.tensors[chain.tensors.length - 1]!;
  const norm = frobenius(last);
  if (norm === 0) zeroState(fn);
  for (let t = 0; t < last.length; t++) last[t]! /= norm;
  const result = chainToMPS(chain);
  return {
    mps: result,
    truncationError: errors,
    totalTruncationError,
    bondDims: [...result.bondDims],
    logNorm,
  };
}

/**
 * Schmidt values of a Born MPS at every bond (N - 1 arrays): the singular values of psi
 * reshaped as (sites 0..i) x (sites i+1..N-1), in descending order and normalised so that
 * sum s^2 = 1. Array i has min(prod left dims, bond dimension after canonicalization) entries
 * and may end with zeros. Refuses linear MPS.
 */
export function schmidtValues(mps: MPS): Float64Array[] {
  return schmidtValuesFor('schmidtValues', mps);
}

/**
 * Von Neumann entanglement entropy of a Born MPS at every bond (N - 1 entries), in nats
 * (natural logarithm): S_i = -sum_k p_k ln p_k with p_k = s_k^2 the squared normalised Schmidt
 * values of bond i. 0 for a product state, ln 2 for a Bell-like pair. Refuses linear MPS.
 */
export function entanglementEntropy(mps: MPS): Float64Array {
  const values = schmidtValuesFor('entanglementEntropy', mps);
  const out = new Float64Array(values.length);
  values.forEach((s, i) => {
    let h = 0;
    for (const v of s) {
      const p = v * v;
      if (p > 0) h -= p * Math.log(p);
    }
    out[i] = h;
  });
  return out;
}

function schmidtValuesFor(fn: string, mps: MPS): Float64Array[] {
  requireBorn(fn, mps);
  const chain = toChain(rangeForm(mps).mps);
  gauge(fn, chain, 0);
  return svdSweep(chain, Number.POSITIVE_INFINITY, 0).schmidt;
}
