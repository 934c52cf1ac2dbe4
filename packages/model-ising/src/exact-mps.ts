/**
 * The exact MPS of the Ising Boltzmann distribution in the column order.
 *
 * Bond k (between sites k-1 and k) carries the spins of the "active" earlier sites, those with a
 * bond to site k or later: the last Ly spins on a cylinder or open lattice (chi = 2^Ly), plus the
 * first column on a torus (chi up to 4^Ly). Site k's tensor maps (active spins, x_k) to the next
 * active set with the weight exp(-beta e_k), e_k = -J s_k sum_{i<k, i~k} s_i - h s_k, rescaled per
 * site by exp(-beta (|J| bonds_k + |h|)) so that every entry is at most 1.
 */
import {
  assertLogWeightRange,
  invalidArgument,
  resolveParameters,
  squareLattice,
} from '@latticediff/lattice';
import { MPS } from '@latticediff/tensor-network';
import { type IsingParameters, isingParameterSchema } from './parameters';

/** Largest number of active spins on a bond (chi <= 2^10 = 1024). */
export const MAX_MPS_ACTIVE_SPINS = 10;
/** Largest number of stored float64 entries of the exact MPS (2^25, 256 MiB). */
export const MAX_MPS_ENTRIES = 2 ** 25;

/** Result of {@link isingExactMPS}. */
export interface IsingExactMPS {
  /** Linear MPS over x (x_i = 1 for s_i = +1) in the column order. */
  readonly mps: MPS;
  /** ln exp(-beta E(x)) = ln MPS(x) + logWeightOffset. */
  readonly logWeightOffset: number;
}

interface Plan {
  /** Active sites at bond k (k = 0..N), ascending. */
  readonly active: number[][];
  /** Earlier neighbours of each site, with multiplicity. */
  readonly earlier: number[][];
}

function plan(p: IsingParameters): Plan {
  const g = squareLattice({ lx: p.lx, ly: p.ly, boundary: p.boundary });
  const n = g.sites;
  const earlier: number[][] = Array.from({ length: n }, () => []);
  const lastNeighbour = new Int32Array(n).fill(-1);
  for (let b = 0; b < g.bonds.length; b += 2) {
    const i = Math.min(g.bonds[b] as number, g.bonds[b + 1] as number);
    const j = Math.max(g.bonds[b] as number, g.bonds[b + 1] as number);
    earlier[j]?.push(i);
    if (j > (lastNeighbour[i] as number)) lastNeighbour[i] = j;
  }
  const active: number[][] = [];
  for (let k = 0; k <= n; k++) {
    const set: number[] = [];
    for (let i = 0; i < k; i++) if ((lastNeighbour[i] as number) >= k) set.push(i);
    active.push(set);
  }
  return { active, earlier };
}

/** Number of stored entries of the exact MPS (and the largest active set). */
function mpsSize(p: IsingParameters): { entries: number; maxActive: number } {
  const { active } = plan(p);
  let entries = 0;
  let maxActive = 0;
  for (let k = 0; k < active.length - 1; k++) {
    const left = (active[k] as number[]).length;
    const right = (active[k + 1] as number[]).length;
    maxActive = Math.max(maxActive, left, right);
    entries += 2 ** left * 2 * 2 ** right;
  }
  return { entries, maxActive };
}

/**
 * The exact linear MPS of exp(-beta E(x)) with bond dimension 2^Ly (4^Ly on a torus). Refuses
 * bonds with more than 10 active spins (error on `ly`: Ly <= 10, torus Ly <= 5 for Lx >= 3) and more than
 * 2^25 stored entries (error on `lx`).
 */
export function isingExactMPS(parameters: Partial<IsingParameters>): IsingExactMPS {
  const fn = 'isingExactMPS';
  const p = resolveParameters<IsingParameters>(fn, isingParameterSchema, parameters);
  const { entries, maxActive } = mpsSize(p);
  if (maxActive > MAX_MPS_ACTIVE_SPINS) {
    // the largest Ly that fits at this Lx (a torus of Lx >= 3 carries two columns on a bond,
    // one of Lx <= 2 only one)
    let limit = p.ly - 1;
    while (limit > 1 && mpsSize({ ...p, ly: limit }).maxActive > MAX_MPS_ACTIVE_SPINS) limit--;
    invalidArgument(
      fn,
      'ly',
      p.ly,
      `an integer <= ${limit} for lx = ${p.lx} and boundary "${p.boundary}" (bond dimension at most 2^${MAX_MPS_ACTIVE_SPINS})`,
    );
  }
  if (entries > MAX_MPS_ENTRIES) {
    // entries grow with lx: binary search for the largest lx that fits
    let low = 1;
    let high = p.lx;
    while (high - low > 1) {
      const middle = Math.floor((low + high) / 2);
      if (mpsSize({ ...p, lx: middle }).entries <= MAX_MPS_ENTRIES) low = middle;
      else high = middle;
    }
    const maxLx = low;
    invalidArgument(
      fn,
      'lx',
      p.lx,
      `an integer <= ${maxLx} for ly = ${p.ly} (a dense exact MPS of at most ${MAX_MPS_ENTRIES} entries)`,
    );
  }
  const { active, earlier } = plan(p);
  const { beta, coupling: J, field: h } = p;
  const n = p.lx * p.ly;
  // Entries of a site tensor range over exp(-2 beta (|J| bonds + |h|)) .. 1. Beyond exp(-700)
  // they underflow to 0, and configurations (frustrated ground states included) silently lose
  // their weight: refuse instead of returning a wrong MPS.
  let maxNeighbours = 0;
  for (const neighbours of earlier) maxNeighbours = Math.max(maxNeighbours, neighbours.length);
  const perBeta = 2 * (Math.abs(J) * maxNeighbours + Math.abs(h));
  assertLogWeightRange(fn, beta, perBeta, J, h);
  const tensors = [];
  let logWeightOffset = 0;
  for (let k = 0; k < n; k++) {
    const left = active[k] as number[];
    const right = active[k + 1] as number[];
    const neighbours = earlier[k] as number[];
    const leftDim = 2 ** left.length;
    const rightDim = 2 ** right.length;
    // position of each neighbour and of each right-active site in the left set (-1: site k itself)
    const neighbourBits = neighbours.map((i) => left.indexOf(i));
    const rightBits = right.map((i) => (i === k ? -1 : left.indexOf(i)));
    const shift = beta * (Math.abs(J) * neighbours.length + Math.abs(h));
    logWeightOffset += shift;
    const data = new Float64Array(leftDim * 2 * rightDim);
    for (let a = 0; a < leftDim; a++) {
      for (let x = 0; x < 2; x++) {
        const s = 2 * x - 1;
        let sum = 0;
        for (const bit of neighbourBits) sum += 2 * ((a >> bit) & 1) - 1;
        const energy = -J * s * sum - h * s;
        let b = 0;
        rightBits.forEach((bit, position) => {
          const value = bit === -1 ? x : (a >> bit) & 1;
          b |= value << position;
        });
        data[(a * 2 + x) * rightDim + b] = Math.exp(-beta * energy - shift);
      }
    }
    tensors.push({ shape: [leftDim, 2, rightDim] as const, data });
  }
  return { mps: MPS.fromTensors(tensors, { kind: 'linear' }), logWeightOffset };
}
