/**
 * Wolff cluster updates for the ferromagnetic Ising model (J > 0), with a field handled by a
 * Metropolis acceptance of the cluster flip.
 */
import { type Configuration, type Geometry, invalidArgument } from '@latticediff/lattice';
import type { RandomGenerator } from '@latticediff/tensor-network';
import { assertKnownOptions, optionKeys } from '@latticediff/tensor-network/internal';

/** Result of one Wolff update (the contract's ClusterMoveResult). */
export interface WolffResult {
  readonly accepted: boolean;
  readonly size: number;
  readonly deltaEnergy: number;
}

/** One Wolff update of x in place (x_i in {0, 1}). */
export type WolffUpdate = (x: Configuration, random: RandomGenerator) => WolffResult;

/** Neighbour lists (with multiplicity) of a geometry, in CSR form. */
export function neighbourTable(geometry: Geometry): {
  offsets: Int32Array;
  neighbours: Int32Array;
} {
  const n = geometry.sites;
  const degree = new Int32Array(n + 1);
  const bonds = geometry.bonds;
  for (let b = 0; b < bonds.length; b += 2) {
    degree[(bonds[b] as number) + 1]!++;
    degree[(bonds[b + 1] as number) + 1]!++;
  }
  const offsets = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) offsets[i + 1] = (offsets[i] as number) + (degree[i + 1] as number);
  const fill = offsets.slice(0, n);
  const neighbours = new Int32Array(offsets[n] as number);
  for (let b = 0; b < bonds.length; b += 2) {
    const i = bonds[b] as number;
    const j = bonds[b + 1] as number;
    neighbours[fill[i]!++] = j;
    neighbours[fill[j]!++] = i;
  }
  return { offsets, neighbours };
}

/**
 * A Wolff update for the Ising model on `geometry` with coupling J > 0, field h and inverse
 * temperature beta: grow a cluster of aligned spins from a uniformly chosen site, adding each
 * aligned neighbour through each bond with probability 1 - exp(-2 beta J) (a doubled bond gets
 * two chances), then flip it with probability min(1, exp(-2 beta h sum_{cluster} s_i)) (always
 * for h = 0). Leaves exp(-beta E) invariant.
 */
export function createWolffUpdate(
  geometry: Geometry,
  options: { coupling: number; field: number; beta: number },
): WolffUpdate {
  if (typeof options !== 'object' || options === null) {
    invalidArgument('createWolffUpdate', 'options', options, 'an object { coupling, field, beta }');
  }
  assertKnownOptions(
    'createWolffUpdate',
    options,
    optionKeys<{ coupling: number; field: number; beta: number }>()(['coupling', 'field', 'beta']),
  );
  const { coupling: J, field: h, beta } = options;
  if (!(J > 0) || !Number.isFinite(J)) {
    invalidArgument(
      'createWolffUpdate',
      'coupling',
      J,
      'a finite number > 0 (Wolff clusters need a ferromagnet)',
    );
  }
  const { offsets, neighbours } = neighbourTable(geometry);
  const n = geometry.sites;
  const pAdd = -Math.expm1(-2 * beta * J);
  const inCluster = new Uint8Array(n);
  const stack = new Int32Array(n);
  const members = new Int32Array(n);
  return (x, random) => {
    const seed = Math.floor(random.float64() * n);
    const value = x[seed] as number;
    let top = 0;
    let size = 0;
    stack[top++] = seed;
    inCluster[seed] = 1;
    members[size++] = seed;
    while (top > 0) {
      const i = stack[--top] as number;
      for (let k = offsets[i] as number; k < (offsets[i + 1] as number); k++) {
        const j = neighbours[k] as number;
        if (inCluster[j] === 1 || x[j] !== value) continue;
        if (random.float64() < pAdd) {
          inCluster[j] = 1;
          stack[top++] = j;
          members[size++] = j;
        }
      }
    }
    // energy change of flipping the cluster: boundary bonds and the field
    const s = 2 * value - 1;
    let boundary = 0;
    for (let m = 0; m < size; m++) {
      const i = members[m] as number;
      for (let k = offsets[i] as number; k < (offsets[i + 1] as number); k++) {
        const j = neighbours[k] as number;
        if (inCluster[j] === 0) boundary += s * (2 * (x[j] as number) - 1);
      }
    }
    const fieldChange = 2 * h * s * size;
    const deltaEnergy = 2 * J * boundary + fieldChange;
    const accepted = fieldChange <= 0 || random.float64() < Math.exp(-beta * fieldChange);
    for (let m = 0; m < size; m++) {
      const i = members[m] as number;
      inCluster[i] = 0;
      if (accepted) x[i] = 1 - value;
    }
    return { accepted, size, deltaEnergy: accepted ? deltaEnergy : 0 };
  };
}
