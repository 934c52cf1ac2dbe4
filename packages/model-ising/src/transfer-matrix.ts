/**
 * Exact Ising references by a site-by-site column transfer matrix.
 *
 * Sites are added in the column order (site = ix * Ly + iy). The state holds the Ly most recently
 * added spins (bit iy = spin of the latest site in row iy), so each new spin sees its left and lower
 * neighbours (and, at the top of a periodic column, the bottom one) in the state. Along with the
 * state the number of up spins u is tracked, which gives the whole magnetisation distribution
 * P(M), M = 2u - N. A torus additionally fixes the first column and closes the x bonds at the end
 * (one pass per first-column state). All weights are rescaled per site with their log scale kept
 * in float64.
 *
 * Cost: O(2^Ly * N^2) time (times 2^Ly for a torus) and 2 * 2^Ly * (N + 1) float64 entries.
 */
import { invalidArgument, resolveParameters } from '@latticediff/lattice';
import { type IsingParameters, isingParameterSchema } from './parameters';

/** Largest Ly of the transfer matrix on a cylinder or an open lattice. */
export const MAX_TRANSFER_LY = 14;
/** Largest Ly of the transfer matrix on a torus (one pass per first-column state). */
export const MAX_TRANSFER_LY_TORUS = 7;
/** Largest number of float64 entries of one weight table, 2^Ly * (N + 1) (2^24, 128 MiB). */
export const MAX_TRANSFER_ENTRIES = 2 ** 24;
/**
 * Largest work passes * 2^Ly * (N + 1)^2 (2^34: about two minutes on one core), so that a large Lx
 * at small Ly is refused instead of running for hours.
 */
export const MAX_TRANSFER_WORK = 2 ** 34;
/** The same limit at very large beta, where the pass keeps log-weights (about 40 times slower). */
export const MAX_TRANSFER_WORK_LOG = 2 ** 26;

/** Exact results of {@link isingTransferMatrix}. */
export interface IsingExactResult {
  /** ln Z, Z = sum_x exp(-beta E(x)). */
  readonly logPartitionFunction: number;
  /** <E> / N. */
  readonly energyPerSite: number;
  /** <M> / N. */
  readonly magnetization: number;
  /** <|M|> / N. */
  readonly absMagnetization: number;
  /** <M^2> / N^2. */
  readonly magnetizationSquared: number;
  /** <M^4> / N^4. */
  readonly magnetizationFourth: number;
  /** U = 1 - <m^4> / (3 <m^2>^2). */
  readonly binderCumulant: number;
  /** P(M = 2u - N) for u = 0..N up spins (N + 1 entries, sums to 1). */
  readonly magnetizationDistribution: Float64Array;
}

/** Refuses sizes beyond the limits of the transfer matrix, naming the parameter and the limit. */
export function checkTransferSize(functionName: string, p: IsingParameters): void {
  const torus = p.boundary === 'torus';
  const maxLy = torus ? MAX_TRANSFER_LY_TORUS : MAX_TRANSFER_LY;
  if (p.ly > maxLy) {
    invalidArgument(
      functionName,
      'ly',
      p.ly,
      `an integer <= ${maxLy} for boundary "${p.boundary}" (the transfer matrix has ${torus ? '4^ly' : '2^ly'} states)`,
    );
  }
  const maxSites = Math.floor(MAX_TRANSFER_ENTRIES / 2 ** p.ly) - 1;
  const maxLx = Math.floor(maxSites / p.ly);
  const passes = torus ? 2 ** p.ly : 1;
  const logWeights = needsLogWeights(p);
  const maxWork = logWeights ? MAX_TRANSFER_WORK_LOG : MAX_TRANSFER_WORK;
  const workSites = Math.floor(Math.sqrt(maxWork / (passes * 2 ** p.ly))) - 1;
  const workLx = Math.floor(workSites / p.ly);
  // the smaller of the two limits is named first (at ly = 8 the entries' limit, 8191, was named,
  // and lx = 8191 was then refused by the work's, 1023)
  if (p.lx > maxLx && maxLx < workLx) {
    invalidArgument(
      functionName,
      'lx',
      p.lx,
      `an integer <= ${maxLx} for ly = ${p.ly} (2^ly * (N + 1) <= ${MAX_TRANSFER_ENTRIES} float64 entries)`,
    );
  }
  if (p.lx > workLx) {
    invalidArgument(
      functionName,
      'lx',
      p.lx,
      `an integer <= ${workLx} for ly = ${p.ly} and boundary "${p.boundary}"${logWeights ? ` at beta = ${p.beta} (log-weights)` : ''} (the work ${torus ? '4^ly' : '2^ly'} * (N + 1)^2 must stay <= ${maxWork})`,
    );
  }
  const bondsPerSite = 4;
  const largestEnergy = p.beta * (bondsPerSite * Math.abs(p.coupling) + Math.abs(p.field));
  if (!Number.isFinite(largestEnergy * p.lx * p.ly)) {
    invalidArgument(
      functionName,
      'beta',
      p.beta,
      `small enough that N * beta * (4 |J| + |h|) is a finite float64 (J = ${p.coupling}, h = ${p.field}, N = ${p.lx * p.ly}); ln Z overflows beyond`,
    );
  }
}

interface PassResult {
  /** Weights by number of up spins, scaled by exp(logScale). */
  readonly distribution: Float64Array;
  /** Sum over configurations of weight * energy, same scale. */
  readonly energyWeight: number;
  readonly logScale: number;
}

/** log(e^a + e^b) without overflow (either may be -Infinity). */
function logAddExp(a: number, b: number): number {
  if (a === Number.NEGATIVE_INFINITY) return b;
  if (b === Number.NEGATIVE_INFINITY) return a;
  return a > b ? a + Math.log1p(Math.exp(b - a)) : b + Math.log1p(Math.exp(a - b));
}

/**
 * Whether {@link transferPass} must keep its weights as logarithms. A partial configuration's
 * weight relative to the largest one can only be recovered by the remaining sites up to a factor
 * exp(beta (4 |J| (Ly + 1) + 2 |h|)); while that stays far below 1e308, the rescaled float64
 * weights lose nothing that matters. Beyond (very large beta) a weight that underflows to 0 could
 * belong to a ground state, so the pass works with logarithms.
 */
function needsLogWeights(p: IsingParameters): boolean {
  return p.beta * (4 * Math.abs(p.coupling) * (p.ly + 1) + 2 * Math.abs(p.field)) > 600;
}

/**
 * {@link transferPass} with log-weights (for very large beta). Tracks log w(state, u) and, per
 * state, the conditional mean energy of the sites added so far.
 */
function transferPassLog(p: IsingParameters, firstColumn: number): PassResult {
  const { lx, ly, beta, coupling: J, field: h } = p;
  const n = lx * ly;
  const states = 1 << ly;
  const periodicY = p.boundary !== 'open' && ly >= 2;
  const minusInf = Number.NEGATIVE_INFINITY;
  let w = new Float64Array(states * (n + 1)).fill(minusInf);
  let wNext = new Float64Array(states * (n + 1)).fill(minusInf);
  let mean = new Float64Array(states); // conditional mean energy given the state
  let meanNext = new Float64Array(states);
  let logTotal = new Float64Array(states).fill(minusInf);
  let logTotalNext = new Float64Array(states).fill(minusInf);
  w[0] = 0;
  logTotal[0] = 0;
  for (let site = 0; site < n; site++) {
    const ix = Math.floor(site / ly);
    const iy = site - ix * ly;
    const uMax = site;
    wNext.fill(minusInf);
    meanNext.fill(0);
    logTotalNext.fill(minusInf);
    for (let a = 0; a < states; a++) {
      const lt = logTotal[a] as number;
      if (lt === minusInf) continue;
      for (let bit = 0; bit < 2; bit++) {
        if (firstColumn >= 0 && ix === 0 && ((firstColumn >> iy) & 1) !== bit) continue;
        const s = 2 * bit - 1;
        let neighbours = 0;
        if (ix >= 1) neighbours += 2 * ((a >> iy) & 1) - 1;
        if (iy >= 1) neighbours += 2 * ((a >> (iy - 1)) & 1) - 1;
        if (periodicY && iy === ly - 1) neighbours += 2 * (a & 1) - 1;
        const energy = -J * s * neighbours - h * s;
        const logWeight = -beta * energy;
        const b = (a & ~(1 << iy)) | (bit << iy);
        const from = a * (n + 1);
        const to = b * (n + 1) + bit;
        for (let u = 0; u <= uMax; u++) {
          const v = w[from + u] as number;
          if (v !== minusInf) wNext[to + u] = logAddExp(wNext[to + u] as number, logWeight + v);
        }
        // running weighted mean of (mean energy so far + this site's energy)
        const term = logWeight + lt;
        const previous = logTotalNext[b] as number;
        const combined = logAddExp(previous, term);
        const share = Math.exp(term - combined);
        meanNext[b] =
          (1 - share) * (meanNext[b] as number) + share * ((mean[a] as number) + energy);
        logTotalNext[b] = combined;
      }
    }
    [w, wNext] = [wNext, w];
    [mean, meanNext] = [meanNext, mean];
    [logTotal, logTotalNext] = [logTotalNext, logTotal];
  }
  // close the torus bonds, then rescale to the float64 result of a pass
  const logDistribution = new Float64Array(n + 1).fill(minusInf);
  let logAll = minusInf;
  let energyMean = 0;
  for (let a = 0; a < states; a++) {
    if ((logTotal[a] as number) === minusInf) continue;
    let closing = 0;
    if (firstColumn >= 0 && lx >= 2) {
      let neighbours = 0;
      for (let iy = 0; iy < ly; iy++) {
        neighbours += (2 * ((a >> iy) & 1) - 1) * (2 * ((firstColumn >> iy) & 1) - 1);
      }
      closing = -J * neighbours;
    }
    const logFactor = -beta * closing;
    for (let u = 0; u <= n; u++) {
      const v = w[a * (n + 1) + u] as number;
      if (v !== minusInf)
        logDistribution[u] = logAddExp(logDistribution[u] as number, logFactor + v);
    }
    const term = logFactor + (logTotal[a] as number);
    const combined = logAddExp(logAll, term);
    const share = Math.exp(term - combined);
    energyMean = (1 - share) * energyMean + share * ((mean[a] as number) + closing);
    logAll = combined;
  }
  let logScale = minusInf;
  for (const v of logDistribution) logScale = Math.max(logScale, v);
  const distribution = new Float64Array(n + 1);
  let sum = 0;
  for (let u = 0; u <= n; u++) {
    distribution[u] = Math.exp((logDistribution[u] as number) - logScale);
    sum += distribution[u] as number;
  }
  return { distribution, energyWeight: energyMean * sum, logScale };
}

/**
 * One transfer pass over all sites. With `firstColumn` >= 0 the spins of column 0 are fixed to
 * its bits and the periodic x bonds are closed at the end.
 */
function transferPass(p: IsingParameters, firstColumn: number): PassResult {
  const { lx, ly, beta, coupling: J, field: h } = p;
  const n = lx * ly;
  const states = 1 << ly;
  const periodicY = p.boundary !== 'open' && ly >= 2;
  let w = new Float64Array(states * (n + 1));
  let e = new Float64Array(states); // sum of weight * energy, summed over u
  let wNext = new Float64Array(states * (n + 1));
  let eNext = new Float64Array(states);
  const totals = new Float64Array(states);
  w[0] = 1; // before any site: state 0 (bits unused), u = 0
  let logScale = 0;
  for (let site = 0; site < n; site++) {
    const ix = Math.floor(site / ly);
    const iy = site - ix * ly;
    const uMax = site; // u ranges over 0..site before this site
    wNext.fill(0, 0, states * (n + 1));
    eNext.fill(0);
    for (let a = 0; a < states; a++) {
      let total = 0;
      const row = a * (n + 1);
      for (let u = 0; u <= uMax; u++) total += w[row + u] as number;
      totals[a] = total;
    }
    const energyOf = (a: number, bit: number): number => {
      const s = 2 * bit - 1;
      let neighbours = 0;
      if (ix >= 1) neighbours += 2 * ((a >> iy) & 1) - 1;
      if (iy >= 1) neighbours += 2 * ((a >> (iy - 1)) & 1) - 1;
      if (periodicY && iy === ly - 1) neighbours += 2 * (a & 1) - 1;
      return -J * s * neighbours - h * s;
    };
    // weights exp(-beta energy - shift) with the shift chosen so that the largest product
    // weight * w is 1: no overflow at large beta and no underflow of every entry at once
    let shift = Number.NEGATIVE_INFINITY;
    for (let a = 0; a < states; a++) {
      const total = totals[a] as number;
      if (total === 0) continue;
      for (let bit = 0; bit < 2; bit++) {
        if (firstColumn >= 0 && ix === 0 && ((firstColumn >> iy) & 1) !== bit) continue;
        shift = Math.max(shift, -beta * energyOf(a, bit) + Math.log(total));
      }
    }
    for (let a = 0; a < states; a++) {
      const total = totals[a] as number;
      if (total === 0) continue;
      for (let bit = 0; bit < 2; bit++) {
        if (firstColumn >= 0 && ix === 0 && ((firstColumn >> iy) & 1) !== bit) continue;
        const energy = energyOf(a, bit);
        const weight = Math.exp(-beta * energy - shift);
        const b = (a & ~(1 << iy)) | (bit << iy);
        const from = a * (n + 1);
        const to = b * (n + 1) + bit;
        for (let u = 0; u <= uMax; u++) wNext[to + u]! += weight * (w[from + u] as number);
        eNext[b]! += weight * ((e[a] as number) + energy * total);
      }
    }
    let max = 0;
    for (let b = 0; b < states; b++) {
      const row = b * (n + 1);
      for (let u = 0; u <= uMax + 1; u++)
        if ((wNext[row + u] as number) > max) max = wNext[row + u] as number;
    }
    for (let b = 0; b < states; b++) {
      const row = b * (n + 1);
      for (let u = 0; u <= uMax + 1; u++) wNext[row + u]! /= max;
    }
    for (let b = 0; b < states; b++) eNext[b]! /= max;
    logScale += shift + Math.log(max);
    [w, wNext] = [wNext, w];
    [e, eNext] = [eNext, e];
  }
  const distribution = new Float64Array(n + 1);
  let energyWeight = 0;
  // closing bonds of a torus, with a shift as above so that the largest term is 1
  const closingOf = (a: number): number => {
    if (firstColumn < 0 || lx < 2) return 0;
    let neighbours = 0;
    for (let iy = 0; iy < ly; iy++) {
      neighbours += (2 * ((a >> iy) & 1) - 1) * (2 * ((firstColumn >> iy) & 1) - 1);
    }
    return -J * neighbours;
  };
  let closingShift = Number.NEGATIVE_INFINITY;
  for (let a = 0; a < states; a++) {
    let total = 0;
    for (let u = 0; u <= n; u++) total += w[a * (n + 1) + u] as number;
    if (total > 0) closingShift = Math.max(closingShift, -beta * closingOf(a) + Math.log(total));
  }
  logScale += closingShift;
  for (let a = 0; a < states; a++) {
    const closing = closingOf(a);
    const factor = Math.exp(-beta * closing - closingShift);
    let total = 0;
    for (let u = 0; u <= n; u++) {
      const v = factor * (w[a * (n + 1) + u] as number);
      distribution[u]! += v;
      total += w[a * (n + 1) + u] as number;
    }
    energyWeight += factor * ((e[a] as number) + closing * total);
  }
  return { distribution, energyWeight, logScale };
}

/**
 * Exact ln Z, energy per site and magnetisation moments (with the full distribution of M) of the
 * Ising model on an lx x ly cylinder, torus or open lattice. Ly <= 14 (torus: 7), and
 * 2^Ly * (N + 1) <= 2^24; otherwise an InvalidArgumentError names `ly` or `lx` and the limit.
 */
export function isingTransferMatrix(parameters: Partial<IsingParameters>): IsingExactResult {
  const p = resolveParameters<IsingParameters>(
    'isingTransferMatrix',
    isingParameterSchema,
    parameters,
  );
  checkTransferSize('isingTransferMatrix', p);
  const n = p.lx * p.ly;
  const distribution = new Float64Array(n + 1);
  let energyWeight = 0;
  let logScale = Number.NEGATIVE_INFINITY;
  const passes = p.boundary === 'torus' ? 1 << p.ly : 1;
  const logWeights = needsLogWeights(p);
  for (let column = 0; column < passes; column++) {
    const first = p.boundary === 'torus' ? column : -1;
    const pass = logWeights ? transferPassLog(p, first) : transferPass(p, first);
    // accumulate with a common scale
    if (pass.logScale > logScale) {
      const shrink = Math.exp(logScale - pass.logScale);
      for (let u = 0; u <= n; u++) distribution[u]! *= shrink;
      energyWeight *= shrink;
      logScale = pass.logScale;
    }
    const factor = Math.exp(pass.logScale - logScale);
    for (let u = 0; u <= n; u++) distribution[u]! += factor * (pass.distribution[u] as number);
    energyWeight += factor * pass.energyWeight;
  }
  let z = 0;
  for (const v of distribution) z += v;
  let m1 = 0;
  let mAbs = 0;
  let m2 = 0;
  let m4 = 0;
  for (let u = 0; u <= n; u++) {
    const pu = (distribution[u] as number) / z;
    distribution[u] = pu;
    const m = (2 * u - n) / n;
    m1 += pu * m;
    mAbs += pu * Math.abs(m);
    m2 += pu * m * m;
    m4 += pu * m * m * m * m;
  }
  return {
    logPartitionFunction: Math.log(z) + logScale,
    energyPerSite: energyWeight / z / n,
    magnetization: m1,
    absMagnetization: mAbs,
    magnetizationSquared: m2,
    magnetizationFourth: m4,
    binderCumulant: 1 - m4 / (3 * m2 * m2),
    magnetizationDistribution: distribution,
  };
}
