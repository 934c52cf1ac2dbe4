/**
 * Exact float64 accumulation (internal).
 *
 * An exact sum is kept as a list of non-overlapping float64 "partials" in increasing magnitude
 * (Shewchuk's expansions, grown as in the msum recipe): adding a number is exact, so the value
 * represented does not depend on the order of the additions, and `exactValue` rounds it
 * correctly (round-half-even) to one float64. Any result computed from exact sums is therefore
 * the same bit for bit however the data were split and merged. Products are made exact with
 * Dekker's splitting (no FMA in JavaScript): a * b = p + e exactly. Exactness holds while no
 * intermediate overflows or underflows (|x| between about 1e-140 and 1e150 for squares).
 *
 * Double-double arrays (hi + lo) are the cheaper alternative used for long per-lag arrays: merge
 * is commutative bit for bit and associative to about 1e-30 relative.
 */

/** Non-overlapping partials of an exact sum, smallest magnitude first. Plain data (JSON-safe). */
export type ExactSum = number[];

/** Adds `x` to the exact sum `partials` in place. */
export function exactAdd(partials: ExactSum, x: number): void {
  let count = 0;
  for (let j = 0; j < partials.length; j++) {
    let y = partials[j]!;
    if (Math.abs(x) < Math.abs(y)) {
      const t = x;
      x = y;
      y = t;
    }
    const hi = x + y;
    const lo = y - (hi - x);
    if (lo !== 0) partials[count++] = lo;
    x = hi;
  }
  partials.length = count;
  partials.push(x);
}

/** Adds every partial of `other` to `partials` in place (exact). */
export function exactAddSum(partials: ExactSum, other: readonly number[]): void {
  for (const value of other) exactAdd(partials, value);
}

/** The exact sum rounded correctly to the nearest float64. */
export function exactValue(partials: readonly number[]): number {
  let n = partials.length;
  if (n === 0) return 0;
  let hi = partials[--n]!;
  let lo = 0;
  while (n > 0) {
    const x = hi;
    const y = partials[--n]!;
    hi = x + y;
    const yr = hi - x;
    lo = y - yr;
    if (lo !== 0) break;
  }
  // Half-way case: the remaining partials push the rounding away from the tie.
  if (n > 0) {
    const next = partials[n - 1]!;
    if ((lo < 0 && next < 0) || (lo > 0 && next > 0)) {
      const y = lo * 2;
      const x = hi + y;
      const yr = x - hi;
      if (y === yr) hi = x;
    }
  }
  return hi;
}

const SPLITTER = 134217729; // 2^27 + 1
const productParts = new Float64Array(2);

/** Writes a * b = productParts[0] + productParts[1] exactly (Dekker). */
function twoProduct(a: number, b: number): void {
  const p = a * b;
  let t = SPLITTER * a;
  const aHi = t - (t - a);
  const aLo = a - aHi;
  t = SPLITTER * b;
  const bHi = t - (t - b);
  const bLo = b - bHi;
  productParts[0] = p;
  productParts[1] = aHi * bHi - p + aHi * bLo + aLo * bHi + aLo * bLo;
}

/** Adds a * b to the exact sum (exact). */
export function exactAddProduct(partials: ExactSum, a: number, b: number): void {
  twoProduct(a, b);
  const e = productParts[1]!;
  exactAdd(partials, productParts[0]!);
  if (e !== 0) exactAdd(partials, e);
}

/** Adds scale * (product of the two exact sums) to `target` (exact; scale a float64). */
export function exactAddProductOfSums(
  target: ExactSum,
  a: readonly number[],
  b: readonly number[],
  scale = 1,
): void {
  for (const x of a) {
    for (const y of b) {
      twoProduct(x, y);
      const p = productParts[0]!;
      const e = productParts[1]!;
      exactAddProduct(target, p, scale);
      if (e !== 0) exactAddProduct(target, e, scale);
    }
  }
}

/** A new exact sum holding `value`. */
export function exactFrom(value: number): ExactSum {
  return [value];
}

/** Exactly rounded (n * b - a^2) / (n * (n - 1)) from exact sums a = sum x, b = sum x^2. */
export function exactVariance(count: number, sum: readonly number[], squares: readonly number[]) {
  if (count < 2) return Number.NaN;
  const numerator: ExactSum = [];
  for (const q of squares) exactAddProduct(numerator, q, count);
  exactAddProductOfSums(numerator, sum, sum, -1);
  const value = exactValue(numerator);
  // n (n - 1) in two steps keeps it exact for counts up to 2^53
  return value / count / (count - 1);
}

/** A growable array of double-double numbers hi[i] + lo[i] (JSON-safe plain arrays). */
export interface DoubleDoubleArray {
  hi: number[];
  lo: number[];
}

/** A zeroed double-double array of length `length`. */
export function doubleDoubleZeros(length: number): DoubleDoubleArray {
  return { hi: new Array<number>(length).fill(0), lo: new Array<number>(length).fill(0) };
}

/** target[i] += values[i] for i < target length (values a float64 array). */
export function doubleDoubleAddValues(target: DoubleDoubleArray, values: ArrayLike<number>): void {
  const { hi, lo } = target;
  for (let i = 0; i < hi.length; i++) {
    const a = hi[i]!;
    const b = values[i]!;
    const s = a + b;
    const bb = s - a;
    const e = a - (s - bb) + (b - bb);
    const l = lo[i]! + e;
    const h = s + l;
    hi[i] = h;
    lo[i] = l - (h - s);
  }
}

/** target[i] += scale * values[i] with the product kept exactly before the addition. */
export function doubleDoubleAddScaled(
  target: DoubleDoubleArray,
  values: ArrayLike<number>,
  scale: number,
): void {
  const { hi, lo } = target;
  for (let i = 0; i < hi.length; i++) {
    twoProduct(scale, values[i]!);
    const a = hi[i]!;
    const b = productParts[0]!;
    const s = a + b;
    const bb = s - a;
    const e = a - (s - bb) + (b - bb);
    const l = lo[i]! + e + productParts[1]!;
    const h = s + l;
    hi[i] = h;
    lo[i] = l - (h - s);
  }
}

/** a + b elementwise over the first `length` entries (commutative bit for bit). */
export function doubleDoubleMerge(
  a: DoubleDoubleArray,
  b: DoubleDoubleArray,
  length: number,
): DoubleDoubleArray {
  const out = doubleDoubleZeros(length);
  for (let i = 0; i < length; i++) {
    const x = a.hi[i]!;
    const y = b.hi[i]!;
    const s = x + y;
    const yy = s - x;
    // the exact rounding error of x + y is the same whichever operand comes first
    const e = x - (s - yy) + (y - yy);
    const l = e + (a.lo[i]! + b.lo[i]!);
    const h = s + l;
    out.hi[i] = h;
    out.lo[i] = l - (h - s);
  }
  return out;
}

/** Compensated (Neumaier) sum of values[start..end). */
export function compensatedSum(values: ArrayLike<number>, start = 0, end = values.length): number {
  let sum = 0;
  let compensation = 0;
  for (let i = start; i < end; i++) {
    const v = values[i]!;
    const t = sum + v;
    if (Math.abs(sum) >= Math.abs(v)) compensation += sum - t + v;
    else compensation += v - t + sum;
    sum = t;
  }
  return sum + compensation;
}
