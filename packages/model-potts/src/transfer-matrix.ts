/**
 * Exact Potts references by a site-by-site column transfer matrix.
 *
 * Sites are added in the column order (site = ix * Ly + iy). The state holds the colours of the Ly
 * most recently added sites (base-q digit iy = colour of the latest site in row iy), so each new
 * site sees its left and lower neighbours (and, at the top of a periodic column, the bottom one) in
 * the state: q^Ly states. A torus additionally fixes the first column and closes the x bonds at the
 * end (one pass per first-column state). Weights are rescaled per site with their log scale kept in
 * float64.
 *
 * Two passes:
 * - {@link pottsTransferMatrix}: ln Z, <E>/N and <n_0>/N, carrying sum(weight * E) and
 *   sum(weight * n_0) along with the weights. Cost O(N q^(Ly+1)) (times q^Ly on a torus).
 * - {@link pottsCountDistribution}: the exact joint distribution of the colour counts
 *   (n_0, ..., n_{q-1}), carrying one weight per state and count vector. Count vectors with
 *   n_0 + ... + n_{q-1} = t are ranked in the colex order of their stars-and-bars positions, which
 *   does not depend on t, so adding colour c moves rank r to r + inc(r, c). This gives every
 *   function of the counts exactly, in particular the order parameter
 *   m = (q max_k n_k / N - 1) / (q - 1). Cost O(q^(Ly+1) C(N+q, q)).
 */
import { invalidArgument } from '@latticediff/lattice';
import { type PottsParameters, resolvePottsParameters } from './parameters';

/** Largest number of transfer-matrix states q^Ly on a cylinder or an open lattice. */
export const MAX_TRANSFER_STATES = 4096;
/** Largest q^Ly on a torus (one pass per first-column state). */
export const MAX_TRANSFER_STATES_TORUS = 256;
/** Largest number of multiply-adds of one transfer-matrix computation (2^28, a few seconds). */
export const MAX_TRANSFER_WORK = 2 ** 28;
/** Largest number of float64 entries of one count table, q^Ly * C(N+q-1, q-1) (2^22, 32 MiB). */
export const MAX_COUNT_ENTRIES = 2 ** 22;

/** Exact results of {@link pottsTransferMatrix}. */
export interface PottsExactResult {
  /** ln Z, Z = sum_x exp(-beta E(x)). */
  readonly logPartitionFunction: number;
  /** <E> / N. */
  readonly energyPerSite: number;
  /** <n_0> / N, the density of colour 0 (the colour the field favours). */
  readonly colourZeroDensity: number;
}

/** Exact results of {@link pottsCountDistribution}. */
export interface PottsCountDistribution {
  /** ln Z (the same as {@link PottsExactResult.logPartitionFunction}). */
  readonly logPartitionFunction: number;
  /** Number of count vectors K. */
  readonly size: number;
  /** Count vectors, row k = (n_0, ..., n_{q-1}) at `counts[k*q .. (k+1)*q)`; K * q entries. */
  readonly counts: Int32Array;
  /** P(counts of row k), K entries, summing to 1. */
  readonly probabilities: Float64Array;
  /** <m>, m = (q max_k n_k / N - 1) / (q - 1). */
  readonly orderParameter: number;
  /** <m^2>. */
  readonly orderParameterSquared: number;
  /** <m^4>. */
  readonly orderParameterFourth: number;
  /** <n_0> / N. */
  readonly colourZeroDensity: number;
}

/** C(n, k) as a float64 (exact below 2^53). */
export function binomial(n: number, k: number): number {
  if (k < 0 || k > n) return 0;
  let out = 1;
  for (let j = 1; j <= Math.min(k, n - k); j++) out = (out * (n - Math.min(k, n - k) + j)) / j;
  return Math.round(out);
}

interface Sizes {
  readonly states: number;
  readonly passes: number;
  readonly sites: number;
}

function sizes(p: PottsParameters): Sizes {
  const states = p.q ** p.ly;
  return { states, passes: p.boundary === 'torus' ? states : 1, sites: p.lx * p.ly };
}

/** Refuses sizes beyond the limits of the transfer matrix, naming the parameter and the limit. */
export function checkTransferSize(functionName: string, p: PottsParameters): void {
  const torus = p.boundary === 'torus';
  const maxStates = torus ? MAX_TRANSFER_STATES_TORUS : MAX_TRANSFER_STATES;
  const { states, passes } = sizes(p);
  if (states > maxStates) {
    const maxLy = Math.floor(Math.log(maxStates + 0.5) / Math.log(p.q));
    invalidArgument(
      functionName,
      'ly',
      p.ly,
      `an integer <= ${maxLy} for q = ${p.q} and boundary "${p.boundary}" (the transfer matrix has q^ly states, at most ${maxStates})`,
    );
  }
  const perColumn = passes * states * p.q * p.ly;
  const maxLx = Math.floor(MAX_TRANSFER_WORK / perColumn);
  if (p.lx > maxLx) {
    invalidArgument(
      functionName,
      'lx',
      p.lx,
      `an integer <= ${maxLx} for q = ${p.q}, ly = ${p.ly}, boundary "${p.boundary}" (at most ${MAX_TRANSFER_WORK} transfer-matrix operations)`,
    );
  }
}

function countCost(p: PottsParameters, lx: number): { entries: number; work: number } {
  const { states, passes } = sizes(p);
  const n = lx * p.ly;
  const entries = states * binomial(n + p.q - 1, p.q - 1);
  // sum over t < N of C(t+q-1, q-1) = C(N+q-1, q)
  const work = passes * states * p.q * binomial(n + p.q - 1, p.q);
  return { entries, work };
}

/** True when {@link pottsCountDistribution} accepts these sizes. */
export function countDistributionFits(p: PottsParameters): boolean {
  const torus = p.boundary === 'torus';
  if (p.q ** p.ly > (torus ? MAX_TRANSFER_STATES_TORUS : MAX_TRANSFER_STATES)) return false;
  const { entries, work } = countCost(p, p.lx);
  return entries <= MAX_COUNT_ENTRIES && work <= MAX_TRANSFER_WORK;
}

function checkCountSize(functionName: string, p: PottsParameters): void {
  checkTransferSize(functionName, p);
  if (countDistributionFits(p)) return;
  let maxLx = 0;
  for (let lx = 1; lx <= p.lx; lx++) {
    const { entries, work } = countCost(p, lx);
    if (entries > MAX_COUNT_ENTRIES || work > MAX_TRANSFER_WORK) break;
    maxLx = lx;
  }
  invalidArgument(
    functionName,
    'lx',
    p.lx,
    `an integer <= ${maxLx} for q = ${p.q}, ly = ${p.ly}, boundary "${p.boundary}" (the count table has q^ly * C(N+q-1, q-1) <= ${MAX_COUNT_ENTRIES} entries and at most ${MAX_TRANSFER_WORK} operations)`,
  );
}

/** Colour of row iy in state a, for every state: digits[a * ly + iy]. */
function digitTable(q: number, ly: number): Uint8Array {
  const states = q ** ly;
  const digits = new Uint8Array(states * ly);
  for (let a = 0; a < states; a++) {
    let rest = a;
    for (let iy = 0; iy < ly; iy++) {
      digits[a * ly + iy] = rest % q;
      rest = Math.floor(rest / q);
    }
  }
  return digits;
}

/** Site geometry shared by both passes. */
interface SiteContext {
  readonly q: number;
  readonly ly: number;
  readonly states: number;
  readonly digits: Uint8Array;
  readonly powers: Int32Array;
  readonly periodicY: boolean;
}

function context(p: PottsParameters): SiteContext {
  const powers = new Int32Array(p.ly);
  for (let iy = 0; iy < p.ly; iy++) powers[iy] = p.q ** iy;
  return {
    q: p.q,
    ly: p.ly,
    states: p.q ** p.ly,
    digits: digitTable(p.q, p.ly),
    powers,
    // a periodic axis of length 1 has no bonds; ly >= 2 by the schema
    periodicY: p.boundary !== 'open',
  };
}

/** Number of already placed neighbours of (ix, iy) in state a that have colour c. */
function equalNeighbours(ctx: SiteContext, a: number, ix: number, iy: number, c: number): number {
  const row = a * ctx.ly;
  let equal = 0;
  if (ix >= 1 && ctx.digits[row + iy] === c) equal++;
  if (iy >= 1 && ctx.digits[row + iy - 1] === c) equal++;
  if (ctx.periodicY && iy === ctx.ly - 1 && ctx.digits[row] === c) equal++;
  return equal;
}

/** Energy of the periodic x bonds between the last column (state a) and the first column. */
function closingEnergy(ctx: SiteContext, p: PottsParameters, a: number, first: number): number {
  if (first < 0 || p.lx < 2) return 0;
  let equal = 0;
  for (let iy = 0; iy < ctx.ly; iy++) {
    if (ctx.digits[a * ctx.ly + iy] === ctx.digits[first * ctx.ly + iy]) equal++;
  }
  return -p.coupling * equal;
}

interface MomentPass {
  readonly z: number;
  readonly energyWeight: number;
  readonly colourZeroWeight: number;
  readonly logScale: number;
}

function momentPass(p: PottsParameters, ctx: SiteContext, first: number): MomentPass {
  const { q, ly, states, digits, powers } = ctx;
  const { beta, coupling: J, field: h } = p;
  const n = p.lx * ly;
  let w = new Float64Array(states);
  let e = new Float64Array(states);
  let z0 = new Float64Array(states);
  let wNext = new Float64Array(states);
  let eNext = new Float64Array(states);
  let z0Next = new Float64Array(states);
  // local Boltzmann factors by (number of equal neighbours, is colour 0)
  const localEnergy = (equal: number, c: number) => -J * equal - (c === 0 ? h : 0);
  w[0] = 1;
  let logScale = 0;
  for (let site = 0; site < n; site++) {
    const ix = Math.floor(site / ly);
    const iy = site - ix * ly;
    wNext.fill(0);
    eNext.fill(0);
    z0Next.fill(0);
    const power = powers[iy] as number;
    for (let a = 0; a < states; a++) {
      const wa = w[a] as number;
      if (wa === 0) continue;
      const ea = e[a] as number;
      const za = z0[a] as number;
      const old = digits[a * ly + iy] as number;
      for (let c = 0; c < q; c++) {
        if (first >= 0 && ix === 0 && digits[first * ly + iy] !== c) continue;
        const energy = localEnergy(equalNeighbours(ctx, a, ix, iy, c), c);
        const weight = Math.exp(-beta * energy);
        const b = a + (c - old) * power;
        wNext[b]! += weight * wa;
        eNext[b]! += weight * (ea + energy * wa);
        z0Next[b]! += weight * (za + (c === 0 ? wa : 0));
      }
    }
    let max = 0;
    for (let b = 0; b < states; b++) if ((wNext[b] as number) > max) max = wNext[b] as number;
    for (let b = 0; b < states; b++) {
      wNext[b]! /= max;
      eNext[b]! /= max;
      z0Next[b]! /= max;
    }
    logScale += Math.log(max);
    [w, wNext] = [wNext, w];
    [e, eNext] = [eNext, e];
    [z0, z0Next] = [z0Next, z0];
  }
  let z = 0;
  let energyWeight = 0;
  let colourZeroWeight = 0;
  for (let a = 0; a < states; a++) {
    const closing = closingEnergy(ctx, p, a, first);
    const factor = Math.exp(-beta * closing);
    z += factor * (w[a] as number);
    energyWeight += factor * ((e[a] as number) + closing * (w[a] as number));
    colourZeroWeight += factor * (z0[a] as number);
  }
  return { z, energyWeight, colourZeroWeight, logScale };
}

/**
 * Above this value of beta max(|J|, |h|) the passes run in the log domain. The float64 passes
 * rescale their vector by its largest entry after each site, so an entry suppressed by more than
 * e^-745 against it is lost; at large beta a state suppressed by one bond or field unit at one
 * column can carry a ground state later (a frustrated ring, J < 0: ln Z came out short by ln 1.5
 * at beta 800, NaN from beta about 370 on a 3 x 3 torus, and J > 0 overflowed from beta about
 * 240). Below it, a state would have to be suppressed by 14 units or more to be lost, and the
 * faster float64 passes are kept (the same bits as before).
 */
const LOG_DOMAIN_BETA_UNIT = 50;

function logDomain(p: PottsParameters): boolean {
  return p.beta * Math.max(Math.abs(p.coupling), Math.abs(p.field)) > LOG_DOMAIN_BETA_UNIT;
}

/**
 * Accumulates terms exp(log) with values attached, as a running maximum and sums relative to it
 * (per target): the log-domain passes' sum over histories.
 */
class LogAccumulator {
  readonly max: Float64Array;
  readonly sum: Float64Array;
  /** Per target, per attached value: sum of exp(log - max) * value. */
  readonly weighted: Float64Array[];

  constructor(size: number, values: number) {
    this.max = new Float64Array(size).fill(Number.NEGATIVE_INFINITY);
    this.sum = new Float64Array(size);
    this.weighted = Array.from({ length: values }, () => new Float64Array(size));
  }

  add(target: number, log: number, value0 = 0, value1 = 0): void {
    const m = this.max[target]!;
    if (log > m) {
      const shrink = Math.exp(m - log);
      this.sum[target]! *= shrink;
      for (const w of this.weighted) w[target]! *= shrink;
      this.max[target] = log;
    }
    const t = Math.exp(log - this.max[target]!);
    this.sum[target]! += t;
    if (this.weighted.length > 0) this.weighted[0]![target]! += t * value0;
    if (this.weighted.length > 1) this.weighted[1]![target]! += t * value1;
  }

  /** ln of the total of a target (-Infinity when nothing was added). */
  log(target: number): number {
    const s = this.sum[target]!;
    return s > 0 ? this.max[target]! + Math.log(s) : Number.NEGATIVE_INFINITY;
  }

  /** The weighted mean of attached value k at a target. */
  mean(target: number, k: number): number {
    const s = this.sum[target]!;
    return s > 0 ? this.weighted[k]![target]! / s : 0;
  }
}

/**
 * {@link momentPass} in the log domain: per state the log of its weight and the means of the
 * energy and of the colour-0 count over its histories, so that no state is lost to underflow.
 */
function momentPassLog(p: PottsParameters, ctx: SiteContext, first: number): MomentPass {
  const { q, ly, states, digits, powers } = ctx;
  const { beta, coupling: J, field: h } = p;
  const n = p.lx * ly;
  const localEnergy = (equal: number, c: number) => -J * equal - (c === 0 ? h : 0);
  let logW = new Float64Array(states).fill(Number.NEGATIVE_INFINITY);
  let meanE = new Float64Array(states);
  let meanZ0 = new Float64Array(states);
  logW[0] = 0;
  for (let site = 0; site < n; site++) {
    const ix = Math.floor(site / ly);
    const iy = site - ix * ly;
    const power = powers[iy] as number;
    const next = new LogAccumulator(states, 2);
    for (let a = 0; a < states; a++) {
      const la = logW[a] as number;
      if (la === Number.NEGATIVE_INFINITY) continue;
      const old = digits[a * ly + iy] as number;
      for (let c = 0; c < q; c++) {
        if (first >= 0 && ix === 0 && digits[first * ly + iy] !== c) continue;
        const energy = localEnergy(equalNeighbours(ctx, a, ix, iy, c), c);
        next.add(
          a + (c - old) * power,
          la - beta * energy,
          (meanE[a] as number) + energy,
          (meanZ0[a] as number) + (c === 0 ? 1 : 0),
        );
      }
    }
    logW = Float64Array.from({ length: states }, (_, b) => next.log(b));
    meanE = Float64Array.from({ length: states }, (_, b) => next.mean(b, 0));
    meanZ0 = Float64Array.from({ length: states }, (_, b) => next.mean(b, 1));
  }
  const total = new LogAccumulator(1, 2);
  for (let a = 0; a < states; a++) {
    const la = logW[a] as number;
    if (la === Number.NEGATIVE_INFINITY) continue;
    const closing = closingEnergy(ctx, p, a, first);
    total.add(0, la - beta * closing, (meanE[a] as number) + closing, meanZ0[a] as number);
  }
  const logZ = total.log(0);
  if (logZ === Number.NEGATIVE_INFINITY) {
    return { z: 0, energyWeight: 0, colourZeroWeight: 0, logScale: 0 };
  }
  return {
    z: 1,
    energyWeight: total.mean(0, 0),
    colourZeroWeight: total.mean(0, 1),
    logScale: logZ,
  };
}

/** {@link countPass} in the log domain (see {@link momentPassLog}). */
function countPassLog(
  p: PottsParameters,
  ctx: SiteContext,
  ranks: CountRanks,
  size: number,
  first: number,
): { distribution: Float64Array; logScale: number } {
  const { q, ly, states, digits, powers } = ctx;
  const { beta, coupling: J, field: h } = p;
  const n = p.lx * ly;
  const { increments } = ranks;
  let logW = new Float64Array(states * size).fill(Number.NEGATIVE_INFINITY);
  logW[0] = 0;
  for (let site = 0; site < n; site++) {
    const ix = Math.floor(site / ly);
    const iy = site - ix * ly;
    const ranksBefore = binomial(site + q - 1, q - 1);
    const power = powers[iy] as number;
    const next = new LogAccumulator(states * size, 0);
    for (let a = 0; a < states; a++) {
      const from = a * size;
      const old = digits[a * ly + iy] as number;
      for (let c = 0; c < q; c++) {
        if (first >= 0 && ix === 0 && digits[first * ly + iy] !== c) continue;
        const equal = equalNeighbours(ctx, a, ix, iy, c);
        const logFactor = -beta * (-J * equal - (c === 0 ? h : 0));
        const to = (a + (c - old) * power) * size;
        for (let r = 0; r < ranksBefore; r++) {
          const v = logW[from + r] as number;
          if (v === Number.NEGATIVE_INFINITY) continue;
          next.add(to + r + (increments[r * q + c] as number), v + logFactor);
        }
      }
    }
    logW = Float64Array.from({ length: states * size }, (_, k) => next.log(k));
  }
  const byCount = new LogAccumulator(size, 0);
  for (let a = 0; a < states; a++) {
    const closing = -beta * closingEnergy(ctx, p, a, first);
    for (let r = 0; r < size; r++) {
      const v = logW[a * size + r] as number;
      if (v !== Number.NEGATIVE_INFINITY) byCount.add(r, v + closing);
    }
  }
  let top = Number.NEGATIVE_INFINITY;
  for (let r = 0; r < size; r++) top = Math.max(top, byCount.log(r));
  const distribution = new Float64Array(size);
  if (top === Number.NEGATIVE_INFINITY) return { distribution, logScale: 0 };
  for (let r = 0; r < size; r++) distribution[r] = Math.exp(byCount.log(r) - top);
  return { distribution, logScale: top };
}

/** Adds `values` scaled by exp(logScale) into `total` (kept at a common scale). */
class ScaledSum {
  logScale = Number.NEGATIVE_INFINITY;
  readonly values: Float64Array;

  constructor(size: number) {
    this.values = new Float64Array(size);
  }

  add(values: ArrayLike<number>, logScale: number): void {
    if (logScale > this.logScale) {
      const shrink = Math.exp(this.logScale - logScale);
      for (let k = 0; k < this.values.length; k++) this.values[k]! *= shrink;
      this.logScale = logScale;
    }
    const factor = Math.exp(logScale - this.logScale);
    for (let k = 0; k < this.values.length; k++) this.values[k]! += factor * (values[k] as number);
  }
}

/**
 * Exact ln Z, energy per site and density of colour 0 of the q-state Potts model on an lx x ly
 * cylinder, torus or open lattice. q^Ly <= 4096 (torus: 256), and at most 2^28 operations;
 * otherwise an InvalidArgumentError names `ly` or `lx` and the limit.
 */
export function pottsTransferMatrix(parameters: Partial<PottsParameters>): PottsExactResult {
  const fn = 'pottsTransferMatrix';
  const p = resolvePottsParameters(fn, parameters);
  checkTransferSize(fn, p);
  const ctx = context(p);
  const n = p.lx * p.ly;
  const total = new ScaledSum(3);
  const passes = p.boundary === 'torus' ? ctx.states : 1;
  for (let first = 0; first < passes; first++) {
    const pass = (logDomain(p) ? momentPassLog : momentPass)(
      p,
      ctx,
      p.boundary === 'torus' ? first : -1,
    );
    total.add([pass.z, pass.energyWeight, pass.colourZeroWeight], pass.logScale);
  }
  const [z, energyWeight, colourZeroWeight] = total.values as unknown as [number, number, number];
  return {
    logPartitionFunction: Math.log(z) + total.logScale,
    energyPerSite: energyWeight / z / n,
    colourZeroDensity: colourZeroWeight / z / n,
  };
}

/** Count vectors by colex rank: counts of each rank and the rank increments of adding a colour. */
interface CountRanks {
  /** (n_0, ..., n_{q-2}) of rank r at counts[r*(q-1) ..]; n_{q-1} = t - sum. */
  readonly partial: Int32Array;
  /** inc[r*q + c]: rank after adding colour c minus r. */
  readonly increments: Int32Array;
}

function countRanks(q: number, size: number): CountRanks {
  const bars = q - 1;
  const partial = new Int32Array(size * bars);
  const increments = new Int32Array(size * q);
  const b = new Int32Array(bars);
  for (let r = 0; r < size; r++) {
    // unrank in colex order: b_j is the largest value with C(b_j, j+1) <= rest
    let rest = r;
    for (let j = bars - 1; j >= 0; j--) {
      let v = j;
      while (binomial(v + 1, j + 1) <= rest) v++;
      b[j] = v;
      rest -= binomial(v, j + 1);
    }
    for (let j = 0; j < bars; j++) {
      partial[r * bars + j] =
        j === 0 ? (b[0] as number) : (b[j] as number) - (b[j - 1] as number) - 1;
    }
    for (let c = 0; c < q; c++) {
      let inc = 0;
      for (let j = c; j < bars; j++) inc += binomial(b[j] as number, j);
      increments[r * q + c] = inc;
    }
  }
  return { partial, increments };
}

function countPass(
  p: PottsParameters,
  ctx: SiteContext,
  ranks: CountRanks,
  size: number,
  first: number,
): { distribution: Float64Array; logScale: number } {
  const { q, ly, states, digits, powers } = ctx;
  const { beta, coupling: J, field: h } = p;
  const n = p.lx * ly;
  const { increments } = ranks;
  let w = new Float64Array(states * size);
  let wNext = new Float64Array(states * size);
  w[0] = 1;
  let logScale = 0;
  for (let site = 0; site < n; site++) {
    const ix = Math.floor(site / ly);
    const iy = site - ix * ly;
    const ranksBefore = binomial(site + q - 1, q - 1);
    const ranksAfter = binomial(site + q, q - 1);
    const power = powers[iy] as number;
    for (let b = 0; b < states; b++) wNext.fill(0, b * size, b * size + ranksAfter);
    for (let a = 0; a < states; a++) {
      const from = a * size;
      const old = digits[a * ly + iy] as number;
      for (let c = 0; c < q; c++) {
        if (first >= 0 && ix === 0 && digits[first * ly + iy] !== c) continue;
        const equal = equalNeighbours(ctx, a, ix, iy, c);
        const weight = Math.exp(-beta * (-J * equal - (c === 0 ? h : 0)));
        const to = (a + (c - old) * power) * size;
        for (let r = 0; r < ranksBefore; r++) {
          const v = w[from + r] as number;
          if (v !== 0) wNext[to + r + (increments[r * q + c] as number)]! += weight * v;
        }
      }
    }
    let max = 0;
    for (let b = 0; b < states; b++) {
      for (let r = b * size; r < b * size + ranksAfter; r++) {
        if ((wNext[r] as number) > max) max = wNext[r] as number;
      }
    }
    for (let b = 0; b < states; b++) {
      for (let r = b * size; r < b * size + ranksAfter; r++) wNext[r]! /= max;
    }
    logScale += Math.log(max);
    [w, wNext] = [wNext, w];
  }
  const distribution = new Float64Array(size);
  for (let a = 0; a < states; a++) {
    const factor = Math.exp(-beta * closingEnergy(ctx, p, a, first));
    for (let r = 0; r < size; r++) distribution[r]! += factor * (w[a * size + r] as number);
  }
  return { distribution, logScale };
}

/**
 * The exact distribution of the colour counts (n_0, ..., n_{q-1}) and the moments of the order
 * parameter m = (q max_k n_k / N - 1) / (q - 1). Limits: those of {@link pottsTransferMatrix} and
 * q^Ly * C(N+q-1, q-1) <= 2^22 table entries, at most 2^28 operations (error on `lx`).
 */
export function pottsCountDistribution(
  parameters: Partial<PottsParameters>,
): PottsCountDistribution {
  const fn = 'pottsCountDistribution';
  const p = resolvePottsParameters(fn, parameters);
  checkCountSize(fn, p);
  const { q } = p;
  const n = p.lx * p.ly;
  const ctx = context(p);
  const size = binomial(n + q - 1, q - 1);
  const ranks = countRanks(q, size);
  const total = new ScaledSum(size);
  const passes = p.boundary === 'torus' ? ctx.states : 1;
  for (let first = 0; first < passes; first++) {
    const pass = (logDomain(p) ? countPassLog : countPass)(
      p,
      ctx,
      ranks,
      size,
      p.boundary === 'torus' ? first : -1,
    );
    total.add(pass.distribution, pass.logScale);
  }
  let z = 0;
  for (const v of total.values) z += v;
  const counts = new Int32Array(size * q);
  const probabilities = new Float64Array(size);
  let m1 = 0;
  let m2 = 0;
  let m4 = 0;
  let colourZero = 0;
  for (let r = 0; r < size; r++) {
    let rest = n;
    let max = 0;
    for (let c = 0; c < q; c++) {
      const count = c < q - 1 ? (ranks.partial[r * (q - 1) + c] as number) : rest;
      rest -= count;
      counts[r * q + c] = count;
      if (count > max) max = count;
    }
    const pr = (total.values[r] as number) / z;
    probabilities[r] = pr;
    const m = (q * (max / n) - 1) / (q - 1);
    m1 += pr * m;
    m2 += pr * m * m;
    m4 += pr * m * m * m * m;
    colourZero += (pr * (counts[r * q] as number)) / n;
  }
  return {
    logPartitionFunction: Math.log(z) + total.logScale,
    size,
    counts,
    probabilities,
    orderParameter: m1,
    orderParameterSquared: m2,
    orderParameterFourth: m4,
    colourZeroDensity: colourZero,
  };
}
