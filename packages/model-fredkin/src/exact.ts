/**
 * Exact references of the Fredkin chain from its height transfer structure: the weight
 * pi(x) ∝ q^{A(x)/2}, A = sum_{i=1}^{N} h_i, is a product of step weights q^{h_{i+1}/2}, so the
 * height is a sufficient bond index (an MPS with bond dimension at most N/4 + 1).
 *
 * Gauge (keeps every entry in [0, 1] and the dominant paths at O(1), for N in the thousands and c
 * near 0 or 1), with ln q = ln(c / (1 - c)):
 * - q <= 1: diagonal gauge q^{-h^2/4} on bond heights and a factor q^{-1/4} per site give
 *   up steps weight 1 and a down step from height h the weight q^{h-1}; the contraction equals
 *   q^{A/2 - N/4}.
 * - q > 1: per-site factors q^{-h*_{i+1}/2} with h*_i = min(i, N - i) (the tallest path) give the
 *   step into height h' at bond i+1 the weight q^{-(h*_{i+1} - h')/2}; the contraction equals
 *   q^{A/2 - (N/2)^2/2}.
 * Contractions over the sites are renormalised per bond and keep log scales in float64.
 */

import { invalidArgument, toRandom } from '@latticediff/lattice';
import { MPS, type SeedOrGenerator } from '@latticediff/tensor-network';
import { assertKnownOptions } from '@latticediff/tensor-network/internal';

/** Largest N of {@link fredkinExact} and {@link sampleFredkin} (memory ~ N^2 bytes). */
export const MAX_EXACT_SITES = 10_000;
/** Largest number of stored float64 entries of {@link fredkinExactMPS} (2^25, 256 MiB). */
export const MAX_MPS_ENTRIES = 2 ** 25;

/** Parameters of the exact routines. */
export interface FredkinSize {
  /** Number of sites N (even, >= 2). */
  readonly sites: number;
  /** Rate parameter c in (0, 1); q = c / (1 - c). */
  readonly c: number;
}

function checkSize(
  functionName: string,
  options: FredkinSize,
  maxSites: number,
  known: readonly string[] = ['sites', 'c'],
): void {
  if (typeof options !== 'object' || options === null) {
    invalidArgument(functionName, 'options', options, 'an object { sites, c }');
  }
  assertKnownOptions(functionName, options, known);
  const { sites, c } = options;
  if (typeof sites !== 'number' || !Number.isInteger(sites) || sites < 2 || sites % 2 !== 0) {
    invalidArgument(functionName, 'sites', sites, 'an even integer >= 2');
  }
  if (sites > maxSites) {
    invalidArgument(
      functionName,
      'sites',
      sites,
      `an even integer <= ${maxSites} (the memory limit of this exact reference)`,
    );
  }
  if (typeof c !== 'number' || !Number.isFinite(c) || c <= 0 || c >= 1) {
    invalidArgument(functionName, 'c', c, 'a finite number in (0, 1)');
  }
}

/** The gauged step weights of the module comment. */
class HeightTransfer {
  readonly n: number;
  readonly logQ: number;
  /** ln of (true weight q^(A/2)) / (gauged contraction): ln Z = ln Z_gauged + logWeightOffset. */
  readonly logWeightOffset: number;
  private readonly decay: Float64Array;
  private readonly tall: boolean;

  constructor(n: number, c: number) {
    this.n = n;
    this.logQ = Math.log(c) - Math.log1p(-c);
    this.tall = this.logQ > 0;
    const half = n / 2;
    this.logWeightOffset = this.tall ? ((half * half) / 2) * this.logQ : (n / 4) * this.logQ;
    // decay[d] = exp(-d * a): a = |ln q| (q <= 1, d = h - 1) or ln q / 2 (q > 1, d = h* - h')
    const a = this.tall ? this.logQ / 2 : -this.logQ;
    this.decay = new Float64Array(n + 1);
    for (let d = 0; d <= n; d++) this.decay[d] = Math.exp(-d * a);
  }

  /** Largest height at bond k (after k steps). */
  maxHeight(k: number): number {
    return Math.min(k, this.n - k);
  }

  /** Number of heights (of the parity of k) at bond k. */
  size(k: number): number {
    return (this.maxHeight(k) >> 1) + 1;
  }

  /** Gauged weight of site k stepping from height h (at bond k) up (x = 1) or down (x = 0). */
  weight(k: number, h: number, up: boolean): number {
    const next = up ? h + 1 : h - 1;
    if (next < 0 || next > this.maxHeight(k + 1)) return 0;
    if (this.tall) return this.decay[this.maxHeight(k + 1) - next] as number;
    return up ? 1 : (this.decay[h - 1] as number);
  }
}

interface Environment {
  readonly vectors: Float64Array[];
  readonly logScales: Float64Array;
}

/** Right environments R_k (k = 0..N), each normalised to max 1 with its log scale. */
function rightEnvironments(t: HeightTransfer): Environment {
  const n = t.n;
  const vectors = new Array<Float64Array>(n + 1);
  const logScales = new Float64Array(n + 1);
  vectors[n] = new Float64Array([1]);
  for (let k = n - 1; k >= 0; k--) {
    const next = vectors[k + 1] as Float64Array;
    const current = new Float64Array(t.size(k));
    const parity = k & 1;
    let max = 0;
    for (let j = 0; j < current.length; j++) {
      const h = 2 * j + parity;
      let v = 0;
      const wUp = t.weight(k, h, true);
      if (wUp > 0) v += wUp * (next[(h + 1) >> 1] as number);
      const wDown = t.weight(k, h, false);
      if (wDown > 0) v += wDown * (next[(h - 1) >> 1] as number);
      current[j] = v;
      if (v > max) max = v;
    }
    for (let j = 0; j < current.length; j++) current[j]! /= max;
    logScales[k] = (logScales[k + 1] as number) + Math.log(max);
    vectors[k] = current;
  }
  return { vectors, logScales };
}

/** Exact results of {@link fredkinExact}. */
export interface FredkinExactResult {
  /** ln Z, Z = sum over Dyck paths of q^(A/2) (= exp(-E) at beta = 1). */
  readonly logPartitionFunction: number;
  /** <h_i> for i = 0..N (N + 1 entries). */
  readonly heightProfile: Float64Array;
  /** <h_{N/2}>. */
  readonly midHeight: number;
  /** (1/N) sum_{i=1}^{N} <h_i>. */
  readonly meanHeight: number;
  /** <E>/N = -(1/2) ln q * meanHeight. */
  readonly energyPerSite: number;
  /** P(h_{N/2} = h) for h = 0..N/2 (0 at heights of the wrong parity). */
  readonly midHeightDistribution: Float64Array;
}

/**
 * Exact log Z, mean height profile, mid height (mean and distribution), mean height and energy per
 * site of the Fredkin chain, in float64 with per-bond rescaling. O(N^2) time, N^2 bytes of memory;
 * N <= 10000.
 */
export function fredkinExact(options: FredkinSize): FredkinExactResult {
  const fn = 'fredkinExact';
  checkSize(fn, options, MAX_EXACT_SITES);
  const { sites: n, c } = options;
  const t = new HeightTransfer(n, c);
  const right = rightEnvironments(t);
  const profile = new Float64Array(n + 1);
  const midHeightDistribution = new Float64Array(n / 2 + 1);
  let left = new Float64Array([1]);
  let logLeft = 0;
  let logZ = Number.NaN;
  for (let k = 0; k <= n; k++) {
    const r = right.vectors[k] as Float64Array;
    const parity = k & 1;
    let total = 0;
    let moment = 0;
    for (let j = 0; j < left.length; j++) {
      const p = (left[j] as number) * (r[j] as number);
      total += p;
      moment += (2 * j + parity) * p;
    }
    profile[k] = moment / total;
    if (k === 0)
      logZ = Math.log(total) + logLeft + (right.logScales[0] as number) + t.logWeightOffset;
    if (k === n / 2) {
      for (let j = 0; j < left.length; j++) {
        midHeightDistribution[2 * j + parity] = ((left[j] as number) * (r[j] as number)) / total;
      }
    }
    if (k === n) break;
    const next = new Float64Array(t.size(k + 1));
    for (let j = 0; j < left.length; j++) {
      const v = left[j] as number;
      if (v === 0) continue;
      const h = 2 * j + parity;
      const wUp = t.weight(k, h, true);
      if (wUp > 0) next[(h + 1) >> 1]! += v * wUp;
      const wDown = t.weight(k, h, false);
      if (wDown > 0) next[(h - 1) >> 1]! += v * wDown;
    }
    let max = 0;
    for (const v of next) if (v > max) max = v;
    for (let j = 0; j < next.length; j++) next[j]! /= max;
    logLeft += Math.log(max);
    left = next;
  }
  let sum = 0;
  for (let k = 1; k <= n; k++) sum += profile[k] as number;
  const meanHeight = sum / n;
  return {
    logPartitionFunction: logZ,
    heightProfile: profile,
    midHeight: profile[n / 2] as number,
    meanHeight,
    energyPerSite: -0.5 * t.logQ * meanHeight,
    midHeightDistribution,
  };
}

/** Number of stored entries of the exact MPS for N sites. */
export function fredkinMPSEntries(sites: number): number {
  // (an odd or non-positive chain had no Dyck paths, yet a count came back: 36 for 7 sites)
  if (!(Number.isInteger(sites) && sites >= 2 && sites % 2 === 0)) {
    invalidArgument('fredkinMPSEntries', 'sites', sites, 'an even integer >= 2');
  }
  const t = new HeightTransfer(sites, 0.5);
  let entries = 0;
  for (let k = 0; k < sites; k++) entries += t.size(k) * 2 * t.size(k + 1);
  return entries;
}

function maxMPSSites(): number {
  let n = 2;
  while (fredkinMPSEntries(n + 2) <= MAX_MPS_ENTRIES) n += 2;
  return n;
}

/** Result of {@link fredkinExactMPS}. */
export interface FredkinExactMPS {
  /** Linear MPS over x (x_i = 1 up, 0 down); bond i carries the height h_i (one index per height of the right parity). */
  readonly mps: MPS;
  /** ln pi_unnormalised(x) = ln MPS(x) + logWeightOffset, with pi_unnormalised = q^(A/2). */
  readonly logWeightOffset: number;
}

/**
 * The exact MPS of the Fredkin distribution: contraction ∝ q^{A(x)/2} on Dyck paths and 0
 * elsewhere, bond index = height (bond dimension floor(min(i, N - i) / 2) + 1 <= N/4 + 1), gauged
 * so that all entries lie in [0, 1] (see the module comment). Dense storage is about N^3 / 24
 * entries: N is limited so that at most 2^25 entries are stored (N <= 926).
 */
export function fredkinExactMPS(options: FredkinSize): FredkinExactMPS {
  const fn = 'fredkinExactMPS';
  checkSize(fn, options, Number.POSITIVE_INFINITY);
  if (fredkinMPSEntries(options.sites) > MAX_MPS_ENTRIES) {
    invalidArgument(
      fn,
      'sites',
      options.sites,
      `an even integer <= ${maxMPSSites()} (a dense exact MPS of at most ${MAX_MPS_ENTRIES} entries)`,
    );
  }
  const { sites: n, c } = options;
  const t = new HeightTransfer(n, c);
  const tensors = [];
  for (let k = 0; k < n; k++) {
    const left = t.size(k);
    const right = t.size(k + 1);
    const data = new Float64Array(left * 2 * right);
    const parity = k & 1;
    for (let j = 0; j < left; j++) {
      const h = 2 * j + parity;
      const wUp = t.weight(k, h, true);
      if (wUp > 0) data[(j * 2 + 1) * right + ((h + 1) >> 1)] = wUp;
      const wDown = t.weight(k, h, false);
      if (wDown > 0) data[(j * 2 + 0) * right + ((h - 1) >> 1)] = wDown;
    }
    tensors.push({ shape: [left, 2, right] as const, data });
  }
  return { mps: MPS.fromTensors(tensors, { kind: 'linear' }), logWeightOffset: t.logWeightOffset };
}

/** Options of {@link sampleFredkin}. */
export interface SampleFredkinOptions extends FredkinSize {
  /** Number of samples. */
  readonly count: number;
  /** Seed or generator. */
  readonly seed: SeedOrGenerator;
}

/**
 * Exact independent samples of the Fredkin distribution (a left-to-right sweep with right
 * environments), as a batch of `count` rows of N digits. O(N^2) setup, O(N) per sample.
 */
export function sampleFredkin(options: SampleFredkinOptions): { data: Uint8Array; count: number } {
  const fn = 'sampleFredkin';
  checkSize(fn, options, MAX_EXACT_SITES, ['sites', 'c', 'count', 'seed']);
  const { sites: n, c, count } = options;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) {
    invalidArgument(fn, 'count', count, 'a non-negative integer');
  }
  const random = toRandom(fn, options.seed);
  const t = new HeightTransfer(n, c);
  const right = rightEnvironments(t);
  const data = new Uint8Array(count * n);
  for (let b = 0; b < count; b++) {
    let h = 0;
    for (let k = 0; k < n; k++) {
      const r = right.vectors[k + 1] as Float64Array;
      const wUp = t.weight(k, h, true);
      const wDown = t.weight(k, h, false);
      const up = wUp > 0 ? wUp * (r[(h + 1) >> 1] as number) : 0;
      const down = wDown > 0 ? wDown * (r[(h - 1) >> 1] as number) : 0;
      const step = random.float64() * (up + down) < up ? 1 : 0;
      data[b * n + k] = step;
      h += step === 1 ? 1 : -1;
    }
  }
  return { data, count };
}
