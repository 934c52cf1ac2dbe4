// Test helpers that several packages' tests share (one copy instead of one per package).
// Dependency-free: the latticediff error is recognised by its cross-install marker and stable name,
// as `InvalidArgumentError.isInstance` does, so the kit needs no workspace package.
import { expect } from 'vitest';

const LATTICEDIFF_ERROR = Symbol.for('latticediff.error');

/**
 * The InvalidArgumentError thrown by `f`: fails the test when `f` throws anything else, or nothing.
 * @param {() => unknown} f
 */
export function invalidArgumentOf(f) {
  try {
    f();
  } catch (error) {
    return recognised(error);
  }
  throw new Error('expected an InvalidArgumentError, nothing was thrown');
}

/**
 * The InvalidArgumentError that the promise returned by `f` rejects with (or `f` throws): fails
 * the test on anything else, or on a fulfilled promise.
 * @param {() => unknown} f
 */
export async function invalidArgumentOfAsync(f) {
  try {
    await f();
  } catch (error) {
    return recognised(error);
  }
  throw new Error('expected an InvalidArgumentError, the promise was fulfilled');
}

function recognised(error) {
  const ok =
    typeof error === 'object' &&
    error !== null &&
    error[LATTICEDIFF_ERROR] === true &&
    error.name === 'LatticeDiffInvalidArgumentError';
  expect(ok, `expected an InvalidArgumentError, got ${String(error)}`).toBe(true);
  return error;
}

/**
 * Pearson chi-square of counts against probabilities, cells with expected count < 5 pooled into
 * one, with the upper-tail p-value from the Wilson-Hilferty normal approximation. A count in a cell
 * of probability zero gives p = 0.
 * @param {readonly number[]} counts
 * @param {readonly number[]} probabilities
 */
export function chiSquare(counts, probabilities) {
  const total = counts.reduce((a, b) => a + b, 0);
  let statistic = 0;
  let cells = 0;
  let pooledObserved = 0;
  let pooledExpected = 0;
  for (let k = 0; k < counts.length; k++) {
    const expected = probabilities[k] * total;
    if (expected === 0 && counts[k] > 0) {
      return { statistic: Number.POSITIVE_INFINITY, dof: 1, pValue: 0 };
    }
    if (expected < 5) {
      pooledObserved += counts[k];
      pooledExpected += expected;
      continue;
    }
    statistic += (counts[k] - expected) ** 2 / expected;
    cells++;
  }
  if (pooledExpected >= 1) {
    statistic += (pooledObserved - pooledExpected) ** 2 / pooledExpected;
    cells++;
  } else if (pooledObserved > 5) {
    statistic = Number.POSITIVE_INFINITY;
  }
  const dof = Math.max(cells - 1, 1);
  // Wilson-Hilferty: (X/k)^(1/3) ~ N(1 - 2/(9k), 2/(9k))
  const z = ((statistic / dof) ** (1 / 3) - (1 - 2 / (9 * dof))) / Math.sqrt(2 / (9 * dof));
  return { statistic, dof, pValue: 0.5 * erfc(z / Math.SQRT2) };
}

/** Complementary error function (Numerical Recipes' erfcc, relative error < 1.2e-7). */
function erfc(x) {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const poly =
    -z * z -
    1.26551223 +
    t *
      (1.00002368 +
        t *
          (0.37409196 +
            t *
              (0.09678418 +
                t *
                  (-0.18628806 +
                    t *
                      (0.27886807 +
                        t *
                          (-1.13520398 +
                            t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const r = t * Math.exp(poly);
  return x >= 0 ? r : 2 - r;
}
