/**
 * Operators acting on MPS: products of single-site matrices (bond dimension 1, e.g. the Markov
 * kernels of independent per-site noise) and general matrix product operators (MPO).
 *
 * What an operator acts on depends on the kind of the MPS:
 * - `linear`: the operator acts on the weight vector P itself, P'(y) = sum_x O(y, x) P(x). With
 *   a column-stochastic single-site kernel O[y][x] = k(y | x) this is exactly the forward
 *   Markov action; entries must be >= 0 so that the result is again a non-negative MPS.
 * - `born`: the operator acts on the amplitudes, psi'(y) = sum_x O(y, x) psi(x), and the result
 *   describes P' ∝ psi'^2. This is NOT the Markov action on P ∝ psi^2 (that is a double-layer
 *   network); it is what the exact denoising conditional needs (O = diag(sqrt k(y_i | .))).
 */
import { compressAs } from './canonical';
import {
  assertFinite,
  assertKnownOptions,
  brandMismatch,
  invalidArgument,
  optionKeys,
} from './errors';
import { assertMPS, MPS } from './mps';

/**
 * A single-site operator, a d_out x d_in matrix: nested arrays `[out][in]`, or a row-major
 * Float64Array of length d_out * d_in (d_in is taken from the site it acts on).
 */
export type OperatorMatrix = Float64Array | readonly (readonly number[])[];

/** One operator per site, or a single operator applied to every site. */
export type ProductOperatorInput = OperatorMatrix | readonly OperatorMatrix[];

interface SiteOperator {
  dOut: number;
  dIn: number;
  data: Float64Array;
}

function isNestedMatrix(value: unknown): value is readonly (readonly number[])[] {
  return (
    Array.isArray(value) &&
    value.length > 0 &&
    Array.isArray(value[0]) &&
    (value[0].length === 0 || typeof value[0][0] === 'number')
  );
}

function readOperator(
  fn: string,
  arg: string,
  input: unknown,
  dIn: number,
  kind: MPS['kind'],
): SiteOperator {
  let data: Float64Array;
  let dOut: number;
  if (input instanceof Float64Array) {
    if (input.length === 0 || input.length % dIn !== 0) {
      invalidArgument(
        fn,
        arg,
        input,
        `a d_out x d_in matrix with d_in = ${dIn} (length a multiple of ${dIn})`,
      );
    }
    dOut = input.length / dIn;
    data = new Float64Array(input);
  } else if (isNestedMatrix(input)) {
    dOut = input.length;
    data = new Float64Array(dOut * dIn);
    for (let y = 0; y < dOut; y++) {
      const row = input[y];
      if (!Array.isArray(row) || row.length !== dIn) {
        invalidArgument(
          fn,
          arg,
          input,
          `a d_out x d_in matrix [out][in] whose rows all have length d_in = ${dIn}`,
        );
      }
      for (let x = 0; x < dIn; x++) {
        const v = row[x];
        if (typeof v !== 'number')
          invalidArgument(fn, arg, v, `a matrix of numbers (entry [${y}][${x}] is not)`);
        data[y * dIn + x] = v;
      }
    }
  } else {
    return invalidArgument(
      fn,
      arg,
      input,
      'a matrix (nested arrays [out][in] or a row-major Float64Array)',
    );
  }
  if (dOut < 2)
    invalidArgument(
      fn,
      arg,
      `${dOut} x ${dIn} matrix`,
      'a matrix with at least 2 rows (output states)',
    );
  for (let k = 0; k < data.length; k++) {
    const v = data[k]!;
    if (!Number.isFinite(v)) {
      invalidArgument(fn, arg, v, `a matrix with finite entries (entry ${k} is not)`);
    }
    if (kind === 'linear' && v < 0) {
      invalidArgument(
        fn,
        arg,
        v,
        `a matrix with non-negative entries when applied to a linear MPS (entry ${k} is negative), so that the result is again a non-negative MPS`,
      );
    }
  }
  return { dOut, dIn, data };
}

/**
 * Applies a product of single-site operators, B_i[y] = sum_x O_i[y][x] A_i[x], and returns an
 * MPS of the same kind with the same bond dimensions (physical dimensions become the d_out of
 * each operator, e.g. d + 1 for an absorbing "mask" state). `operators` is one d_out x d_in
 * matrix per site or one matrix for all sites; see {@link OperatorMatrix}.
 *
 * For a linear MPS this is the action on P itself (with O[y][x] = k(y | x) the Markov-kernel
 * action P_t = K P, exact and without truncation), and every entry of O must be >= 0. For a
 * Born MPS it acts on the amplitudes psi (P' ∝ (O psi)^2), and entries of any sign are allowed.
 */
export function applyProductOperator(mps: MPS, operators: ProductOperatorInput): MPS {
  const fn = 'applyProductOperator';
  assertMPS(fn, mps);
  const n = mps.length;
  const single = operators instanceof Float64Array || isNestedMatrix(operators);
  if (!single) {
    if (!Array.isArray(operators) || operators.length !== n) {
      invalidArgument(
        fn,
        'operators',
        operators,
        `one matrix for all sites or an array of one matrix per site (${n} sites)`,
      );
    }
  }
  const physicalDims: number[] = [];
  const tensors: Float64Array[] = [];
  for (let i = 0; i < n; i++) {
    const [l, d, r] = mps.siteShape(i);
    const input = single ? operators : (operators as readonly OperatorMatrix[])[i];
    const op = readOperator(fn, single ? 'operators' : `operators[${i}]`, input, d, mps.kind);
    const a = mps.tensors[i]!;
    const b = new Float64Array(l * op.dOut * r);
    for (let left = 0; left < l; left++) {
      for (let y = 0; y < op.dOut; y++) {
        const out = (left * op.dOut + y) * r;
        for (let x = 0; x < d; x++) {
          const o = op.data[y * d + x]!;
          if (o === 0) continue;
          const src = (left * d + x) * r;
          for (let right = 0; right < r; right++) b[out + right]! += o * a[src + right]!;
        }
      }
    }
    assertFiniteProduct(fn, single ? 'operators' : `operators[${i}]`, i, b);
    physicalDims.push(op.dOut);
    tensors.push(b);
  }
  return MPS.unsafeCreate(mps.kind, physicalDims, tensors);
}

/**
 * Refuses a product site tensor that left float64's range (finite inputs whose products or sums
 * overflow): the resulting MPS would hold Infinity or NaN, which no evaluation can use.
 */
function assertFiniteProduct(fn: string, argument: string, site: number, t: Float64Array): void {
  for (let k = 0; k < t.length; k++) {
    if (!Number.isFinite(t[k]!)) {
      invalidArgument(
        fn,
        argument,
        `a product that overflows float64 at site ${site}`,
        'operators whose product with the MPS stays finite (scale the operator or the site tensor down; its scale only moves the normalisation)',
      );
    }
  }
}

/** One MPO site tensor: nested arrays `[left][out][in][right]` or flat data with its shape. */
export type MPOTensorInput =
  | number[][][][]
  | { shape: readonly [number, number, number, number]; data: ArrayLike<number> };

/**
 * Brand of every {@link MPO}, shared by all copies of this package (`Symbol.for`), so that an MPO
 * made by a second installed copy of @latticediff/tensor-network is recognised where
 * `instanceof` fails. Its value is {@link MPO_LAYOUT_VERSION}.
 */
const MPO_BRAND = Symbol.for('@latticediff/tensor-network/MPO');

/**
 * Version of the in-memory layout that the brand promises: `length`, `outputDims`, `inputDims`,
 * `bondDims`, `tensors` (row-major [left, out, in, right] Float64Arrays), the methods `leftDim`,
 * `rightDim` and `siteShape`, and `maxBondDim` and `isNonNegative`. A copy with another layout
 * must use another number.
 */
const MPO_LAYOUT_VERSION = 1;

const EXPECTED_MPO = 'an MPO (from MPO.fromTensors)';

/**
 * Why `value` is not usable as an MPO, or null when it is: an instance of this copy's class, or
 * an object with the brand of the same layout version (an MPO of another installed copy of the
 * package) whose public fields are consistent: length, output, input and bond dimensions, one
 * Float64Array per site of the size its shape gives, and `leftDim`, `siteShape`, `rightDim` and
 * `maxBondDim` agreeing with them (buffers and loops are sized by these). O(N); the entries are
 * not re-read (the other copy's factory validated them; {@link applyMPO} checks signs itself).
 */
function mpoDefect(value: unknown): string | null {
  if (value instanceof MPO) return null;
  const mismatch = brandMismatch(value, MPO_BRAND, MPO_LAYOUT_VERSION, 'MPO', EXPECTED_MPO);
  if (mismatch !== null) return mismatch;
  const m = value as Partial<Record<keyof MPO, unknown>>;
  const branded = 'an MPO, but this object carries the MPO brand with';
  const n = m.length;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) return `${branded} length ${n}`;
  const { outputDims, inputDims, bondDims, tensors } = m;
  for (const [name, dims] of [
    ['outputDims', outputDims],
    ['inputDims', inputDims],
  ] as const) {
    if (!Array.isArray(dims) || dims.length !== n) {
      return `${branded} ${name} that are not an array of ${n} entries`;
    }
  }
  if (!Array.isArray(bondDims) || bondDims.length !== n - 1) {
    return `${branded} bondDims that are not an array of ${n - 1} entries`;
  }
  if (!Array.isArray(tensors) || tensors.length !== n) {
    return `${branded} tensors that are not an array of ${n} entries`;
  }
  for (const method of ['leftDim', 'rightDim', 'siteShape'] as const) {
    if (typeof m[method] !== 'function') return `${branded} no method ${method}`;
  }
  if (!('isNonNegative' in (value as object))) return `${branded} no property isNonNegative`;
  const shaped = value as MPO;
  let left = 1;
  let maxBondDim = 1;
  for (let i = 0; i < n; i++) {
    const dOut = (outputDims as unknown[])[i];
    const dIn = (inputDims as unknown[])[i];
    const right = i === n - 1 ? 1 : (bondDims[i] as unknown);
    for (const [name, dim] of [
      ['outputDims', dOut],
      ['inputDims', dIn],
      ['bondDims', right],
    ] as const) {
      if (typeof dim !== 'number' || !Number.isInteger(dim) || dim < 1) {
        return `${branded} ${name}[${i}] = ${String(dim)}`;
      }
    }
    const [o, x, r] = [dOut, dIn, right] as [number, number, number];
    const t = tensors[i] as unknown;
    if (!(t instanceof Float64Array) || t.length !== left * o * x * r) {
      return `${branded} tensors[${i}] not a Float64Array of ${left} * ${o} * ${x} * ${r} entries`;
    }
    // applyMPO sizes buffers and loops by these methods: they must agree with the fields
    let shape: unknown;
    try {
      shape = [shaped.leftDim(i), shaped.siteShape(i), shaped.rightDim(i)];
    } catch {
      shape = undefined;
    }
    const [l, s, rr] = (shape ?? []) as [unknown, unknown, unknown];
    if (
      l !== left ||
      rr !== r ||
      !Array.isArray(s) ||
      s.length !== 4 ||
      s[0] !== left ||
      s[1] !== o ||
      s[2] !== x ||
      s[3] !== r
    ) {
      return `${branded} leftDim/siteShape/rightDim of site ${i} that disagree with its dimensions [${left}, ${o}, ${x}, ${r}]`;
    }
    if (r > maxBondDim) maxBondDim = r;
    left = r;
  }
  if (m.maxBondDim !== maxBondDim) {
    return `${branded} maxBondDim ${String(m.maxBondDim)} (its bonds give ${maxBondDim})`;
  }
  return null;
}

/** Throws an InvalidArgumentError unless `mpo` is an {@link MPO} (see {@link MPO.isMPO}). */
function assertMPO(fn: string, mpo: unknown, argument = 'mpo'): asserts mpo is MPO {
  const defect = mpoDefect(mpo);
  if (defect !== null) invalidArgument(fn, argument, mpo, defect);
}

/** True if some entry of the tensors is negative. */
function hasNegativeEntry(tensors: readonly Float64Array[]): boolean {
  for (const t of tensors) for (let k = 0; k < t.length; k++) if (t[k]! < 0) return true;
  return false;
}

/**
 * A matrix product operator: site tensors W_i of shape [left, out, in, right], row-major in a
 * Float64Array (element (l, y, x, r) at ((l * d_out + y) * d_in + x) * right + r), with open
 * boundaries (first left and last right dimension 1). O(y, x) = W_0[y_0, x_0] ... W_{N-1}[y, x].
 */
export class MPO {
  /** Number of sites N. */
  readonly length: number;
  /** Output dimension d_out of each site. */
  readonly outputDims: readonly number[];
  /** Input dimension d_in of each site (must match the MPS it is applied to). */
  readonly inputDims: readonly number[];
  /** Bond dimensions (N - 1 entries): entry i joins sites i and i + 1. */
  readonly bondDims: readonly number[];
  /** Site tensors, row-major [left, out, in, right]. Treat as read-only. */
  readonly tensors: readonly Float64Array[];

  private constructor(
    outputDims: number[],
    inputDims: number[],
    bondDims: number[],
    tensors: Float64Array[],
  ) {
    this.length = tensors.length;
    this.outputDims = Object.freeze(outputDims);
    this.inputDims = Object.freeze(inputDims);
    this.bondDims = Object.freeze(bondDims);
    this.tensors = Object.freeze(tensors);
    Object.defineProperty(this, MPO_BRAND, { value: MPO_LAYOUT_VERSION, enumerable: false });
  }

  /**
   * True for an MPO of this package, also one made by another installed copy of it (where
   * `instanceof MPO` is false): an object with the MPO brand of the same layout version whose
   * dimensions and tensors are consistent. Such an MPO is accepted by {@link applyMPO}.
   */
  static isMPO(value: unknown): value is MPO {
    return mpoDefect(value) === null;
  }

  /** Left bond dimension of site i (1 for i = 0). */
  leftDim(site: number): number {
    return site === 0 ? 1 : (this.bondDims[site - 1] as number);
  }

  /** Right bond dimension of site i (1 for i = N - 1). */
  rightDim(site: number): number {
    return site === this.length - 1 ? 1 : (this.bondDims[site] as number);
  }

  /** Shape [left, out, in, right] of site tensor i. */
  siteShape(site: number): [number, number, number, number] {
    return [
      this.leftDim(site),
      this.outputDims[site] as number,
      this.inputDims[site] as number,
      this.rightDim(site),
    ];
  }

  /** Largest bond dimension (1 for a product operator). */
  get maxBondDim(): number {
    let m = 1;
    for (const b of this.bondDims) if (b > m) m = b;
    return m;
  }

  /** True if every entry is >= 0 (required to apply the MPO to a linear MPS). */
  get isNonNegative(): boolean {
    return !hasNegativeEntry(this.tensors);
  }

  /**
   * Builds an MPO from site tensors [left, out, in, right], validating shapes (bonds must
   * match, boundary bonds 1, no empty axis) and finiteness. Data are copied.
   */
  static fromTensors(tensors: readonly MPOTensorInput[]): MPO {
    const fn = 'MPO.fromTensors';
    if (!Array.isArray(tensors) || tensors.length < 1) {
      invalidArgument(fn, 'tensors', tensors, 'a non-empty array of site tensors');
    }
    const n = tensors.length;
    const outputDims: number[] = [];
    const inputDims: number[] = [];
    const bondDims: number[] = [];
    const data: Float64Array[] = [];
    let previousRight = 1;
    for (let i = 0; i < n; i++) {
      const { shape, flat } = readMPOTensor(fn, i, tensors[i]);
      const [l, dOut, dIn, r] = shape;
      const described = `shape [${shape.join(', ')}]`;
      if (l !== previousRight) {
        invalidArgument(
          fn,
          `tensors[${i}]`,
          described,
          `a tensor whose left bond dimension equals ${i === 0 ? 'the boundary dimension 1' : `the right bond dimension of site ${i - 1} (${previousRight})`}`,
        );
      }
      if (i === n - 1 && r !== 1) {
        invalidArgument(
          fn,
          `tensors[${i}]`,
          described,
          'the last tensor with right bond dimension 1',
        );
      }
      for (let k = 0; k < flat.length; k++) {
        assertFinite(fn, `tensors[${i}][${k}]`, flat[k]);
      }
      outputDims.push(dOut);
      inputDims.push(dIn);
      if (i < n - 1) bondDims.push(r);
      data.push(flat);
      previousRight = r;
    }
    return new MPO(outputDims, inputDims, bondDims, data);
  }
}

function readMPOTensor(
  fn: string,
  index: number,
  input: MPOTensorInput | undefined,
): { shape: [number, number, number, number]; flat: Float64Array } {
  const arg = `tensors[${index}]`;
  if (Array.isArray(input)) {
    const l = input.length;
    const a0 = input[0];
    const dOut = Array.isArray(a0) ? a0.length : -1;
    const dIn = dOut > 0 && Array.isArray(a0![0]) ? a0![0]!.length : -1;
    const r = dIn > 0 && Array.isArray(a0![0]![0]) ? a0![0]![0]!.length : -1;
    if (l < 1 || dOut < 1 || dIn < 1 || r < 1) {
      invalidArgument(fn, arg, input, 'a nested array [left][out][in][right] with no empty axis');
    }
    const flat = new Float64Array(l * dOut * dIn * r);
    for (let a = 0; a < l; a++) {
      for (let y = 0; y < dOut; y++) {
        for (let x = 0; x < dIn; x++) {
          const row = input[a]?.[y]?.[x];
          if (
            !Array.isArray(row) ||
            row.length !== r ||
            input[a]!.length !== dOut ||
            input[a]![y]!.length !== dIn
          ) {
            invalidArgument(
              fn,
              arg,
              `entry [${a}][${y}][${x}]`,
              `a ragged-free nested array of shape [${l}, ${dOut}, ${dIn}, ${r}]`,
            );
          }
          for (let b = 0; b < r; b++) flat[((a * dOut + y) * dIn + x) * r + b] = row[b] as number;
        }
      }
    }
    return { shape: [l, dOut, dIn, r], flat };
  }
  if (typeof input === 'object' && input !== null && 'shape' in input && 'data' in input) {
    const shape = input.shape;
    if (
      !Array.isArray(shape) ||
      shape.length !== 4 ||
      !shape.every((s) => Number.isInteger(s) && s >= 1)
    ) {
      invalidArgument(fn, `${arg}.shape`, shape, 'four positive integers [left, out, in, right]');
    }
    const [l, dOut, dIn, r] = shape as [number, number, number, number];
    const size = l * dOut * dIn * r;
    if (input.data == null || input.data.length !== size) {
      invalidArgument(
        fn,
        `${arg}.data`,
        input.data?.length,
        `an array of length left*out*in*right = ${size}`,
      );
    }
    return { shape: [l, dOut, dIn, r], flat: Float64Array.from(input.data) };
  }
  return invalidArgument(
    fn,
    arg,
    input,
    'a nested array [left][out][in][right] or { shape, data }',
  );
}

/** Options of {@link applyMPO}. Only allowed for a Born MPS. */
export interface ApplyMPOOptions {
  /** Largest bond dimension kept when compressing the product (Born only; default Infinity). */
  maxBondDim?: number;
  /** Relative discarded weight per bond, as in {@link compress} (Born only; default 0). */
  cutoff?: number;
}

/** Result of {@link applyMPO}. */
export interface ApplyMPOResult {
  /** The product: exact for a linear MPS; compressed, left-canonical and normalised for Born. */
  mps: MPS;
  /** Discarded relative weight per bond (N - 1 entries; all 0 for a linear MPS). */
  truncationError: Float64Array;
  /** Total relative 2-norm error, as in {@link compress} (0 for a linear MPS). */
  totalTruncationError: number;
  /** Bond dimensions of the result. */
  bondDims: number[];
}

/**
 * Applies an MPO to an MPS: the exact contraction C_i[y] = sum_x W_i[y, x] ⊗ A_i[x] (bond
 * dimensions multiply: chi_mps * chi_mpo), then, for a Born MPS, {@link compress} with
 * `maxBondDim` and `cutoff` (with the defaults this only removes exactly redundant bond
 * directions and normalises the state). A Born MPS is acted on through its amplitudes
 * (psi' = O psi, P' ∝ psi'^2); a linear MPS through P itself (P' = O P).
 *
 * For a linear MPS the product is always exact and returned unnormalised: the MPO must be
 * non-negative, and `maxBondDim` / `cutoff` are refused, because SVD truncation would destroy
 * the non-negativity of the site tensors.
 */
export function applyMPO(mps: MPS, mpo: MPO, options: ApplyMPOOptions = {}): ApplyMPOResult {
  const fn = 'applyMPO';
  assertMPS(fn, mps);
  assertMPO(fn, mpo);
  if (typeof options !== 'object' || options === null) {
    invalidArgument(fn, 'options', options, 'an options object');
  }
  assertKnownOptions(fn, options, optionKeys<ApplyMPOOptions>()(['maxBondDim', 'cutoff']));
  const n = mps.length;
  if (mpo.length !== n) {
    invalidArgument(
      fn,
      'mpo',
      `an MPO of ${mpo.length} sites`,
      `an MPO with as many sites as the MPS (${n})`,
    );
  }
  for (let i = 0; i < n; i++) {
    if (mpo.inputDims[i] !== mps.physicalDims[i]) {
      invalidArgument(
        fn,
        'mpo',
        `input dimension ${mpo.inputDims[i]} at site ${i}`,
        `an MPO whose input dimensions match the physical dimensions of the MPS (${mps.physicalDims[i]} at site ${i})`,
      );
    }
    if ((mpo.outputDims[i] as number) < 2) {
      invalidArgument(
        fn,
        'mpo',
        `output dimension ${mpo.outputDims[i]} at site ${i}`,
        'an MPO with output dimensions >= 2',
      );
    }
  }
  if (mps.kind === 'linear') {
    for (const key of ['maxBondDim', 'cutoff'] as const) {
      if (options[key] !== undefined) {
        invalidArgument(
          fn,
          key,
          options[key],
          'left out for a linear MPS: SVD truncation does not preserve non-negativity, so the product with a linear MPS is always exact (bond dimensions multiply)',
        );
      }
    }
    // read from the tensors, not from `isNonNegative` (an MPO of another copy computes that)
    if (hasNegativeEntry(mpo.tensors)) {
      invalidArgument(
        fn,
        'mpo',
        'an MPO with negative entries',
        'a non-negative MPO when applied to a linear MPS, so that the result is again a non-negative MPS',
      );
    }
  }
  const tensors: Float64Array[] = [];
  for (let i = 0; i < n; i++) {
    const [la, d, ra] = mps.siteShape(i);
    const [lw, dOut, , rw] = mpo.siteShape(i);
    const a = mps.tensors[i]!;
    const w = mpo.tensors[i]!;
    const right = ra * rw;
    const c = new Float64Array(la * lw * dOut * right);
    for (let al = 0; al < la; al++) {
      for (let x = 0; x < d; x++) {
        for (let ar = 0; ar < ra; ar++) {
          const v = a[(al * d + x) * ra + ar]!;
          if (v === 0) continue;
          for (let wl = 0; wl < lw; wl++) {
            const row = al * lw + wl;
            for (let y = 0; y < dOut; y++) {
              const out = (row * dOut + y) * right + ar * rw;
              const src = ((wl * dOut + y) * d + x) * rw;
              for (let wr = 0; wr < rw; wr++) c[out + wr]! += v * w[src + wr]!;
            }
          }
        }
      }
    }
    assertFiniteProduct(fn, 'mpo', i, c);
    tensors.push(c);
  }
  const product = MPS.unsafeCreate(mps.kind, [...mpo.outputDims], tensors);
  if (mps.kind === 'linear') {
    return {
      mps: product,
      truncationError: new Float64Array(Math.max(0, n - 1)),
      totalTruncationError: 0,
      bondDims: [...product.bondDims],
    };
  }
  const compressed = compressAs(fn, product, {
    maxBondDim: options.maxBondDim,
    cutoff: options.cutoff,
  });
  return {
    mps: compressed.mps,
    truncationError: compressed.truncationError,
    totalTruncationError: compressed.totalTruncationError,
    bondDims: compressed.bondDims,
  };
}
