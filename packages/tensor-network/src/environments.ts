/**
 * Per-sample environments of an MPS: the contractions that likelihood training needs, on the
 * float64 kernels of the workspace (WebAssembly SIMD, or the JavaScript fallback).
 *
 * For a batch of configurations x_b, the left environment of sample b at bond k is the row
 * vector L_b = A_0[x_b0] ... A_{k-1}[x_b,k-1] and its right environment the column vector
 * R_b = A_k[x_bk] ... A_{N-1}[x_b,N-1], so that the amplitude is L_b R_b at every bond. A site
 * tensor T of shape [l, D, r] (D may be a product of physical dimensions, e.g. a two-site block
 * [l, d1 d2, r] indexed by s1 d2 + s2) and one digit per sample give three operations:
 *
 * - {@link transferSampleEnvironments}: L_b <- L_b T[:, x_b, :] (direction `"right"`) or
 *   R_b <- T[:, x_b, :] R_b (`"left"`), rows optionally rescaled to max |entry| = 1;
 * - {@link sampleAmplitudes}: psi_b = L_b T[:, x_b, :] R_b;
 * - {@link accumulateSampleOuterProducts}: G[:, x_b, :] += w_b L_b^T R_b^T, summed over b (the
 *   gradient of sum_b w_b psi_b with respect to T).
 *
 * Samples are grouped by digit (a counting sort), so each digit's rows are one gathered matrix
 * product. Environments are row-major: `count` rows of l (left) or r (right) entries.
 */
import { assertInteger, assertKnownOptions, invalidArgument, optionKeys } from './errors';
import { groupRowsByDigit, type Workspace, workspace } from './workspace';

/** A site tensor (or a block of sites) of shape [leftDim, physicalDim, rightDim], row-major. */
export interface SiteTensorView {
  data: Float64Array;
  leftDim: number;
  physicalDim: number;
  rightDim: number;
}

/** Options of {@link transferSampleEnvironments}. */
export interface TransferOptions {
  /**
   * Rescale every output row to max |entry| = 1 (default false). Ratios such as
   * G / psi are unchanged by the scale; products over many sites stay in range.
   */
  rescale?: boolean;
  /** Receives each row's maximum |entry| before rescaling (length count; needs `rescale`). */
  scales?: Float64Array;
  /**
   * Receives the result (count rows of the output's size), which is then returned instead of a
   * new array; it may be `environments` itself (the input is read before it is written).
   */
  out?: Float64Array;
}

function checkTensor(fn: string, tensor: SiteTensorView): void {
  if (typeof tensor !== 'object' || tensor === null || !(tensor.data instanceof Float64Array)) {
    invalidArgument(fn, 'tensor', tensor, 'a site tensor { data: Float64Array, leftDim, ... }');
  }
  assertInteger(fn, 'tensor.leftDim', tensor.leftDim, 1);
  assertInteger(fn, 'tensor.physicalDim', tensor.physicalDim, 1);
  assertInteger(fn, 'tensor.rightDim', tensor.rightDim, 1);
  const size = tensor.leftDim * tensor.physicalDim * tensor.rightDim;
  if (tensor.data.length !== size) {
    invalidArgument(
      fn,
      'tensor.data',
      `an array of length ${tensor.data.length}`,
      `leftDim * physicalDim * rightDim = ${size} entries`,
    );
  }
}

function checkDigits(fn: string, digits: Int32Array, d: number): void {
  if (!(digits instanceof Int32Array)) invalidArgument(fn, 'digits', digits, 'an Int32Array');
  for (let b = 0; b < digits.length; b++) {
    const s = digits[b]!;
    if (!(s >= 0 && s < d)) {
      invalidArgument(fn, 'digits', s, `digits in [0, ${d - 1}] (sample ${b})`);
    }
  }
}

function checkRows(fn: string, name: string, x: Float64Array, count: number, len: number): void {
  if (!(x instanceof Float64Array) || x.length !== count * len) {
    invalidArgument(
      fn,
      name,
      x instanceof Float64Array ? `an array of length ${x.length}` : x,
      `a Float64Array of ${count} rows of ${len} entries`,
    );
  }
}

/**
 * Rows grouped by a digit: rows[offsets[s]..offsets[s+1]) are those with digit s, in increasing
 * order (the order of groupRowsByDigit, so the same sums to the bit); internal.
 */
export interface RowGroups {
  rows: Int32Array;
  offsets: Int32Array;
}

/** The rows of `digits` (d values) grouped by digit, in arrays of their own (internal). */
export function groupRows(digits: Int32Array, d: number): RowGroups {
  const ws = workspace();
  const list = ws.alloc(Math.ceil(Math.max(digits.length, 1) / 2)) * 2;
  const offsets = new Int32Array(d + 1);
  groupRowsByDigit(ws, digits, 1, 0, digits.length, d, list, offsets);
  return { rows: ws.i32.slice(list, list + digits.length), offsets };
}

/**
 * y[b] = x[b] @ M_{digit of b} for every row b, the rows grouped by digit (the int32 list at
 * `list`, offsets[s]..offsets[s+1] for digit s): one gathered matrix product per digit. Slice s
 * of M starts at m + s * sliceOffset with row stride `mStride` (inner x outer). Internal.
 */
export function productsByDigit(
  ws: Workspace,
  offsets: Int32Array,
  d: number,
  list: number,
  x: number,
  y: number,
  m: number,
  sliceOffset: number,
  mStride: number,
  inner: number,
  outer: number,
): void {
  for (let s = 0; s < d; s++) {
    const start = offsets[s]!;
    const rows = offsets[s + 1]! - start;
    if (rows > 0) {
      ws.gatheredGemm(x, y, list + start, rows, m + s * sliceOffset, mStride, inner, outer, -1);
    }
  }
}

/**
 * data[:, s, :] += sum over digit s's rows b (the grouped list, as {@link productsByDigit}) of
 * w_b x_b^T z_b^T, for a [l, d, r] `data`: per digit the rows gathered into lt (l x rows) and
 * rw (rows x r), one GEMM into g (l x r), added (internal; lt and rw hold the largest group).
 */
export function accumulateOuterByDigit(
  ws: Workspace,
  offsets: Int32Array,
  d: number,
  list: number,
  x: number,
  z: number,
  w: number,
  l: number,
  r: number,
  lt: number,
  rw: number,
  g: number,
  data: Float64Array,
): void {
  for (let s = 0; s < d; s++) {
    const start = offsets[s]!;
    const rows = offsets[s + 1]! - start;
    if (rows === 0) continue;
    ws.gatherOuterRows(x, z, w, list + start, rows, l, r, lt, rw);
    ws.gemm(lt, rw, r, g, l, rows, r);
    const h = ws.f64;
    for (let a = 0; a < l; a++) {
      const base = (a * d + s) * r;
      const go = g + a * r;
      for (let c = 0; c < r; c++) data[base + c]! += h[go + c]!;
    }
  }
}

/** The options object of a transfer step: an object with no key but TransferOptions'. */
function checkTransferOptions(fn: string, options: unknown): asserts options is TransferOptions {
  if (typeof options !== 'object' || options === null) {
    invalidArgument(fn, 'options', options, 'an options object { rescale?, scales?, out? }');
  }
  assertKnownOptions(fn, options, optionKeys<TransferOptions>()(['rescale', 'scales', 'out']));
}

/**
 * One transfer step of per-sample environments through a site tensor: for direction `"right"`,
 * out_b = L_b T[:, x_b, :] (rows of leftDim in, rightDim out); for `"left"`,
 * out_b = T[:, x_b, :] R_b (rows of rightDim in, leftDim out). Returns a new array, or
 * `options.out` filled.
 */
export function transferSampleEnvironments(
  tensor: SiteTensorView,
  digits: Int32Array,
  environments: Float64Array,
  direction: 'right' | 'left',
  options: TransferOptions = {},
): Float64Array {
  const fn = 'transferSampleEnvironments';
  checkTensor(fn, tensor);
  checkTransferOptions(fn, options);
  const { leftDim: l, physicalDim: d, rightDim: r } = tensor;
  checkDigits(fn, digits, d);
  if (direction !== 'right' && direction !== 'left') {
    invalidArgument(fn, 'direction', direction, '"right" or "left"');
  }
  const count = digits.length;
  const inner = direction === 'right' ? l : r;
  const outer = direction === 'right' ? r : l;
  checkRows(fn, 'environments', environments, count, inner);
  const rescale = options.rescale ?? false;
  if (options.scales !== undefined) {
    if (!rescale) invalidArgument(fn, 'options.scales', 'given', 'absent unless rescale is true');
    checkRows(fn, 'options.scales', options.scales, count, 1);
  }
  if (options.out !== undefined) checkRows(fn, 'options.out', options.out, count, outer);
  return transferRows(
    tensor.data,
    l,
    d,
    r,
    direction,
    environments,
    digits,
    rescale,
    options.out,
    options.scales,
  );
}

/**
 * The kernel calls of {@link transferSampleEnvironments} on checked inputs (internal: the sweep
 * shards call it with their rows grouped once, {@link RowGroups}, instead of the digits): the rows
 * of `environments` through the [l, d, r] tensor; into `out` when given (else a new array), each
 * row's maximum |entry| before rescaling into `scales` when given.
 */
export function transferRows(
  tensor: Float64Array,
  l: number,
  d: number,
  r: number,
  direction: 'right' | 'left',
  environments: Float64Array,
  digits: Int32Array | RowGroups,
  rescale: boolean,
  out?: Float64Array,
  scales?: Float64Array,
): Float64Array {
  const grouped = digits instanceof Int32Array ? undefined : digits;
  const count = grouped === undefined ? (digits as Int32Array).length : grouped.rows.length;
  const inner = direction === 'right' ? l : r;
  const outer = direction === 'right' ? r : l;
  const c1 = Math.max(count, 1);
  const ws = workspace();
  const x = ws.alloc(c1 * inner);
  const y = ws.alloc(c1 * outer);
  const t = ws.alloc(l * d * r);
  const list = ws.alloc(Math.ceil(c1 / 2)) * 2;
  const maxOut = ws.alloc(c1);
  let f = ws.f64;
  f.set(environments, x);
  if (direction === 'right') {
    f.set(tensor, t);
  } else {
    // slices transposed: T_s^T (r x l) at t + s r l
    for (let s = 0; s < d; s++) {
      const o = t + s * r * l;
      for (let a = 0; a < l; a++) {
        const base = (a * d + s) * r;
        for (let c = 0; c < r; c++) f[o + c * l + a] = tensor[base + c]!;
      }
    }
  }
  let offsets: Int32Array;
  if (grouped === undefined) {
    offsets = new Int32Array(d + 1);
    groupRowsByDigit(ws, digits as Int32Array, 1, 0, count, d, list, offsets);
  } else {
    ws.i32.set(grouped.rows, list);
    offsets = grouped.offsets;
  }
  if (direction === 'right') productsByDigit(ws, offsets, d, list, x, y, t, r, d * r, l, r);
  else productsByDigit(ws, offsets, d, list, x, y, t, r * l, l, r, l);
  if (rescale) ws.rescaleRows(y, count, outer, maxOut);
  f = ws.f64;
  if (out === undefined) out = f.slice(y, y + count * outer);
  else out.set(f.subarray(y, y + count * outer));
  if (scales !== undefined) scales.set(f.subarray(maxOut, maxOut + count));
  return out;
}

/** psi_b = L_b T[:, x_b, :] R_b for every sample b (left rows of leftDim, right rows of rightDim). */
export function sampleAmplitudes(
  tensor: SiteTensorView,
  digits: Int32Array,
  left: Float64Array,
  right: Float64Array,
): Float64Array {
  const fn = 'sampleAmplitudes';
  checkTensor(fn, tensor);
  const { leftDim: l, physicalDim: d, rightDim: r } = tensor;
  checkDigits(fn, digits, d);
  const count = digits.length;
  checkRows(fn, 'left', left, count, l);
  checkRows(fn, 'right', right, count, r);
  const c1 = Math.max(count, 1);
  const ws = workspace();
  const x = ws.alloc(c1 * l);
  const rr = ws.alloc(c1 * r);
  const y = ws.alloc(c1 * r);
  const t = ws.alloc(l * d * r);
  const list = ws.alloc(Math.ceil(c1 / 2)) * 2;
  const dots = ws.alloc(c1);
  let f = ws.f64;
  f.set(left, x);
  f.set(right, rr);
  f.set(tensor.data, t);
  const offsets = new Int32Array(d + 1);
  groupRowsByDigit(ws, digits, 1, 0, count, d, list, offsets);
  productsByDigit(ws, offsets, d, list, x, y, t, r, d * r, l, r);
  ws.rowDots(y, rr, dots, count, 1, r);
  f = ws.f64;
  return f.slice(dots, dots + count);
}

/**
 * out[:, x_b, :] += weights[b] * L_b^T R_b^T, summed over the samples b: the gradient of
 * sum_b weights[b] psi_b with respect to the tensor (shape [leftDim, physicalDim, rightDim],
 * accumulated into `out`, whose length is leftDim * physicalDim * rightDim).
 */
export function accumulateSampleOuterProducts(
  out: SiteTensorView,
  digits: Int32Array,
  left: Float64Array,
  right: Float64Array,
  weights: Float64Array,
): void {
  const fn = 'accumulateSampleOuterProducts';
  checkTensor(fn, out);
  const { leftDim: l, physicalDim: d, rightDim: r } = out;
  checkDigits(fn, digits, d);
  const count = digits.length;
  checkRows(fn, 'left', left, count, l);
  checkRows(fn, 'right', right, count, r);
  checkRows(fn, 'weights', weights, count, 1);
  if (count === 0) return;
  const ws = workspace();
  // the rows in the module's memory, listed by digit (list + offsets[s] ..)
  const x = ws.alloc(count * l);
  const z = ws.alloc(count * r);
  const w = ws.alloc(count);
  const list = ws.alloc(Math.ceil(count / 2)) * 2;
  const offsets = new Int32Array(d + 1);
  groupRowsByDigit(ws, digits, 1, 0, count, d, list, offsets);
  let largest = 0;
  for (let s = 0; s < d; s++) largest = Math.max(largest, offsets[s + 1]! - offsets[s]!);
  // per digit: Lt (l x rows) = gathered L^T, Rw (rows x r) = gathered w_b R_b, G_s = Lt @ Rw
  const lt = ws.alloc(l * largest);
  const rw = ws.alloc(largest * r);
  const g = ws.alloc(l * r);
  const f = ws.f64;
  f.set(left, x);
  f.set(right, z);
  f.set(weights, w);
  accumulateOuterByDigit(ws, offsets, d, list, x, z, w, l, r, lt, rw, g, out.data);
}

/**
 * Per-sample weights of a double-layer step: `count` rows of physicalDim weights w_b[s]
 * (count = weights.length / physicalDim).
 */
function weightRows(fn: string, weights: Float64Array, d: number): number {
  if (!(weights instanceof Float64Array) || weights.length % d !== 0) {
    invalidArgument(
      fn,
      'weights',
      weights instanceof Float64Array ? `an array of length ${weights.length}` : weights,
      `a Float64Array of count rows of physicalDim = ${d} weights`,
    );
  }
  for (let k = 0; k < weights.length; k++) {
    if (!Number.isFinite(weights[k]!)) invalidArgument(fn, 'weights', weights[k], 'finite weights');
  }
  return weights.length / d;
}

/**
 * One transfer step of per-sample double-layer (Born) environments, with per-sample weights of
 * the digits: for direction `"right"`, out_b = sum_s w_b[s] T_s^T L_b T_s (L_b leftDim x leftDim
 * in, rightDim x rightDim out); for `"left"`, out_b = sum_s w_b[s] T_s R_b T_s^T (R_b rightDim x
 * rightDim in, leftDim x leftDim out); T_s = T[:, s, :]. `weights` holds count rows of
 * physicalDim entries (one digit x_b per sample: w_b[s] = 1 if s = x_b, else 0; a noise kernel:
 * w_b[s] = k(y_b | s)). Environments are row-major, one matrix per sample. Returns a new array.
 * These are the environments of a Born MPS reweighted per site, as in exact denoising and the
 * noised distribution of a Born MPS (TeNPy's and quimb's two-layer environments, batched).
 */
export function transferBornEnvironments(
  tensor: SiteTensorView,
  weights: Float64Array,
  environments: Float64Array,
  direction: 'right' | 'left',
  options: TransferOptions = {},
): Float64Array {
  const fn = 'transferBornEnvironments';
  checkTensor(fn, tensor);
  checkTransferOptions(fn, options);
  const { leftDim: l, physicalDim: d, rightDim: r } = tensor;
  const count = weightRows(fn, weights, d);
  if (direction !== 'right' && direction !== 'left') {
    invalidArgument(fn, 'direction', direction, '"right" or "left"');
  }
  const inner = direction === 'right' ? l : r;
  const outer = direction === 'right' ? r : l;
  checkRows(fn, 'environments', environments, count, inner * inner);
  const rescale = options.rescale ?? false;
  if (options.scales !== undefined) {
    if (!rescale) invalidArgument(fn, 'options.scales', 'given', 'absent unless rescale is true');
    checkRows(fn, 'options.scales', options.scales, count, 1);
  }
  if (options.out !== undefined) checkRows(fn, 'options.out', options.out, count, outer);
  const c1 = Math.max(count, 1);
  const m = Math.max(l, r);
  const ws = workspace();
  const slices = ws.alloc(l * d * r);
  const transposed = ws.alloc(l * d * r);
  const prev = ws.alloc(c1 * inner * inner);
  const out = ws.alloc(c1 * outer * outer);
  const w = ws.alloc(c1 * d);
  const y = ws.alloc(m * m);
  const z = ws.alloc(m * m);
  const maxOut = ws.alloc(c1);
  let f = ws.f64;
  // T_s (l x r) at slices + s l r, T_s^T (r x l) at transposed + s r l
  const src = tensor.data;
  for (let s = 0; s < d; s++) {
    for (let a = 0; a < l; a++) {
      for (let c = 0; c < r; c++) {
        const v = src[(a * d + s) * r + c]!;
        f[slices + s * l * r + a * r + c] = v;
        f[transposed + s * r * l + c * l + a] = v;
      }
    }
  }
  f.set(environments, prev);
  f.set(weights, w);
  // the kernel computes out_b = sum_s w_b[s] X_s E_b X_s^T with X_s of outer x inner: T_s for
  // "left", T_s^T for "right" (every entry formed: the environments given may
  // be any matrices)
  if (direction === 'left') {
    ws.bornEnvironmentStep(slices, transposed, prev, out, w, d, count, l, r, d, y, z, 0);
  } else {
    ws.bornEnvironmentStep(transposed, slices, prev, out, w, d, count, r, l, d, y, z, 0);
  }
  if (rescale) ws.rescaleRows(out, count, outer * outer, maxOut);
  f = ws.f64;
  const result = f.slice(out, out + count * outer * outer);
  if (options.scales !== undefined) options.scales.set(f.subarray(maxOut, maxOut + count));
  return result;
}

/**
 * g_b[s] = <T_s, L_b T_s R_b>_F for every sample b and digit s (count x physicalDim, row-major):
 * the weight of digit s at this site of a Born MPS between per-sample double-layer environments
 * L_b (leftDim x leftDim) and R_b (rightDim x rightDim), e.g. from
 * {@link transferBornEnvironments}.
 */
export function bornSiteWeights(
  tensor: SiteTensorView,
  left: Float64Array,
  right: Float64Array,
): Float64Array {
  const fn = 'bornSiteWeights';
  checkTensor(fn, tensor);
  const { leftDim: l, physicalDim: d, rightDim: r } = tensor;
  if (!(left instanceof Float64Array) || left.length % (l * l) !== 0) {
    invalidArgument(
      fn,
      'left',
      left instanceof Float64Array ? `an array of length ${left.length}` : left,
      `a Float64Array of count matrices of leftDim^2 = ${l * l} entries`,
    );
  }
  const count = left.length / (l * l);
  checkRows(fn, 'right', right, count, r * r);
  const c1 = Math.max(count, 1);
  const ws = workspace();
  const slices = ws.alloc(l * d * r);
  const lo = ws.alloc(c1 * l * l);
  const ro = ws.alloc(c1 * r * r);
  const tr = ws.alloc(l * r);
  const ltr = ws.alloc(l * r);
  const dot = ws.alloc(1);
  const out = new Float64Array(count * d);
  let f = ws.f64;
  const src = tensor.data;
  for (let s = 0; s < d; s++)
    for (let a = 0; a < l; a++)
      for (let c = 0; c < r; c++) f[slices + s * l * r + a * r + c] = src[(a * d + s) * r + c]!;
  f.set(left, lo);
  f.set(right, ro);
  for (let b = 0; b < count; b++) {
    for (let s = 0; s < d; s++) {
      const ts = slices + s * l * r;
      ws.gemm(ts, ro + b * r * r, r, tr, l, r, r); // T_s R_b (l x r)
      ws.gemm(lo + b * l * l, tr, r, ltr, l, l, r); // L_b T_s R_b (l x r)
      ws.rowDots(ltr, ts, dot, 1, 1, l * r);
      f = ws.f64;
      out[b * d + s] = f[dot]!;
    }
  }
  return out;
}
