/**
 * Dense conversions for small N: the full probability vector in C order (site 0 is the most
 * significant digit) and back.
 */
import { assertFinite, invalidArgument } from './errors';
import { assertKindOptions, assertMPS, denseSize, MPS, type MPSKind } from './mps';

/**
 * The normalised probability vector P(x) of length prod_i d_i, in C order. Refuses more than
 * 2^24 configurations. Computed in float64 by contracting left to right, rescaled per site.
 */
export function toDense(mps: MPS): Float64Array {
  assertMPS('toDense', mps);
  const size = denseSize('toDense', mps.physicalDims);
  // amplitudes: rows = configurations of the prefix, columns = right bond
  let rows = 1;
  let current = new Float64Array([1]);
  let logScale = 0;
  for (let i = 0; i < mps.length; i++) {
    const [l, d, r] = mps.siteShape(i);
    const t = mps.tensors[i]!;
    const next = new Float64Array(rows * d * r);
    let maxAbs = 0;
    for (let p = 0; p < rows; p++) {
      for (let s = 0; s < d; s++) {
        const out = (p * d + s) * r;
        for (let a = 0; a < l; a++) {
          const c = current[p * l + a]!;
          if (c === 0) continue;
          const base = (a * d + s) * r;
          for (let b = 0; b < r; b++) next[out + b]! += c * t[base + b]!;
        }
        for (let b = 0; b < r; b++) {
          const v = Math.abs(next[out + b]!);
          if (v > maxAbs) maxAbs = v;
        }
      }
    }
    if (maxAbs > 0) {
      for (let k = 0; k < next.length; k++) next[k]! /= maxAbs;
      logScale += Math.log(maxAbs);
    }
    current = next;
    rows *= d;
  }
  const p = new Float64Array(size);
  let total = 0;
  for (let k = 0; k < size; k++) {
    const v = current[k]!;
    p[k] = mps.kind === 'born' ? v * v : v;
    total += p[k]!;
  }
  if (!(total > 0))
    invalidArgument(
      'toDense',
      'mps',
      'an MPS with zero total weight',
      'a normalisable distribution',
    );
  for (let k = 0; k < size; k++) p[k]! /= total;
  void logScale;
  return p;
}

/**
 * An exact MPS of a dense probability vector (C order, any non-negative weights, normalisation
 * not required). The construction copies prefix indices from the left and suffix indices from
 * the right, so every entry is a weight or 0/1 and a `linear` MPS stays non-negative; bond i has
 * dimension at most min(prod_{j<=i} d_j, prod_{j>i} d_j). For `born`, the amplitudes are the
 * square roots of the weights. Compress the result to reduce bond dimensions.
 */
export function fromDense(
  probabilities: ArrayLike<number>,
  physicalDims: readonly number[],
  options: { kind?: MPSKind } = {},
): MPS {
  const fn = 'fromDense';
  // (a kind of "Born" or a misspelt key made a linear MPS, silently another distribution)
  assertKindOptions(fn, options);
  const kind = options.kind ?? 'linear';
  if (
    !Array.isArray(physicalDims) ||
    physicalDims.length < 1 ||
    !physicalDims.every((d) => Number.isInteger(d) && d >= 2)
  ) {
    invalidArgument(fn, 'physicalDims', physicalDims, 'a non-empty array of integers >= 2');
  }
  const size = denseSize(fn, physicalDims);
  if (probabilities == null || probabilities.length !== size) {
    invalidArgument(
      fn,
      'probabilities',
      probabilities?.length,
      `a vector of length prod(physicalDims) = ${size}`,
    );
  }
  let total = 0;
  for (let k = 0; k < size; k++) {
    const v = probabilities[k] as number;
    assertFinite(fn, `probabilities[${k}]`, v, 0);
    total += v;
  }
  if (total <= 0) invalidArgument(fn, 'probabilities', 'all zero', 'weights with a positive sum');
  const n = physicalDims.length;
  // prefix sizes P_i = prod_{j<i} d_j, suffix sizes S_i = prod_{j>=i} d_j
  const prefix = [1];
  for (let i = 0; i < n; i++) prefix.push(prefix[i]! * physicalDims[i]!);
  const suffix = new Array<number>(n + 1).fill(1);
  for (let i = n - 1; i >= 0; i--) suffix[i] = suffix[i + 1]! * physicalDims[i]!;
  // split point m: bonds 1..m carry prefixes, bonds m+1..N-1 carry suffixes; site m holds the values
  let m = 0;
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const cost = prefix[i]! * physicalDims[i]! * suffix[i + 1]!;
    const bond = Math.max(prefix[i]!, suffix[i + 1]!);
    if (bond < best || (bond === best && cost < best)) {
      best = bond;
      m = i;
    }
  }
  const tensors: Float64Array[] = [];
  for (let i = 0; i < n; i++) {
    const d = physicalDims[i]!;
    if (i < m) {
      const l = prefix[i]!;
      const r = prefix[i + 1]!;
      const t = new Float64Array(l * d * r);
      for (let a = 0; a < l; a++) for (let s = 0; s < d; s++) t[(a * d + s) * r + a * d + s] = 1;
      tensors.push(t);
    } else if (i === m) {
      const l = prefix[i]!;
      const r = suffix[i + 1]!;
      const t = new Float64Array(l * d * r);
      for (let a = 0; a < l; a++) {
        for (let s = 0; s < d; s++) {
          for (let b = 0; b < r; b++) {
            const v = (probabilities[(a * d + s) * r + b] as number) / total;
            t[(a * d + s) * r + b] = kind === 'born' ? Math.sqrt(v) : v;
          }
        }
      }
      tensors.push(t);
    } else {
      const l = suffix[i]!;
      const r = suffix[i + 1]!;
      const t = new Float64Array(l * d * r);
      for (let s = 0; s < d; s++) for (let b = 0; b < r; b++) t[((s * r + b) * d + s) * r + b] = 1;
      tensors.push(t);
    }
  }
  return MPS.unsafeCreate(kind, [...physicalDims], tensors);
}
