/**
 * The exact MPS of the Potts Boltzmann distribution in the column order.
 *
 * Bond k (between sites k-1 and k) carries the colours of the "active" earlier sites, those with a
 * bond to site k or later: the last Ly sites on a cylinder or open lattice (chi = q^Ly), plus the
 * first column on a torus (chi up to q^(2 Ly)). Site k's tensor maps (active colours, x_k) to the
 * next active set with the weight exp(-beta e_k), e_k = -J sum_{i<k, i~k} delta(x_i, x_k)
 * - h delta(x_k, 0), rescaled per site by exp(-beta (max(J, 0) bonds_k + max(h, 0))), the largest
 * weight at that site, so that the entries span exp(-beta (|J| bonds_k + |h|)) .. 1 for either
 * sign of J and h.
 */
import { assertLogWeightRange, invalidArgument, squareLattice } from '@latticediff/lattice';
import { MPS } from '@latticediff/tensor-network';
import { type PottsParameters, resolvePottsParameters } from './parameters';

/** Largest bond dimension q^(active sites) of the exact MPS. */
export const MAX_MPS_BOND_DIMENSION = 1024;
/** Largest number of stored float64 entries of the exact MPS (2^25, 256 MiB). */
export const MAX_MPS_ENTRIES = 2 ** 25;

/** Result of {@link pottsExactMPS}. */
export interface PottsExactMPS {
  /** Linear MPS over the colours x in the column order. */
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

function plan(p: PottsParameters): Plan {
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

function mpsSize(p: PottsParameters): { entries: number; maxActive: number } {
  const { active } = plan(p);
  let entries = 0;
  let maxActive = 0;
  for (let k = 0; k < active.length - 1; k++) {
    const left = (active[k] as number[]).length;
    const right = (active[k + 1] as number[]).length;
    maxActive = Math.max(maxActive, left, right);
    entries += p.q ** left * p.q * p.q ** right;
  }
  return { entries, maxActive };
}

/**
 * The exact linear MPS of exp(-beta E(x)) with bond dimension q^Ly (up to q^(2 Ly) on a torus).
 * Refuses bond dimensions above 1024 (error on `ly`), more than 2^25 stored entries (error on
 * `lx`) and a beta at which a site tensor's entries would span more than e^700 (error on `beta`:
 * they would underflow to 0 and configurations would silently lose their weight).
 */
export function pottsExactMPS(parameters: Partial<PottsParameters>): PottsExactMPS {
  const fn = 'pottsExactMPS';
  const p = resolvePottsParameters(fn, parameters);
  const { q } = p;
  const { entries, maxActive } = mpsSize(p);
  if (q ** maxActive > MAX_MPS_BOND_DIMENSION) {
    // the largest Ly that fits at this Lx (a torus of Lx >= 3 carries two columns on a bond,
    // one of Lx <= 2 only one)
    let maxLy = p.ly - 1;
    while (maxLy > 1 && q ** mpsSize({ ...p, ly: maxLy }).maxActive > MAX_MPS_BOND_DIMENSION)
      maxLy--;
    const twoColumns = p.boundary === 'torus' && p.lx >= 3;
    invalidArgument(
      fn,
      'ly',
      p.ly,
      `an integer <= ${maxLy} for q = ${q}, lx = ${p.lx} and boundary "${p.boundary}" (bond dimension q^${twoColumns ? '(2 ly)' : 'ly'} at most ${MAX_MPS_BOND_DIMENSION})`,
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
    invalidArgument(
      fn,
      'lx',
      p.lx,
      `an integer <= ${low} for q = ${q}, ly = ${p.ly} (a dense exact MPS of at most ${MAX_MPS_ENTRIES} entries)`,
    );
  }
  const { active, earlier } = plan(p);
  const { beta, coupling: J, field: h } = p;
  // A site's entries span exp(-beta (|J| bonds_k + |h|)) .. 1 (see the shift below); beyond
  // exp(-700) the smallest underflow to 0 and configurations (frustrated ground states
  // included) silently lose their weight: refuse instead of returning a wrong MPS.
  let maxNeighbours = 0;
  for (const neighbours of earlier) maxNeighbours = Math.max(maxNeighbours, neighbours.length);
  const perBeta = Math.abs(J) * maxNeighbours + Math.abs(h);
  assertLogWeightRange(fn, beta, perBeta, J, h);
  const n = p.lx * p.ly;
  const tensors = [];
  let logWeightOffset = 0;
  for (let k = 0; k < n; k++) {
    const left = active[k] as number[];
    const right = active[k + 1] as number[];
    const neighbours = earlier[k] as number[];
    const leftDim = q ** left.length;
    const rightDim = q ** right.length;
    // position (base-q digit) of each neighbour and right-active site in the left set (-1: site k)
    const neighbourDigits = neighbours.map((i) => left.indexOf(i));
    const rightDigits = right.map((i) => (i === k ? -1 : left.indexOf(i)));
    // the largest -beta e_k at this site: all neighbours equal to x_k if J > 0, none if J < 0
    // (always reachable: the left colours range over every combination), and x_k = 0 if h > 0.
    // (|J| here put the largest entry at exp(-2 beta |J| bonds_k) for J < 0, where the smallest
    // underflowed and the MPS could be identically zero at large beta.)
    const shift = beta * (Math.max(J, 0) * neighbours.length + Math.max(h, 0));
    logWeightOffset += shift;
    const data = new Float64Array(leftDim * q * rightDim);
    const colours = new Int32Array(left.length);
    for (let a = 0; a < leftDim; a++) {
      let rest = a;
      for (let d = 0; d < left.length; d++) {
        colours[d] = rest % q;
        rest = Math.floor(rest / q);
      }
      for (let x = 0; x < q; x++) {
        let equal = 0;
        for (const d of neighbourDigits) if (colours[d] === x) equal++;
        const energy = -J * equal - (x === 0 ? h : 0);
        let b = 0;
        for (let position = right.length - 1; position >= 0; position--) {
          const d = rightDigits[position] as number;
          b = b * q + (d === -1 ? x : (colours[d] as number));
        }
        data[(a * q + x) * rightDim + b] = Math.exp(-beta * energy - shift);
      }
    }
    tensors.push({ shape: [leftDim, q, rightDim] as const, data });
  }
  return { mps: MPS.fromTensors(tensors, { kind: 'linear' }), logWeightOffset };
}
