/**
 * Wolff cluster updates of the ferromagnetic Potts model (J > 0).
 *
 * Pick a site uniformly and a new colour uniformly among the q - 1 others; grow the cluster of
 * connected sites of the seed's colour, adding each bond to a same-colour neighbour with
 * p = 1 - exp(-beta J) (a doubled bond gets two chances); recolour the whole cluster with
 * probability min(1, exp(-beta dE_h)), dE_h = -h |C| (delta(new, 0) - delta(old, 0)), which is
 * always for h = 0. The bond part of dE is paid by the cluster construction (the classic
 * Fortuin-Kasteleyn argument), so the update satisfies detailed balance with respect to
 * exp(-beta E).
 */
import {
  type ClusterMoveResult,
  type Configuration,
  type Geometry,
  invalidArgument,
} from '@latticediff/lattice';
import type { RandomGenerator } from '@latticediff/tensor-network';
import { assertKnownOptions, optionKeys } from '@latticediff/tensor-network/internal';

/** Neighbour lists with multiplicity in CSR form: neighbours of i are `neighbours[offsets[i]..offsets[i+1])`. */
export interface NeighbourTable {
  readonly offsets: Int32Array;
  readonly neighbours: Int32Array;
}

/** Neighbour lists of a geometry's bonds (a doubled bond appears twice). */
export function neighbourTable(geometry: Geometry): NeighbourTable {
  const n = geometry.sites;
  const degree = new Int32Array(n);
  const bonds = geometry.bonds;
  for (const s of bonds) degree[s]!++;
  const offsets = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) offsets[i + 1] = (offsets[i] as number) + (degree[i] as number);
  const neighbours = new Int32Array(offsets[n] as number);
  const fill = offsets.slice(0, n);
  for (let b = 0; b < bonds.length; b += 2) {
    const i = bonds[b] as number;
    const j = bonds[b + 1] as number;
    neighbours[fill[i]!++] = j;
    neighbours[fill[j]!++] = i;
  }
  return { offsets, neighbours };
}

/** A Wolff update bound to one lattice and parameters. */
export type PottsWolffUpdate = (x: Configuration, random: RandomGenerator) => ClusterMoveResult;

/** Wolff updates for q colours at inverse temperature beta, coupling J > 0 and field h. */
export function createPottsWolffUpdate(
  geometry: Geometry,
  options: { q: number; coupling: number; field: number; beta: number },
): PottsWolffUpdate {
  const fn = 'createPottsWolffUpdate';
  if (typeof options !== 'object' || options === null) {
    invalidArgument(fn, 'options', options, 'an object { q, coupling, field, beta }');
  }
  assertKnownOptions(
    fn,
    options,
    optionKeys<{ q: number; coupling: number; field: number; beta: number }>()([
      'q',
      'coupling',
      'field',
      'beta',
    ]),
  );
  const { q, coupling: J, field: h, beta } = options;
  const n = geometry.sites;
  const { offsets, neighbours } = neighbourTable(geometry);
  const addProbability = 1 - Math.exp(-beta * J);
  const inCluster = new Uint8Array(n);
  const stack = new Int32Array(n);
  const members = new Int32Array(n);
  return (x, random) => {
    const seed = Math.min(n - 1, Math.floor(random.float64() * n));
    const old = x[seed] as number;
    // a uniformly chosen other colour
    let colour = Math.min(q - 2, Math.floor(random.float64() * (q - 1)));
    if (colour >= old) colour++;
    let size = 0;
    let top = 0;
    inCluster[seed] = 1;
    stack[top++] = seed;
    members[size++] = seed;
    let boundaryChange = 0; // (equal bonds lost) - (equal bonds gained) across the boundary
    while (top > 0) {
      const i = stack[--top] as number;
      for (let m = offsets[i] as number; m < (offsets[i + 1] as number); m++) {
        const j = neighbours[m] as number;
        if (inCluster[j] === 1 || x[j] !== old) continue;
        if (random.float64() < addProbability) {
          inCluster[j] = 1;
          stack[top++] = j;
          members[size++] = j;
        }
      }
    }
    // energy change of recolouring: bonds across the cluster boundary and the field
    for (let k = 0; k < size; k++) {
      const i = members[k] as number;
      for (let m = offsets[i] as number; m < (offsets[i + 1] as number); m++) {
        const j = neighbours[m] as number;
        if (inCluster[j] === 1) continue;
        if (x[j] === old)
          boundaryChange += 1; // loses agreement: +J
        else if (x[j] === colour) boundaryChange -= 1; // gains agreement: -J
      }
    }
    const fieldChange = -h * size * ((colour === 0 ? 1 : 0) - (old === 0 ? 1 : 0));
    const deltaEnergy = J * boundaryChange + fieldChange;
    const accepted = fieldChange <= 0 || random.float64() < Math.exp(-beta * fieldChange);
    for (let k = 0; k < size; k++) {
      const i = members[k] as number;
      if (accepted) x[i] = colour;
      inCluster[i] = 0;
    }
    return { accepted, size, deltaEnergy: accepted ? deltaEnergy : 0 };
  };
}
