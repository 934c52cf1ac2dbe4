/**
 * Matrix exponential in float64 by scaling and squaring with diagonal Padé approximants
 * (Higham, "The scaling and squaring method for the matrix exponential revisited", SIAM J.
 * Matrix Anal. Appl. 26 (2005) 1179-1193, Algorithm 2.3): degree m in {3, 5, 7, 9} when the
 * 1-norm is below theta_m, otherwise degree 13 after scaling A by 2^-s so that
 * ||A / 2^s||_1 <= theta_13, then s squarings. The rational function is evaluated as
 * r - I = 2 (V - U)^{-1} U (LU with partial pivoting) and squared in that form,
 * E <- 2E + E^2 with e^B = I + E while ||E||_1 < 1/2, so that small entries (off-diagonals at
 * small t) keep full relative precision, then as plain squarings of I + E, stopping early once
 * a power squares to itself to rounding (the stationary limit).
 */
import { NumericalError } from '@latticediff/tensor-network';
import { invalidArgument } from './validate';

const THETA: Record<number, number> = {
  3: 1.495585217958292e-2,
  5: 2.53939833006323e-1,
  7: 9.504178996162932e-1,
  9: 2.097847961257068,
  13: 5.371920351148152,
};

const PADE: Record<number, readonly number[]> = {
  3: [120, 60, 12, 1],
  5: [30240, 15120, 3360, 420, 30, 1],
  7: [17297280, 8648640, 1995840, 277200, 25200, 1512, 56, 1],
  9: [17643225600, 8821612800, 2075673600, 302702400, 30270240, 2162160, 110880, 3960, 90, 1],
  13: [
    64764752532480000, 32382376266240000, 7771770303897600, 1187353796428800, 129060195264000,
    10559470521600, 670442572800, 33522128640, 1323241920, 40840800, 960960, 16380, 182, 1,
  ],
};

function multiply(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      const v = a[i * n + k]!;
      if (v === 0) continue;
      for (let j = 0; j < n; j++) out[i * n + j]! += v * b[k * n + j]!;
    }
  }
  return out;
}

function oneNorm(a: Float64Array, n: number): number {
  let best = 0;
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += Math.abs(a[i * n + j]!);
    if (s > best) best = s;
  }
  return best;
}

/** Solves P X = Q for X (n x n, in place into a copy of Q) by LU with partial pivoting. */
function solve(p: Float64Array, q: Float64Array, n: number): Float64Array {
  const a = Float64Array.from(p);
  const x = Float64Array.from(q);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    let best = Math.abs(a[col * n + col]!);
    for (let r = col + 1; r < n; r++) {
      const v = Math.abs(a[r * n + col]!);
      if (v > best) {
        best = v;
        pivot = r;
      }
    }
    if (!(best > 0)) throw new NumericalError('`matrixExponential`: singular Padé denominator');
    if (pivot !== col) {
      for (let j = 0; j < n; j++) {
        const t = a[col * n + j]!;
        a[col * n + j] = a[pivot * n + j]!;
        a[pivot * n + j] = t;
        const u = x[col * n + j]!;
        x[col * n + j] = x[pivot * n + j]!;
        x[pivot * n + j] = u;
      }
    }
    const inv = 1 / a[col * n + col]!;
    for (let r = col + 1; r < n; r++) {
      const f = a[r * n + col]! * inv;
      if (f === 0) continue;
      for (let j = col; j < n; j++) a[r * n + j]! -= f * a[col * n + j]!;
      for (let j = 0; j < n; j++) x[r * n + j]! -= f * x[col * n + j]!;
    }
  }
  for (let col = n - 1; col >= 0; col--) {
    const inv = 1 / a[col * n + col]!;
    for (let j = 0; j < n; j++) x[col * n + j]! *= inv;
    for (let r = 0; r < col; r++) {
      const f = a[r * n + col]!;
      if (f === 0) continue;
      for (let j = 0; j < n; j++) x[r * n + j]! -= f * x[col * n + j]!;
    }
  }
  return x;
}

function identity(n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) out[i * n + i] = 1;
  return out;
}

/** sum_k c_k M_k over matrices of the same size. */
function combine(terms: readonly [number, Float64Array][], size: number): Float64Array {
  const out = new Float64Array(size);
  for (const [c, m] of terms) {
    if (c === 0) continue;
    for (let k = 0; k < size; k++) out[k]! += c * m[k]!;
  }
  return out;
}

/**
 * e^A for a square n x n matrix given row-major (float64). Scaling and squaring with Padé
 * degree 3..13 (Higham 2005); accurate to a few units of rounding relative to ||A||.
 */
export function matrixExponential(matrix: ArrayLike<number>, n: number): Float64Array {
  const fn = 'matrixExponential';
  if (!Number.isInteger(n) || n < 1) invalidArgument(fn, 'n', n, 'a positive integer');
  if (matrix == null || matrix.length !== n * n) {
    invalidArgument(fn, 'matrix', matrix?.length, `an array of n * n = ${n * n} entries`);
  }
  const a = Float64Array.from(matrix);
  for (let k = 0; k < a.length; k++) {
    if (!Number.isFinite(a[k]!)) invalidArgument(fn, `matrix[${k}]`, a[k], 'a finite number');
  }
  const size = n * n;
  const eye = identity(n);
  const norm = oneNorm(a, n);
  if (norm === 0) return eye;
  // (an infinite norm made the number of squarings infinite: the loop below never ended)
  if (!Number.isFinite(norm)) {
    invalidArgument(
      fn,
      'matrix',
      `a matrix of 1-norm ${norm}`,
      'a matrix whose 1-norm (largest column sum of |entries|) is finite in float64',
    );
  }
  for (const m of [3, 5, 7, 9]) {
    if (norm <= THETA[m]!) {
      const e = padeMinusIdentity(a, n, m, eye);
      for (let i = 0; i < n; i++) e[i * n + i]! += 1;
      return e;
    }
  }
  const s = Math.max(0, Math.ceil(Math.log2(norm / THETA[13]!)));
  const scaled = s === 0 ? a : combine([[2 ** -s, a]], size);
  // square e^B = I + E as E <- 2E + E^2, which keeps small entries to full relative precision
  let e = padeMinusIdentity(scaled, n, 13, eye);
  let k = 0;
  for (; k < s && oneNorm(e, n) < 0.5; k++)
    e = combine(
      [
        [2, e],
        [1, multiply(e, e, n)],
      ],
      size,
    );
  for (let i = 0; i < n; i++) e[i * n + i]! += 1;
  for (; k < s; k++) {
    const next = multiply(e, e, n);
    // a power that squares to itself (to rounding) is a projector: all further squarings
    // would return it again and only accumulate rounding (the stationary limit of a generator)
    let change = 0;
    let size_ = 0;
    for (let j = 0; j < size; j++) {
      change = Math.max(change, Math.abs(next[j]! - e[j]!));
      size_ = Math.max(size_, Math.abs(e[j]!));
    }
    e = next;
    if (change <= 4 * Number.EPSILON * size_) break;
  }
  // (e^1000 came back as Infinity)
  for (let k = 0; k < size; k++) {
    if (!Number.isFinite(e[k]!)) {
      invalidArgument(
        fn,
        'matrix',
        `a matrix whose exponential overflows float64 (entry ${k} is ${e[k]})`,
        'a matrix whose exponential is finite in float64',
      );
    }
  }
  return e;
}

/**
 * r_m(A) - I = 2 (V - U)^{-1} U for the [m/m] Padé approximant r_m = (V - U)^{-1} (V + U):
 * returned without adding I, so that entries much smaller than 1 keep their relative precision.
 */
function padeMinusIdentity(a: Float64Array, n: number, m: number, eye: Float64Array): Float64Array {
  const size = n * n;
  const b = PADE[m]!;
  const a2 = multiply(a, a, n);
  let u: Float64Array;
  let v: Float64Array;
  if (m === 13) {
    const a4 = multiply(a2, a2, n);
    const a6 = multiply(a4, a2, n);
    const innerU = multiply(
      a6,
      combine(
        [
          [b[13]!, a6],
          [b[11]!, a4],
          [b[9]!, a2],
        ],
        size,
      ),
      n,
    );
    const sumU = combine(
      [
        [1, innerU],
        [b[7]!, a6],
        [b[5]!, a4],
        [b[3]!, a2],
        [b[1]!, eye],
      ],
      size,
    );
    u = multiply(a, sumU, n);
    const innerV = multiply(
      a6,
      combine(
        [
          [b[12]!, a6],
          [b[10]!, a4],
          [b[8]!, a2],
        ],
        size,
      ),
      n,
    );
    v = combine(
      [
        [1, innerV],
        [b[6]!, a6],
        [b[4]!, a4],
        [b[2]!, a2],
        [b[0]!, eye],
      ],
      size,
    );
  } else {
    // powers A^0, A^2, A^4, ... up to A^(m-1)
    const even: Float64Array[] = [eye, a2];
    for (let k = 4; k < m; k += 2) even.push(multiply(even[even.length - 1]!, a2, n));
    const oddTerms: [number, Float64Array][] = [];
    const evenTerms: [number, Float64Array][] = [];
    for (let j = 0; j <= m; j++) {
      const power = even[Math.floor(j / 2)]!;
      if (j % 2 === 1) oddTerms.push([b[j]!, power]);
      else evenTerms.push([b[j]!, power]);
    }
    u = multiply(a, combine(oddTerms, size), n);
    v = combine(evenTerms, size);
  }
  const p = combine(
    [
      [1, v],
      [-1, u],
    ],
    size,
  );
  return solve(p, combine([[2, u]], size), n);
}
