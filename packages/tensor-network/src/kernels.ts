/**
 * The JavaScript fallback of the gathered matrix kernel (used where WebAssembly SIMD is not
 * available). Blocked over four rows so the JIT keeps four accumulators in registers, about
 * twice the speed of the naive triple loop.
 */

/**
 * For each listed row r = rows[k] (k < count): y[r, :] = scale[r] * (x[r, :] @ m), with x of
 * row stride `inner` and m an (inner x outer) row-major matrix, y of row stride `outer`.
 * `scale` may be null (all ones). x and y must not alias.
 */
export function gatheredRowsTimesMatrix(
  x: Float64Array,
  y: Float64Array,
  rows: Int32Array,
  count: number,
  m: Float64Array,
  mOffset: number,
  mRowStride: number,
  inner: number,
  outer: number,
  scale: Float64Array | null,
): void {
  let k = 0;
  for (; k + 3 < count; k += 4) {
    const r0 = rows[k]!;
    const r1 = rows[k + 1]!;
    const r2 = rows[k + 2]!;
    const r3 = rows[k + 3]!;
    const x0 = r0 * inner;
    const x1 = r1 * inner;
    const x2 = r2 * inner;
    const x3 = r3 * inner;
    const y0 = r0 * outer;
    const y1 = r1 * outer;
    const y2 = r2 * outer;
    const y3 = r3 * outer;
    for (let j = 0; j < outer; j++) {
      y[y0 + j] = 0;
      y[y1 + j] = 0;
      y[y2 + j] = 0;
      y[y3 + j] = 0;
    }
    for (let a = 0; a < inner; a++) {
      const c0 = x[x0 + a]!;
      const c1 = x[x1 + a]!;
      const c2 = x[x2 + a]!;
      const c3 = x[x3 + a]!;
      const mb = mOffset + a * mRowStride;
      for (let j = 0; j < outer; j++) {
        const v = m[mb + j]!;
        y[y0 + j]! += c0 * v;
        y[y1 + j]! += c1 * v;
        y[y2 + j]! += c2 * v;
        y[y3 + j]! += c3 * v;
      }
    }
    if (scale !== null) {
      const s0 = scale[r0]!;
      const s1 = scale[r1]!;
      const s2 = scale[r2]!;
      const s3 = scale[r3]!;
      for (let j = 0; j < outer; j++) {
        y[y0 + j]! *= s0;
        y[y1 + j]! *= s1;
        y[y2 + j]! *= s2;
        y[y3 + j]! *= s3;
      }
    }
  }
  for (; k < count; k++) {
    const r0 = rows[k]!;
    const x0 = r0 * inner;
    const y0 = r0 * outer;
    for (let j = 0; j < outer; j++) y[y0 + j] = 0;
    for (let a = 0; a < inner; a++) {
      const c0 = x[x0 + a]!;
      const mb = mOffset + a * mRowStride;
      for (let j = 0; j < outer; j++) y[y0 + j]! += c0 * m[mb + j]!;
    }
    if (scale !== null) {
      const s0 = scale[r0]!;
      for (let j = 0; j < outer; j++) y[y0 + j]! *= s0;
    }
  }
}
