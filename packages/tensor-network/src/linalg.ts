/**
 * Dense float64 linear algebra on row-major matrices stored in Float64Array: the few
 * decompositions the canonical forms and truncations need, with no dependencies.
 *
 * - {@link qr} / {@link lq}: thin Householder factorisations (diagonal of R / L made >= 0).
 * - {@link svd}: thin SVD by one-sided (Hestenes) Jacobi rotations, preceded by a Householder QR
 *   so that the rotations act on a small square triangular factor. One-sided Jacobi computes
 *   the singular values to high relative accuracy (errors of order eps * sigma_max for every
 *   value, often much better for small ones) and orthogonal vectors to working precision.
 *
 * The Householder QR and the Jacobi rotations run in the kernels' workspace (workspace.ts's
 * householderQR and jacobiRows): the WebAssembly module and the JavaScript engine do the same
 * operations, so both give the same bits.
 *
 * Every routine first divides its input by the largest absolute entry and multiplies the scale
 * back at the end, so inputs of order 1e-150 or 1e150 neither underflow nor overflow.
 */
import { assertInteger, invalidArgument, NumericalError } from './errors';
import { JACOBI_MAX_SWEEPS, workspace } from './workspace';

const EPS = 2.220446049250313e-16;
/**
 * Columns with norms below this (after rescaling to max |entry| = 1) have squared entries that
 * underflow, so the Jacobi rotations cannot orthogonalise them; their directions are
 * re-orthogonalised explicitly (or replaced by an orthonormal completion).
 */
const SMALL = 1e-140;

/** Result of {@link svd}: `a = u * diag(s) * vt`. */
export interface SVDResult {
  /** Left singular vectors, rows x k row-major, orthonormal columns (k = min(rows, cols)). */
  u: Float64Array;
  /** Singular values, length k, in descending order, all >= 0. */
  s: Float64Array;
  /** Right singular vectors transposed, k x cols row-major, orthonormal rows. */
  vt: Float64Array;
  /** Numerical rank: the number of singular values above s[0] * max(rows, cols) * 2^-52. */
  rank: number;
}

/** Result of {@link qr}: `a = q * r`. */
export interface QRResult {
  /** rows x k row-major with orthonormal columns (k = min(rows, cols)). */
  q: Float64Array;
  /** k x cols row-major, upper trapezoidal, with a non-negative diagonal. */
  r: Float64Array;
}

/** Result of {@link lq}: `a = l * q`. */
export interface LQResult {
  /** rows x k row-major, lower trapezoidal, with a non-negative diagonal (k = min(rows, cols)). */
  l: Float64Array;
  /** k x cols row-major with orthonormal rows. */
  q: Float64Array;
}

function checkMatrix(fn: string, a: Float64Array, rows: number, cols: number): void {
  assertInteger(fn, 'rows', rows, 1);
  assertInteger(fn, 'cols', cols, 1);
  if (!(a instanceof Float64Array) || a.length !== rows * cols) {
    invalidArgument(fn, 'a', a, `a Float64Array of length rows * cols = ${rows * cols}`);
  }
  for (let k = 0; k < a.length; k++) {
    if (!Number.isFinite(a[k]!))
      invalidArgument(fn, 'a', a[k], `finite entries (entry ${k} is not)`);
  }
}

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (let k = 0; k < a.length; k++) {
    const v = Math.abs(a[k]!);
    if (v > m) m = v;
  }
  return m;
}

/**
 * Matrix product `c = a * b` of row-major matrices: a is m x k, b is k x n, c is m x n.
 * Writes into `out` when given (it must not alias a or b).
 */
export function matmul(
  a: Float64Array,
  b: Float64Array,
  m: number,
  k: number,
  n: number,
  out?: Float64Array,
): Float64Array {
  if (a.length !== m * k) invalidArgument('matmul', 'a', a, `a matrix of length m * k = ${m * k}`);
  if (b.length !== k * n) invalidArgument('matmul', 'b', b, `a matrix of length k * n = ${k * n}`);
  const c = out ?? new Float64Array(m * n);
  if (out !== undefined) {
    if (out.length !== m * n)
      invalidArgument('matmul', 'out', out, `a matrix of length m * n = ${m * n}`);
    // (out is zeroed first: one overlapping a or b gave zeros)
    const overlaps = (x: Float64Array) =>
      x.buffer === out.buffer &&
      x.byteOffset < out.byteOffset + out.byteLength &&
      out.byteOffset < x.byteOffset + x.byteLength;
    if (overlaps(a) || overlaps(b))
      invalidArgument('matmul', 'out', 'an array overlapping a or b', 'memory apart from a and b');
    c.fill(0);
  }
  for (let i = 0; i < m; i++) {
    const ci = i * n;
    const ai = i * k;
    for (let p = 0; p < k; p++) {
      const v = a[ai + p]!;
      if (v === 0) continue;
      const bp = p * n;
      for (let j = 0; j < n; j++) c[ci + j]! += v * b[bp + j]!;
    }
  }
  return c;
}

/** Transpose of a row-major rows x cols matrix (a new cols x rows matrix). */
export function transpose(a: Float64Array, rows: number, cols: number): Float64Array {
  if (a.length !== rows * cols) {
    invalidArgument('transpose', 'a', a, `a matrix of length rows * cols = ${rows * cols}`);
  }
  const t = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = a[i * cols + j]!;
  return t;
}

/**
 * Householder QR of a (already rescaled) row-major m x n matrix `w`, in place: on return the
 * upper k x n part of `w` holds R (before the sign fix). Returns Q (m x k) with the diagonal
 * of R made non-negative (R's rows are sign-flipped to match, in `w`).
 */
function householderQR(w: Float64Array, m: number, n: number): Float64Array {
  // in the workspace's kernel (workspace.ts's householderQR: the same operations in both
  // engines, the module's column updates two columns per vector); see jacobiColumns for the
  // workspace's use
  const k = Math.min(m, n);
  const ws = workspace();
  const pw = ws.alloc(m * n);
  const pq = ws.alloc(m * k);
  const pv = ws.alloc(m * k);
  const betas = ws.alloc(k);
  const dots = ws.alloc(n);
  ws.f64.set(w, pw);
  ws.householderQR(pw, m, n, pq, pv, betas, dots);
  const f = ws.f64;
  w.set(f.subarray(pw, pw + m * n));
  return f.slice(pq, pq + m * k);
}

/**
 * Thin QR factorisation `a = q * r` by Householder reflections. `a` is a row-major rows x cols
 * matrix; with k = min(rows, cols), `q` is rows x k with orthonormal columns and `r` is k x cols
 * upper trapezoidal with a non-negative diagonal. The input is not modified.
 */
export function qr(a: Float64Array, rows: number, cols: number): QRResult {
  checkMatrix('qr', a, rows, cols);
  const k = Math.min(rows, cols);
  const scale = maxAbs(a);
  const w = new Float64Array(a);
  if (scale > 0) for (let t = 0; t < w.length; t++) w[t]! /= scale;
  const q = householderQR(w, rows, cols);
  const r = new Float64Array(k * cols);
  for (let i = 0; i < k; i++) {
    for (let j = i; j < cols; j++) r[i * cols + j] = w[i * cols + j]! * scale;
  }
  return { q, r };
}

/**
 * Thin LQ factorisation `a = l * q` (the transpose of a QR of `a`ᵀ). With k = min(rows, cols),
 * `l` is rows x k lower trapezoidal with a non-negative diagonal and `q` is k x cols with
 * orthonormal rows. The input is not modified.
 */
export function lq(a: Float64Array, rows: number, cols: number): LQResult {
  checkMatrix('lq', a, rows, cols);
  const k = Math.min(rows, cols);
  const { q, r } = qr(transpose(a, rows, cols), cols, rows);
  return { l: transpose(r, k, rows), q: transpose(q, cols, k) };
}

/**
 * One-sided Jacobi on the columns of a square n x n matrix given by its transpose `wt`
 * (row j of `wt` is column j). Rotates in place until all pairs of columns are orthogonal to
 * working precision; `vt` (n x n, identity on entry) accumulates the same rotations.
 */
function jacobiColumns(wt: Float64Array, vt: Float64Array, n: number): void {
  // in the workspace's kernel (workspace.ts's jacobiRows: the same operations in both engines,
  // the module's rotations two entries per vector, 2x faster at n = 32). workspace() starts the
  // scratch afresh, as in every user of it: none calls svd while it holds scratch of its own.
  const ws = workspace();
  const w = ws.alloc(n * n);
  const v = ws.alloc(n * n);
  const norms = ws.alloc(n);
  const status = ws.alloc(1);
  ws.f64.set(wt, w);
  ws.f64.set(vt, v);
  ws.jacobiRows(w, v, n, norms, status);
  const f = ws.f64;
  if (f[status] !== 1) notConverged(n);
  wt.set(f.subarray(w, w + n * n));
  vt.set(f.subarray(v, v + n * n));
}

function notConverged(n: number): never {
  throw new NumericalError(
    `svd: one-sided Jacobi did not converge in ${JACOBI_MAX_SWEEPS} sweeps (matrix of size ${n})`,
  );
}

/**
 * c = a b for row-major a (m x k) and b (k x n): on the float64 WebAssembly SIMD kernel of the
 * workspace (the plain JavaScript kernel where SIMD is missing) for all but tiny products. The
 * same bits as {@link matmul} for finite entries (each entry summed over k in order; matmul
 * skips zero entries of a, which adds nothing to a sum that is never -0). Starts the
 * workspace's scratch afresh, like the decompositions.
 */
export function product(
  a: Float64Array,
  b: Float64Array,
  m: number,
  k: number,
  n: number,
): Float64Array {
  if (m * k * n < 4096) return matmul(a, b, m, k, n);
  const ws = workspace();
  const pa = ws.alloc(m * k);
  const pb = ws.alloc(k * n);
  const pc = ws.alloc(m * n);
  ws.f64.set(a, pa);
  ws.f64.set(b, pb);
  ws.gemm(pa, pb, n, pc, m, k, n);
  return ws.f64.slice(pc, pc + m * n);
}

/**
 * Thin SVD of a (rescaled) m x n matrix with m >= n. Returns u (m x n), s (n, descending),
 * vt (n x n), all for the rescaled matrix.
 *
 * After A = Q R, the rotations act on the columns of Rᵀ (the rows of R), as suggested by
 * Drmač and Veselić: Rᵀ V = W with orthogonal columns gives R = V S Xᵀ with X = W / S, so
 * A = (Q V) S Xᵀ. This needs fewer sweeps than rotating the columns of R.
 */
function svdTall(
  a: Float64Array,
  m: number,
  n: number,
): { u: Float64Array; s: Float64Array; vt: Float64Array } {
  const w = new Float64Array(a);
  const q = householderQR(w, m, n);
  // row j of wt is row j of R, i.e. column j of Rᵀ
  const wt = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) wt[i * n + j] = w[i * n + j]!;
  const rot = new Float64Array(n * n);
  for (let j = 0; j < n; j++) rot[j * n + j] = 1;
  jacobiColumns(wt, rot, n);
  // singular values = column norms; order descending
  const norms = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let scale = 0;
    for (let t = 0; t < n; t++) scale = Math.max(scale, Math.abs(wt[j * n + t]!));
    if (scale === 0) continue;
    let ss = 0;
    for (let t = 0; t < n; t++) {
      const x = wt[j * n + t]! / scale;
      ss += x * x;
    }
    norms[j] = scale * Math.sqrt(ss);
  }
  const order = Array.from({ length: n }, (_, j) => j).sort(
    (x, y) => norms[y]! - norms[x]! || x - y,
  );
  const s = new Float64Array(n);
  const ur = new Float64Array(n * n); // columns: left singular vectors of R (rows of rot)
  const x = new Float64Array(n * n); // columns: right singular vectors of R (normalised W)
  const missing: number[] = [];
  const accepted: number[] = [];
  for (let p = 0; p < n; p++) {
    const j = order[p]!;
    const sj = norms[j]!;
    for (let t = 0; t < n; t++) ur[t * n + p] = rot[j * n + t]!;
    s[p] = sj;
    if (sj === 0) {
      missing.push(p);
      continue;
    }
    for (let t = 0; t < n; t++) x[t * n + p] = wt[j * n + t]! / sj;
    if (sj < SMALL && !reorthogonalize(x, n, p, accepted)) {
      missing.push(p);
      continue;
    }
    accepted.push(p);
  }
  if (missing.length > 0) completeColumns(x, n, missing);
  return { u: product(q, ur, m, n, n), s, vt: transpose(x, n, n) };
}

/**
 * Orthogonalises unit column p of the n x n matrix `u` against the listed orthonormal columns
 * (two passes of Gram-Schmidt) and normalises it. Returns false, leaving the column to be
 * replaced, if less than half of its norm survives.
 */
function reorthogonalize(
  u: Float64Array,
  n: number,
  p: number,
  against: readonly number[],
): boolean {
  for (let pass = 0; pass < 2; pass++) {
    for (const c of against) {
      let dot = 0;
      for (let x = 0; x < n; x++) dot += u[x * n + c]! * u[x * n + p]!;
      for (let x = 0; x < n; x++) u[x * n + p]! -= dot * u[x * n + c]!;
    }
  }
  let norm = 0;
  for (let x = 0; x < n; x++) norm += u[x * n + p]! * u[x * n + p]!;
  norm = Math.sqrt(norm);
  if (!(norm > 0.5)) return false;
  for (let x = 0; x < n; x++) u[x * n + p]! /= norm;
  return true;
}

/**
 * Fills the listed columns of the n x n matrix `u` (whose other columns are orthonormal) with
 * an orthonormal completion, choosing at each step the unit vector e_t with the largest
 * component outside the current span (two passes of Gram-Schmidt).
 */
function completeColumns(u: Float64Array, n: number, missing: readonly number[]): void {
  const filled = new Set<number>();
  for (let p = 0; p < n; p++) filled.add(p);
  for (const p of missing) filled.delete(p);
  const candidate = new Float64Array(n);
  const best = new Float64Array(n);
  for (const p of missing) {
    let bestNorm = -1;
    for (let t = 0; t < n; t++) {
      candidate.fill(0);
      candidate[t] = 1;
      for (let pass = 0; pass < 2; pass++) {
        for (const c of filled) {
          let dot = 0;
          for (let x = 0; x < n; x++) dot += u[x * n + c]! * candidate[x]!;
          for (let x = 0; x < n; x++) candidate[x]! -= dot * u[x * n + c]!;
        }
      }
      let norm = 0;
      for (let x = 0; x < n; x++) norm += candidate[x]! * candidate[x]!;
      if (norm > bestNorm) {
        bestNorm = norm;
        best.set(candidate);
      }
    }
    const inv = 1 / Math.sqrt(bestNorm);
    for (let x = 0; x < n; x++) u[x * n + p] = best[x]! * inv;
    filled.add(p);
  }
}

/**
 * Thin singular value decomposition `a = u * diag(s) * vt` of a row-major rows x cols matrix.
 *
 * With k = min(rows, cols): `u` is rows x k with orthonormal columns, `s` has k non-negative
 * values in descending order, `vt` is k x cols with orthonormal rows. Columns of `u` belonging
 * to zero singular values are an arbitrary orthonormal completion, so `u` and `vt` are always
 * orthonormal, also for zero and rank-deficient matrices. `rank` counts the singular values
 * above `s[0] * max(rows, cols) * 2^-52`.
 *
 * Method: the input is rescaled by its largest absolute entry; a wide matrix is handled through
 * its transpose; a Householder QR reduces the tall matrix to a square triangular factor R, and
 * one-sided Jacobi rotations orthogonalise the columns of R. Throws a NumericalError if the
 * rotations do not converge (not observed in practice). The input is not modified.
 */
export function svd(a: Float64Array, rows: number, cols: number): SVDResult {
  checkMatrix('svd', a, rows, cols);
  const k = Math.min(rows, cols);
  const scale = maxAbs(a);
  if (scale === 0) {
    // zero matrix: s = 0, u and vt are identity blocks
    const u = new Float64Array(rows * k);
    const vt = new Float64Array(k * cols);
    for (let j = 0; j < k; j++) {
      u[j * k + j] = 1;
      vt[j * cols + j] = 1;
    }
    return { u, s: new Float64Array(k), vt, rank: 0 };
  }
  const scaled = new Float64Array(a.length);
  for (let t = 0; t < a.length; t++) scaled[t] = a[t]! / scale;
  let u: Float64Array;
  let s: Float64Array;
  let vt: Float64Array;
  if (rows >= cols) {
    ({ u, s, vt } = svdTall(scaled, rows, cols));
  } else {
    // a^T = U' S V'^T  =>  a = V' S U'^T
    const t = svdTall(transpose(scaled, rows, cols), cols, rows);
    u = transpose(t.vt, k, k); // V' is rows x rows = k x k
    s = t.s;
    vt = transpose(t.u, cols, k); // U'^T is k x cols
  }
  for (let j = 0; j < k; j++) s[j]! *= scale;
  const threshold = s[0]! * Math.max(rows, cols) * EPS;
  let rank = 0;
  while (rank < k && s[rank]! > threshold) rank++;
  return { u, s, vt, rank };
}

/** Result of {@link symmetricEigen}: `a = vectors * diag(values) * vectors^T`. */
export interface SymmetricEigenResult {
  /** Eigenvalues in descending order. */
  values: Float64Array;
  /** n x n row-major; column j is the unit eigenvector of `values[j]`. */
  vectors: Float64Array;
}

/**
 * Eigendecomposition of a symmetric row-major n x n matrix (only its lower triangle is read):
 * Householder reduction to tridiagonal form with the transformations accumulated, then implicit
 * QL iterations with Wilkinson-type shifts (the EISPACK tred2/tql2 scheme). The eigenvectors are
 * orthonormal to working precision and every eigenvalue is accurate to about eps * max |value|.
 * About 9 n^3 flops, several times cheaper than {@link svd} of a Gram matrix's factor, which is
 * why the truncations of `bornMPSFromFactors` use it on Gram matrices. Input not modified.
 */
export function symmetricEigen(a: Float64Array, n: number): SymmetricEigenResult {
  checkMatrix('symmetricEigen', a, n, n);
  const scale = maxAbs(a);
  const v = new Float64Array(n * n);
  if (scale === 0) {
    for (let j = 0; j < n; j++) v[j * n + j] = 1;
    return { values: new Float64Array(n), vectors: v };
  }
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      const x = a[i * n + j]! / scale;
      v[i * n + j] = x;
      v[j * n + i] = x;
    }
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  // v is symmetric, so it is its own transpose; afterwards its rows are the basis vectors, which the
  // QL rotations combine two at a time (contiguous)
  tridiagonalize(v, d, e, n);
  const rows = v;
  diagonalizeTridiagonal(rows, d, e, n);
  // descending order
  const order = Array.from({ length: n }, (_, k) => k).sort((p, q) => d[q]! - d[p]!);
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    const src = order[j]!;
    values[j] = d[src]! * scale;
    for (let i = 0; i < n; i++) vectors[i * n + j] = rows[src * n + i]!;
  }
  return { values, vectors };
}

/**
 * Householder tridiagonalisation in place of the transposed matrix w = v^T (the EISPACK scheme
 * indexes v by columns; on w those loops run along rows): w becomes V^T, whose rows are the
 * columns of the accumulated orthogonal transform V.
 */
function tridiagonalize(w: Float64Array, d: Float64Array, e: Float64Array, n: number): void {
  for (let j = 0; j < n; j++) d[j] = w[j * n + (n - 1)]!;
  for (let i = n - 1; i > 0; i--) {
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]!);
    if (scale === 0) {
      e[i] = d[i - 1]!;
      for (let j = 0; j < i; j++) {
        d[j] = w[j * n + (i - 1)]!;
        w[j * n + i] = 0;
        w[i * n + j] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k]! /= scale;
        h += d[k]! * d[k]!;
      }
      let f = d[i - 1]!;
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      for (let j = 0; j < i; j++) {
        f = d[j]!;
        w[i * n + j] = f;
        g = e[j]! + w[j * n + j]! * f;
        for (let k = j + 1; k <= i - 1; k++) {
          g += w[j * n + k]! * d[k]!;
          e[k]! += w[j * n + k]! * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j]! /= h;
        f += e[j]! * d[j]!;
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j]! -= hh * d[j]!;
      for (let j = 0; j < i; j++) {
        f = d[j]!;
        g = e[j]!;
        for (let k = j; k <= i - 1; k++) w[j * n + k]! -= f * e[k]! + g * d[k]!;
        d[j] = w[j * n + (i - 1)]!;
        w[j * n + i] = 0;
      }
    }
    d[i] = h;
  }
  // accumulate the transformations
  for (let i = 0; i < n - 1; i++) {
    w[i * n + (n - 1)] = w[i * n + i]!;
    w[i * n + i] = 1;
    const h = d[i + 1]!;
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = w[(i + 1) * n + k]! / h;
      for (let j = 0; j <= i; j++) {
        let g = 0;
        for (let k = 0; k <= i; k++) g += w[(i + 1) * n + k]! * w[j * n + k]!;
        for (let k = 0; k <= i; k++) w[j * n + k]! -= g * d[k]!;
      }
    }
    for (let k = 0; k <= i; k++) w[(i + 1) * n + k] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = w[j * n + (n - 1)]!;
    w[j * n + (n - 1)] = 0;
  }
  w[(n - 1) * n + (n - 1)] = 1;
  e[0] = 0;
}

/** Implicit QL iterations on the tridiagonal (d, e), rotating the rows of `rows` (eigenvectors). */
function diagonalizeTridiagonal(
  rows: Float64Array,
  d: Float64Array,
  e: Float64Array,
  n: number,
): void {
  for (let i = 1; i < n; i++) e[i - 1] = e[i]!;
  e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]!) + Math.abs(e[l]!));
    let m = l;
    while (m < n) {
      if (Math.abs(e[m]!) <= EPS * tst1) break;
      m++;
    }
    if (m > l) {
      let iterations = 0;
      do {
        if (++iterations > 60 * n) {
          throw new NumericalError(
            `symmetricEigen: QL iterations did not converge (matrix of size ${n})`,
          );
        }
        let g = d[l]!;
        let p = (d[l + 1]! - g) / (2 * e[l]!);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l]! / (p + r);
        d[l + 1] = e[l]! * (p + r);
        const dl1 = d[l + 1]!;
        let h = g - d[l]!;
        for (let i = l + 2; i < n; i++) d[i]! -= h;
        f += h;
        p = d[m]!;
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1]!;
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i]!;
          h = c * p;
          r = Math.hypot(p, e[i]!);
          e[i + 1] = s * r;
          s = e[i]! / r;
          c = p / r;
          p = c * d[i]! - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]!);
          const ri = i * n;
          const ri1 = ri + n;
          for (let k = 0; k < n; k++) {
            const vi1 = rows[ri1 + k]!;
            const vi = rows[ri + k]!;
            rows[ri1 + k] = s * vi + c * vi1;
            rows[ri + k] = c * vi - s * vi1;
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]!) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]!) > EPS * tst1);
    }
    d[l] = d[l]! + f;
    e[l] = 0;
  }
}
