/**
 * Scratch memory and the two float64 matrix kernels of the hot paths. The default engine is a
 * hand-written WebAssembly SIMD module (f64x2, see wasm/kernels.wat); where WebAssembly SIMD is
 * unavailable, the same kernels run as plain JavaScript. Both compute in float64 with the same
 * summation order per output entry, so results agree to the last bit in practice and to rounding
 * in any case.
 *
 * Offsets are in float64 units; row lists are int32 at `i32` index 2 * offset. Views are
 * replaced when memory grows, so read `f64`/`i32` again after every `alloc`.
 */
import { invalidArgument, WorkspaceMemoryError } from './errors';
import { gatheredRowsTimesMatrix } from './kernels';
import { kernelsWasmBase64 } from './wasm/kernels-binary';

/** Which implementation runs the float64 kernels. */
export type KernelEngine = 'wasm-simd' | 'javascript';

/**
 * The float64 kernels, written once: each kernel's arguments (offsets in float64 units, int32
 * indices, counts and sizes). The workspace interface, the WebAssembly exports and both engines
 * take their signatures from this table; {@link WASM_ARGUMENTS} says how the binding passes each
 * argument to the module, whose pointers are byte offsets.
 */
interface KernelSignatures {
  /** y[rows x outer] = x[rows x inner] @ m (m: inner x outer with row stride mStride). */
  gemm: [
    x: number,
    m: number,
    mStride: number,
    y: number,
    rows: number,
    inner: number,
    outer: number,
  ];
  /**
   * For k < count, r = i32[rowList + k] (rowList is an int32 index): y[r] = scale[r] * (x[r] @ m);
   * scale < 0 means none.
   */
  gatheredGemm: [
    x: number,
    y: number,
    rowList: number,
    count: number,
    m: number,
    mStride: number,
    inner: number,
    outer: number,
    scale: number,
  ];
  /** out[q] = v[q, :] . r[floor(q / group), :] for q < rows (rows of `len` entries). */
  rowDots: [v: number, r: number, out: number, rows: number, group: number, len: number];
  /** out[b, a] = sum_s w[b * wStride + s] * t[b, a * d + s]. */
  weightedSum: [
    t: number,
    w: number,
    wStride: number,
    out: number,
    count: number,
    l: number,
    d: number,
  ];
  /** Rescales rows to max |entry| 1, writing each row's old max to maxOut[b]. */
  rescaleRows: [x: number, count: number, len: number, maxOut: number];
  /**
   * One-sided Jacobi on the rows of the n x n matrix wt, rotating the rows of vt alike, as
   * linalg.ts's jacobiColumns (the same operations): status = 1 when converged within 80 sweeps,
   * else 0. norms: n doubles of scratch.
   */
  jacobiRows: [wt: number, vt: number, n: number, norms: number, status: number];
  /**
   * Householder QR of the m x n matrix w in place, as linalg.ts's qr (the same operations in
   * both engines): w becomes R with zeros below its diagonal, which is made non-negative; q
   * (m x k, k = min(m, n)) the explicit Q. v: m k, betas: k and dots: n doubles of scratch.
   */
  householderQR: [
    w: number,
    m: number,
    n: number,
    q: number,
    v: number,
    betas: number,
    dots: number,
  ];
  /**
   * For k < rows, b = i32[order + k] (order is an int32 index): lt[a * rows + k] = x[b * l + a]
   * (the rows of x gathered as the columns of lt, l x rows) and rw[k * r + c] = w[b] * z[b * r + c].
   */
  gatherOuterRows: [
    x: number,
    z: number,
    w: number,
    order: number,
    rows: number,
    l: number,
    r: number,
    lt: number,
    rw: number,
  ];
  /**
   * out_b = sum_s w[b * wStride + s] T_s R_b T_s^T for b < count: R_b the r x r block b of
   * `prev`, out_b the l x l block b of `out`, T_s (l x r) at ts + s l r, T_s^T (r x l) at
   * tt + s r l; y (r x l) and z (l x l) are scratch. With `symmetric` 1 (every R_b symmetric),
   * each term's entries below its diagonal are copies of those above it (the module forms only
   * the upper part), so out_b is exactly symmetric; with 0, every entry is formed.
   */
  bornEnvironmentStep: [
    ts: number,
    tt: number,
    prev: number,
    out: number,
    w: number,
    wStride: number,
    count: number,
    l: number,
    r: number,
    d: number,
    y: number,
    z: number,
    symmetric: number,
  ];
  /**
   * Uniforms of xoshiro128** streams, exactly as the generator's float64(): stream c (four
   * uint32 words at `states + 2 c`, as float64 units; advanced in place) fills out[b] for the
   * rows b of chunk floor(b / chunk).
   */
  uniforms: [states: number, count: number, chunk: number, out: number];
  /**
   * One site of linear sampling with a shared right environment, row by row for b < count:
   * w_s = x_b . p[:, s] (p = T contracted with the right environment, l x d; for d = 2 summed
   * over a in order, two rows at a time in the module (an odd count's last row is worked twice, so
   * u, logq and prod need an entry at [count]); else as four partial sums over a mod 4, then
   * (p0 + p1) + (p2 + p3)); the digit is drawn
   * with u[b] (or read from the digits when u < 0); the conditional w_s / sum w is multiplied
   * into prod[b], which moves into logq[b] by its log whenever it falls below 1e-150 (so that
   * log q = logq + log(prod) after the last site, one log per few hundred sites instead of one
   * per site); y_b = (x_b @ T_s) / w_s. Digits are int32 at `digits + b * stride`. `w` is d scratch
   * doubles; `status` receives the first row whose weights sum to zero while drawing, else -1.
   * A read digit of zero weight gives logq = -Infinity and y_b = 0.
   * With `born` = 1 (d = 2 only; ignored for other d), the Born draw of a diagonal-gauge right-canonical MPS:
   * w_s = sum_a x_b[a]^2 p[a, s] (p the squared norms of the rows of T_s), except that a weight
   * of at most 2^-20 (w_0 + w_1) is ||x_b @ T_s||^2 (the product into the scratch `v`, 2 r doubles,
   * summed in four lanes by entry mod 4), and y_b = (x_b @ T_s) / sqrt(w_s).
   */
  linearSampleSite: [
    x: number,
    y: number,
    t: number,
    p: number,
    u: number,
    digits: number,
    stride: number,
    logq: number,
    prod: number,
    count: number,
    l: number,
    d: number,
    r: number,
    w: number,
    status: number,
    born: number,
    v: number,
  ];
  /**
   * One site of Born sampling from a right-canonical MPS (identity right environments), row by
   * row: v_b = x_b @ T into row b of the scratch `v` (count x d r doubles), w_s = ||v_s||^2 (summed
   * in four lanes by entry mod 4, then (e0 + e1) + (e2 + e3)), digit, logq and status as in linearSampleSite, y_b = v_s / sqrt(w_s).
   */
  bornSampleSite: [
    x: number,
    y: number,
    t: number,
    u: number,
    digits: number,
    stride: number,
    logq: number,
    prod: number,
    count: number,
    l: number,
    d: number,
    r: number,
    v: number,
    w: number,
    status: number,
  ];
}

type Kernels = { [K in keyof KernelSignatures]: (...args: KernelSignatures[K]) => void };

/**
 * How the binding passes an argument to the module: `f64` a float64 offset (x 8 bytes), `f64?`
 * one that may be negative for "none" (passed as -1), `i32` an int32 index (x 4), `stride` a
 * float64 row stride (x 8), `n` a count or size as is, and `n!` a count that, when 0, skips the
 * call (nothing to compute).
 */
type WasmArgument = 'f64' | 'f64?' | 'i32' | 'stride' | 'n' | 'n!';

/** One kind per argument of a kernel (a tuple of the same length). */
type ArgumentKinds<T extends readonly unknown[]> = { readonly [I in keyof T]: WasmArgument };

/** One entry per kernel argument, checked against the table by the compiler. */
// biome-ignore format: a table, one kernel per line
const WASM_ARGUMENTS: {
  readonly [K in keyof KernelSignatures]: ArgumentKinds<KernelSignatures[K]>;
} = {
  gemm: ['f64', 'f64', 'stride', 'f64', 'n!', 'n', 'n!'],
  gatheredGemm: ['f64', 'f64', 'i32', 'n!', 'f64', 'stride', 'n', 'n!', 'f64?'],
  rowDots: ['f64', 'f64', 'f64', 'n', 'n', 'n'],
  weightedSum: ['f64', 'f64', 'n', 'f64', 'n', 'n', 'n'],
  rescaleRows: ['f64', 'n', 'n', 'f64'],
  gatherOuterRows: ['f64', 'f64', 'f64', 'i32', 'n!', 'n', 'n', 'f64', 'f64'],
  jacobiRows: ['f64', 'f64', 'n', 'f64', 'f64'],
  householderQR: ['f64', 'n', 'n', 'f64', 'f64', 'f64', 'f64'],
  bornEnvironmentStep: ['f64', 'f64', 'f64', 'f64', 'f64', 'n', 'n', 'n', 'n', 'n', 'f64', 'f64', 'n'],
  uniforms: ['f64', 'n', 'n', 'f64'],
  linearSampleSite: ['f64', 'f64', 'f64', 'f64', 'f64?', 'i32', 'n', 'f64', 'f64', 'n', 'n', 'n', 'n', 'f64', 'f64', 'n', 'f64'],
  bornSampleSite: ['f64', 'f64', 'f64', 'f64?', 'i32', 'n', 'f64', 'f64', 'n', 'n', 'n', 'n', 'f64', 'f64', 'f64'],
};

export interface Workspace extends Kernels {
  readonly engine: KernelEngine;
  f64: Float64Array;
  i32: Int32Array;
  /** Frees everything allocated since the last reset. */
  reset(): void;
  /** Allocates `doubles` float64 slots (16-byte aligned); returns the offset in float64 units. */
  alloc(doubles: number): number;
}

type KernelExports = Kernels & { memory: WebAssembly.Memory };

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let k = 0; k < binary.length; k++) bytes[k] = binary.charCodeAt(k);
  return bytes;
}

const PAGE = 65536;

/** The module's export `name`, its arguments converted as {@link WASM_ARGUMENTS} says. */
function bindKernel(
  exports: KernelExports,
  name: keyof KernelSignatures,
): (...args: number[]) => void {
  const kernel = exports[name] as (...args: number[]) => void;
  const kinds = WASM_ARGUMENTS[name] as readonly WasmArgument[];
  const arity = kinds.length;
  // reused by every call: kernels run synchronously and never re-enter
  const converted = new Array<number>(arity).fill(0);
  return (...args: number[]): void => {
    for (let k = 0; k < arity; k++) {
      const v = args[k]!;
      switch (kinds[k]) {
        case 'f64':
        case 'stride':
          converted[k] = v * 8;
          break;
        case 'f64?':
          converted[k] = v < 0 ? -1 : v * 8;
          break;
        case 'i32':
          converted[k] = v * 4;
          break;
        case 'n!':
          if (v <= 0) return;
          converted[k] = v;
          break;
        default:
          converted[k] = v;
      }
    }
    kernel(...converted);
  };
}

class WasmWorkspace implements Workspace {
  readonly engine: KernelEngine = 'wasm-simd';
  f64: Float64Array;
  i32: Int32Array;
  private top = 0;
  private readonly exports: KernelExports;
  readonly gemm: Kernels['gemm'];
  readonly gatheredGemm: Kernels['gatheredGemm'];
  readonly rowDots: Kernels['rowDots'];
  readonly weightedSum: Kernels['weightedSum'];
  readonly rescaleRows: Kernels['rescaleRows'];
  readonly gatherOuterRows: Kernels['gatherOuterRows'];
  readonly jacobiRows: Kernels['jacobiRows'];
  readonly householderQR: Kernels['householderQR'];
  readonly bornEnvironmentStep: Kernels['bornEnvironmentStep'];
  readonly uniforms: Kernels['uniforms'];
  readonly linearSampleSite: Kernels['linearSampleSite'];
  readonly bornSampleSite: Kernels['bornSampleSite'];

  constructor(exports: KernelExports) {
    this.exports = exports;
    this.f64 = new Float64Array(exports.memory.buffer);
    this.i32 = new Int32Array(exports.memory.buffer);
    this.gemm = bindKernel(exports, 'gemm');
    this.gatheredGemm = bindKernel(exports, 'gatheredGemm');
    this.rowDots = bindKernel(exports, 'rowDots');
    this.weightedSum = bindKernel(exports, 'weightedSum');
    this.rescaleRows = bindKernel(exports, 'rescaleRows');
    this.gatherOuterRows = bindKernel(exports, 'gatherOuterRows');
    this.jacobiRows = bindKernel(exports, 'jacobiRows');
    this.householderQR = bindKernel(exports, 'householderQR');
    this.bornEnvironmentStep = bindKernel(exports, 'bornEnvironmentStep');
    this.uniforms = bindKernel(exports, 'uniforms');
    this.linearSampleSite = bindKernel(exports, 'linearSampleSite');
    this.bornSampleSite = bindKernel(exports, 'bornSampleSite');
  }

  reset(): void {
    this.top = 0;
  }

  alloc(doubles: number): number {
    const offset = this.top;
    this.top += Math.ceil(Math.max(doubles, 0) / 2) * 2;
    const needed = this.top * 8;
    const memory = this.exports.memory;
    if (needed > memory.buffer.byteLength) {
      const pages = Math.ceil((needed - memory.buffer.byteLength) / PAGE);
      const doubled = Math.max(pages, memory.buffer.byteLength / PAGE / 2) | 0;
      try {
        memory.grow(doubled);
      } catch (doubling) {
        // near the engine's limit: what is needed may still fit where doubling does not
        try {
          if (doubled === pages) throw doubling;
          memory.grow(pages);
        } catch (cause) {
          this.top = offset;
          throw new WorkspaceMemoryError(needed, { cause });
        }
      }
    }
    if (this.f64.buffer !== memory.buffer) {
      this.f64 = new Float64Array(memory.buffer);
      this.i32 = new Int32Array(memory.buffer);
    }
    return offset;
  }
}

class JavaScriptWorkspace implements Workspace {
  readonly engine: KernelEngine = 'javascript';
  f64 = new Float64Array(8192);
  i32 = new Int32Array(this.f64.buffer);
  private top = 0;

  reset(): void {
    this.top = 0;
  }

  alloc(doubles: number): number {
    const offset = this.top;
    this.top += Math.ceil(Math.max(doubles, 0) / 2) * 2;
    if (this.top > this.f64.length) {
      let next: Float64Array<ArrayBuffer>;
      try {
        next = new Float64Array(Math.max(this.top, this.f64.length * 2));
      } catch {
        try {
          next = new Float64Array(this.top);
        } catch (cause) {
          const needed = this.top * 8;
          this.top = offset;
          throw new WorkspaceMemoryError(needed, { cause });
        }
      }
      next.set(this.f64);
      this.f64 = next;
      this.i32 = new Int32Array(next.buffer);
    }
    return offset;
  }

  gemm(
    x: number,
    m: number,
    mStride: number,
    y: number,
    rows: number,
    inner: number,
    outer: number,
  ): void {
    const f = this.f64;
    for (let i = 0; i < rows; i++) {
      const xo = x + i * inner;
      const yo = y + i * outer;
      for (let j = 0; j < outer; j++) f[yo + j] = 0;
      for (let a = 0; a < inner; a++) {
        const c = f[xo + a]!;
        const mo = m + a * mStride;
        for (let j = 0; j < outer; j++) f[yo + j]! += c * f[mo + j]!;
      }
    }
  }

  gatheredGemm(
    x: number,
    y: number,
    rowList: number,
    count: number,
    m: number,
    mStride: number,
    inner: number,
    outer: number,
    scale: number,
  ): void {
    // rows are offsets relative to x and y in units of their row strides
    const f = this.f64;
    const rows = this.i32.subarray(rowList, rowList + count);
    const xs = f.subarray(x);
    const ys = f.subarray(y);
    gatheredRowsTimesMatrix(
      xs,
      ys,
      rows,
      count,
      f,
      m,
      mStride,
      inner,
      outer,
      scale < 0 ? null : f.subarray(scale),
    );
  }

  rowDots(v: number, r: number, out: number, rows: number, group: number, len: number): void {
    // the module's order: even and odd entries in two sums (its two lanes), added, then the odd
    // last entry (so both engines give the same bits)
    const f = this.f64;
    const pairs = len - (len % 2);
    for (let q = 0; q < rows; q++) {
      const vo = v + q * len;
      const ro = r + Math.floor(q / group) * len;
      let even = 0;
      let odd = 0;
      for (let k = 0; k < pairs; k += 2) {
        even += f[vo + k]! * f[ro + k]!;
        odd += f[vo + k + 1]! * f[ro + k + 1]!;
      }
      let acc = even + odd;
      if (pairs < len) acc += f[vo + pairs]! * f[ro + pairs]!;
      f[out + q] = acc;
    }
  }

  weightedSum(
    t: number,
    w: number,
    wStride: number,
    out: number,
    count: number,
    l: number,
    d: number,
  ): void {
    const f = this.f64;
    for (let b = 0; b < count; b++) {
      const wo = w + b * wStride;
      for (let a = 0; a < l; a++) {
        let acc = 0;
        const to = t + (b * l + a) * d;
        for (let s = 0; s < d; s++) acc += f[wo + s]! * f[to + s]!;
        f[out + b * l + a] = acc;
      }
    }
  }

  rescaleRows(x: number, count: number, len: number, maxOut: number): void {
    const f = this.f64;
    for (let b = 0; b < count; b++) {
      const o = x + b * len;
      // the module's maximum: m is replaced only by a larger |entry| (never by a NaN)
      let m = 0;
      for (let k = 0; k < len; k++) {
        const v = Math.abs(f[o + k]!);
        if (m < v) m = v;
      }
      f[maxOut + b] = m;
      if (m > 0) {
        const inv = 1 / m;
        for (let k = 0; k < len; k++) f[o + k]! *= inv;
      }
    }
  }

  householderQR(
    w: number,
    m: number,
    n: number,
    q: number,
    v: number,
    betas: number,
    dots: number,
  ): void {
    const f = this.f64;
    const k = Math.min(m, n);
    for (let j = 0; j < k; j++) {
      // Householder vector for column j, rows j..m-1, at v + j m
      const len = m - j;
      const vj = v + j * m;
      f[betas + j] = 0;
      let scale = 0;
      for (let i = 0; i < len; i++) {
        const x = f[w + (j + i) * n + j]!;
        f[vj + i] = x;
        const ax = Math.abs(x);
        if (ax > scale) scale = ax;
      }
      if (scale === 0) continue;
      let ss = 0;
      for (let i = 0; i < len; i++) {
        const x = f[vj + i]! / scale;
        ss += x * x;
      }
      const norm = scale * Math.sqrt(ss);
      const x0 = f[vj]!;
      const alpha = x0 >= 0 ? -norm : norm;
      f[vj] = x0 - alpha;
      // |v|^2 = 2 norm (norm + |x0|); normalise v (factor by factor, so nothing underflows) and
      // use H = I - 2 v v^T
      const vtv = 2 * norm * (norm + Math.abs(x0));
      const vNorm =
        vtv > 1e-290 ? Math.sqrt(vtv) : Math.sqrt(2 * norm) * Math.sqrt(norm + Math.abs(x0));
      for (let i = 0; i < len; i++) f[vj + i]! /= vNorm;
      const beta = 2;
      f[betas + j] = beta;
      // w[j.., c] -= beta * v (v . w[j.., c]) for c > j
      f.fill(0, dots + j + 1, dots + n);
      for (let i = 0; i < len; i++) {
        const vi = f[vj + i]!;
        if (vi === 0) continue;
        const row = w + (j + i) * n;
        for (let c = j + 1; c < n; c++) f[dots + c]! += vi * f[row + c]!;
      }
      for (let i = 0; i < len; i++) {
        const s = beta * f[vj + i]!;
        if (s === 0) continue;
        const row = w + (j + i) * n;
        for (let c = j + 1; c < n; c++) f[row + c]! -= s * f[dots + c]!;
      }
      f[w + j * n + j] = alpha;
      for (let i = 1; i < len; i++) f[w + (j + i) * n + j] = 0;
    }
    // Q = H_0 ... H_{k-1} applied to the first k columns of the identity
    f.fill(0, q, q + m * k);
    for (let j = 0; j < k; j++) f[q + j * k + j] = 1;
    for (let j = k - 1; j >= 0; j--) {
      const beta = f[betas + j]!;
      if (beta === 0) continue;
      const vj = v + j * m;
      const len = m - j;
      f.fill(0, dots, dots + k);
      for (let i = 0; i < len; i++) {
        const vi = f[vj + i]!;
        if (vi === 0) continue;
        const row = q + (j + i) * k;
        for (let c = j; c < k; c++) f[dots + c]! += vi * f[row + c]!;
      }
      for (let i = 0; i < len; i++) {
        const s = beta * f[vj + i]!;
        if (s === 0) continue;
        const row = q + (j + i) * k;
        for (let c = j; c < k; c++) f[row + c]! -= s * f[dots + c]!;
      }
    }
    // non-negative diagonal of R
    for (let j = 0; j < k; j++) {
      if (f[w + j * n + j]! < 0) {
        for (let c = j; c < n; c++) f[w + j * n + c] = -f[w + j * n + c]!;
        for (let i = 0; i < m; i++) f[q + i * k + j] = -f[q + i * k + j]!;
      }
    }
  }

  jacobiRows(wt: number, vt: number, n: number, norms: number, status: number): void {
    const f = this.f64;
    const tol = 2.220446049250313e-16 * Math.sqrt(n);
    // rows below 1e-140 are left alone: their squares underflow, so rotations with them cannot
    // converge (linalg.ts re-orthogonalises them afterwards)
    const small = 1e-140 * 1e-140;
    const squaredNorm = (row: number): number => {
      let ss = 0;
      for (let t = 0; t < n; t++) {
        const x = f[row + t]!;
        ss += x * x;
      }
      return ss;
    };
    const rotate = (ri: number, rj: number, c: number, s: number): void => {
      for (let t = 0; t < n; t++) {
        const x = f[ri + t]!;
        const y = f[rj + t]!;
        f[ri + t] = c * x - s * y;
        f[rj + t] = s * x + c * y;
      }
    };
    f[status] = 0;
    for (let sweep = 0; sweep < JACOBI_MAX_SWEEPS; sweep++) {
      let rotated = false;
      // squared row norms: recomputed at the start of every sweep, updated after each rotation
      // (and recomputed when the update loses more than three digits)
      for (let i = 0; i < n; i++) f[norms + i] = squaredNorm(wt + i * n);
      for (let i = 0; i < n - 1; i++) {
        const ri = wt + i * n;
        for (let j = i + 1; j < n; j++) {
          const rj = wt + j * n;
          const aii = f[norms + i]!;
          const ajj = f[norms + j]!;
          if (aii < small || ajj < small) continue;
          let aij = 0;
          for (let t = 0; t < n; t++) aij += f[ri + t]! * f[rj + t]!;
          if (Math.abs(aij) <= tol * Math.sqrt(aii) * Math.sqrt(ajj)) continue;
          rotated = true;
          const zeta = (ajj - aii) / (2 * aij);
          const az = Math.abs(zeta);
          const tAbs = az > 1e100 ? 1 / (2 * az) : 1 / (az + Math.sqrt(1 + az * az));
          const tan = zeta >= 0 ? tAbs : -tAbs;
          const c = 1 / Math.sqrt(1 + tan * tan);
          const s = c * tan;
          rotate(ri, rj, c, s);
          rotate(vt + i * n, vt + j * n, c, s);
          const newI = aii - tan * aij;
          const newJ = ajj + tan * aij;
          const big = Math.max(aii, ajj);
          f[norms + i] = newI > 1e-3 * big ? newI : squaredNorm(ri);
          f[norms + j] = newJ > 1e-3 * big ? newJ : squaredNorm(rj);
        }
      }
      if (!rotated) {
        f[status] = 1;
        return;
      }
    }
  }

  gatherOuterRows(
    x: number,
    z: number,
    w: number,
    order: number,
    rows: number,
    l: number,
    r: number,
    lt: number,
    rw: number,
  ): void {
    const f = this.f64;
    const i32 = this.i32;
    for (let k = 0; k < rows; k++) {
      const b = i32[order + k]!;
      const wb = f[w + b]!;
      for (let a = 0; a < l; a++) f[lt + a * rows + k] = f[x + b * l + a]!;
      for (let c = 0; c < r; c++) f[rw + k * r + c] = wb * f[z + b * r + c]!;
    }
  }

  bornEnvironmentStep(
    ts: number,
    tt: number,
    prev: number,
    out: number,
    w: number,
    wStride: number,
    count: number,
    l: number,
    r: number,
    d: number,
    y: number,
    z: number,
    symmetric: number,
  ): void {
    for (let b = 0; b < count; b++) {
      const ob = out + b * l * l;
      const f0 = this.f64;
      for (let k = 0; k < l * l; k++) f0[ob + k] = 0;
      for (let s = 0; s < d; s++) {
        const weight = this.f64[w + b * wStride + s]!;
        if (weight === 0) continue;
        this.gemm(prev + b * r * r, tt + s * r * l, l, y, r, r, l);
        this.gemm(ts + s * l * r, y, l, z, l, r, l);
        const f = this.f64;
        // with R_b symmetric, so is T_s R_b T_s^T: the module forms the entries on and above the
        // diagonal only and copies them below it
        if (symmetric)
          for (let a = 1; a < l; a++)
            for (let c = 0; c < a; c++) f[z + a * l + c] = f[z + c * l + a]!;
        for (let k = 0; k < l * l; k++) f[ob + k]! += weight * f[z + k]!;
      }
    }
  }

  uniforms(states: number, count: number, chunk: number, out: number): void {
    const f = this.f64;
    const w = new Uint32Array(f.buffer, f.byteOffset, f.length * 2);
    for (let b = 0, c = 0; b < count; c++) {
      const o = 2 * states + 4 * c;
      let sa = w[o]!;
      let sb = w[o + 1]!;
      let sc = w[o + 2]!;
      let sd = w[o + 3]!;
      const end = Math.min(count, b + chunk);
      for (; b < end; b++) {
        const hi = Math.imul(rotl32(Math.imul(sb, 5), 7), 9) >>> 5;
        let t = sb << 9;
        sc ^= sa;
        sd ^= sb;
        sb ^= sc;
        sa ^= sd;
        sc ^= t;
        sd = rotl32(sd, 11);
        const lo = Math.imul(rotl32(Math.imul(sb, 5), 7), 9) >>> 6;
        t = sb << 9;
        sc ^= sa;
        sd ^= sb;
        sb ^= sc;
        sa ^= sd;
        sc ^= t;
        sd = rotl32(sd, 11);
        f[out + b] = (hi * 67108864 + lo) / 9007199254740992;
      }
      w[o] = sa;
      w[o + 1] = sb;
      w[o + 2] = sc;
      w[o + 3] = sd;
    }
  }

  linearSampleSite(
    x: number,
    y: number,
    t: number,
    p: number,
    u: number,
    digits: number,
    stride: number,
    logq: number,
    prod: number,
    count: number,
    l: number,
    d: number,
    r: number,
    w: number,
    status: number,
    born: number,
    v: number,
  ): void {
    const f = this.f64;
    const i32 = this.i32;
    f[status] = -1;
    for (let b = 0; b < count; b++) {
      const xb = x + b * l;
      const yb = y + b * r;
      const dp = digits + b * stride;
      for (let s = 0; s < d; s++) {
        if (d === 2) {
          // summed over a in order (the kernel's two-row path for d = 2)
          let acc = 0;
          for (let a = 0; a < l; a++) {
            const xa = born === 1 ? f[xb + a]! * f[xb + a]! : f[xb + a]!;
            acc += xa * f[p + 2 * a + s]!;
          }
          f[w + s] = acc;
          continue;
        }
        // four partial sums over a mod 4, each in order, then (p0 + p1) + (p2 + p3), as the kernel
        let p0 = 0;
        let p1 = 0;
        let p2 = 0;
        let p3 = 0;
        for (let a = 0; a < l; a++) {
          const term = f[xb + a]! * f[p + a * d + s]!;
          if ((a & 3) === 0) p0 += term;
          else if ((a & 3) === 1) p1 += term;
          else if ((a & 3) === 2) p2 += term;
          else p3 += term;
        }
        f[w + s] = p0 + p1 + (p2 + p3);
      }
      if (born === 1 && d === 2) {
        const floor = (f[w]! + f[w + 1]!) * BORN_DIAGONAL_FLOOR;
        if (f[w]! <= floor || f[w + 1]! <= floor) {
          // a weight at its floor: the row on its own, as the module takes it
          const uu = u < 0 ? -1 : f[u + b]!;
          const scale = bornFloorRow(
            f,
            i32,
            xb,
            t,
            l,
            r,
            v,
            f[w]!,
            f[w + 1]!,
            uu,
            dp,
            logq + b,
            prod + b,
          );
          if (scale < 0) {
            f[status] = b;
            return;
          }
          rowTimes(f, xb, yb, scale, t + i32[dp]! * r, 2 * r, l, r);
          continue;
        }
      }
      const s = rowDigit(f, i32, w, d, u < 0 ? -1 : f[u + b]!, dp, logq + b, prod + b);
      if (s === ZERO_TOTAL) {
        f[status] = b;
        return;
      }
      if (s === ZERO_WEIGHT) {
        for (let k = 0; k < r; k++) f[yb + k] = 0;
        continue;
      }
      const ws = f[w + s]!;
      rowTimes(
        f,
        xb,
        yb,
        born === 1 && d === 2 ? 1 / Math.sqrt(ws) : 1 / ws,
        t + s * r,
        d * r,
        l,
        r,
      );
    }
  }

  bornSampleSite(
    x: number,
    y: number,
    t: number,
    u: number,
    digits: number,
    stride: number,
    logq: number,
    prod: number,
    count: number,
    l: number,
    d: number,
    r: number,
    v: number,
    w: number,
    status: number,
  ): void {
    const f = this.f64;
    const i32 = this.i32;
    f[status] = -1;
    for (let b = 0; b < count; b++) {
      const xb = x + b * l;
      const yb = y + b * r;
      const dp = digits + b * stride;
      const vb = v + b * d * r;
      rowTimes(f, xb, vb, 1, t, d * r, l, d * r);
      for (let s = 0; s < d; s++) f[w + s] = squaredNorm(f, vb + s * r, r);
      const s = rowDigit(f, i32, w, d, u < 0 ? -1 : f[u + b]!, dp, logq + b, prod + b);
      if (s === ZERO_TOTAL) {
        f[status] = b;
        return;
      }
      if (s === ZERO_WEIGHT) {
        for (let k = 0; k < r; k++) f[yb + k] = 0;
        continue;
      }
      const inv = 1 / Math.sqrt(f[w + s]!);
      const vs = vb + s * r;
      for (let k = 0; k < r; k++) f[yb + k] = f[vs + k]! * inv;
    }
  }
}

/** Sweeps of one-sided Jacobi before `svd` gives up (`jacobiRows`; the module's is the same). */
export const JACOBI_MAX_SWEEPS = 80;

/**
 * A diagonal-gauge Born weight (d = 2, linearSampleSite with born = 1) stands only when it is more
 * than this fraction of the row's total: its error is the gauge's rounding times ||x||^2, so the
 * weight keeps a relative accuracy of about 2^20 eps; at or below it, the weight is computed as
 * the squared norm of its product.
 */
const BORN_DIAGONAL_FLOOR = 2 ** -20;

/**
 * ||f[p..p+len)||^2 in the kernels' order: lanes of entries k = 0, 1, 2, 3 (mod 4) (a last pair
 * into lanes 0 and 1), then (e0 + e1) + (e2 + e3) and the odd entry.
 */
function squaredNorm(f: Float64Array, p: number, len: number): number {
  const pairs = len & ~1;
  const quads = len & ~3;
  let e0 = 0;
  let e1 = 0;
  let e2 = 0;
  let e3 = 0;
  for (let k = 0; k < quads; k += 4) {
    e0 += f[p + k]! * f[p + k]!;
    e1 += f[p + k + 1]! * f[p + k + 1]!;
    e2 += f[p + k + 2]! * f[p + k + 2]!;
    e3 += f[p + k + 3]! * f[p + k + 3]!;
  }
  if (quads < pairs) {
    e0 += f[p + quads]! * f[p + quads]!;
    e1 += f[p + quads + 1]! * f[p + quads + 1]!;
  }
  let sum = e0 + e1 + (e2 + e3);
  if (pairs < len) sum += f[p + pairs]! * f[p + pairs]!;
  return sum;
}

/** ||x @ T_s||^2 of one row (d = 2, T_s at m with row stride 2 r), the product into v. */
function bornWeight(
  f: Float64Array,
  x: number,
  m: number,
  l: number,
  r: number,
  v: number,
): number {
  rowTimes(f, x, v, 1, m, 2 * r, l, r);
  return squaredNorm(f, v, r);
}

/** The tail of the uniforms where a minority digit m can be drawn: u >= 1 - 2^-19 (m = 1), u < 2^-19 (m = 0). */
const BORN_TAIL = 2 ** -19;

/**
 * One row of linearSampleSite's Born path that has a weight at or below its floor (see the
 * module's $bornRow): the minority digit's weight is computed only where it is read, or drawn
 * with u in the tail where it can be drawn at all; the other digit's conditional keeps the
 * diagonal weights. Returns the scale 1 / sqrt(w_s) (0 for q = 0) or -1 for a drawing row of
 * zero total.
 */
function bornFloorRow(
  f: Float64Array,
  i32: Int32Array,
  x: number,
  t: number,
  l: number,
  r: number,
  v: number,
  w0: number,
  w1: number,
  u: number,
  dp: number,
  logq: number,
  prod: number,
): number {
  let tot = w0 + w1;
  const e = tot * BORN_DIAGONAL_FLOOR;
  let m = -1;
  if (w0 <= e && w1 <= e) {
    w0 = bornWeight(f, x, t, l, r, v);
    w1 = bornWeight(f, x, t + r, l, r, v);
    tot = w0 + w1;
  } else if (w0 <= e) m = 0;
  else if (w1 <= e) m = 1;
  let s: number;
  let ws = 0;
  let known = false;
  if (u >= 0) {
    if (m >= 0) {
      s = 1 - m;
      if (m === 1 ? u >= 1 - BORN_TAIL : u < BORN_TAIL) {
        ws = bornWeight(f, x, t + m * r, l, r, v);
        known = true;
        const tc = m === 1 ? w0 + ws : ws + w1;
        s = u * tc >= (m === 1 ? w0 : ws) && (m === 1 ? ws : w1) > 0 ? 1 : 0;
      }
    } else {
      if (!(tot > 0)) return -1;
      s = u * tot >= w0 && w1 > 0 ? 1 : 0;
    }
    i32[dp] = s;
  } else s = i32[dp]!;
  let tc: number;
  if (s === m) {
    if (!known) ws = bornWeight(f, x, t + m * r, l, r, v);
    tc = m === 1 ? w0 + ws : ws + w1;
  } else {
    ws = s === 1 ? w1 : w0;
    tc = tot;
  }
  if (!(tc > 0 && ws > 0)) {
    f[logq] = Number.NEGATIVE_INFINITY;
    return 0;
  }
  accumulateConditional(f, logq, prod, ws / tc);
  return 1 / Math.sqrt(ws);
}

/** y[0..outer) = s * (x[0..inner) @ m), m of row stride ms; each output summed over a in order. */
function rowTimes(
  f: Float64Array,
  x: number,
  y: number,
  s: number,
  m: number,
  ms: number,
  inner: number,
  outer: number,
): void {
  for (let j = 0; j < outer; j++) {
    let acc = 0;
    for (let a = 0; a < inner; a++) acc += f[x + a]! * f[m + a * ms + j]!;
    f[y + j] = acc * s;
  }
}

function rotl32(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * A conditional probability c into a row's running product, or into its log when small, as the
 * sampling kernels of kernels.wat do (see linearSampleSite).
 */
function accumulateConditional(f: Float64Array, logq: number, prod: number, c: number): void {
  if (c < 1e-150) {
    f[logq]! += Math.log(c);
    return;
  }
  let p = f[prod]! * c;
  if (p < 1e-150) {
    f[logq]! += Math.log(p);
    p = 1;
  }
  f[prod] = p;
}

/** {@link rowDigit}: a drawing row whose weights sum to zero (the caller reports it). */
const ZERO_TOTAL = -1;
/** {@link rowDigit}: a read digit of zero weight (log q set to -Infinity; the row becomes 0). */
const ZERO_WEIGHT = -2;

/**
 * The digit of one row from its d weights at w, as the sampling kernels choose it: drawn with
 * the uniform u >= 0 (written to i32[dp]) or read from i32[dp] (u < 0); the conditional
 * w_s / sum w multiplied into the row's (logq, prod). Returns ZERO_TOTAL or ZERO_WEIGHT instead
 * where there is no conditional.
 */
function rowDigit(
  f: Float64Array,
  i32: Int32Array,
  w: number,
  d: number,
  u: number,
  dp: number,
  logq: number,
  prod: number,
): number {
  const total = sumWeights(f, w, d);
  let s: number;
  if (u >= 0) {
    if (!(total > 0)) return ZERO_TOTAL;
    s = chooseDigit(f, w, d, total, u);
    i32[dp] = s;
  } else {
    s = i32[dp]!;
    if (!(total > 0) || !(f[w + s]! > 0)) {
      f[logq] = Number.NEGATIVE_INFINITY;
      return ZERO_WEIGHT;
    }
  }
  accumulateConditional(f, logq, prod, f[w + s]! / total);
  return s;
}

function sumWeights(f: Float64Array, w: number, d: number): number {
  let total = 0;
  for (let s = 0; s < d; s++) total += f[w + s]!;
  return total;
}

/**
 * The first digit whose cumulative weight exceeds u * total (the last positive weight when
 * rounding leaves none), as the WebAssembly kernels choose.
 */
function chooseDigit(f: Float64Array, w: number, d: number, total: number, u: number): number {
  let target = u * total;
  for (let s = 0; s < d - 1; s++) {
    const p = f[w + s]!;
    if (target < p) return s;
    target -= p;
  }
  for (let s = d - 1; s >= 0; s--) if (f[w + s]! > 0) return s;
  return d - 1;
}

let wasmExports: KernelExports | null | undefined;
let preferred: KernelEngine | undefined;
const cache: Partial<Record<KernelEngine, Workspace>> = {};

function loadWasm(): KernelExports | null {
  if (wasmExports !== undefined) return wasmExports;
  try {
    if (typeof WebAssembly !== 'object') throw new Error('no WebAssembly');
    const bytes = decodeBase64(kernelsWasmBase64);
    const module = new WebAssembly.Module(bytes);
    const instance = new WebAssembly.Instance(module, { env: { log: Math.log } });
    wasmExports = instance.exports as unknown as KernelExports;
  } catch {
    wasmExports = null;
  }
  return wasmExports;
}

/** True when the WebAssembly SIMD kernels can run here. */
export function wasmKernelsAvailable(): boolean {
  return loadWasm() !== null;
}

/**
 * Chooses the engine of the float64 kernels for subsequent calls: `wasm-simd` (the default
 * where available) or `javascript`. Returns the engine now in use.
 */
export function setKernelEngine(engine: KernelEngine | 'auto'): KernelEngine {
  if (engine !== 'auto' && engine !== 'wasm-simd' && engine !== 'javascript') {
    // (any value was taken, and kernelEngine() then reported it)
    invalidArgument('setKernelEngine', 'engine', engine, '"auto", "wasm-simd" or "javascript"');
  }
  if (engine === 'auto') preferred = undefined;
  else if (engine === 'wasm-simd' && !wasmKernelsAvailable()) {
    throw new Error('WebAssembly SIMD is not available in this runtime');
  } else preferred = engine;
  return kernelEngine();
}

/** The engine of the float64 kernels in use. */
export function kernelEngine(): KernelEngine {
  return preferred ?? (wasmKernelsAvailable() ? 'wasm-simd' : 'javascript');
}

/** The shared workspace of the current engine, reset and ready. Calls must not interleave. */
export function workspace(): Workspace {
  const engine = kernelEngine();
  let ws = cache[engine];
  if (ws === undefined) {
    ws = engine === 'wasm-simd' ? new WasmWorkspace(loadWasm()!) : new JavaScriptWorkspace();
    cache[engine] = ws;
  }
  ws.reset();
  return ws;
}

/**
 * Counting sort of samples 0..count-1 by their digit at `site`, written as an int32 row list at
 * i32 index `list`; offsets[s]..offsets[s+1] delimit digit s.
 */
export function groupRowsByDigit(
  ws: Workspace,
  data: Int32Array,
  n: number,
  site: number,
  count: number,
  d: number,
  list: number,
  offsets: Int32Array,
): void {
  offsets.fill(0, 0, d + 1);
  for (let b = 0; b < count; b++) offsets[data[b * n + site]! + 1]!++;
  for (let s = 0; s < d; s++) offsets[s + 1]! += offsets[s]!;
  const cursor = offsets.slice(0, d);
  const i32 = ws.i32;
  for (let b = 0; b < count; b++) i32[list + cursor[data[b * n + site]!]!++] = b;
}
