import { afterAll, describe, expect, it } from 'vitest';
import { createRandom } from './random';
import { type KernelEngine, setKernelEngine, wasmKernelsAvailable, workspace } from './workspace';

afterAll(() => {
  setKernelEngine('auto');
});

function naive(
  x: Float64Array,
  m: Float64Array,
  rows: number,
  inner: number,
  outer: number,
): Float64Array {
  const y = new Float64Array(rows * outer);
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < outer; j++) {
      let acc = 0;
      for (let a = 0; a < inner; a++) acc += x[i * inner + a]! * m[a * outer + j]!;
      y[i * outer + j] = acc;
    }
  return y;
}

/**
 * Runs bornEnvironmentStep on T ([a][s][k]), R_b and the weights (rows of wStride) in a fresh
 * workspace of the current engine; returns the count l x l outputs. The output is filled with
 * NaN first: the kernel must overwrite it, not accumulate into it.
 */
function environmentStep(
  t: Float64Array,
  prev: Float64Array,
  w: Float64Array,
  wStride: number,
  [l, r, d, count]: readonly [number, number, number, number],
  symmetric: number,
): Float64Array {
  const ws = workspace();
  const ts = ws.alloc(d * l * r);
  const tt = ws.alloc(d * r * l);
  const p = ws.alloc(prev.length);
  const out = ws.alloc(count * l * l);
  const wo = ws.alloc(w.length);
  const y = ws.alloc(r * l);
  const z = ws.alloc(l * l);
  const f = ws.f64;
  for (let s = 0; s < d; s++)
    for (let a = 0; a < l; a++)
      for (let k = 0; k < r; k++) {
        f[ts + s * l * r + a * r + k] = t[(a * d + s) * r + k]!;
        f[tt + s * r * l + k * l + a] = t[(a * d + s) * r + k]!;
      }
  f.set(prev, p);
  f.set(w, wo);
  f.fill(Number.NaN, out, out + count * l * l);
  ws.bornEnvironmentStep(ts, tt, p, out, wo, wStride, count, l, r, d, y, z, symmetric);
  return ws.f64.slice(out, out + count * l * l);
}

/** count random r x r matrices, symmetric ones when `symmetric`. */
function environments(
  rng: ReturnType<typeof createRandom>,
  count: number,
  r: number,
  symmetric: number,
): Float64Array {
  const prev = new Float64Array(count * r * r).map(() => rng.float64() - 0.5);
  if (symmetric)
    for (let b = 0; b < count; b++)
      for (let k = 0; k < r; k++)
        for (let q = 0; q < k; q++) prev[b * r * r + k * r + q] = prev[b * r * r + q * r + k]!;
  return prev;
}

it('the WebAssembly SIMD kernels load in this runtime', () => {
  expect(wasmKernelsAvailable()).toBe(true);
});

describe.each(['wasm-simd', 'javascript'] as KernelEngine[])('%s kernels', (engine) => {
  const rng = createRandom(17);
  const sizes: [number, number, number][] = [
    [1, 1, 1],
    [3, 5, 7],
    [4, 4, 4],
    [9, 33, 3],
    [17, 8, 9],
    [6, 2, 31],
    [13, 64, 66],
  ];
  it.each(sizes)('gemm %i x %i x %i equals the naive product to rounding', (rows, inner, outer) => {
    setKernelEngine(engine);
    const ws = workspace();
    const x = new Float64Array(rows * inner).map(() => rng.float64() - 0.5);
    const m = new Float64Array(inner * outer).map(() => rng.float64() - 0.5);
    const xo = ws.alloc(x.length);
    const mo = ws.alloc(m.length);
    const yo = ws.alloc(rows * outer + 2);
    ws.f64.set(x, xo);
    ws.f64.set(m, mo);
    ws.f64[yo + rows * outer] = 12345; // guard: nothing written past the output
    ws.gemm(xo, mo, outer, yo, rows, inner, outer);
    const ref = naive(x, m, rows, inner, outer);
    for (let k = 0; k < ref.length; k++)
      expect(Math.abs(ws.f64[yo + k]! - ref[k]!)).toBeLessThan(1e-13 * inner);
    expect(ws.f64[yo + rows * outer]).toBe(12345);
  });

  it.each(sizes)(
    'gathered scaled gemm %i x %i x %i on a strided submatrix',
    (rows, inner, outer) => {
      setKernelEngine(engine);
      const ws = workspace();
      const stride = outer + 3;
      const x = new Float64Array(rows * inner).map(() => rng.float64() - 0.5);
      const big = new Float64Array(inner * stride).map(() => rng.float64() - 0.5);
      const m = new Float64Array(inner * outer);
      for (let a = 0; a < inner; a++)
        for (let j = 0; j < outer; j++) m[a * outer + j] = big[a * stride + 2 + j]!;
      const scale = new Float64Array(rows).map(() => rng.float64() + 0.5);
      const list = Array.from({ length: rows }, (_, k) => k).filter((k) => k % 3 !== 1);
      const xo = ws.alloc(x.length);
      const bo = ws.alloc(big.length);
      const so = ws.alloc(rows);
      const yo = ws.alloc(rows * outer);
      const lo = ws.alloc(rows) * 2;
      ws.f64.set(x, xo);
      ws.f64.set(big, bo);
      ws.f64.set(scale, so);
      ws.f64.fill(-7, yo, yo + rows * outer);
      list.forEach((r, k) => {
        ws.i32[lo + k] = r;
      });
      ws.gatheredGemm(xo, yo, lo, list.length, bo + 2, stride, inner, outer, so);
      const ref = naive(x, m, rows, inner, outer);
      for (let r = 0; r < rows; r++) {
        for (let j = 0; j < outer; j++) {
          const got = ws.f64[yo + r * outer + j]!;
          if (list.includes(r))
            expect(Math.abs(got - scale[r]! * ref[r * outer + j]!)).toBeLessThan(1e-13 * inner);
          else expect(got).toBe(-7); // rows not listed are untouched
        }
      }
    },
  );

  it.each([0, 1])(
    'bornEnvironmentStep equals sum_s w_s T_s R_b T_s^T for every sample (symmetric %i)',
    (symmetric) => {
      setKernelEngine(engine);
      // odd and even l * l (the SIMD loop's tail), l != r, d = 2 and 3, zero weights skipped; l of
      // 8, 10 and 13: the symmetric product's tiles, its last columns and its last rows
      for (const [l, r, d, count] of [
        [3, 5, 2, 4],
        [4, 4, 3, 3],
        [1, 2, 2, 2],
        [10, 7, 2, 5],
        [8, 9, 2, 2],
        [13, 6, 2, 3],
      ] as const) {
        const t = new Float64Array(l * d * r).map(() => rng.float64() - 0.5); // [a][s][k]
        // R_b any matrix, or symmetric for the symmetric product
        const prev = environments(rng, count, r, symmetric);
        const wStride = d + 3;
        const w = new Float64Array(count * wStride).map(() => rng.float64());
        w[1] = 0; // sample 0 skips s = 1
        const out = environmentStep(t, prev, w, wStride, [l, r, d, count], symmetric);
        for (let b = 0; b < count; b++) {
          for (let a = 0; a < l; a++) {
            for (let c = 0; c < l; c++) {
              const o = b * l * l;
              if (symmetric) expect(out[o + a * l + c]).toBe(out[o + c * l + a]);
              let ref = 0;
              for (let s = 0; s < d; s++)
                for (let k = 0; k < r; k++)
                  for (let q = 0; q < r; q++)
                    ref +=
                      w[b * wStride + s]! *
                      t[(a * d + s) * r + k]! *
                      prev[b * r * r + k * r + q]! *
                      t[(c * d + s) * r + q]!;
              expect(Math.abs(out[o + a * l + c]! - ref)).toBeLessThan(1e-14);
            }
          }
        }
      }
    },
  );

  it('gatherOuterRows gathers listed rows as columns and weighted rows, exactly', () => {
    setKernelEngine(engine);
    const ws = workspace();
    // odd and even r (the module's last column on its own), l = 1, a list that skips and repeats
    for (const [count, l, r] of [
      [6, 3, 5],
      [9, 1, 4],
      [4, 7, 1],
    ] as const) {
      const x = new Float64Array(count * l).map(() => rng.float64() - 0.5);
      const z = new Float64Array(count * r).map(() => rng.float64() - 0.5);
      const w = new Float64Array(count).map(() => rng.float64() - 0.5);
      const order = [count - 1, 0, 2, 2, 1];
      const rows = order.length;
      const xo = ws.alloc(x.length);
      const zo = ws.alloc(z.length);
      const wo = ws.alloc(count);
      const list = ws.alloc(Math.ceil(rows / 2)) * 2;
      // a guard entry after each output
      const lt = ws.alloc(l * rows + 1);
      const rw = ws.alloc(rows * r + 1);
      ws.f64.set(x, xo);
      ws.f64.set(z, zo);
      ws.f64.set(w, wo);
      ws.i32.set(order, list);
      ws.f64[lt + l * rows] = 7;
      ws.f64[rw + rows * r] = 7;
      ws.gatherOuterRows(xo, zo, wo, list, rows, l, r, lt, rw);
      order.forEach((b, k) => {
        for (let a = 0; a < l; a++) expect(ws.f64[lt + a * rows + k]).toBe(x[b * l + a]);
        for (let c = 0; c < r; c++) expect(ws.f64[rw + k * r + c]).toBe(w[b]! * z[b * r + c]!);
      });
      expect(ws.f64[lt + l * rows]).toBe(7);
      expect(ws.f64[rw + rows * r]).toBe(7);
    }
  });

  it('rowDots, weightedSum and rescaleRows equal their definitions', () => {
    setKernelEngine(engine);
    const ws = workspace();
    const rows = 7;
    const group = 3;
    const len = 5;
    const v = new Float64Array(rows * len).map(() => rng.float64() - 0.5);
    const r = new Float64Array(Math.ceil(rows / group) * len).map(() => rng.float64() - 0.5);
    const vo = ws.alloc(v.length);
    const ro = ws.alloc(r.length);
    const oo = ws.alloc(rows);
    ws.f64.set(v, vo);
    ws.f64.set(r, ro);
    ws.rowDots(vo, ro, oo, rows, group, len);
    for (let q = 0; q < rows; q++) {
      let ref = 0;
      for (let k = 0; k < len; k++) ref += v[q * len + k]! * r[Math.floor(q / group) * len + k]!;
      expect(Math.abs(ws.f64[oo + q]! - ref)).toBeLessThan(1e-15 * len);
    }
    const count = 5;
    const l = 3;
    const d = 3;
    const wStride = 7;
    const t = new Float64Array(count * l * d).map(() => rng.float64());
    const w = new Float64Array(count * wStride).map(() => rng.float64());
    const to = ws.alloc(t.length);
    const wo = ws.alloc(w.length);
    const out = ws.alloc(count * l);
    ws.f64.set(t, to);
    ws.f64.set(w, wo);
    ws.weightedSum(to, wo + 2, wStride, out, count, l, d);
    for (let b = 0; b < count; b++) {
      for (let a = 0; a < l; a++) {
        let ref = 0;
        for (let s = 0; s < d; s++) ref += w[b * wStride + 2 + s]! * t[(b * l + a) * d + s]!;
        expect(Math.abs(ws.f64[out + b * l + a]! - ref)).toBeLessThan(1e-15 * d);
      }
    }
    // a NaN entry never becomes the maximum, in a vector or in the odd last entry (both engines)
    const x = [3, -6, 1.5, 0, 0, 0, 1e-300, 2e-300, -4e-300, Number.NaN, 2, -1, 1, -4, Number.NaN];
    const xo = ws.alloc(x.length);
    const mo = ws.alloc(5);
    ws.f64.set(x, xo);
    ws.rescaleRows(xo, 5, 3, mo);
    expect(Array.from(ws.f64.subarray(mo, mo + 5))).toEqual([6, 0, 4e-300, 2, 4]);
    const expected = [
      0.5,
      -1,
      0.25,
      0,
      0,
      0,
      0.25,
      0.5,
      -1,
      Number.NaN,
      1,
      -0.5,
      0.25,
      -1,
      Number.NaN,
    ];
    expected.forEach((e, k) => {
      if (Number.isNaN(e)) expect(ws.f64[xo + k]).toBeNaN();
      else expect(Math.abs(ws.f64[xo + k]! - e)).toBeLessThanOrEqual(1e-15);
    });
  });
});

it('rowDots gives the same bits in both engines, for odd and even lengths', () => {
  const rng = createRandom(29);
  for (const len of [1, 2, 3, 16, 17]) {
    const rows = 40;
    const v = new Float64Array(rows * len).map(() => rng.float64() - 0.5);
    const r = new Float64Array(rows * len).map(() => rng.float64() - 0.5);
    const run = (engine: KernelEngine): Float64Array => {
      setKernelEngine(engine);
      const ws = workspace();
      const vo = ws.alloc(v.length);
      const ro = ws.alloc(r.length);
      const oo = ws.alloc(rows);
      ws.f64.set(v, vo);
      ws.f64.set(r, ro);
      ws.rowDots(vo, ro, oo, rows, 1, len);
      return ws.f64.slice(oo, oo + rows);
    };
    const a = run('wasm-simd');
    const b = run('javascript');
    a.forEach((x, k) => {
      expect(Object.is(b[k], x), `len ${len}, row ${k}`).toBe(true);
    });
  }
});

it('bornEnvironmentStep gives the same bits in both engines, with the symmetric product or not', () => {
  const rng = createRandom(23);
  for (const symmetric of [0, 1]) {
    for (const [l, r, d, count] of [
      [13, 6, 2, 3],
      [16, 16, 2, 2],
      [8, 9, 3, 2],
    ] as const) {
      const t = new Float64Array(l * d * r).map(() => rng.float64() - 0.5);
      const prev = environments(rng, count, r, 1);
      const w = new Float64Array(count * d).map(() => rng.float64());
      const run = (engine: KernelEngine): Float64Array => {
        setKernelEngine(engine);
        return environmentStep(t, prev, w, d, [l, r, d, count], symmetric);
      };
      const a = run('wasm-simd');
      const b = run('javascript');
      a.forEach((v, k) => {
        expect(Object.is(b[k], v)).toBe(true);
      });
    }
  }
});
