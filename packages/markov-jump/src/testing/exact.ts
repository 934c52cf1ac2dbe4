/**
 * Independent references for the tests: enumeration of configurations, dense distributions,
 * kernels applied axis by axis, and a chi-square goodness-of-fit test. Not part of the build.
 */
import type { MPS } from '@latticediff/tensor-network';

/** All configurations over `dim` states per site, in C order (site 0 most significant). */
export function enumerate(length: number, dim: number): number[][] {
  let configs: number[][] = [[]];
  for (let i = 0; i < length; i++) {
    const next: number[][] = [];
    for (const c of configs) for (let s = 0; s < dim; s++) next.push([...c, s]);
    configs = next;
  }
  return configs;
}

/** Index of a configuration in C order. */
export function indexOf(
  config: ArrayLike<number>,
  dim: number,
  offset = 0,
  length = config.length,
): number {
  let k = 0;
  for (let i = 0; i < length; i++) k = k * dim + (config[offset + i] as number);
  return k;
}

/** Normalised P_0 by a naive product of matrices for every configuration. */
export function denseDistribution(mps: MPS): number[] {
  const d = mps.physicalDims[0]!;
  const w = enumerate(mps.length, d).map((config) => {
    let row = [1];
    for (let i = 0; i < mps.length; i++) {
      const [l, dd, r] = mps.siteShape(i);
      const t = mps.tensors[i]!;
      const out = new Array<number>(r).fill(0);
      for (let a = 0; a < l; a++)
        for (let b = 0; b < r; b++) out[b]! += row[a]! * t[(a * dd + config[i]!) * r + b]!;
      row = out;
    }
    return mps.kind === 'born' ? row[0]! ** 2 : row[0]!;
  });
  const z = w.reduce((a, b) => a + b, 0);
  return w.map((v) => v / z);
}

/**
 * Applies a single-site kernel k (D x D row-major, k[y][x]) to every axis of a dense
 * distribution over `dimIn` states per site: out(y) = sum_x prod_i k(y_i|x_i) p(x).
 */
export function applyKernel(
  p: readonly number[],
  length: number,
  dimIn: number,
  kernel: ArrayLike<number>,
  D: number,
): number[] {
  let current = [...p];
  let dims = new Array<number>(length).fill(dimIn);
  for (let axis = 0; axis < length; axis++) {
    const before = dims.slice(0, axis).reduce((a, b) => a * b, 1);
    const after = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
    const dIn = dims[axis]!;
    const next = new Array<number>(before * D * after).fill(0);
    for (let a = 0; a < before; a++) {
      for (let x = 0; x < dIn; x++) {
        for (let c = 0; c < after; c++) {
          const v = current[(a * dIn + x) * after + c]!;
          if (v === 0) continue;
          for (let y = 0; y < D; y++)
            next[(a * D + y) * after + c]! += (kernel[y * D + x] as number) * v;
        }
      }
    }
    current = next;
    dims = dims.map((v, i) => (i === axis ? D : v));
  }
  return current;
}

/** P(x_s | x_t = y) for one y by enumeration: k_{t-s}(y|x) P_s(x) normalised (x over D_s states). */
export function denseConditional(
  ps: readonly number[],
  length: number,
  dimS: number,
  kernel: ArrayLike<number>,
  D: number,
  y: readonly number[],
): number[] {
  const configs = enumerate(length, dimS);
  const w = configs.map((x, k) => {
    let v = ps[k]!;
    for (let i = 0; i < length; i++) v *= kernel[y[i]! * D + x[i]!] as number;
    return v;
  });
  const z = w.reduce((a, b) => a + b, 0);
  return w.map((v) => v / z);
}

/** Histogram of a batch of configurations over `dim` states per site. */
export function histogram(data: Int32Array, count: number, length: number, dim: number): number[] {
  const h = new Array<number>(dim ** length).fill(0);
  for (let b = 0; b < count; b++) h[indexOf(data, dim, b * length, length)]!++;
  return h;
}

// the workspace's one chi-square (with its erfc) is in the test-kit
export { chiSquare } from '@latticediff/test-kit/testing';

/** Total-variation distance between an empirical histogram and a distribution. */
export function totalVariation(
  counts: readonly number[],
  probabilities: readonly number[],
): number {
  const total = counts.reduce((a, b) => a + b, 0);
  let tv = 0;
  for (let k = 0; k < counts.length; k++) tv += Math.abs(counts[k]! / total - probabilities[k]!);
  return tv / 2;
}

/** A distribution tilted away from p (every other cell up/down by `factor`), renormalised. */
export function skewed(p: readonly number[], factor = 0.05): number[] {
  const s = p.map((v, k) => v * (k % 2 === 0 ? 1 + factor : 1 - factor));
  const z = s.reduce((a, b) => a + b, 0);
  return s.map((v) => v / z);
}

/** The same configuration repeated `count` times, as a batch. */
export function repeat(
  config: readonly number[],
  count: number,
): { data: Int32Array; count: number; length: number } {
  const n = config.length;
  const data = new Int32Array(count * n);
  for (let b = 0; b < count; b++) for (let i = 0; i < n; i++) data[b * n + i] = config[i]!;
  return { data, count, length: n };
}
