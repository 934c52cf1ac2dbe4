/**
 * Symmetries of a model's target pi: maps g of configurations with E(g x) = E(x) for every x
 * (and the same allowed set), declared by a model through `symmetries()` (an optional part of
 * the contract). A symmetry moves site i to site `sites[i]` and maps its digit s to
 * `digits[s]`: (g x)[sites[i]] = digits[x[i]].
 *
 * A learner can use them to augment its training data: a configuration drawn from pi and mapped
 * by a symmetry is again a draw from pi. Monte Carlo never needs them: every acceptance uses
 * the energy itself.
 */
import type { RandomGenerator } from '@latticediff/tensor-network';
import { checkBatchShape } from './configurations';
import type { ConfigurationBatch, Geometry, LatticeSymmetry } from './contract';
import { assertInteger, invalidArgument } from './errors';
import { randomInteger, toRandom } from './random';

/**
 * The site symmetries of a hypercubic lattice geometry: a translation by one site along every
 * periodic axis, a reflection along every axis of length >= 2, and, where two axes of equal
 * length have the same periodicity, the exchange of the first such pair (the diagonal
 * reflection). These are symmetries of a model whose energy depends only on the bonds and on
 * site-independent terms (as the Ising and Potts models without site-dependent fields).
 */
export function geometrySymmetries(geometry: Geometry): LatticeSymmetry[] {
  const { sites: n, dimension, shape, periodic, coordinates } = geometry;
  const map = (name: string, order: number, f: (c: number[]) => number[]): LatticeSymmetry => {
    const sites = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const c = Array.from(coordinates.subarray(i * dimension, (i + 1) * dimension));
      sites[i] = geometry.siteIndex(f(c));
    }
    return { name, sites, order };
  };
  const axis = (k: number): string => (dimension <= 3 ? 'xyz'[k]! : String(k));
  const out: LatticeSymmetry[] = [];
  for (let k = 0; k < dimension; k++) {
    const len = shape[k]!;
    if (periodic[k] && len >= 2) {
      out.push(
        map(`translate-${axis(k)}`, len, (c) => c.map((v, j) => (j === k ? (v + 1) % len : v))),
      );
    }
  }
  for (let k = 0; k < dimension; k++) {
    const len = shape[k]!;
    if (len >= 2) {
      out.push(map(`reflect-${axis(k)}`, 2, (c) => c.map((v, j) => (j === k ? len - 1 - v : v))));
    }
  }
  outer: for (let a = 0; a < dimension; a++) {
    for (let b = a + 1; b < dimension; b++) {
      if (shape[a] === shape[b] && periodic[a] === periodic[b] && shape[a]! >= 2) {
        out.push(
          map(`exchange-${axis(a)}${axis(b)}`, 2, (c) =>
            c.map((v, j) => (j === a ? c[b]! : j === b ? c[a]! : v)),
          ),
        );
        break outer;
      }
    }
  }
  return out;
}

/**
 * The input of applySymmetry and randomSymmetryImages: well-formed symmetries of n sites, a batch
 * of rows of n digits, each digit one that the symmetries' digit maps can map. (Nothing was
 * checked: a count beyond the data read past its end, a non-permutation wrote rows with holes,
 * an order of NaN was the identity.)
 */
function checkImageInput(
  fn: string,
  symmetries: readonly LatticeSymmetry[],
  batch: ConfigurationBatch,
  n: number,
  name: string,
): void {
  assertInteger(fn, 'n', n, 1);
  checkBatchShape(fn, batch, n);
  symmetries.forEach((g, k) => {
    const label = name === 'symmetry' ? name : `${name}[${k}]`;
    checkSymmetry(fn, label, g, n, g?.digits?.length ?? 2);
    if (g.digits !== undefined) {
      const d = g.digits.length;
      for (let i = 0; i < batch.count * n; i++) {
        const v = batch.data[i]!;
        if (!(v >= 0 && v < d)) {
          invalidArgument(
            fn,
            `batch.data[${i}]`,
            v,
            `a digit in 0..${d - 1} (${label}.digits maps ${d} digits)`,
          );
        }
      }
    }
  });
}

/** Checks that `symmetry` is well formed for N sites of dimension d; throws naming `name`. */
export function checkSymmetry(
  fn: string,
  name: string,
  symmetry: LatticeSymmetry,
  n: number,
  d: number,
): void {
  const isPermutation = (p: unknown, size: number): boolean => {
    if (!(p instanceof Int32Array) || p.length !== size) return false;
    const seen = new Uint8Array(size);
    for (const v of p) {
      if (!(v >= 0 && v < size) || seen[v]) return false;
      seen[v] = 1;
    }
    return true;
  };
  if (typeof symmetry !== 'object' || symmetry === null) {
    invalidArgument(fn, name, symmetry, 'a symmetry { name, sites, digits?, order }');
  }
  if (!isPermutation(symmetry.sites, n)) {
    invalidArgument(
      fn,
      `${name}.sites`,
      symmetry.sites,
      `a permutation of the ${n} sites (Int32Array)`,
    );
  }
  if (symmetry.digits !== undefined && !isPermutation(symmetry.digits, d)) {
    invalidArgument(
      fn,
      `${name}.digits`,
      symmetry.digits,
      `a permutation of the ${d} digits (Int32Array)`,
    );
  }
  if (!Number.isInteger(symmetry.order) || symmetry.order < 1) {
    invalidArgument(fn, `${name}.order`, symmetry.order, 'an integer >= 1');
  }
}

/** g x for every row of the batch (a new batch of the same count). */
export function applySymmetry(
  symmetry: LatticeSymmetry,
  batch: ConfigurationBatch,
  n: number,
): { data: Int32Array; count: number } {
  const fn = 'applySymmetry';
  checkImageInput(fn, [symmetry], batch, n, 'symmetry');
  const out = new Int32Array(batch.count * n);
  const { sites, digits } = symmetry;
  for (let b = 0; b < batch.count; b++) {
    const o = b * n;
    for (let i = 0; i < n; i++) {
      const s = batch.data[o + i]!;
      out[o + sites[i]!] = digits === undefined ? s : digits[s]!;
    }
  }
  return { data: out, count: batch.count };
}

/**
 * Every row replaced by a random image g_1^{a_1} ... g_k^{a_k} x, with each power a_j uniform in
 * 0..order_j - 1, drawn independently per row from `seed`. With no symmetries, a copy.
 */
export function randomSymmetryImages(
  symmetries: readonly LatticeSymmetry[],
  batch: ConfigurationBatch,
  n: number,
  seed: number | RandomGenerator,
): { data: Int32Array; count: number } {
  const fn = 'randomSymmetryImages';
  if (!Array.isArray(symmetries))
    invalidArgument(fn, 'symmetries', symmetries, 'an array of symmetries');
  checkImageInput(fn, symmetries, batch, n, 'symmetries');
  const random = toRandom(fn, seed);
  const out = new Int32Array(batch.count * n);
  let cur = new Int32Array(n);
  let nxt = new Int32Array(n);
  for (let b = 0; b < batch.count; b++) {
    for (let i = 0; i < n; i++) cur[i] = batch.data[b * n + i]!;
    for (const g of symmetries) {
      const power = g.order > 1 ? randomInteger(random, g.order) : 0;
      for (let p = 0; p < power; p++) {
        const { sites, digits } = g;
        for (let i = 0; i < n; i++) {
          const s = cur[i]!;
          nxt[sites[i]!] = digits === undefined ? s : digits[s]!;
        }
        const t = cur;
        cur = nxt;
        nxt = t;
      }
    }
    out.set(cur, b * n);
  }
  return { data: out, count: batch.count };
}
