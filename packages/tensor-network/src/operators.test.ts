import { describe, expect, it } from 'vitest';
import { toDense } from './dense';
import { InvalidArgumentError } from './errors';
import { MPS, type MPSKind, randomMPS } from './mps';
import { applyMPO, applyProductOperator, MPO } from './operators';
import { createRandom } from './random';

/** The contracted vector (psi for Born, unnormalised P for linear) in C order. */
function contract(mps: MPS): Float64Array {
  let rows = 1;
  let current = new Float64Array([1]);
  for (let i = 0; i < mps.length; i++) {
    const [l, d, r] = mps.siteShape(i);
    const t = mps.tensors[i]!;
    const next = new Float64Array(rows * d * r);
    for (let p = 0; p < rows; p++) {
      for (let a = 0; a < l; a++) {
        const c = current[p * l + a]!;
        for (let s = 0; s < d; s++) {
          for (let b = 0; b < r; b++) next[(p * d + s) * r + b]! += c * t[(a * d + s) * r + b]!;
        }
      }
    }
    current = next;
    rows *= d;
  }
  return current;
}

/** Applies a d_out x d_in matrix (row-major) to site `site` of a dense C-order vector. */
function applyDenseSite(
  v: Float64Array,
  dims: number[],
  site: number,
  op: Float64Array,
  dOut: number,
): Float64Array {
  const dIn = dims[site]!;
  let pre = 1;
  for (let j = 0; j < site; j++) pre *= dims[j]!;
  let post = 1;
  for (let j = site + 1; j < dims.length; j++) post *= dims[j]!;
  const out = new Float64Array(pre * dOut * post);
  for (let p = 0; p < pre; p++) {
    for (let y = 0; y < dOut; y++) {
      for (let x = 0; x < dIn; x++) {
        const o = op[y * dIn + x]!;
        for (let q = 0; q < post; q++)
          out[(p * dOut + y) * post + q]! += o * v[(p * dIn + x) * post + q]!;
      }
    }
  }
  dims[site] = dOut;
  return out;
}

/** Dense matrix of an MPO: rows = output configurations, columns = input configurations (C order). */
function denseMPO(mpo: MPO): { matrix: Float64Array; rows: number; cols: number } {
  let rows = 1;
  let cols = 1;
  let current = new Float64Array([1]); // [outPrefix][inPrefix][bond]
  for (let i = 0; i < mpo.length; i++) {
    const [l, dOut, dIn, r] = mpo.siteShape(i);
    const w = mpo.tensors[i]!;
    const nextRows = rows * dOut;
    const nextCols = cols * dIn;
    const next = new Float64Array(nextRows * nextCols * r);
    for (let yo = 0; yo < rows; yo++) {
      for (let xo = 0; xo < cols; xo++) {
        for (let a = 0; a < l; a++) {
          const c = current[(yo * cols + xo) * l + a]!;
          if (c === 0) continue;
          for (let y = 0; y < dOut; y++) {
            for (let x = 0; x < dIn; x++) {
              for (let b = 0; b < r; b++) {
                next[((yo * dOut + y) * nextCols + (xo * dIn + x)) * r + b]! +=
                  c * w[((a * dOut + y) * dIn + x) * r + b]!;
              }
            }
          }
        }
      }
    }
    current = next;
    rows = nextRows;
    cols = nextCols;
  }
  return { matrix: current, rows, cols };
}

function matVec(m: Float64Array, rows: number, cols: number, v: Float64Array): Float64Array {
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let j = 0; j < cols; j++) s += m[i * cols + j]! * v[j]!;
    out[i] = s;
  }
  return out;
}

function norm2(v: Float64Array): number {
  let s = 0;
  for (const x of v) s += x * x;
  return Math.sqrt(s);
}

function expectClose(got: ArrayLike<number>, ref: ArrayLike<number>, rel = 1e-12): void {
  expect(got.length).toBe(ref.length);
  let scale = 0;
  for (let k = 0; k < ref.length; k++) scale = Math.max(scale, Math.abs(ref[k]!));
  for (let k = 0; k < ref.length; k++)
    expect(Math.abs(got[k]! - ref[k]!)).toBeLessThanOrEqual(rel * scale);
}

function randomOperator(
  dOut: number,
  dIn: number,
  seed: number,
  nonNegative: boolean,
): Float64Array {
  const rng = createRandom(seed);
  return Float64Array.from({ length: dOut * dIn }, () =>
    nonNegative ? rng.float64() : rng.float64() * 2 - 1,
  );
}

function randomMPO(
  inputDims: number[],
  outputDims: number[],
  bond: number,
  seed: number,
  nonNegative: boolean,
): MPO {
  const rng = createRandom(seed);
  const n = inputDims.length;
  return MPO.fromTensors(
    inputDims.map((dIn, i) => {
      const l = i === 0 ? 1 : bond;
      const r = i === n - 1 ? 1 : bond;
      const dOut = outputDims[i]!;
      const data = Array.from({ length: l * dOut * dIn * r }, () =>
        nonNegative ? rng.float64() : rng.float64() * 2 - 1,
      );
      return { shape: [l, dOut, dIn, r] as const, data };
    }),
  );
}

const kinds: MPSKind[] = ['linear', 'born'];

describe.each(kinds)('applyProductOperator (%s)', (kind) => {
  const nonNegative = kind === 'linear';

  it.each([
    { n: 5, d: 2 },
    { n: 4, d: 3 },
  ])('per-site operators equal the dense Kronecker action (N=$n, d=$d)', ({ n, d }) => {
    const mps = randomMPS({ length: n, physicalDim: d, bondDim: 4, kind, seed: 7 * n + d });
    const ops = Array.from({ length: n }, (_, i) => randomOperator(d, d, 100 + i, nonNegative));
    const out = applyProductOperator(mps, ops);
    expect(out.kind).toBe(kind);
    expect(out.bondDims).toEqual(mps.bondDims);
    let ref = contract(mps);
    const dims = [...mps.physicalDims];
    ops.forEach((op, i) => {
      ref = applyDenseSite(ref, dims, i, op, d);
    });
    expectClose(contract(out), ref);
  });

  it('one shared nested-array matrix, and an output dimension d + 1 (mask state)', () => {
    const n = 4;
    const mps = randomMPS({ length: n, physicalDim: 3, bondDim: 3, kind, seed: 41 });
    const mask = [
      [0.5, 0, 0],
      [0, 0.5, 0],
      [0, 0, 0.5],
      [0.5, 0.5, 0.5],
    ];
    const out = applyProductOperator(mps, mask);
    expect(out.physicalDims).toEqual([4, 4, 4, 4]);
    expect(out.bondDims).toEqual(mps.bondDims);
    const flat = Float64Array.from(mask.flat());
    let ref = contract(mps);
    const dims = [...mps.physicalDims];
    for (let i = 0; i < n; i++) ref = applyDenseSite(ref, dims, i, flat, 4);
    expectClose(contract(out), ref);
    // the same through a shared Float64Array and through an array of nested matrices
    expectClose(contract(applyProductOperator(mps, flat)), ref);
    expectClose(contract(applyProductOperator(mps, [mask, mask, mask, mask])), ref);
  });

  it('mixed per-site dimensions (d_out differs by site)', () => {
    const mps = randomMPS({ length: 3, physicalDim: 2, bondDim: 2, kind, seed: 5 });
    const ops = [
      randomOperator(3, 2, 1, nonNegative),
      randomOperator(2, 2, 2, nonNegative),
      randomOperator(4, 2, 3, nonNegative),
    ];
    const out = applyProductOperator(mps, ops);
    expect(out.physicalDims).toEqual([3, 2, 4]);
    let ref = contract(mps);
    const dims = [...mps.physicalDims];
    ops.forEach((op, i) => {
      ref = applyDenseSite(ref, dims, i, op, op.length / 2);
    });
    expectClose(contract(out), ref);
  });
});

describe('applyProductOperator semantics', () => {
  it('on a linear MPS with a stochastic kernel it is the Markov action on P', () => {
    const p = 0.15;
    const k = [
      [1 - p, p],
      [p, 1 - p],
    ];
    const mps = randomMPS({ length: 6, physicalDim: 2, bondDim: 4, kind: 'linear', seed: 9 });
    const noised = toDense(applyProductOperator(mps, k));
    let ref = toDense(mps);
    const dims = [...mps.physicalDims];
    for (let i = 0; i < 6; i++) ref = applyDenseSite(ref, dims, i, Float64Array.from(k.flat()), 2);
    expectClose(noised, ref);
  });

  it('on a Born MPS it acts on the amplitudes: P ∝ (O psi)^2', () => {
    const o = Float64Array.from([1, -1, 0.5, 2]);
    const mps = randomMPS({ length: 4, physicalDim: 2, bondDim: 3, kind: 'born', seed: 10 });
    let psi = contract(mps);
    const dims = [...mps.physicalDims];
    for (let i = 0; i < 4; i++) psi = applyDenseSite(psi, dims, i, o, 2);
    const z = norm2(psi) ** 2;
    expectClose(
      toDense(applyProductOperator(mps, o)),
      psi.map((v) => (v * v) / z),
    );
  });
});

describe.each(kinds)('applyMPO (%s)', (kind) => {
  const nonNegative = kind === 'linear';

  it.each([
    { n: 5, d: 2, chi: 3, bond: 2 },
    { n: 4, d: 3, chi: 4, bond: 2 },
    { n: 3, d: 2, chi: 2, bond: 3 },
  ])(
    'equals the dense operator action (N=$n, d=$d, chi=$chi, MPO bond $bond)',
    ({ n, d, chi, bond }) => {
      const mps = randomMPS({ length: n, physicalDim: d, bondDim: chi, kind, seed: 13 * n + d });
      const dims = [...mps.physicalDims];
      const mpo = randomMPO(dims, dims, bond, 3 * n + d, nonNegative);
      const res = applyMPO(mps, mpo);
      const { matrix, rows, cols } = denseMPO(mpo);
      const ref = matVec(matrix, rows, cols, contract(mps));
      expect(res.mps.kind).toBe(kind);
      expect(res.totalTruncationError).toBe(0);
      expect(res.truncationError.length).toBe(n - 1);
      expect(res.bondDims).toEqual([...res.mps.bondDims]);
      if (kind === 'linear') {
        // exact, unnormalised, bond dimensions multiply
        expect(res.bondDims).toEqual(mps.bondDims.map((b) => b * bond));
        expectClose(contract(res.mps), ref);
      } else {
        // compressed to canonical form and normalised: psi' / ||psi'||
        res.bondDims.forEach((b, i) => {
          expect(b).toBeLessThanOrEqual(mps.bondDims[i]! * bond);
        });
        const r = norm2(ref);
        expectClose(
          contract(res.mps),
          ref.map((v) => v / r),
        );
      }
    },
  );

  it('changes physical dimensions with the MPO output dims', () => {
    const mps = randomMPS({ length: 3, physicalDim: 2, bondDim: 2, kind, seed: 2 });
    const mpo = randomMPO([2, 2, 2], [3, 2, 4], 2, 8, nonNegative);
    const res = applyMPO(mps, mpo);
    expect(res.mps.physicalDims).toEqual([3, 2, 4]);
    const { matrix, rows, cols } = denseMPO(mpo);
    const ref = matVec(matrix, rows, cols, contract(mps));
    const scale = kind === 'born' ? norm2(ref) : 1;
    expectClose(
      contract(res.mps),
      ref.map((v) => v / scale),
    );
  });
});

describe('applyMPO compression (Born)', () => {
  it('reports the truncation error of the compressed product, consistent with the fidelity', () => {
    const mps = randomMPS({ length: 8, physicalDim: 2, bondDim: 4, kind: 'born', seed: 21 });
    const mpo = randomMPO(new Array(8).fill(2), new Array(8).fill(2), 2, 22, false);
    const exact = applyMPO(mps, mpo);
    const res = applyMPO(mps, mpo, { maxBondDim: 3 });
    res.bondDims.forEach((b) => {
      expect(b).toBeLessThanOrEqual(3);
    });
    expect(res.totalTruncationError).toBeGreaterThan(1e-6);
    const a = contract(exact.mps);
    const b = contract(res.mps);
    let f = 0;
    for (let k = 0; k < a.length; k++) f += a[k]! * b[k]!;
    expect(Math.abs(f * f - (1 - res.totalTruncationError))).toBeLessThan(1e-12);
    const cut = applyMPO(mps, mpo, { cutoff: 1e-3 });
    cut.truncationError.forEach((e) => {
      expect(e).toBeLessThanOrEqual(1e-3);
    });
  });
});

describe('products that leave float64', () => {
  it('are refused naming the operator and the site (an Infinity entry made evaluation hang)', () => {
    const huge = MPS.fromTensors([[[[1e308], [1e308]]], [[[1], [1]]]], { kind: 'linear' });
    expect(() =>
      applyProductOperator(huge, [
        [1, 1],
        [1, 1],
      ]),
    ).toThrow(
      '`operators` passed to `applyProductOperator` must be operators whose product with the MPS stays finite',
    );
    expect(() =>
      applyProductOperator(huge, [
        [
          [1, 0],
          [0, 1],
        ],
        [
          [1, 1],
          [1, 1],
        ],
      ]),
    ).not.toThrow();
    const born = MPS.fromTensors([[[[1e200], [1e200]]], [[[1], [1]]]], { kind: 'born' });
    const mpo = MPO.fromTensors([
      [
        [
          [[1e200], [0]],
          [[0], [1e200]],
        ],
      ],
      [
        [
          [[1], [0]],
          [[0], [1]],
        ],
      ],
    ]);
    expect(() => applyMPO(born, mpo)).toThrow(
      '`mpo` passed to `applyMPO` must be operators whose product with the MPS stays finite',
    );
    expect(() => applyMPO(born, mpo)).toThrow('(got "a product that overflows float64 at site 0")');
  });
});

describe('MPO.fromTensors', () => {
  it('accepts nested arrays and reports shapes', () => {
    const mpo = MPO.fromTensors([
      [[[[1, 0]], [[0, 1]]]], // [1][2][1][2]
      [
        [
          [[1], [2]],
          [[3], [4]],
        ],
        [
          [[5], [6]],
          [[7], [8]],
        ],
      ], // [2][2][2][1]
    ]);
    expect(mpo.length).toBe(2);
    expect(mpo.siteShape(0)).toEqual([1, 2, 1, 2]);
    expect(mpo.siteShape(1)).toEqual([2, 2, 2, 1]);
    expect(mpo.bondDims).toEqual([2]);
    expect(mpo.maxBondDim).toBe(2);
    expect(mpo.inputDims).toEqual([1, 2]);
    expect(mpo.outputDims).toEqual([2, 2]);
    expect(mpo.isNonNegative).toBe(true);
    expect(Array.from(mpo.tensors[1]!)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('rejects bad shapes and entries', () => {
    expect(() => MPO.fromTensors([])).toThrow(InvalidArgumentError);
    expect(() => MPO.fromTensors([{ shape: [2, 2, 2, 1], data: new Array(8).fill(1) }])).toThrow(
      /left bond dimension equals the boundary dimension 1/,
    );
    expect(() => MPO.fromTensors([{ shape: [1, 2, 2, 2], data: new Array(8).fill(1) }])).toThrow(
      /right bond dimension 1/,
    );
    expect(() =>
      MPO.fromTensors([
        { shape: [1, 2, 2, 2], data: new Array(8).fill(1) },
        { shape: [3, 2, 2, 1], data: new Array(12).fill(1) },
      ]),
    ).toThrow(InvalidArgumentError);
    expect(() => MPO.fromTensors([{ shape: [1, 2, 2, 1], data: [1, 2, 3] }])).toThrow(
      InvalidArgumentError,
    );
    expect(() => MPO.fromTensors([{ shape: [1, 2, 2, 1], data: [1, 2, 3, Number.NaN] }])).toThrow(
      /finite/,
    );
  });
});

describe('bad inputs', () => {
  const linear = randomMPS({ length: 3, physicalDim: 2, bondDim: 2, kind: 'linear', seed: 1 });
  const born = randomMPS({ length: 3, physicalDim: 2, bondDim: 2, kind: 'born', seed: 1 });

  it('applyProductOperator rejects wrong counts, shapes, signs and values', () => {
    expect(() =>
      applyProductOperator(linear, [
        [
          [1, 0],
          [0, 1],
        ],
      ]),
    ).toThrow(/one matrix per site \(3 sites\)/);
    expect(() => applyProductOperator(linear, Float64Array.from([1, 2, 3]))).toThrow(
      InvalidArgumentError,
    );
    expect(() =>
      applyProductOperator(linear, [
        [1, 0, 0],
        [0, 1, 0],
      ]),
    ).toThrow(/rows all have length d_in = 2/);
    expect(() =>
      applyProductOperator(linear, [
        [1, -0.1],
        [0, 1],
      ]),
    ).toThrow(
      /`operators` passed to `applyProductOperator` must be a matrix with non-negative entries/,
    );
    expect(() =>
      applyProductOperator(born, [
        [1, -0.1],
        [0, 1],
      ]),
    ).not.toThrow();
    expect(() =>
      applyProductOperator(born, [
        [1, Number.NaN],
        [0, 1],
      ]),
    ).toThrow(/finite entries/);
    expect(() => applyProductOperator(born, [[1, 1]])).toThrow(/at least 2 rows/);
    expect(() => applyProductOperator(born, 'identity' as unknown as Float64Array)).toThrow(
      InvalidArgumentError,
    );
  });

  it('applyMPO rejects mismatched MPOs, negative MPOs and truncation options on linear MPS', () => {
    const ok = randomMPO([2, 2, 2], [2, 2, 2], 2, 4, true);
    const signed = randomMPO([2, 2, 2], [2, 2, 2], 2, 4, false);
    expect(() => applyMPO(linear, randomMPO([2, 2], [2, 2], 2, 4, true))).toThrow(
      /as many sites as the MPS \(3\)/,
    );
    expect(() => applyMPO(linear, randomMPO([2, 3, 2], [2, 2, 2], 2, 4, true))).toThrow(
      /input dimensions match/,
    );
    expect(() => applyMPO(linear, signed)).toThrow(/non-negative MPO/);
    expect(() => applyMPO(linear, ok, { maxBondDim: 2 })).toThrow(
      /`maxBondDim` passed to `applyMPO` must be left out for a linear MPS: SVD truncation does not preserve non-negativity/,
    );
    expect(() => applyMPO(linear, ok, { cutoff: 1e-8 })).toThrow(InvalidArgumentError);
    expect(() => applyMPO(born, signed, { maxBondDim: 0 })).toThrow(
      /`maxBondDim` passed to `applyMPO`/,
    );
    expect(() => applyMPO(born, signed, { cutoff: -1 })).toThrow(/`cutoff` passed to `applyMPO`/);
    expect(() => applyMPO(born, {} as MPO)).toThrow(InvalidArgumentError);
    const zero = MPO.fromTensors([
      { shape: [1, 2, 2, 1], data: [0, 0, 0, 0] },
      { shape: [1, 2, 2, 1], data: [1, 0, 0, 1] },
      { shape: [1, 2, 2, 1], data: [1, 0, 0, 1] },
    ]);
    expect(() => applyMPO(born, zero)).toThrow(InvalidArgumentError);
    expect(applyMPO(linear, ok).mps.kind).toBe('linear');
  });
});
