import { describe, expect, it } from 'vitest';
import { canonicalize, compress, entanglementEntropy, schmidtValues } from './canonical';
import { fromDense, toDense } from './dense';
import { InvalidArgumentError } from './errors';
import { matmul, qr, svd, transpose } from './linalg';
import { MPS, productState, randomMPS, uniformMPS } from './mps';
import { createRandom } from './random';
import { sample, sampleLogProbabilities } from './sample';

/** psi(x) in C order by direct contraction of the site tensors (no normalisation). */
function amplitudes(mps: MPS): Float64Array {
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

function norm2(v: Float64Array): number {
  let s = 0;
  for (const x of v) s += x * x;
  return Math.sqrt(s);
}

function normalized(v: Float64Array): Float64Array {
  const n = norm2(v);
  return v.map((x) => x / n);
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += a[k]! * b[k]!;
  return s;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let k = 0; k < a.length; k++) m = Math.max(m, Math.abs(a[k]! - b[k]!));
  return m;
}

/** max |G - I| for the Gram matrix of a site tensor: left (columns of (l d) x r) or right (rows of l x (d r)). */
function orthonormalityError(mps: MPS, site: number, side: 'left' | 'right'): number {
  const [l, d, r] = mps.siteShape(site);
  const t = mps.tensors[site]!;
  const g =
    side === 'left'
      ? matmul(transpose(t, l * d, r), t, r, l * d, r)
      : matmul(t, transpose(t, l, d * r), l, d * r, l);
  const k = side === 'left' ? r : l;
  let err = 0;
  for (let i = 0; i < k; i++)
    for (let j = 0; j < k; j++) err = Math.max(err, Math.abs(g[i * k + j]! - (i === j ? 1 : 0)));
  return err;
}

/** Normalised Schmidt values of psi at bond i from a dense SVD. */
function denseSchmidt(
  psi: Float64Array,
  physicalDims: readonly number[],
  bond: number,
): Float64Array {
  let rows = 1;
  for (let j = 0; j <= bond; j++) rows *= physicalDims[j]!;
  const cols = psi.length / rows;
  const { s } = svd(psi, rows, cols);
  return normalized(s);
}

function compareSpectra(got: Float64Array, ref: Float64Array, tol: number): void {
  const n = Math.max(got.length, ref.length);
  for (let k = 0; k < n; k++) expect(Math.abs((got[k] ?? 0) - (ref[k] ?? 0))).toBeLessThan(tol);
}

const cases = [
  { n: 1, d: 2, chi: 1 },
  { n: 2, d: 3, chi: 3 },
  { n: 6, d: 2, chi: 8 },
  { n: 7, d: 3, chi: 5 },
  { n: 10, d: 2, chi: 6 },
  { n: 8, d: 3, chi: 9 },
];

describe.each(cases)('canonical forms against dense (N=$n, d=$d, chi=$chi)', ({ n, d, chi }) => {
  const mps = randomMPS({
    length: n,
    physicalDim: d,
    bondDim: chi,
    kind: 'born',
    seed: 100 * n + d,
  });
  const psi = amplitudes(mps);
  const psiHat = normalized(psi);
  const dense = toDense(mps);

  it('canonicalize keeps psi and P, and every site is orthonormal on its side', () => {
    for (let center = 0; center < n; center++) {
      const res = canonicalize(mps, { center });
      expect(res.orthogonalityCenter).toBe(center);
      expect(res.mps.kind).toBe('born');
      expect(Math.abs(res.logNorm - Math.log(norm2(psi)))).toBeLessThan(1e-12);
      const out = amplitudes(res.mps);
      expect(Math.abs(norm2(out) - 1)).toBeLessThan(1e-13);
      expect(maxAbsDiff(out, psiHat)).toBeLessThan(1e-12);
      expect(maxAbsDiff(toDense(res.mps), dense)).toBeLessThan(1e-12);
      for (let i = 0; i < center; i++)
        expect(orthonormalityError(res.mps, i, 'left')).toBeLessThan(1e-13);
      for (let i = center + 1; i < n; i++)
        expect(orthonormalityError(res.mps, i, 'right')).toBeLessThan(1e-13);
      res.mps.bondDims.forEach((b, i) => {
        expect(b).toBeLessThanOrEqual(mps.bondDims[i]!);
      });
    }
  });

  it('canonicalize defaults to center 0', () => {
    const res = canonicalize(mps);
    expect(res.orthogonalityCenter).toBe(0);
    for (let i = 1; i < n; i++)
      expect(orthonormalityError(res.mps, i, 'right')).toBeLessThan(1e-13);
  });

  it('compress with a large maxBondDim is exact', () => {
    const res = compress(mps, { maxBondDim: 1000 });
    expect(res.totalTruncationError).toBe(0);
    expect(res.truncationError.length).toBe(n - 1);
    expect(Array.from(res.truncationError).every((e) => e === 0)).toBe(true);
    expect(maxAbsDiff(amplitudes(res.mps), psiHat)).toBeLessThan(1e-12);
    expect(maxAbsDiff(toDense(res.mps), dense)).toBeLessThan(1e-12);
    expect(res.bondDims).toEqual([...res.mps.bondDims]);
    expect(Math.abs(res.logNorm - Math.log(norm2(psi)))).toBeLessThan(1e-12);
    for (let i = 0; i < n - 1; i++)
      expect(orthonormalityError(res.mps, i, 'left')).toBeLessThan(1e-13);
  });

  it('schmidtValues match the SVD of the dense reshaped psi, entropies their -sum p ln p', () => {
    const values = schmidtValues(mps);
    const entropies = entanglementEntropy(mps);
    expect(values.length).toBe(n - 1);
    expect(entropies.length).toBe(n - 1);
    for (let bond = 0; bond < n - 1; bond++) {
      const ref = denseSchmidt(psi, mps.physicalDims, bond);
      compareSpectra(values[bond]!, ref, 1e-12);
      let h = 0;
      for (const s of ref) if (s > 0) h -= s * s * Math.log(s * s);
      expect(Math.abs(entropies[bond]! - h)).toBeLessThan(1e-11);
    }
  });
});

describe('compress with truncation', () => {
  it('one truncated bond: the error is the discarded weight and ||psi - psi_trunc||^2 equals it', () => {
    // bonds [2, 4, 8, 4, 2]: maxBondDim 5 truncates only the middle bond
    const mps = randomMPS({ length: 6, physicalDim: 2, bondDim: 8, kind: 'born', seed: 3 });
    const psiHat = normalized(amplitudes(mps));
    const res = compress(mps, { maxBondDim: 5 });
    expect(res.bondDims).toEqual([2, 4, 5, 4, 2]);
    const ref = denseSchmidt(psiHat, mps.physicalDims, 2);
    const discarded = ref[5]! ** 2 + ref[6]! ** 2 + ref[7]! ** 2;
    expect(discarded).toBeGreaterThan(1e-5);
    expect(Math.abs(res.truncationError[2]! - discarded)).toBeLessThan(1e-13);
    [0, 1, 3, 4].forEach((b) => {
      expect(res.truncationError[b]!).toBeLessThan(1e-28);
    });
    expect(Math.abs(res.totalTruncationError - discarded)).toBeLessThan(1e-13);
    // the unnormalised truncated state is sqrt(1 - E) times the returned normalised one
    const trunc = amplitudes(res.mps).map((v) => v * Math.sqrt(1 - res.totalTruncationError));
    const diff = psiHat.map((v, k) => v - trunc[k]!);
    expect(Math.abs(norm2(diff) ** 2 - discarded)).toBeLessThan(1e-13);
    expect(Math.abs(dot(psiHat, amplitudes(res.mps)) ** 2 - (1 - discarded))).toBeLessThan(1e-13);
  });

  it.each([
    { n: 8, d: 2, chi: 12, maxBondDim: 3 },
    { n: 6, d: 3, chi: 9, maxBondDim: 4 },
    { n: 10, d: 2, chi: 8, maxBondDim: 2 },
  ])(
    'several truncated bonds (N=$n, d=$d, chi=$chi -> $maxBondDim): total error is exact',
    ({ n, d, chi, maxBondDim }) => {
      const mps = randomMPS({
        length: n,
        physicalDim: d,
        bondDim: chi,
        kind: 'born',
        seed: 17 * n + d,
      });
      const psiHat = normalized(amplitudes(mps));
      const res = compress(mps, { maxBondDim });
      res.bondDims.forEach((b) => {
        expect(b).toBeLessThanOrEqual(maxBondDim);
      });
      let kept = 1;
      for (const e of res.truncationError) {
        expect(e).toBeGreaterThanOrEqual(0);
        kept *= 1 - e;
      }
      expect(Math.abs(res.totalTruncationError - (1 - kept))).toBeLessThan(1e-14);
      expect(res.totalTruncationError).toBeGreaterThan(1e-4);
      const out = amplitudes(res.mps);
      expect(Math.abs(norm2(out) - 1)).toBeLessThan(1e-13);
      // fidelity and 2-norm error of the (unnormalised) projection match the reported error
      expect(Math.abs(dot(psiHat, out) ** 2 - (1 - res.totalTruncationError))).toBeLessThan(1e-12);
      const trunc = out.map((v) => v * Math.sqrt(1 - res.totalTruncationError));
      const diff = psiHat.map((v, k) => v - trunc[k]!);
      expect(Math.abs(norm2(diff) ** 2 - res.totalTruncationError)).toBeLessThan(1e-12);
      // the first truncated bond reports the dense discarded weight
      const first = res.truncationError.findIndex((e) => e > 0);
      const ref = denseSchmidt(psiHat, mps.physicalDims, first);
      let w = 0;
      for (let k = maxBondDim; k < ref.length; k++) w += ref[k]! * ref[k]!;
      expect(Math.abs(res.truncationError[first]! - w)).toBeLessThan(1e-13);
      // compression is optimal at that bond: no better than the exact Eckart-Young error
      expect(res.totalTruncationError).toBeGreaterThanOrEqual(w - 1e-13);
    },
  );

  it('cutoff is the relative discarded weight (ITensor semantics)', () => {
    // psi(a, b) = sum_k s_k delta_{a k} Q_{b k}: Schmidt weights p = s^2 = [0.6, 0.3, 0.08, 0.02]
    // (unnormalised by a factor 7 to show that the cutoff is relative)
    const p = [0.6, 0.3, 0.08, 0.02];
    const rng = createRandom(5);
    const q = qr(
      Float64Array.from({ length: 16 }, () => rng.float64() - 0.5),
      4,
      4,
    ).q;
    const site0 = new Float64Array(16);
    p.forEach((w, k) => {
      site0[k * 4 + k] = Math.sqrt(7 * w);
    });
    const site1 = new Float64Array(16);
    for (let k = 0; k < 4; k++) for (let b = 0; b < 4; b++) site1[k * 4 + b] = q[b * 4 + k]!;
    const mps = MPS.fromTensors(
      [
        { shape: [1, 4, 4], data: site0 },
        { shape: [4, 4, 1], data: site1 },
      ],
      { kind: 'born' },
    );
    const check = (
      options: { maxBondDim?: number; cutoff?: number },
      keep: number,
      error: number,
    ) => {
      const res = compress(mps, options);
      expect(res.bondDims).toEqual([keep]);
      expect(Math.abs(res.truncationError[0]! - error)).toBeLessThan(1e-14);
      expect(Math.abs(res.totalTruncationError - error)).toBeLessThan(1e-14);
      expect(Math.abs(res.logNorm - 0.5 * Math.log(7))).toBeLessThan(1e-14);
    };
    check({}, 4, 0);
    check({ cutoff: 0.0199 }, 4, 0);
    check({ cutoff: 0.0201 }, 3, 0.02);
    check({ cutoff: 0.0999 }, 3, 0.02);
    check({ cutoff: 0.1001 }, 2, 0.1);
    check({ cutoff: 0.5 }, 1, 0.4);
    check({ cutoff: 1 }, 1, 0.4);
    check({ maxBondDim: 2 }, 2, 0.1);
    check({ maxBondDim: 3, cutoff: 0.1001 }, 2, 0.1);
    check({ maxBondDim: 1, cutoff: 0 }, 1, 0.4);
    check({ maxBondDim: Number.POSITIVE_INFINITY, cutoff: 0.0201 }, 3, 0.02);
  });

  it('cutoff 0 drops exact zeros only: a product state written with bond 3 compresses to bond 1', () => {
    const product = productState([
      [0.2, 0.8],
      [0.5, 0.5],
      [0.1, 0.9],
    ]);
    const wide = fromDense(toDense(product), [2, 2, 2], { kind: 'born' });
    expect(wide.maxBondDim).toBeGreaterThan(1);
    const res = compress(wide, { cutoff: 1e-14 });
    expect(res.bondDims).toEqual([1, 1]);
    expect(res.totalTruncationError).toBeLessThan(1e-14);
    expect(maxAbsDiff(toDense(res.mps), toDense(product))).toBeLessThan(1e-14);
  });
});

describe('entanglement entropy closed forms', () => {
  it('is 0 for product states', () => {
    const product = productState(
      [
        [0.2, 0.8],
        [0.3, 0.3, 0.4],
        [1, 2],
        [5, 1],
      ],
      { kind: 'born' },
    );
    for (const h of entanglementEntropy(product)) expect(Math.abs(h)).toBeLessThan(1e-14);
    for (const h of entanglementEntropy(uniformMPS(6, 3, { kind: 'born' })))
      expect(Math.abs(h)).toBeLessThan(1e-14);
    const values = schmidtValues(product);
    for (const s of values) {
      expect(Math.abs(s[0]! - 1)).toBeLessThan(1e-14);
    }
  });

  it('is ln 2 for a Bell pair and at every bond of a GHZ state', () => {
    const bell = MPS.fromTensors(
      [
        [
          [
            [1, 0],
            [0, 1],
          ],
        ],
        [
          [[1], [0]],
          [[0], [1]],
        ],
      ],
      { kind: 'born' },
    );
    expect(Math.abs(entanglementEntropy(bell)[0]! - Math.LN2)).toBeLessThan(1e-15);
    const s = schmidtValues(bell)[0]!;
    expect(Math.abs(s[0]! - Math.SQRT1_2)).toBeLessThan(1e-15);
    expect(Math.abs(s[1]! - Math.SQRT1_2)).toBeLessThan(1e-15);
    const n = 6;
    const tensors: { shape: [number, number, number]; data: number[] }[] = [];
    for (let i = 0; i < n; i++) {
      const l = i === 0 ? 1 : 2;
      const r = i === n - 1 ? 1 : 2;
      const data = new Array<number>(l * 2 * r).fill(0);
      for (let x = 0; x < 2; x++) data[((l === 1 ? 0 : x) * 2 + x) * r + (r === 1 ? 0 : x)] = 3;
      tensors.push({ shape: [l, 2, r], data });
    }
    const ghz = MPS.fromTensors(tensors, { kind: 'born' });
    for (const h of entanglementEntropy(ghz)) expect(Math.abs(h - Math.LN2)).toBeLessThan(1e-14);
  });

  it('a Bell pair between product sites gives [0, ln 2, 0]', () => {
    const mps = MPS.fromTensors(
      [
        [[[0.3], [0.7]]],
        [
          [
            [1, 0],
            [0, 1],
          ],
        ],
        [
          [[1], [0]],
          [[0], [1]],
        ],
        [[[2], [-1]]],
      ],
      { kind: 'born' },
    );
    const h = entanglementEntropy(mps);
    expect(Math.abs(h[0]!)).toBeLessThan(1e-15);
    expect(Math.abs(h[1]! - Math.LN2)).toBeLessThan(1e-15);
    expect(Math.abs(h[2]!)).toBeLessThan(1e-15);
  });
});

describe('scale handling', () => {
  it('site tensors of size 1e100 (psi of order 1e1000) give the right logNorm and psi', () => {
    const mps = randomMPS({ length: 10, physicalDim: 2, bondDim: 4, kind: 'born', seed: 8 });
    const big = MPS.fromTensors(
      mps.tensors.map((t, i) => ({ shape: mps.siteShape(i), data: t.map((v) => v * 1e100) })),
      { kind: 'born' },
    );
    const ref = canonicalize(mps, { center: 4 });
    const res = canonicalize(big, { center: 4 });
    expect(Math.abs(res.logNorm - ref.logNorm - 1000 * Math.LN10)).toBeLessThan(1e-10);
    expect(maxAbsDiff(amplitudes(res.mps), amplitudes(ref.mps))).toBeLessThan(1e-12);
    const c = compress(big, { maxBondDim: 2 });
    const cr = compress(mps, { maxBondDim: 2 });
    expect(Math.abs(c.logNorm - cr.logNorm - 1000 * Math.LN10)).toBeLessThan(1e-10);
    expect(maxAbsDiff(c.truncationError, cr.truncationError)).toBeLessThan(1e-12);
  });
});

describe('bad inputs', () => {
  const born = randomMPS({ length: 4, physicalDim: 2, bondDim: 3, kind: 'born', seed: 1 });
  const linear = randomMPS({ length: 4, physicalDim: 2, bondDim: 3, kind: 'linear', seed: 1 });

  it('rejects maxBondDim 0, negative or NaN cutoff and bad centers', () => {
    expect(() => compress(born, { maxBondDim: 0 })).toThrow(
      'invalid argument: `maxBondDim` passed to `compress` must be a positive integer (or Infinity) (got 0)',
    );
    for (const maxBondDim of [-1, 1.5, Number.NaN]) {
      expect(() => compress(born, { maxBondDim })).toThrow(InvalidArgumentError);
    }
    for (const cutoff of [-0.1, Number.NaN, 1.5, Number.POSITIVE_INFINITY]) {
      expect(() => compress(born, { cutoff })).toThrow(InvalidArgumentError);
    }
    expect(() => compress(born, { cutoff: -1e-3 })).toThrow(/`cutoff` passed to `compress`/);
    for (const center of [-1, 4, 1.5, Number.NaN]) {
      expect(() => canonicalize(born, { center })).toThrow(InvalidArgumentError);
    }
  });

  it('refuses linear MPS, explaining that non-negativity would be lost', () => {
    for (const f of [
      () => canonicalize(linear),
      () => compress(linear, { maxBondDim: 2 }),
      () => schmidtValues(linear),
      () => entanglementEntropy(linear),
    ]) {
      expect(f).toThrow(InvalidArgumentError);
      expect(f).toThrow(/`mps.kind` passed to `\w+` must be "born": .*non-negative/);
    }
  });

  it('refuses the zero state and non-MPS arguments', () => {
    const zero = MPS.fromTensors([[[[0], [0]]], [[[1], [1]]]], { kind: 'born' });
    expect(() => canonicalize(zero)).toThrow(InvalidArgumentError);
    expect(() => compress(zero)).toThrow(InvalidArgumentError);
    expect(() => schmidtValues({} as MPS)).toThrow(InvalidArgumentError);
  });

  it('refuses a state that is zero by cancellation, where rounding residue was taken for a state', () => {
    // psi(s0, s1) = sum_a A0[s0][a] A1[a][s1] = 1 - 1 = 0 for every configuration (found by an
    // audit: sample drew from, and canonicalize returned, a unit-norm state made of the residue)
    const twoSites = MPS.fromTensors(
      [
        [
          [
            [1, -1],
            [1, -1],
          ],
        ],
        [
          [[1], [1]],
          [[1], [1]],
        ],
      ],
      { kind: 'born' },
    );
    // the same cancellation between sites 2 and 3 of four, behind random sites
    const random = randomMPS({ length: 2, bondDim: 2, kind: 'born', seed: 5 });
    const fourSites = MPS.fromTensors(
      [
        ...random.tensors.map((t, i) => {
          const rows: number[][][] = [];
          const [l, d, r] = [random.leftDim(i), 2, random.rightDim(i)];
          for (let a = 0; a < l; a++) {
            rows.push([]);
            for (let s = 0; s < d; s++)
              rows[a]!.push(Array.from(t.slice((a * d + s) * r, (a * d + s + 1) * r)));
          }
          return rows;
        }),
        ...twoSites.tensors.map((t, i) =>
          i === 0
            ? [
                [
                  [t[0]!, t[1]!],
                  [t[2]!, t[3]!],
                ],
              ]
            : [
                [[t[0]!], [t[1]!]],
                [[t[2]!], [t[3]!]],
              ],
        ),
      ],
      { kind: 'born' },
    );
    for (const zero of [twoSites, fourSites]) {
      for (const [name, f] of [
        ['canonicalize', () => canonicalize(zero, { center: zero.length - 1 })],
        ['canonicalize', () => canonicalize(zero)],
        ['compress', () => compress(zero, { maxBondDim: 1 })],
        ['schmidtValues', () => schmidtValues(zero)],
        ['entanglementEntropy', () => entanglementEntropy(zero)],
      ] as const) {
        expect(f, name).toThrow(
          new RegExp(
            `\`mps\` passed to \`${name}\` must be a Born MPS with a non-zero amplitude vector \\(its amplitudes cancel at site \\d`,
          ),
        );
      }
    }
    // the samplers draw from the canonical form
    expect(() => sample(twoSites, { count: 3, seed: 1 })).toThrow(/`sample` must .* cancel at/);
    expect(() => sampleLogProbabilities(fourSites, [[0, 0, 0, 0]])).toThrow(
      /`sampleLogProbabilities` must .* cancel at/,
    );
    // entries far larger than the state in a direction the rest of the chain does not use, with
    // psi = 2 everywhere: every centre is a canonical form of it (a review found centres 1 and 2
    // refused as psi = 0; the left-to-right pass now retries from the right-canonical form)
    const H = 1e15;
    const unused = MPS.fromTensors(
      [
        [
          [
            [1, 1],
            [1, 1],
          ],
        ],
        [
          [
            [H, 1],
            [H, 1],
          ],
          [
            [-H, 1],
            [-H, 1],
          ],
        ],
        [
          [[0], [0]],
          [[1], [1]],
        ],
      ],
      { kind: 'born' },
    );
    for (const center of [0, 1, 2]) {
      // ||psi||^2 = 8 configurations x 2^2
      expect(canonicalize(unused, { center }).logNorm).toBeCloseTo(Math.log(32) / 2, 14);
    }
    // a state that cancels to 1e-10 of its terms keeps six significant digits: it is a state
    const eps = 1e-10;
    const small = MPS.fromTensors(
      [
        [
          [
            [1, -1],
            [1, -1 + eps],
          ],
        ],
        [
          [[1], [1]],
          [[1], [1]],
        ],
      ],
      { kind: 'born' },
    );
    const dense = toDense(canonicalize(small).mps);
    // P = (0, 0, 1/2, 1/2), to the residue's (1e-16 / eps)^2
    expect(Math.abs(dense[0]!)).toBeLessThan(1e-10);
    expect(Math.abs(dense[1]!)).toBeLessThan(1e-10);
    expect(dense[2]).toBeCloseTo(0.5, 5);
    expect(dense[3]).toBeCloseTo(0.5, 5);
  });
});
