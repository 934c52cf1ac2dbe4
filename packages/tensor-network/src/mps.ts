/**
 * The probability matrix product state. See CONVENTIONS.md for index order and bond numbering.
 *
 * Site tensor i has shape [left, physical, right] = [chi_i, d_i, chi_{i+1}] and is stored
 * row-major in a Float64Array: element (l, s, r) sits at ((l * d_i) + s) * chi_{i+1} + r.
 * chi_0 = chi_N = 1 (open boundaries).
 *
 * - `linear`: P(x) = A_0[x_0] ... A_{N-1}[x_{N-1}] / Z with every entry >= 0.
 * - `born`:   P(x) = psi(x)^2 / Z with psi(x) = A_0[x_0] ... A_{N-1}[x_{N-1}], entries of any sign.
 */
import {
  assertFinite,
  assertInteger,
  assertKnownOptions,
  brandMismatch,
  invalidArgument,
  optionKeys,
} from './errors';
import { type SeedOrGenerator, toRandom } from './random';

/** The two parametrisations of a probability distribution by an MPS. */
export type MPSKind = 'linear' | 'born';

/** One site tensor given as nested arrays `[left][physical][right]` or as flat data with its shape. */
export type SiteTensorInput =
  | number[][][]
  | { shape: readonly [number, number, number]; data: ArrayLike<number> };

const MAX_DENSE_SIZE = 2 ** 24;
/** Largest number of float64 entries of all site tensors together that the factories create (2 GiB). */
export const MAX_MPS_ENTRIES = 2 ** 28;
/**
 * Largest number of sites of an MPS that the factories create (2^22, the largest lattice of
 * @latticediff/lattice): every site is an array of its own, and 10^8 of them exhausted memory.
 */
export const MAX_MPS_SITES = 2 ** 22;
/** Largest number of digits (count * sites) of one batch of configurations that a sampler returns (4 GiB). */
export const MAX_BATCH_ENTRIES = 2 ** 30;

/**
 * Brand of every {@link MPS}, shared by all copies of this package (`Symbol.for`), so that an MPS
 * made by a second installed copy of @latticediff/tensor-network is recognised where
 * `instanceof` fails. Its value is {@link MPS_LAYOUT_VERSION}.
 */
const MPS_BRAND = Symbol.for('@latticediff/tensor-network/MPS');

/**
 * Version of the in-memory layout that the brand promises: `kind`, `length`, `physicalDims`,
 * `bondDims`, `tensors` (row-major [left, physical, right] Float64Arrays) and the methods
 * `leftDim`, `rightDim` and `siteShape`. A copy with another layout must use another number.
 */
const MPS_LAYOUT_VERSION = 1;

const EXPECTED_MPS = 'an MPS (from MPS.fromTensors, fromDense, randomMPS, ...)';

/**
 * Why `value` is not usable as an MPS, or null when it is: an instance of this copy's class, or
 * an object with the brand of the same layout version (an MPS of another installed copy of the
 * package) whose public fields are consistent: kind, length, physical and bond dimensions, one
 * Float64Array per site of the size its shape gives, and `leftDim`, `siteShape`, `rightDim` and
 * `maxBondDim` agreeing with them (buffers are sized by these). O(N); the entries are not re-read
 * (the other copy's factories validated them, and MPS tensors are read-only by contract).
 */
function mpsDefect(value: unknown): string | null {
  if (value instanceof MPS) return null;
  const mismatch = brandMismatch(value, MPS_BRAND, MPS_LAYOUT_VERSION, 'MPS', EXPECTED_MPS);
  if (mismatch !== null) return mismatch;
  const m = value as Partial<Record<keyof MPS, unknown>>;
  const branded = 'an MPS, but this object carries the MPS brand with';
  if (m.kind !== 'linear' && m.kind !== 'born') return `${branded} kind ${String(m.kind)}`;
  const n = m.length;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) return `${branded} length ${n}`;
  const { physicalDims, bondDims, tensors } = m;
  if (!Array.isArray(physicalDims) || physicalDims.length !== n) {
    return `${branded} physicalDims that are not an array of ${n} entries`;
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
  const shaped = value as MPS;
  let left = 1;
  let maxBondDim = 1;
  for (let i = 0; i < n; i++) {
    const d = physicalDims[i] as unknown;
    const right = i === n - 1 ? 1 : (bondDims[i] as unknown);
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 2) {
      return `${branded} physicalDims[${i}] = ${String(d)}`;
    }
    if (typeof right !== 'number' || !Number.isInteger(right) || right < 1) {
      return `${branded} bondDims[${i}] = ${String(right)}`;
    }
    const t = tensors[i] as unknown;
    if (!(t instanceof Float64Array) || t.length !== left * d * right) {
      return `${branded} tensors[${i}] not a Float64Array of ${left} * ${d} * ${right} entries`;
    }
    // the code here sizes buffers and loops by these methods: they must agree with the fields
    let shape: unknown;
    try {
      shape = [shaped.leftDim(i), shaped.siteShape(i), shaped.rightDim(i)];
    } catch {
      shape = undefined;
    }
    const [l, s, r] = (shape ?? []) as [unknown, unknown, unknown];
    if (
      l !== left ||
      r !== right ||
      !Array.isArray(s) ||
      s.length !== 3 ||
      s[0] !== left ||
      s[1] !== d ||
      s[2] !== right
    ) {
      return `${branded} leftDim/siteShape/rightDim of site ${i} that disagree with its dimensions [${left}, ${d}, ${right}]`;
    }
    if (right > maxBondDim) maxBondDim = right;
    left = right;
  }
  if (m.maxBondDim !== maxBondDim) {
    return `${branded} maxBondDim ${String(m.maxBondDim)} (its bonds give ${maxBondDim})`;
  }
  return null;
}

/**
 * Throws an InvalidArgumentError unless `mps` is an {@link MPS} (see {@link MPS.isMPS}; a plain
 * object would fail deep inside).
 */
export function assertMPS(fn: string, mps: unknown, argument = 'mps'): asserts mps is MPS {
  const defect = mpsDefect(mps);
  if (defect !== null) invalidArgument(fn, argument, mps, defect);
}

/** Refuses batches of `count` configurations of `length` sites beyond {@link MAX_BATCH_ENTRIES}. */
export function assertBatchSize(fn: string, count: number, length: number): void {
  if (count * length > MAX_BATCH_ENTRIES) {
    invalidArgument(
      fn,
      'count',
      count,
      `at most ${Math.floor(MAX_BATCH_ENTRIES / length)} for an MPS of ${length} sites (count * sites <= ${MAX_BATCH_ENTRIES} digits per call; draw larger sets in several calls)`,
    );
  }
}

/** A probability MPS: an immutable list of float64 site tensors and its parametrisation. */
export class MPS {
  /** `linear` (non-negative, P proportional to the contraction) or `born` (P proportional to its square). */
  readonly kind: MPSKind;
  /** Number of sites N. */
  readonly length: number;
  /** Local dimension d_i of each site. */
  readonly physicalDims: readonly number[];
  /** Bond dimensions chi_1 .. chi_{N-1}: entry i is the bond joining sites i and i+1 (N - 1 entries). */
  readonly bondDims: readonly number[];
  /** Site tensors, row-major [left, physical, right]. Treat as read-only. */
  readonly tensors: readonly Float64Array[];

  /** Use {@link MPS.fromTensors} or the other factories; this constructor does not validate. */
  private constructor(
    kind: MPSKind,
    physicalDims: number[],
    bondDims: number[],
    tensors: Float64Array[],
  ) {
    this.kind = kind;
    this.length = tensors.length;
    this.physicalDims = Object.freeze(physicalDims);
    this.bondDims = Object.freeze(bondDims);
    this.tensors = Object.freeze(tensors);
    Object.defineProperty(this, MPS_BRAND, { value: MPS_LAYOUT_VERSION, enumerable: false });
  }

  /**
   * True for an MPS of this package, also one made by another installed copy of it (where
   * `instanceof MPS` is false): an object with the MPS brand of the same layout version whose
   * dimensions and tensors are consistent. Such an MPS is accepted by every function here.
   */
  static isMPS(value: unknown): value is MPS {
    return mpsDefect(value) === null;
  }

  /** Left bond dimension of site i (1 for i = 0). */
  leftDim(site: number): number {
    return site === 0 ? 1 : (this.bondDims[site - 1] as number);
  }

  /** Right bond dimension of site i (1 for i = N - 1). */
  rightDim(site: number): number {
    return site === this.length - 1 ? 1 : (this.bondDims[site] as number);
  }

  /** Largest bond dimension (1 for a product state). */
  get maxBondDim(): number {
    let m = 1;
    for (const b of this.bondDims) if (b > m) m = b;
    return m;
  }

  /** Shape [left, physical, right] of site tensor i. */
  siteShape(site: number): [number, number, number] {
    return [this.leftDim(site), this.physicalDims[site] as number, this.rightDim(site)];
  }

  /** Number of stored parameters. */
  get parameterCount(): number {
    let n = 0;
    for (const t of this.tensors) n += t.length;
    return n;
  }

  /**
   * Builds an MPS from site tensors, validating shapes (bonds must match, boundary bonds 1,
   * d >= 2), finiteness and, for `linear`, non-negativity. Data are copied.
   */
  static fromTensors(tensors: readonly SiteTensorInput[], options: { kind?: MPSKind } = {}): MPS {
    const fn = 'MPS.fromTensors';
    // (checks the kind too)
    assertKindOptions(fn, options);
    const kind = options.kind ?? 'linear';
    if (!Array.isArray(tensors) || tensors.length < 1) {
      invalidArgument(fn, 'tensors', tensors, 'a non-empty array of site tensors');
    }
    const n = tensors.length;
    const physicalDims: number[] = [];
    const bondDims: number[] = [];
    const data: Float64Array[] = [];
    let previousRight = 1;
    for (let i = 0; i < n; i++) {
      const { shape, flat } = readSiteTensor(fn, i, tensors[i]);
      const [l, d, r] = shape;
      if (l !== previousRight) {
        invalidArgument(
          fn,
          `tensors[${i}]`,
          `shape [${shape.join(', ')}]`,
          `a tensor whose left bond dimension equals ${i === 0 ? 'the boundary dimension 1' : `the right bond dimension of site ${i - 1} (${previousRight})`}`,
        );
      }
      if (d < 2)
        invalidArgument(
          fn,
          `tensors[${i}]`,
          `shape [${shape.join(', ')}]`,
          'a tensor with physical dimension >= 2',
        );
      if (i === n - 1 && r !== 1) {
        invalidArgument(
          fn,
          `tensors[${i}]`,
          `shape [${shape.join(', ')}]`,
          'the last tensor with right bond dimension 1',
        );
      }
      for (let k = 0; k < flat.length; k++) {
        const v = flat[k] as number;
        if (!Number.isFinite(v)) {
          invalidArgument(fn, `tensors[${i}]`, v, `finite entries (entry ${k} is not)`);
        }
        if (kind === 'linear' && v < 0) {
          invalidArgument(
            fn,
            `tensors[${i}]`,
            v,
            `non-negative entries for a linear MPS (entry ${k} is negative)`,
          );
        }
      }
      physicalDims.push(d);
      if (i < n - 1) bondDims.push(r);
      data.push(flat);
      previousRight = r;
    }
    return new MPS(kind, physicalDims, bondDims, data);
  }

  /** Internal: wraps already validated data without copying. */
  static unsafeCreate(kind: MPSKind, physicalDims: number[], tensors: Float64Array[]): MPS {
    const n = tensors.length;
    const bondDims: number[] = [];
    for (let i = 0; i < n - 1; i++) {
      const rows = tensors[i]!.length / (physicalDims[i] as number);
      // right dim = length / (left * d); compute left progressively
      bondDims.push(i === 0 ? rows : rows / (bondDims[i - 1] as number));
    }
    return new MPS(kind, physicalDims, bondDims, tensors);
  }

  /** Returns a copy with different site tensors of the same kind (validated). */
  withTensors(tensors: readonly SiteTensorInput[]): MPS {
    return MPS.fromTensors(tensors, { kind: this.kind });
  }

  /** Site tensor i as nested arrays [left][physical][right] (for inspection and small examples). */
  siteTensorArray(site: number): number[][][] {
    assertInteger('MPS.siteTensorArray', 'site', site, 0, this.length - 1);
    const [l, d, r] = this.siteShape(site);
    const t = this.tensors[site]!;
    const out: number[][][] = [];
    for (let a = 0; a < l; a++) {
      const row: number[][] = [];
      for (let s = 0; s < d; s++)
        row.push(Array.from(t.subarray((a * d + s) * r, (a * d + s + 1) * r)));
      out.push(row);
    }
    return out;
  }
}

function readSiteTensor(
  fn: string,
  index: number,
  input: SiteTensorInput | undefined,
): { shape: [number, number, number]; flat: Float64Array } {
  const arg = `tensors[${index}]`;
  if (Array.isArray(input)) {
    const l = input.length;
    const d = Array.isArray(input[0]) ? input[0].length : -1;
    const r = d > 0 && Array.isArray(input[0]![0]) ? input[0]![0]!.length : -1;
    if (l < 1 || d < 1 || r < 1)
      invalidArgument(fn, arg, input, 'a nested array [left][physical][right] with no empty axis');
    const flat = new Float64Array(l * d * r);
    for (let a = 0; a < l; a++) {
      const rowA = input[a];
      if (!Array.isArray(rowA) || rowA.length !== d)
        invalidArgument(
          fn,
          arg,
          `row ${a}`,
          `a ragged-free nested array (every [${a}] of length ${d})`,
        );
      for (let s = 0; s < d; s++) {
        const rowS = rowA[s];
        if (!Array.isArray(rowS) || rowS.length !== r)
          invalidArgument(
            fn,
            arg,
            `row [${a}][${s}]`,
            `a ragged-free nested array (every [${a}][${s}] of length ${r})`,
          );
        for (let b = 0; b < r; b++) {
          const v: unknown = rowS[b];
          // (a Float64Array turned null, '', [] and false into 0, true and '1' into 1)
          if (typeof v !== 'number') {
            invalidArgument(fn, arg, v, `numbers as entries (entry [${a}][${s}][${b}] is not)`);
          }
          flat[(a * d + s) * r + b] = v;
        }
      }
    }
    return { shape: [l, d, r], flat };
  }
  if (typeof input === 'object' && input !== null && 'shape' in input && 'data' in input) {
    const shape = input.shape;
    if (
      !Array.isArray(shape) ||
      shape.length !== 3 ||
      !shape.every((s) => Number.isInteger(s) && s >= 1)
    ) {
      invalidArgument(fn, `${arg}.shape`, shape, 'three positive integers [left, physical, right]');
    }
    const [l, d, r] = shape as [number, number, number];
    const size = l * d * r;
    if (input.data == null || input.data.length !== size) {
      invalidArgument(
        fn,
        `${arg}.data`,
        input.data?.length,
        `an array of length left*physical*right = ${size}`,
      );
    }
    const numeric =
      ArrayBuffer.isView(input.data) &&
      !(input.data instanceof BigInt64Array || input.data instanceof BigUint64Array);
    if (!numeric) {
      const data = input.data as ArrayLike<unknown>;
      for (let k = 0; k < size; k++) {
        if (typeof data[k] !== 'number') {
          invalidArgument(fn, `${arg}.data`, data[k], `numbers as entries (entry ${k} is not)`);
        }
      }
    }
    return { shape: [l, d, r], flat: Float64Array.from(input.data as ArrayLike<number>) };
  }
  return invalidArgument(
    fn,
    arg,
    input,
    'a nested array [left][physical][right] or { shape, data }',
  );
}

/** Checks an options object `{ kind? }`: no other key, and a kind of "linear" or "born". */
export function assertKindOptions(
  fn: string,
  options: unknown,
): asserts options is { kind?: MPSKind } {
  if (typeof options !== 'object' || options === null) {
    invalidArgument(fn, 'options', options, 'an options object { kind? }');
  }
  assertKnownOptions(fn, options, optionKeys<{ kind?: MPSKind }>()(['kind']));
  const { kind } = options as { kind?: unknown };
  if (kind !== undefined && kind !== 'linear' && kind !== 'born') {
    invalidArgument(fn, 'options.kind', kind, '"linear" or "born"');
  }
}

function checkSites(fn: string, length: unknown, physicalDim: unknown): void {
  assertInteger(fn, 'length', length, 1, MAX_MPS_SITES);
  assertInteger(fn, 'physicalDim', physicalDim, 2);
  // (uniformMPS(2, 2 ** 31) ran out of memory and ended the process)
  if (length * physicalDim > MAX_MPS_ENTRIES) {
    invalidArgument(
      fn,
      'physicalDim',
      physicalDim,
      `at most ${Math.floor(MAX_MPS_ENTRIES / length)} for ${length} sites (the site tensors hold at most ${MAX_MPS_ENTRIES} entries together)`,
    );
  }
}

/**
 * A product state P(x) = prod_i p_i(x_i). `probabilities[i]` is the (unnormalised, non-negative)
 * weight vector of site i. For `born`, site amplitudes are the square roots of the weights.
 */
export function productState(
  probabilities: readonly (readonly number[])[],
  options: { kind?: MPSKind } = {},
): MPS {
  const fn = 'productState';
  if (!Array.isArray(probabilities) || probabilities.length < 1) {
    invalidArgument(
      fn,
      'probabilities',
      probabilities,
      'a non-empty array of per-site weight vectors',
    );
  }
  assertKindOptions(fn, options);
  const kind = options.kind ?? 'linear';
  const tensors = probabilities.map((p, i) => {
    if (!Array.isArray(p) || p.length < 2)
      invalidArgument(fn, `probabilities[${i}]`, p, 'an array of at least 2 weights');
    let total = 0;
    for (const v of p) {
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
        invalidArgument(fn, `probabilities[${i}]`, p, 'finite non-negative weights');
      }
      total += v;
    }
    if (total <= 0) invalidArgument(fn, `probabilities[${i}]`, p, 'weights with a positive sum');
    const data = p.map((v) => (kind === 'born' ? Math.sqrt(v) : v));
    return { shape: [1, p.length, 1] as const, data };
  });
  return MPS.fromTensors(tensors, { kind });
}

/** The uniform distribution over d^N configurations, as a bond-dimension-1 MPS. */
export function uniformMPS(length: number, physicalDim = 2, options: { kind?: MPSKind } = {}): MPS {
  checkSites('uniformMPS', length, physicalDim);
  assertKindOptions('uniformMPS', options);
  const row = new Array<number>(physicalDim).fill(1);
  return productState(
    Array.from({ length }, () => row),
    options,
  );
}

/** Options of {@link randomMPS}. */
export interface RandomMPSOptions {
  /** Number of sites N. */
  length: number;
  /** Local dimension d (default 2). */
  physicalDim?: number;
  /** Maximal bond dimension; bonds near the edges are capped at d^distance so no bond is redundant. */
  bondDim: number;
  /** Parametrisation (default `linear`). */
  kind?: MPSKind;
  /** Seed or generator. */
  seed: SeedOrGenerator;
  /**
   * Entries are exp(spread * g) with g standard normal for `linear`, and spread * g (plus a
   * small positive offset) for `born`. Default 1.
   */
  spread?: number;
}

/** A seeded random MPS (entries log-normal for `linear`, Gaussian for `born`). */
export function randomMPS(options: RandomMPSOptions): MPS {
  const fn = 'randomMPS';
  if (typeof options !== 'object' || options === null)
    invalidArgument(fn, 'options', options, 'an options object');
  assertKnownOptions(
    fn,
    options,
    optionKeys<RandomMPSOptions>()(['length', 'physicalDim', 'bondDim', 'kind', 'seed', 'spread']),
  );
  const { length, bondDim } = options;
  const physicalDim = options.physicalDim ?? 2;
  const kind = options.kind ?? 'linear';
  const spread = options.spread ?? 1;
  checkSites(fn, length, physicalDim);
  assertInteger(fn, 'bondDim', bondDim, 1);
  assertFinite(fn, 'spread', spread, 0);
  if (kind !== 'linear' && kind !== 'born') invalidArgument(fn, 'kind', kind, '"linear" or "born"');
  const rng = toRandom(fn, options.seed);
  const dims = [1];
  for (let i = 1; i < length; i++) {
    const fromLeft = Math.min(bondDim, physicalDim ** Math.min(i, 30));
    const fromRight = Math.min(bondDim, physicalDim ** Math.min(length - i, 30));
    dims.push(Math.min(fromLeft, fromRight));
  }
  dims.push(1);
  let entries = 0;
  for (let i = 0; i < length; i++)
    entries += (dims[i] as number) * physicalDim * (dims[i + 1] as number);
  if (entries > MAX_MPS_ENTRIES) {
    invalidArgument(
      fn,
      'bondDim',
      bondDim,
      `small enough that the ${length} site tensors have at most ${MAX_MPS_ENTRIES} entries together (these sizes give ${entries})`,
    );
  }
  const gaussian = (): number => {
    const u = 1 - rng.float64();
    const v = rng.float64();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
  const tensors: Float64Array[] = [];
  for (let i = 0; i < length; i++) {
    const size = (dims[i] as number) * physicalDim * (dims[i + 1] as number);
    const t = new Float64Array(size);
    for (let k = 0; k < size; k++) {
      t[k] = kind === 'linear' ? Math.exp(spread * gaussian()) : spread * gaussian() + 0.1;
      // (spread 1000 gave entries of Infinity and 0, an MPS that nothing could use)
      if (!(t[k]! > 0 || kind === 'born') || !Number.isFinite(t[k]!)) {
        invalidArgument(
          fn,
          'spread',
          spread,
          `small enough that the entries exp(spread * g) stay finite and positive (entry ${k} of site ${i} is ${t[k]})`,
        );
      }
    }
    tensors.push(t);
  }
  return MPS.unsafeCreate(kind, new Array<number>(length).fill(physicalDim), tensors);
}

/** Total number of configurations prod_i d_i, refusing sizes that do not fit a dense vector. */
export function denseSize(fn: string, physicalDims: readonly number[]): number {
  let size = 1;
  for (const d of physicalDims) {
    size *= d;
    if (size > MAX_DENSE_SIZE) {
      invalidArgument(
        fn,
        'mps',
        `${physicalDims.length} sites`,
        `small enough for a dense vector (at most ${MAX_DENSE_SIZE} configurations)`,
      );
    }
  }
  return size;
}

/**
 * Decodes a configuration index into digits: the first site is the most significant digit
 * (x = sum_i x_i * prod_{j>i} d_j), as in numpy's C order.
 */
export function indexToConfiguration(
  index: number,
  physicalDims: readonly number[],
  out?: Int32Array,
): Int32Array {
  const fn = 'indexToConfiguration';
  // (it checked nothing: -1 gave digits -1, an index past the end wrapped around, a short `out`
  // was silently cut)
  if (
    !Array.isArray(physicalDims) ||
    physicalDims.length < 1 ||
    !physicalDims.every((d) => Number.isInteger(d) && d >= 2)
  ) {
    invalidArgument(fn, 'physicalDims', physicalDims, 'a non-empty array of integers >= 2');
  }
  const n = physicalDims.length;
  let size = 1;
  for (const d of physicalDims) size *= d;
  assertInteger(fn, 'index', index, 0, Math.min(size, Number.MAX_SAFE_INTEGER) - 1);
  if (out !== undefined && (!(out instanceof Int32Array) || out.length < n)) {
    invalidArgument(fn, 'out', out, `an Int32Array of at least ${n} entries`);
  }
  const config = out ?? new Int32Array(n);
  let rest = index;
  for (let i = n - 1; i >= 0; i--) {
    const d = physicalDims[i] as number;
    config[i] = rest % d;
    rest = Math.floor(rest / d);
  }
  return config;
}
