import { afterAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from './errors';
import { lq, matmul, qr, svd, symmetricEigen, transpose } from './linalg';
import { createRandom } from './random';
import { setKernelEngine } from './workspace';

function randomMatrix(rows: number, cols: number, seed: number, scale = 1): Float64Array {
  const rng = createRandom(seed);
  const a = new Float64Array(rows * cols);
  for (let k = 0; k < a.length; k++) a[k] = (2 * rng.float64() - 1) * scale;
  return a;
}

function frobenius(a: Float64Array): number {
  let m = 0;
  for (const v of a) m = Math.max(m, Math.abs(v));
  if (m === 0) return 0;
  let s = 0;
  for (const v of a) s += (v / m) * (v / m);
  return m * Math.sqrt(s);
}

function difference(a: Float64Array, b: Float64Array): Float64Array {
  expect(a.length).toBe(b.length);
  return a.map((v, k) => v - b[k]!);
}

/** max |Mᵀ M - I| for the k columns of a rows x k matrix. */
function columnOrthogonalityError(m: Float64Array, rows: number, k: number): number {
  const g = matmul(transpose(m, rows, k), m, k, rows, k);
  let err = 0;
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) err = Math.max(err, Math.abs(g[i * k + j]! - (i === j ? 1 : 0)));
  }
  return err;
}

function reconstructSVD(
  u: Float64Array,
  s: Float64Array,
  vt: Float64Array,
  rows: number,
  cols: number,
): Float64Array {
  const k = s.length;
  const us = u.map((v, idx) => v * s[idx % k]!);
  return matmul(us, vt, rows, k, cols);
}

function checkSVD(a: Float64Array, rows: number, cols: number, tol = 1e-14): void {
  const { u, s, vt, rank } = svd(a, rows, cols);
  const k = Math.min(rows, cols);
  expect(u.length).toBe(rows * k);
  expect(s.length).toBe(k);
  expect(vt.length).toBe(k * cols);
  for (let j = 0; j < k; j++) {
    expect(s[j]!).toBeGreaterThanOrEqual(0);
    if (j > 0) expect(s[j]!).toBeLessThanOrEqual(s[j - 1]!);
  }
  expect(rank).toBeGreaterThanOrEqual(0);
  expect(rank).toBeLessThanOrEqual(k);
  const norm = frobenius(a);
  const err = frobenius(difference(reconstructSVD(u, s, vt, rows, cols), a));
  expect(err).toBeLessThanOrEqual(tol * Math.max(norm, Number.MIN_VALUE) * Math.sqrt(k));
  expect(columnOrthogonalityError(u, rows, k)).toBeLessThan(tol * 10 * Math.sqrt(k));
  expect(columnOrthogonalityError(transpose(vt, k, cols), cols, k)).toBeLessThan(
    tol * 10 * Math.sqrt(k),
  );
  // Frobenius norm equals the 2-norm of s
  const sNorm = frobenius(s);
  expect(Math.abs(sNorm - norm)).toBeLessThanOrEqual(tol * 10 * norm);
}

function hilbert(rows: number, cols: number): Float64Array {
  const h = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) h[i * cols + j] = 1 / (i + j + 1);
  return h;
}

describe('matmul and transpose', () => {
  it('multiplies a small known case', () => {
    const a = Float64Array.from([1, 2, 3, 4, 5, 6]); // 2 x 3
    const b = Float64Array.from([7, 8, 9, 10, 11, 12]); // 3 x 2
    expect(Array.from(matmul(a, b, 2, 3, 2))).toEqual([58, 64, 139, 154]);
    expect(Array.from(transpose(a, 2, 3))).toEqual([1, 4, 2, 5, 3, 6]);
  });

  it('writes into out and rejects wrong lengths', () => {
    const out = new Float64Array(4).fill(99);
    matmul(Float64Array.from([1, 0, 0, 1]), Float64Array.from([1, 2, 3, 4]), 2, 2, 2, out);
    expect(Array.from(out)).toEqual([1, 2, 3, 4]);
    expect(() => matmul(new Float64Array(3), new Float64Array(4), 2, 2, 2)).toThrow(
      InvalidArgumentError,
    );
  });
});

describe('svd: known cases', () => {
  it('diagonal matrix with unsorted and negative entries', () => {
    const a = new Float64Array(16);
    const diag = [0.5, -3, 2, 0];
    diag.forEach((v, i) => {
      a[i * 4 + i] = v;
    });
    const { s, rank } = svd(a, 4, 4);
    expect(Array.from(s)).toEqual([3, 2, 0.5, 0]);
    expect(rank).toBe(3);
    checkSVD(a, 4, 4);
  });

  it('rank-1 outer product', () => {
    const x = [1, -2, 3, 0.5, 4];
    const y = [2, 1, -1];
    const a = new Float64Array(15);
    for (let i = 0; i < 5; i++) for (let j = 0; j < 3; j++) a[i * 3 + j] = x[i]! * y[j]!;
    const { s, rank } = svd(a, 5, 3);
    const expected = Math.hypot(...x) * Math.hypot(...y);
    expect(Math.abs(s[0]! - expected)).toBeLessThan(1e-14 * expected);
    expect(s[1]!).toBeLessThan(1e-14 * expected);
    expect(s[2]!).toBeLessThan(1e-14 * expected);
    expect(rank).toBe(1);
    checkSVD(a, 5, 3);
    checkSVD(transpose(a, 5, 3), 3, 5);
  });

  it('zero matrices of several shapes', () => {
    for (const [r, c] of [
      [1, 1],
      [3, 5],
      [6, 2],
    ] as const) {
      const a = new Float64Array(r * c);
      const { s, rank } = svd(a, r, c);
      expect(Array.from(s).every((v) => v === 0)).toBe(true);
      expect(rank).toBe(0);
      checkSVD(a, r, c);
    }
  });

  it('1 x 1, row and column vectors', () => {
    const { u, s, vt } = svd(Float64Array.from([-2.5]), 1, 1);
    expect(s[0]).toBe(2.5);
    expect(u[0]! * vt[0]!).toBe(-1);
    const row = Float64Array.from([3, 0, -4]);
    expect(svd(row, 1, 3).s[0]).toBeCloseTo(5, 14);
    checkSVD(row, 1, 3);
    expect(svd(row, 3, 1).s[0]).toBeCloseTo(5, 14);
    checkSVD(row, 3, 1);
  });

  it('Hilbert matrices match high-precision singular values', () => {
    // references computed with 40-digit arithmetic (mpmath), rounded to float64
    const h4 = [
      1.5002142800592428, 0.16914122022145003, 0.006738273605760748, 9.670230402258689e-5,
    ];
    const h8 = [
      1.6959389969219494, 0.2981252113169307, 0.02621284357811905, 0.0014676881177418672,
      5.436943369749942e-5, 1.2943320918728114e-6, 1.7988737458175767e-8, 1.1115389663724424e-10,
    ];
    const h85 = [
      1.626007635002475, 0.2470901678231954, 0.017009294624457643, 0.0006544228236482634,
      1.2973979232719318e-5,
    ];
    const cases: [number, number, number[]][] = [
      [4, 4, h4],
      [8, 8, h8],
      [8, 5, h85],
    ];
    for (const [r, c, ref] of cases) {
      const a = hilbert(r, c);
      const { s } = svd(a, r, c);
      // entries of the stored Hilbert matrix carry rounding errors of 1e-16 relative, so the
      // singular values are only determined to a few 1e-16 * s_max in absolute terms
      ref.forEach((v, j) => {
        expect(Math.abs(s[j]! - v)).toBeLessThan(2e-15 * ref[0]!);
      });
      checkSVD(a, r, c);
      const st = svd(transpose(a, r, c), c, r).s;
      ref.forEach((v, j) => {
        expect(Math.abs(st[j]! - v)).toBeLessThan(2e-15 * ref[0]!);
      });
    }
    // the ill-conditioned 8 x 8 Hilbert matrix: the smallest value (1.1e-10) to 1e-5 relative
    const s8 = svd(hilbert(8, 8), 8, 8).s;
    expect(Math.abs(s8[7]! - h8[7]!) / h8[7]!).toBeLessThan(1e-5);
  });

  it('matrix with known singular values U diag(s) Vᵀ from random orthogonal factors', () => {
    const rows = 12;
    const cols = 7;
    const u = qr(randomMatrix(rows, cols, 5), rows, cols).q;
    const v = qr(randomMatrix(cols, cols, 6), cols, cols).q;
    const sv = [1e3, 10, 1, 1, 1e-3, 1e-8, 0];
    const us = u.map((x, idx) => x * sv[idx % cols]!);
    const a = matmul(us, transpose(v, cols, cols), rows, cols, cols);
    const { s, rank } = svd(a, rows, cols);
    sv.forEach((x, j) => {
      expect(Math.abs(s[j]! - x)).toBeLessThan(1e-13 * sv[0]!);
    });
    expect(rank).toBe(6);
    checkSVD(a, rows, cols);
  });
});

describe('svd: random matrices with fixed seeds', () => {
  const shapes: [number, number][] = [];
  for (const r of [1, 2, 3, 7, 16, 33, 80]) for (const c of [1, 2, 5, 17, 50]) shapes.push([r, c]);
  it.each(shapes)('%i x %i', (r, c) => {
    const a = randomMatrix(r, c, 1000 * r + c);
    checkSVD(a, r, c);
  });

  it('rank-deficient random products (80 x 50 of rank 7, and its transpose)', () => {
    const a = matmul(randomMatrix(80, 7, 1), randomMatrix(7, 50, 2), 80, 7, 50);
    const res = svd(a, 80, 50);
    expect(res.rank).toBe(7);
    for (let j = 7; j < 50; j++) expect(res.s[j]!).toBeLessThan(1e-13 * res.s[0]!);
    checkSVD(a, 80, 50);
    checkSVD(transpose(a, 80, 50), 50, 80);
  });

  it('repeated columns and rows', () => {
    const base = randomMatrix(10, 3, 9);
    const a = new Float64Array(10 * 6);
    for (let i = 0; i < 10; i++) for (let j = 0; j < 6; j++) a[i * 6 + j] = base[i * 3 + (j % 3)]!;
    expect(svd(a, 10, 6).rank).toBe(3);
    checkSVD(a, 10, 6);
  });
});

describe('svd: extreme scales', () => {
  for (const scale of [1e-150, 1e150, 1e-300, 1e300]) {
    it(`random 20 x 9 matrix times ${scale}`, () => {
      const a = randomMatrix(20, 9, 77);
      const ref = svd(a, 20, 9).s;
      const scaled = a.map((v) => v * scale);
      const { s } = svd(scaled, 20, 9);
      ref.forEach((v, j) => {
        expect(Math.abs(s[j]! / scale - v)).toBeLessThan(1e-14 * ref[0]!);
      });
      checkSVD(scaled, 20, 9);
    });
  }

  it('a matrix with entries spanning 1e-150 to 1e150', () => {
    const a = Float64Array.from([1e150, 0, 0, 0, 1, 0, 0, 0, 1e-150]);
    const { s } = svd(a, 3, 3);
    expect(Array.from(s)).toEqual([1e150, 1, 1e-150]);
    checkSVD(a, 3, 3);
  });

  it('strongly graded columns (whose squares underflow) keep u orthonormal', () => {
    const grades = [1, 1e-80, 1e-160, 1e-250];
    const a = randomMatrix(6, 4, 21).map((v, idx) => v * grades[idx % 4]!);
    checkSVD(a, 6, 4);
    checkSVD(transpose(a, 6, 4), 4, 6);
  });
});

describe('svd, qr and lq: the kernel engines', () => {
  afterAll(() => {
    setKernelEngine('auto');
  });
  // the Householder QR and the Jacobi rotations run in the workspace's kernels: the module's
  // (vectors of two entries, an odd count leaves one on its own) and the JavaScript ones do the
  // same operations
  it('give the same bits for random, rank-deficient, graded and tiny matrices', () => {
    const cases: [Float64Array, number, number][] = [
      [randomMatrix(1, 1, 3), 1, 1],
      [randomMatrix(32, 32, 4), 32, 32],
      [randomMatrix(17, 9, 5), 17, 9],
      [randomMatrix(6, 13, 6), 6, 13],
      [matmul(randomMatrix(32, 16, 7), randomMatrix(16, 32, 8), 32, 16, 32), 32, 32],
      [randomMatrix(6, 4, 21).map((v, idx) => v * [1, 1e-80, 1e-160, 1e-250][idx % 4]!), 6, 4],
      [randomMatrix(11, 7, 9).map((v) => v * 1e-300), 11, 7],
      // a zero column: its reflection is skipped
      [randomMatrix(9, 5, 10).map((v, idx) => (idx % 5 === 2 ? 0 : v)), 9, 5],
    ];
    for (const [a, rows, cols] of cases) {
      const both = <T extends object>(f: () => T): [T, T] => {
        setKernelEngine('wasm-simd');
        const x = f();
        setKernelEngine('javascript');
        return [x, f()];
      };
      const same = (x: Float64Array, y: Float64Array) => {
        expect(y.length).toBe(x.length);
        x.forEach((v, k) => {
          expect(Object.is(y[k], v)).toBe(true);
        });
      };
      const [x, y] = both(() => svd(a, rows, cols));
      expect(y.rank).toBe(x.rank);
      for (const key of ['u', 's', 'vt'] as const) same(x[key], y[key]);
      const [qx, qy] = both(() => qr(a, rows, cols));
      same(qx.q, qy.q);
      same(qx.r, qy.r);
      const [lx, ly] = both(() => lq(a, rows, cols));
      same(lx.l, ly.l);
      same(lx.q, ly.q);
      checkSVD(a, rows, cols);
    }
  });
});

describe('qr and lq', () => {
  const shapes: [number, number][] = [
    [1, 1],
    [1, 5],
    [5, 1],
    [6, 6],
    [30, 7],
    [7, 30],
    [80, 50],
  ];
  it.each(shapes)('qr of random %i x %i', (r, c) => {
    const a = randomMatrix(r, c, 31 * r + c);
    const { q, r: rr } = qr(a, r, c);
    const k = Math.min(r, c);
    expect(q.length).toBe(r * k);
    expect(rr.length).toBe(k * c);
    for (let i = 0; i < k; i++) {
      expect(rr[i * c + i]!).toBeGreaterThanOrEqual(0);
      for (let j = 0; j < Math.min(i, c); j++) expect(rr[i * c + j]).toBe(0);
    }
    expect(frobenius(difference(matmul(q, rr, r, k, c), a))).toBeLessThan(
      1e-14 * frobenius(a) * Math.sqrt(k),
    );
    expect(columnOrthogonalityError(q, r, k)).toBeLessThan(1e-14 * Math.sqrt(k) * 10);
  });

  it.each(shapes)('lq of random %i x %i', (r, c) => {
    const a = randomMatrix(r, c, 57 * r + c);
    const { l, q } = lq(a, r, c);
    const k = Math.min(r, c);
    expect(l.length).toBe(r * k);
    expect(q.length).toBe(k * c);
    for (let i = 0; i < r; i++) {
      for (let j = i + 1; j < k; j++) expect(l[i * k + j]).toBe(0);
      if (i < k) expect(l[i * k + i]!).toBeGreaterThanOrEqual(0);
    }
    expect(frobenius(difference(matmul(l, q, r, k, c), a))).toBeLessThan(
      1e-14 * frobenius(a) * Math.sqrt(k),
    );
    expect(columnOrthogonalityError(transpose(q, k, c), c, k)).toBeLessThan(
      1e-14 * Math.sqrt(k) * 10,
    );
  });

  it('qr of rank-deficient and zero matrices keeps q orthonormal', () => {
    const a = matmul(randomMatrix(9, 2, 3), randomMatrix(2, 6, 4), 9, 2, 6);
    const { q, r } = qr(a, 9, 6);
    expect(columnOrthogonalityError(q, 9, 6)).toBeLessThan(1e-14);
    expect(frobenius(difference(matmul(q, r, 9, 6, 6), a))).toBeLessThan(1e-14 * frobenius(a));
    const z = qr(new Float64Array(12), 4, 3);
    expect(columnOrthogonalityError(z.q, 4, 3)).toBe(0);
    expect(Array.from(z.r).every((v) => v === 0)).toBe(true);
  });

  it('qr at extreme scales', () => {
    for (const scale of [1e-150, 1e150]) {
      const a = randomMatrix(8, 5, 12).map((v) => v * scale);
      const { q, r } = qr(a, 8, 5);
      expect(frobenius(difference(matmul(q, r, 8, 5, 5), a))).toBeLessThan(
        1e-14 * frobenius(a) * 3,
      );
      expect(columnOrthogonalityError(q, 8, 5)).toBeLessThan(1e-14);
    }
  });
});

describe('input validation', () => {
  it('rejects wrong lengths, bad dimensions and non-finite entries', () => {
    expect(() => svd(new Float64Array(5), 2, 3)).toThrow(InvalidArgumentError);
    expect(() => svd(new Float64Array(0), 0, 3)).toThrow(
      /`rows` passed to `svd` must be a positive integer/,
    );
    expect(() => qr(Float64Array.from([1, Number.NaN]), 1, 2)).toThrow(/finite entries/);
    expect(() => lq(Float64Array.from([1, Number.POSITIVE_INFINITY]), 2, 1)).toThrow(
      InvalidArgumentError,
    );
    expect(() => svd([1, 2] as unknown as Float64Array, 1, 2)).toThrow(InvalidArgumentError);
  });
});

describe('symmetricEigen', () => {
  /** max |A V - V diag(values)| / max |value| and max |V^T V - I|. */
  function residuals(a: Float64Array, n: number): { residual: number; orthogonality: number } {
    const { values, vectors } = symmetricEigen(a, n);
    for (let j = 1; j < n; j++) expect(values[j]!).toBeLessThanOrEqual(values[j - 1]!);
    const av = matmul(a, vectors, n, n, n);
    let residual = 0;
    let largest = 0;
    for (const v of values) largest = Math.max(largest, Math.abs(v));
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        const r = av[i * n + j]! - vectors[i * n + j]! * values[j]!;
        residual = Math.max(residual, Math.abs(r) / (largest || 1));
      }
    return { residual, orthogonality: columnOrthogonalityError(vectors, n, n) };
  }

  it.each([1, 2, 3, 17, 64])('decomposes a random symmetric %i x %i matrix', (n) => {
    const b = randomMatrix(n, n, 40 + n);
    const a = matmul(b, transpose(b, n, n), n, n, n);
    const { residual, orthogonality } = residuals(a, n);
    expect(residual).toBeLessThan(1e-13);
    expect(orthogonality).toBeLessThan(1e-13);
    // the eigenvalues of B B^T are the squared singular values of B
    const s = svd(b, n, n).s;
    const { values } = symmetricEigen(a, n);
    for (let j = 0; j < n; j++)
      expect(Math.abs(values[j]! - s[j]! ** 2)).toBeLessThan(1e-13 * s[0]! ** 2);
  });

  it('handles indefinite, repeated, zero and extreme-scale spectra', () => {
    // indefinite with a known spectrum: diag(3, -1, -1, 0) rotated
    const q = qr(randomMatrix(4, 4, 7), 4, 4).q;
    const d = new Float64Array([3, -1, -1, 0]);
    const a = new Float64Array(16);
    for (let i = 0; i < 4; i++)
      for (let j = 0; j < 4; j++)
        for (let k = 0; k < 4; k++) a[i * 4 + j]! += q[i * 4 + k]! * d[k]! * q[j * 4 + k]!;
    const { values } = symmetricEigen(a, 4);
    for (const [j, v] of [3, 0, -1, -1].entries()) expect(values[j]!).toBeCloseTo(v, 13);
    expect(residuals(a, 4).orthogonality).toBeLessThan(1e-14);
    // identity (fully degenerate) and zero
    const identity = new Float64Array(9);
    for (let k = 0; k < 3; k++) identity[k * 4] = 1;
    expect(Array.from(symmetricEigen(identity, 3).values)).toEqual([1, 1, 1]);
    expect(residuals(identity, 3).orthogonality).toBe(0);
    expect(Array.from(symmetricEigen(new Float64Array(4), 2).values)).toEqual([0, 0]);
    // 1e150 and 1e-150 scales neither overflow nor underflow
    for (const scale of [1e150, 1e-150]) {
      const big = a.map((v) => v * scale);
      const { values: scaled } = symmetricEigen(big, 4);
      expect(scaled[0]! / scale).toBeCloseTo(3, 12);
    }
  });

  it('reads only the lower triangle and refuses bad input, naming the argument', () => {
    const lower = new Float64Array([2, 99, 1, 2]);
    const { values } = symmetricEigen(lower, 2);
    expect(values[0]).toBeCloseTo(3, 14);
    expect(values[1]).toBeCloseTo(1, 14);
    expect(() => symmetricEigen(new Float64Array(3), 2)).toThrow(InvalidArgumentError);
    expect(() => symmetricEigen(new Float64Array([1, Number.NaN, 0, 1]), 2)).toThrow('`a`');
  });
});
