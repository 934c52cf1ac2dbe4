/**
 * The fused sampling kernels (linearSampleSite, its Born path, bornSampleSite, uniforms): both engines give the
 * same bits, and those bits are the mathematics to rounding (weights, inverse-CDF digit, log q,
 * next left vectors), for shapes that exercise every code path (eight-column blocks, pairs, an
 * odd column, an odd digit, rows paired by digit and a row left unpaired).
 * The running product that carries log q (one log per few hundred sites) is checked where it
 * matters: conditionals below its threshold and products that cross it.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { logProbabilities } from './evaluate';
import { symmetricEigen } from './linalg';
import { productState, randomMPS } from './mps';
import { createRandom } from './random';
import { sample, sampleLogProbabilities } from './sample';
import { type KernelEngine, setKernelEngine, workspace } from './workspace';

afterAll(() => {
  setKernelEngine('auto');
});

const ENGINES: KernelEngine[] = ['wasm-simd', 'javascript'];

interface SiteRun {
  digits: Int32Array;
  logq: Float64Array;
  prod: Float64Array;
  y: Float64Array;
  status: number;
}

/**
 * born: bornSampleSite (every digit's product); born-diagonal: linearSampleSite's Born path (d = 2,
 * weights from the squared norms of T's rows, T given in the diagonal gauge).
 */
type SiteKind = 'linear' | 'born' | 'born-diagonal';

interface SiteInput {
  kind: SiteKind;
  count: number;
  l: number;
  d: number;
  r: number;
  x: Float64Array;
  t: Float64Array;
  p: Float64Array;
  u: Float64Array | null;
  forced: Int32Array;
  logq: Float64Array;
  prod: Float64Array;
}

function runSite(engine: KernelEngine, input: SiteInput): SiteRun {
  setKernelEngine(engine);
  const ws = workspace();
  const { count, l, d, r } = input;
  const stride = 3; // digits of other sites sit between a row's digits
  const xo = ws.alloc(count * l);
  const yo = ws.alloc(count * r + 1);
  const to = ws.alloc(input.t.length);
  const po = ws.alloc(l * d);
  // an entry at [count]: linear sampling with d = 2 works an odd count's last row twice
  const uo = ws.alloc(count + 1);
  const qo = ws.alloc(count + 1);
  const pro = ws.alloc(count + 1);
  const vo = ws.alloc(count * d * r);
  const wo = ws.alloc(d);
  const so = ws.alloc(1);
  const dio = ws.alloc(Math.ceil((count * stride) / 2)) * 2;
  const f = ws.f64;
  f.set(input.x, xo);
  f.set(input.t, to);
  f.set(input.kind === 'born-diagonal' ? rowSquares(input.t, l * d, r) : input.p, po);
  if (input.u !== null) f.set(input.u, uo);
  f.set(input.logq, qo);
  f.set(input.prod, pro);
  f[uo + count] = 0.5;
  f[qo + count] = 0;
  f[pro + count] = 1;
  f[yo + count * r] = 4242; // guard
  for (let b = 0; b < count; b++) ws.i32[dio + b * stride] = input.forced[b]!;
  const u = input.u === null ? -1 : uo;
  if (input.kind === 'born') {
    ws.bornSampleSite(xo, yo, to, u, dio, stride, qo, pro, count, l, d, r, vo, wo, so);
  } else {
    const born = input.kind === 'born-diagonal' ? 1 : 0;
    ws.linearSampleSite(xo, yo, to, po, u, dio, stride, qo, pro, count, l, d, r, wo, so, born, vo);
  }
  const g = ws.f64;
  expect(g[yo + count * r]).toBe(4242);
  return {
    digits: Int32Array.from({ length: count }, (_, b) => ws.i32[dio + b * stride]!),
    logq: g.slice(qo, qo + count),
    prod: g.slice(pro, pro + count),
    y: g.slice(yo, yo + count * r),
    status: g[so]!,
  };
}

/** The squared norm of each row of the (rows x cols) matrix m, summed in order. */
function rowSquares(m: Float64Array, rows: number, cols: number): Float64Array {
  return Float64Array.from({ length: rows }, (_, i) => {
    let acc = 0;
    for (let k = 0; k < cols; k++) acc += m[i * cols + k]! ** 2;
    return acc;
  });
}

/**
 * T (l x 2 x r, rows of [l][2 r] orthonormal) rotated on its left index so that A_0 A_0^T is
 * diagonal, by the eigenvectors of that matrix: the diagonal gauge that sample() gives the sites.
 */
function toDiagonalGauge(t: Float64Array, l: number, r: number): Float64Array {
  const m = new Float64Array(l * l);
  for (let a = 0; a < l; a++)
    for (let b = 0; b < l; b++)
      for (let k = 0; k < r; k++) m[a * l + b]! += t[2 * a * r + k]! * t[2 * b * r + k]!;
  const u = symmetricEigen(m, l).vectors;
  const out = new Float64Array(t.length);
  for (let a = 0; a < l; a++)
    for (let c = 0; c < l; c++)
      for (let k = 0; k < 2 * r; k++) out[a * 2 * r + k]! += u[c * l + a]! * t[c * 2 * r + k]!;
  return out;
}

function randomInput(
  kind: SiteKind,
  count: number,
  l: number,
  d: number,
  r: number,
  seed: number,
): SiteInput {
  const rng = createRandom(seed);
  const x = new Float64Array(count * l).map(() => rng.float64() + 0.05);
  const t = new Float64Array(l * d * r).map(() => rng.float64() + 0.05);
  // the Born kernel samples a right-canonical MPS: the rows of T (l x d r) orthonormal
  if (kind !== 'linear') orthonormalizeRows(t, l, d * r);
  const tt = kind === 'born-diagonal' ? toDiagonalGauge(t, l, r) : t;
  const renv = new Float64Array(r).map(() => rng.float64() + 0.05);
  const p = new Float64Array(l * d);
  for (let a = 0; a < l; a++)
    for (let s = 0; s < d; s++) {
      let acc = 0;
      for (let k = 0; k < r; k++) acc += t[(a * d + s) * r + k]! * renv[k]!;
      p[a * d + s] = acc;
    }
  return {
    kind,
    count,
    l,
    d,
    r,
    x,
    t: tt,
    p: kind === 'linear' ? p : new Float64Array(0),
    u: new Float64Array(count).map(() => rng.float64()),
    forced: new Int32Array(count),
    logq: new Float64Array(count).map(() => -rng.float64()),
    prod: new Float64Array(count).map(() => 0.5 + rng.float64() / 2),
  };
}

/** Modified Gram-Schmidt, twice, on the rows of the (rows x cols) matrix m (rows <= cols). */
function orthonormalizeRows(m: Float64Array, rows: number, cols: number): void {
  for (let pass = 0; pass < 2; pass++) {
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < i; j++) {
        let dot = 0;
        for (let k = 0; k < cols; k++) dot += m[i * cols + k]! * m[j * cols + k]!;
        for (let k = 0; k < cols; k++) m[i * cols + k]! -= dot * m[j * cols + k]!;
      }
      let norm = 0;
      for (let k = 0; k < cols; k++) norm += m[i * cols + k]! ** 2;
      for (let k = 0; k < cols; k++) m[i * cols + k]! /= Math.sqrt(norm);
    }
  }
}

/** The row's digit weights by definition (plain sums). */
function exactWeights(input: SiteInput, b: number): number[] {
  const { l, d, r, x, t, p } = input;
  return Array.from({ length: d }, (_, s) => {
    let acc = 0;
    if (input.kind === 'linear') {
      for (let a = 0; a < l; a++) acc += x[b * l + a]! * p[a * d + s]!;
    } else {
      for (let k = 0; k < r; k++) {
        let v = 0;
        for (let a = 0; a < l; a++) v += x[b * l + a]! * t[(a * d + s) * r + k]!;
        acc += v * v;
      }
    }
    return acc;
  });
}

// d = 2 with r = 6 and 14: blocks of 8 columns, then pairs of columns of both parities (the
// Born kernel's squared norms alternate between two accumulators by pair), and odd tails
const SHAPES: [number, number, number][] = [
  [1, 2, 1],
  [16, 2, 16],
  [5, 2, 17],
  [7, 3, 10],
  [16, 4, 9],
  [9, 2, 24],
  [3, 2, 6],
  [4, 2, 14],
];

describe.each(['linear', 'born', 'born-diagonal'] as const)('%s sampling kernel', (kind) => {
  // the diagonal gauge is for d = 2
  const shapes = kind === 'born-diagonal' ? SHAPES.filter(([, d]) => d === 2) : SHAPES;
  it.each(shapes)(
    'l %i, d %i, r %i: both engines agree bit for bit, and equal the definition to rounding',
    (l, d, r) => {
      const count = 37;
      checkSite(randomInput(kind, count, l, d, r, 100 + l * 31 + d * 7 + r));
    },
  );

  function checkSite(input: SiteInput): void {
    {
      const { count, l, d, r } = input;
      const [wasm, js] = ENGINES.map((e) => runSite(e, input));
      expect(wasm!.status).toBe(-1);
      expect(Array.from(wasm!.digits)).toEqual(Array.from(js!.digits));
      expect(Array.from(wasm!.logq)).toEqual(Array.from(js!.logq));
      expect(Array.from(wasm!.prod)).toEqual(Array.from(js!.prod));
      expect(Array.from(wasm!.y)).toEqual(Array.from(js!.y));
      for (let b = 0; b < count; b++) {
        const w = exactWeights(input, b);
        const total = w.reduce((a, c) => a + c, 0);
        // inverse CDF of the uniform (no uniform lies within rounding of a boundary here)
        let s = 0;
        let acc = w[0]!;
        while (s < d - 1 && input.u![b]! * total >= acc) acc += w[++s]!;
        expect(wasm!.digits[b]).toBe(s);
        // log q gains log(w_s / total): the running product or the log moved the factor in
        const before = input.logq[b]! + Math.log(input.prod[b]!);
        const after = wasm!.logq[b]! + Math.log(wasm!.prod[b]!);
        expect(after - before).toBeCloseTo(Math.log(w[s]! / total), 12);
        // the next left vector: x_b T_s / w_s (linear) or / sqrt(w_s) (Born), to rounding of
        // the row's largest entry
        const expected = Array.from({ length: r }, (_, k) => {
          let v = 0;
          for (let a = 0; a < l; a++) v += input.x[b * l + a]! * input.t[(a * d + s) * r + k]!;
          return kind === 'linear' ? v / w[s]! : v / Math.sqrt(w[s]!);
        });
        const scale = Math.max(...expected.map(Math.abs));
        for (let k = 0; k < r; k++) {
          expect(Math.abs(wasm!.y[b * r + k]! - expected[k]!)).toBeLessThan(1e-12 * scale);
        }
      }
    }
  }

  it.each(kind === 'born-diagonal' ? [2] : [2, 3])(
    'reads digits (d = %i): a digit of zero weight gives -Infinity and a zero row; others are evaluated',
    (d) => {
      const input = randomInput(kind, 9, 4, d, 5, 7);
      input.u = null;
      input.forced = Int32Array.from([0, 1, 2, 2, 1, 0, 1, 2, 0].map((s) => s % d));
      // digit 1 gets weight only through a = 2, 3, where row 4 of x is zero: row 4 reads a digit of
      // weight 0, the other rows that read 1 keep a positive weight
      for (let a = 0; a < 2; a++) {
        for (let k = 0; k < 5; k++) input.t[(a * d + 1) * 5 + k] = 0;
        if (kind === 'linear') input.p[a * d + 1] = 0;
      }
      input.x[4 * 4 + 2] = 0;
      input.x[4 * 4 + 3] = 0;
      const [wasm, js] = ENGINES.map((e) => runSite(e, input));
      for (const run of [wasm!, js!]) {
        expect(Array.from(run.digits)).toEqual(Array.from(input.forced));
        expect(run.logq[4]).toBe(Number.NEGATIVE_INFINITY);
        for (let k = 0; k < 5; k++) expect(run.y[4 * 5 + k]).toBe(0);
        for (const b of [0, 1, 2, 3, 5, 6, 7, 8]) expect(Number.isFinite(run.logq[b]!)).toBe(true);
      }
      expect(Array.from(wasm!.logq)).toEqual(Array.from(js!.logq));
      expect(Array.from(wasm!.y)).toEqual(Array.from(js!.y));
    },
  );

  it.each([
    [3, 5],
    [2, 5],
    [4, 4],
  ])(
    'reports the first row whose weights sum to zero while drawing (rows %i and %i zero)',
    (first, second) => {
      // d = 2: rows 2k and 2k + 1 share the vectors of the two-row paths
      const input = randomInput(kind, 6, 3, 2, 4, 9);
      input.x.fill(0, first * 3, (first + 1) * 3); // every weight 0
      input.x.fill(0, second * 3, (second + 1) * 3);
      for (const engine of ENGINES) expect(runSite(engine, input).status).toBe(first);
    },
  );
});

describe('Born sampling kernel, d = 2: the floor of the diagonal weights', () => {
  // T (4 x 2 x 4) in the diagonal gauge up to one defect: T_0's rows c_a e_a and T_1's s_a f_a
  // (c^2 + s^2 = 1, e orthonormal), digit 1 reached only through a = 2, 3 (s_0 = s_1 = 0), and
  // f_2, f_3 at an angle of 1e-6 off orthogonal, so that digit 1's diagonal weight
  // sum_a x_a^2 ||row a of T_1||^2 is off by 2 x_2 x_3 s_2 s_3 1e-6. Rows of x with x_2 = x_3 = 0
  // give digit 1 weight exactly 0, rows with x_2, x_3 of 1e-4 a weight of about 1e-8 ||x||^2,
  // below the floor (2^-20 of the total): that weight is computed as ||x T_1||^2 where digit 1
  // is read or a uniform falls in its tail, so it keeps its zero and its relative accuracy
  const l = 4;
  const r = 4;
  const rng = createRandom(77);
  const e = new Float64Array(r * r).map(() => rng.float64() - 0.5);
  orthonormalizeRows(e, r, r);
  const g = new Float64Array(2 * r).map(() => rng.float64() - 0.5);
  orthonormalizeRows(g, 2, r);
  const f3 = Float64Array.from({ length: r }, (_, k) => g[r + k]! + 1e-6 * g[k]!);
  const c = [1, 1, 0.6, 0.8];
  const t = new Float64Array(l * 2 * r);
  for (let a = 0; a < l; a++) {
    const s = Math.sqrt(1 - c[a]! ** 2);
    for (let k = 0; k < r; k++) {
      t[2 * a * r + k] = c[a]! * e[a * r + k]!;
      if (a >= 2) t[(2 * a + 1) * r + k] = s * (a === 2 ? g[k]! : f3[k]! / Math.hypot(...f3));
    }
  }
  // rows by the size of x_2, x_3: digit 1 of normal weight, of weight 0, below the floor, and
  // just above it; in both lanes of the two-row pass, and an odd count's last row
  // (edge: digit 1 at 3/4 of the floor, where the tail of a draw begins to matter)
  const kinds = [
    ...['normal', 'zero', 'small', 'normal', 'near', 'zero', 'normal', 'small', 'small'],
    ...['edge', 'zero'],
  ];
  const scale = { normal: 1, zero: 0, small: 1e-4, near: 1.5e-3 } as Record<string, number>;
  const count = kinds.length;
  const x = new Float64Array(count * l).map(() => rng.float64() + 0.5);
  kinds.forEach((kind, b) => {
    let c = scale[kind] ?? 1;
    if (kind === 'edge') {
      // digit 1's share is (x_2^2 |T_1[2]|^2 + x_3^2 |T_1[3]|^2) / ||x||^2 at scale 1
      const row = x.subarray(b * l, (b + 1) * l);
      const share = (row[2]! ** 2 * 0.64 + row[3]! ** 2 * 0.36) / (row[0]! ** 2 + row[1]! ** 2);
      c = Math.sqrt((0.75 * 2 ** -20) / share);
    }
    x[b * l + 2]! *= c;
    x[b * l + 3]! *= c;
  });
  const base: SiteInput = {
    kind: 'born-diagonal',
    count,
    l,
    d: 2,
    r,
    x,
    t,
    p: new Float64Array(0),
    u: null,
    forced: new Int32Array(count).fill(1),
    logq: new Float64Array(count),
    prod: new Float64Array(count).fill(1),
  };
  const p = rowSquares(t, 2 * l, r);
  /** The diagonal weights of row b, summed over a in order as the kernels sum them. */
  const diagonal = (b: number) =>
    [0, 1].map((s) => {
      let acc = 0;
      for (let a = 0; a < l; a++) acc += x[b * l + a]! ** 2 * p[2 * a + s]!;
      return acc;
    });

  it('digit 1 of weight 0 is never drawn, small weights are exact, others diagonal', () => {
    const drawn = ENGINES.map((e) =>
      runSite(e, { ...base, u: new Float64Array(count).fill(1 - 1e-12) }),
    );
    // u near 1 picks digit 1 wherever it has weight
    const expected = kinds.map((kind) => (kind === 'zero' ? 0 : 1));
    expect(Array.from(drawn[0]!.digits)).toEqual(expected);
    expect(Array.from(drawn[1]!.digits)).toEqual(expected);
    const read = ENGINES.map((e) => runSite(e, base));
    expect(Array.from(read[0]!.logq)).toEqual(Array.from(read[1]!.logq));
    expect(Array.from(read[0]!.prod)).toEqual(Array.from(read[1]!.prod));
    kinds.forEach((kind, b) => {
      const w = exactWeights(base, b);
      const dw = diagonal(b);
      const got = read[0]!.logq[b]! + Math.log(read[0]!.prod[b]!);
      const exactLog = Math.log(w[1]! / (w[0]! + w[1]!));
      const diagonalLog = Math.log(dw[1]! / (dw[0]! + dw[1]!));
      if (kind === 'zero') {
        expect(got).toBe(Number.NEGATIVE_INFINITY);
        return;
      }
      // the defect moves digit 1's diagonal weight in its seventh digit
      expect(Math.abs(diagonalLog - exactLog)).toBeGreaterThan(1e-8);
      if (kind === 'small' || kind === 'edge') {
        expect(w[1]! / (w[0]! + w[1]!)).toBeLessThan(2 ** -20);
        expect(got).toBeCloseTo(exactLog, 12);
      } else {
        // above the floor (near: within 2^8 of it) the diagonal weights stand
        if (kind === 'near') expect(dw[1]! / (dw[0]! + dw[1]!)).toBeLessThan(2 ** -12);
        expect(dw[1]! / (dw[0]! + dw[1]!)).toBeGreaterThan(2 ** -20);
        expect(got).toBeCloseTo(diagonalLog, 12);
      }
    });
  });
  it.each([1, 0])(
    'draws with minority digit %i: it only in its tail, by its computed weight; log q as read',
    (minority) => {
      // minority 0: T's digit slices swapped, so digit 0 is the small one
      const tm = minority === 1 ? t : t.map((_, k) => t[k + (((k / r) | 0) % 2 === 0 ? r : -r)]!);
      const input: SiteInput = { ...base, t: tm };
      const pm = rowSquares(tm, 2 * l, r);
      const tail = 2 ** -19;
      const us = [0, tail / 2, tail, 0.5, 1 - 2 * tail, 1 - tail, 1 - 1e-12];
      for (const u0 of us) {
        const drawn = ENGINES.map((e) =>
          runSite(e, { ...input, u: new Float64Array(count).fill(u0) }),
        );
        expect(Array.from(drawn[0]!.digits)).toEqual(Array.from(drawn[1]!.digits));
        expect(Array.from(drawn[0]!.logq)).toEqual(Array.from(drawn[1]!.logq));
        expect(Array.from(drawn[0]!.prod)).toEqual(Array.from(drawn[1]!.prod));
        kinds.forEach((kind, b) => {
          const dw = [0, 1].map((s) => {
            let acc = 0;
            for (let a = 0; a < l; a++) acc += x[b * l + a]! ** 2 * pm[2 * a + s]!;
            return acc;
          });
          const we = exactWeights(input, b);
          let digit: number;
          if (kind === 'normal' || kind === 'near')
            digit = u0 * (dw[0]! + dw[1]!) >= dw[0]! ? 1 : 0;
          else if (minority === 1) {
            digit = u0 >= 1 - tail && u0 * (dw[0]! + we[1]!) >= dw[0]! && we[1]! > 0 ? 1 : 0;
          } else digit = u0 < tail && u0 * (we[0]! + dw[1]!) < we[0]! ? 0 : 1;
          expect(drawn[0]!.digits[b]).toBe(digit);
        });
        // the same q evaluated on the drawn digits, bit for bit
        const read = ENGINES.map((e) => runSite(e, { ...input, forced: drawn[0]!.digits }));
        for (const run of read) {
          expect(Array.from(run.logq)).toEqual(Array.from(drawn[0]!.logq));
          expect(Array.from(run.prod)).toEqual(Array.from(drawn[0]!.prod));
        }
      }
      // the minority digit is drawn where its computed weight puts the boundary: just past it
      // and just short of it (digit 1's share is about 1e-8 in a small row, 7e-7 at the edge)
      for (const kind of ['small', 'edge']) {
        const b = kinds.indexOf(kind);
        const we = exactWeights(input, b);
        const share = we[minority]! / (we[0]! + we[1]!);
        expect(share).toBeGreaterThan(kind === 'edge' ? 2 ** -21 : 0);
        const boundary = minority === 1 ? 1 - share : share;
        for (const [u0, expected] of [
          [boundary * (1 + 1e-12), 1],
          [boundary * (1 - 1e-12), 0],
        ] as const) {
          const runs = ENGINES.map((e) =>
            runSite(e, { ...input, u: new Float64Array(count).fill(u0) }),
          );
          for (const run of runs) expect(run.digits[b]).toBe(expected);
        }
      }
    },
  );
});

describe('uniforms kernel', () => {
  it.each(ENGINES)('%s: the streams float64() sequence bit for bit, chunk by chunk', (engine) => {
    setKernelEngine(engine);
    const root = createRandom(2024);
    const count = 300;
    const chunk = 128;
    const chunks = Math.ceil(count / chunk);
    const streams = Array.from({ length: chunks }, (_, c) => root.split(c));
    const reference = Array.from({ length: chunks }, (_, c) => root.split(c));
    const ws = workspace();
    ws.alloc(6); // the states at a non-zero offset
    const so = ws.alloc(2 * chunks);
    const uo = ws.alloc(count);
    const u32 = new Uint32Array(ws.f64.buffer, ws.f64.byteOffset + so * 8, 4 * chunks);
    streams.forEach((g, c) => {
      u32.set((g as unknown as { stateWords(): number[] }).stateWords(), 4 * c);
    });
    for (let site = 0; site < 3; site++) {
      ws.uniforms(so, count, chunk, uo);
      for (let b = 0; b < count; b++) {
        expect(ws.f64[uo + b]).toBe(reference[Math.floor(b / chunk)]!.float64());
      }
    }
  });
});

describe('log q through the running product', () => {
  // a product-state linear MPS: site i gives digit 1 probability p_i
  const productMPS = (ps: number[]) => productState(ps.map((p) => [1 - p, p]));

  it.each(ENGINES)(
    '%s: conditionals below 1e-150 and products that underflow stay exact',
    (engine) => {
      setKernelEngine(engine);
      const ps = [
        ...Array.from({ length: 40 }, () => 1e-200), // each below the 1e-150 threshold
        ...Array.from({ length: 40 }, () => 1e-40), // products that cross it every four sites
        ...Array.from({ length: 40 }, () => 0.5),
      ];
      const mps = productMPS(ps);
      const ones = { data: new Int32Array(ps.length).fill(1), count: 1 };
      const expected = ps.reduce((acc, p) => acc + Math.log(p), 0);
      const got = sampleLogProbabilities(mps, ones)[0]!;
      expect(Math.abs(got - expected)).toBeLessThan(1e-12 * Math.abs(expected));
      expect(Math.abs(logProbabilities(mps, ones)[0]! - expected)).toBeLessThan(
        1e-12 * Math.abs(expected),
      );
    },
  );

  it.each(['linear', 'born'] as const)(
    '%s: a draw and its evaluation agree bit for bit in both engines, and the engines agree',
    (kind) => {
      const mps = randomMPS({ length: 40, bondDim: 7, seed: 2, kind });
      const runs = ENGINES.map((engine) => {
        setKernelEngine(engine);
        const draws = sample(mps, { count: 300, seed: 3 });
        expect(Array.from(sampleLogProbabilities(mps, draws))).toEqual(
          Array.from(draws.logProbabilities),
        );
        return draws;
      });
      expect(Array.from(runs[0]!.data)).toEqual(Array.from(runs[1]!.data));
      expect(Array.from(runs[0]!.logProbabilities)).toEqual(Array.from(runs[1]!.logProbabilities));
    },
  );
});
