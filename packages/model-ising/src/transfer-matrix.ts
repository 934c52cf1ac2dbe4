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
  if (p.lx > maxLx) {
    invalidArgument(
      functionName,
      'lx',
      p.lx,
      `an integer <= ${maxLx} for ly = ${p.ly} (2^ly * (N + 1) <= ${MAX_TRANSFER_ENTRIES} float64 entries)`,
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
    for (let a = 0; a < states; a++) {
      const total = totals[a] as number;
      if (total === 0) continue;
      for (let bit = 0; bit < 2; bit++) {
        if (firstColumn >= 0 && ix === 0 && ((firstColumn >> iy) & 1) !== bit) continue;
        const s = 2 * bit - 1;
        let neighbours = 0;
        if (ix >= 1) neighbours += 2 * ((a >> iy) & 1) - 1;
        if (iy >= 1) neighbours += 2 * ((a >> (iy - 1)) & 1) - 1;
        if (periodicY && iy === ly - 1) neighbours += 2 * (a & 1) - 1;
        const energy = -J * s * neighbours - h * s;
        const weight = Math.exp(-beta * energy);
        const b = (a & ~(1 << iy)) | (bit << iy);
        const from = a * (n + 1);
        const to = b * (n + 1) + bit;
        for (let u = 0; u <= uMax; u++) wNext[to + u]! += weight * (w[from + u] as number);
        eNext[b]! += weight * ((e[a] as number) + energy * total);
      }
    }
    let max = 0;
    for (let k = 0; k < states * (n + 1); k++)
      if ((wNext[k] as number) > max) max = wNext[k] as number;
    for (let k = 0; k < states * (n + 1); k++) wNext[k]! /= max;
    for (let b = 0; b < states; b++) eNext[b]! /= max;
    logScale += Math.log(max);
    [w, wNext] = [wNext, w];
    [e, eNext] = [eNext, e];
  }
  const distribution = new Float64Array(n + 1);
  let energyWeight = 0;
  for (let a = 0; a < states; a++) {
    let factor = 1;
    let closing = 0;
    if (firstColumn >= 0 && lx >= 2) {
      let neighbours = 0;
      for (let iy = 0; iy < ly; iy++) {
        neighbours += (2 * ((a >> iy) & 1) - 1) * (2 * ((firstColumn >> iy) & 1) - 1);
      }
      closing = -J * neighbours;
      factor = Math.exp(-beta * closing);
    }
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
  for (let column = 0; column < passes; column++) {
    const pass = transferPass(p, p.boundary === 'torus' ? column : -1);
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
