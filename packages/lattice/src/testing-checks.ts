/**
 * Checks of the conformance kit (`./testing`) as plain functions that fail through vitest's
 * `expect.fail` with a message naming the broken part, so that the kit's own tests can feed them
 * broken models. Internal to the `./testing` entry (it imports vitest).
 */
import { createRandom, InvalidArgumentError, logProbabilities } from '@latticediff/tensor-network';
import { expect } from 'vitest';
import type { Configuration, LatticeModelInstance } from './contract';
import { configurationIndex, type EnumerationResult } from './enumerate';

/** Relative tolerance of every float64 comparison in the kit. */
export const FLOAT64_TOLERANCE = 1e-10;

/** Fails the test with `message()` unless `condition` (cheap in hot loops, unlike `expect`). */
export function assert(condition: boolean, message: () => string): void {
  if (!condition) expect.fail(message());
}

export function expectClose(actual: number, expected: number, scale: number, what: string): void {
  const tolerance = FLOAT64_TOLERANCE * Math.max(Math.abs(expected), scale);
  if (!(Math.abs(actual - expected) <= tolerance)) {
    expect.fail(`${what}: got ${actual}, expected ${expected} (tolerance ${tolerance})`);
  }
}

export function sameDigits(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function copyOf(x: Configuration): Int32Array {
  return Int32Array.from(x);
}

/**
 * `observe` of a batch row by row: every row's values (up to 256 rows) equal those of the row
 * alone, and the batch read through a view that starts inside a larger buffer gives the same (a
 * model that read row b at offset b instead of b N, or ignored a view's offset, corrupted every
 * recorded series, and with no exact means nothing noticed).
 */
export function checkObserveRows(
  instance: LatticeModelInstance,
  rows: readonly Int32Array[],
): void {
  const n = instance.sites;
  const count = Math.min(rows.length, 256);
  const data = new Int32Array(count * n);
  for (let b = 0; b < count; b++) data.set(rows[b]!, b * n);
  // the same rows behind one leading row, seen through a subarray
  const padded = new Int32Array((count + 1) * n);
  padded.set(data, n);
  const view = padded.subarray(n);
  for (const spec of instance.observables) {
    const values = instance.observe(spec.name, { data, count });
    assert(
      values.length === count * spec.size,
      () =>
        `observe ${spec.name} of ${count} rows gives ${count} x ${spec.size} values (got ${values.length})`,
    );
    const viewed = instance.observe(spec.name, { data: view, count });
    for (let b = 0; b < count; b++) {
      const single = instance.observe(spec.name, { data: Uint8Array.from(rows[b]!), count: 1 });
      for (let j = 0; j < spec.size; j++) {
        const v = values[b * spec.size + j] as number;
        assert(Number.isFinite(v), () => `finite ${spec.name} of row ${b}`);
        assert(
          v === single[j],
          () =>
            `observe ${spec.name}: row ${b} of a batch gives ${v}, the row alone ${single[j]} (${rows[b]!.join('')})`,
        );
        assert(
          viewed[b * spec.size + j] === v,
          () =>
            `observe ${spec.name}: row ${b} of a batch viewed inside a larger buffer gives ${viewed[b * spec.size + j]}, not ${v} (the view's offset ignored?)`,
        );
      }
    }
  }
}

/**
 * Local moves on configurations that are views into a larger buffer (as the chains call them, on
 * subarrays of all chains' states): deltaEnergy equals that of a fresh copy, and apply changes the
 * view exactly as it changes the copy and nothing outside it.
 */
export function checkMovesOnViews(
  instance: LatticeModelInstance,
  rows: readonly Int32Array[],
): void {
  const n = instance.sites;
  const d = instance.localDimension;
  const moves = instance.localMoves;
  for (const x of rows.slice(0, 64)) {
    for (let k = 0; k < moves.count; k++) {
      const buffer = new Int32Array(3 * n);
      // neighbours that differ from x in every digit
      for (let i = 0; i < n; i++) {
        buffer[i] = ((x[i] as number) + 1) % d;
        buffer[2 * n + i] = ((x[i] as number) + 1) % d;
      }
      const view = buffer.subarray(n, 2 * n);
      view.set(x);
      const before = Int32Array.from(buffer);
      const copy = copyOf(x);
      const dE = moves.deltaEnergy(copy, k);
      const dView = moves.deltaEnergy(view, k);
      assert(
        Object.is(dView, dE),
        () =>
          `deltaEnergy of move ${k} at ${x.join('')} on a view inside a larger buffer: got ${dView}, on a copy ${dE}`,
      );
      if (dE === Number.POSITIVE_INFINITY) continue;
      moves.apply(copy, k);
      moves.apply(view, k);
      assert(
        sameDigits(view, copy),
        () =>
          `move ${k} at ${x.join('')} applied to a view gives ${view.join('')}, to a copy ${copy.join('')}`,
      );
      for (const range of [
        [0, n],
        [2 * n, 3 * n],
      ] as const) {
        for (let i = range[0]; i < range[1]; i++) {
          assert(
            buffer[i] === before[i],
            () => `move ${k} at ${x.join('')} applied to a view changed digit ${i - n} outside it`,
          );
        }
      }
    }
  }
}

/** P(chi-square with `df` degrees of freedom > x) < 1e-6, by the Wilson-Hilferty approximation. */
function chiSquareTooLarge(x: number, df: number): { z: number; fails: boolean } {
  const h = 2 / (9 * df);
  const z = ((x / df) ** (1 / 3) - (1 - h)) / Math.sqrt(h);
  // z > 4.75: p < 1e-6 (the approximation is good to a few percent of p there for df >= 3)
  return { z, fails: z > 4.75 };
}

/**
 * A cluster move leaves pi invariant: `draws` configurations drawn exactly from pi (by the
 * enumeration), one cluster move applied to each, and the histogram of the results compared
 * with pi by a chi-square test (configurations of expected count < 5 pooled), failing at
 * p < 1e-6 with a fixed seed. A move with the wrong acceptance or bond probability (Wolff with
 * 1 - e^{-beta J} instead of 1 - e^{-2 beta J}, a field ignored) moves the histogram away from pi.
 */
export function checkClusterMoveInvariance(
  instance: LatticeModelInstance,
  enumeration: EnumerationResult,
  seed: number,
  draws = 20000,
): void {
  const move = instance.clusterMove;
  if (!move) return;
  const n = instance.sites;
  const d = instance.localDimension;
  const p = enumeration.probabilities;
  const cumulative = new Float64Array(p.length);
  let acc = 0;
  for (let k = 0; k < p.length; k++) {
    acc += p[k] as number;
    cumulative[k] = acc;
  }
  const random = createRandom(seed);
  const counts = new Float64Array(p.length);
  const all = enumeration.configurations.data;
  for (let t = 0; t < draws; t++) {
    const u = random.float64() * acc;
    let lo = 0;
    let hi = p.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cumulative[mid] as number) > u) hi = mid;
      else lo = mid + 1;
    }
    const x = Int32Array.from(all.subarray(lo * n, (lo + 1) * n));
    move(x, random);
    counts[configurationIndex(x, d)]! += 1;
  }
  let chi2 = 0;
  let bins = 0;
  let pooledExpected = 0;
  let pooledObserved = 0;
  for (let k = 0; k < p.length; k++) {
    const expected = draws * (p[k] as number);
    if (expected === 0) {
      assert(
        counts[k] === 0,
        () =>
          `a cluster move reached ${Array.from(all.subarray(k * n, (k + 1) * n)).join('')}, which pi forbids`,
      );
      continue;
    }
    if (expected < 5) {
      pooledExpected += expected;
      pooledObserved += counts[k] as number;
      continue;
    }
    chi2 += ((counts[k] as number) - expected) ** 2 / expected;
    bins++;
  }
  if (pooledExpected > 0) {
    chi2 += (pooledObserved - pooledExpected) ** 2 / pooledExpected;
    bins++;
  }
  if (bins < 2) return;
  const { z, fails } = chiSquareTooLarge(chi2, bins - 1);
  assert(
    !fails,
    () =>
      `one cluster move from configurations drawn from pi does not give pi again: chi-square ${chi2.toFixed(1)} on ${bins - 1} degrees of freedom (z = ${z.toFixed(1)}, p < 1e-6); the move does not leave pi invariant (its bond or acceptance probability?)`,
  );
}

/**
 * Exact references at a point too large to enumerate, by scale-free checks on the given allowed
 * configurations: ln P_MPS(x) - ln P_MPS(x0) = -beta (E(x) - E(x0)) for the exact MPS, and
 * ln Z of exactObservables = -beta E(x0) - ln P_MPS(x0) where both exist. (Means cannot be
 * checked without sampling; an exact reference wrong only above the enumeration size passed.)
 */
export function checkExactReferencesAtPoint(
  instance: LatticeModelInstance,
  rows: readonly Int32Array[],
): void {
  // a reference refused at this point (an InvalidArgumentError: beyond its size limit) is none
  const refused = <T>(call: () => T): T | undefined => {
    try {
      return call();
    } catch (error) {
      if (InvalidArgumentError.isInstance(error)) return undefined;
      throw error;
    }
  };
  const mps = refused(() => instance.exactMPS?.());
  if (!mps) return;
  const n = instance.sites;
  const allowed = rows
    .filter((x) => instance.allowed({ data: x, count: 1 })[0] === 1)
    .slice(0, 128);
  if (allowed.length === 0) return;
  const data = new Int32Array(allowed.length * n);
  allowed.forEach((x, b) => {
    data.set(x, b * n);
  });
  const energy = instance.energy({ data, count: allowed.length });
  const logP = logProbabilities(mps, { data, count: allowed.length, length: n });
  const beta = instance.beta;
  const e0 = energy[0] as number;
  const l0 = logP[0] as number;
  assert(Number.isFinite(l0), () => `exact MPS gives P > 0 to the allowed ${allowed[0]!.join('')}`);
  for (let b = 1; b < allowed.length; b++) {
    const expected = -beta * ((energy[b] as number) - e0);
    const got = (logP[b] as number) - l0;
    const scale = Math.abs(beta) * (Math.abs(energy[b] as number) + Math.abs(e0)) + 1;
    expectClose(
      got,
      expected,
      scale,
      `exact MPS: ln P(${allowed[b]!.join('')}) - ln P(${allowed[0]!.join('')}) against -beta dE`,
    );
  }
  const exact = refused(() => instance.exactObservables?.());
  if (exact) {
    const fromMps = -beta * e0 - l0;
    expectClose(
      exact.logPartitionFunction,
      fromMps,
      Math.abs(beta * e0) + Math.abs(l0) + 1,
      'ln Z of exactObservables against the exact MPS (-beta E(x0) - ln P_MPS(x0))',
    );
  }
}
