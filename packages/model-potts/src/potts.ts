/**
 * The q-state Potts model as a lattice model (contract v1).
 *
 * Lx x Ly sites with colours x_i in {0..q-1} on a cylinder (open along x, periodic along y), torus
 * or open lattice, in the column order site = ix * Ly + iy (the geometry of @latticediff/lattice,
 * as for the Ising model). E(x) = -J sum_<ij> delta(x_i, x_j) - h sum_i delta(x_i, 0) over the
 * bonds of the geometry (a periodic axis of length 2 has a doubled bond), pi ∝ exp(-beta E).
 *
 * Local moves: move k * q + r at site k maps x_k -> (r - x_k) mod q. Each is an involution of
 * {0..q-1}, always available, and for every pair of colours (a, b) exactly one r (= a + b mod q)
 * maps a to b, so uniform proposals of moves are symmetric and Metropolis acceptance gives detailed
 * balance (the move with 2 x_k = r mod q leaves x_k unchanged, dE = 0).
 */
import {
  type Configuration,
  type ConfigurationBatch,
  checkBatch,
  geometrySymmetries,
  invalidArgument,
  type LatticeModel,
  type LatticeModelInstance,
  MAX_LATTICE_SITES,
  type ObservableSpec,
  squareLattice,
} from '@latticediff/lattice';
import { pottsExactMPS } from './exact-mps';
import { type PottsParameters, pottsParameterSchema, resolvePottsParameters } from './parameters';
import {
  countDistributionFits,
  pottsCountDistribution,
  pottsTransferMatrix,
} from './transfer-matrix';
import { createPottsWolffUpdate, neighbourTable } from './wolff';

const OBSERVABLES: ObservableSpec[] = [
  { name: 'energyPerSite', description: 'E / N', size: 1 },
  {
    name: 'orderParameter',
    description: 'm = (q max_k n_k / N - 1) / (q - 1), n_k = number of sites of colour k (0..1)',
    size: 1,
  },
  { name: 'orderParameterSquared', description: 'm^2', size: 1 },
  {
    name: 'orderParameterFourth',
    description: 'm^4 (with m^2 gives the Binder cumulant 1 - <m^4>/(3<m^2>^2))',
    size: 1,
  },
  {
    name: 'colourZeroDensity',
    description: 'n_0 / N, the density of the colour the field favours',
    size: 1,
  },
];

function create(input?: Readonly<Record<string, unknown>>): LatticeModelInstance<PottsParameters> {
  const parameters = resolvePottsParameters('potts', input);
  const { lx, ly, q, beta, coupling: J, field: h, boundary } = parameters;
  const n = lx * ly;
  // (these were refused naming squareLattice)
  if (ly > MAX_LATTICE_SITES) {
    invalidArgument('potts', 'ly', ly, `an integer <= ${MAX_LATTICE_SITES} (sites)`);
  }
  if (n > MAX_LATTICE_SITES) {
    invalidArgument(
      'potts',
      'lx',
      lx,
      `an integer <= ${Math.floor(MAX_LATTICE_SITES / ly)} for ly = ${ly} (lx * ly <= ${MAX_LATTICE_SITES} sites)`,
    );
  }
  const geometry = squareLattice({ lx, ly, boundary });
  const bonds = geometry.bonds;
  const { offsets, neighbours } = neighbourTable(geometry);
  const check = (fn: string, batch: ConfigurationBatch) => checkBatch(fn, batch, n, q);
  const counts = new Int32Array(q);

  const energyOf = (data: ArrayLike<number>, offset: number): number => {
    let equal = 0;
    for (let b = 0; b < bonds.length; b += 2) {
      if (data[offset + (bonds[b] as number)] === data[offset + (bonds[b + 1] as number)]) equal++;
    }
    let zeros = 0;
    for (let i = 0; i < n; i++) if (data[offset + i] === 0) zeros++;
    return -J * equal - h * zeros;
  };

  /** m = (q max_k n_k / N - 1) / (q - 1) of row `offset`; also fills `counts`. */
  const orderParameterOf = (data: ArrayLike<number>, offset: number): number => {
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[data[offset + i] as number]!++;
    let max = 0;
    for (let c = 0; c < q; c++) if ((counts[c] as number) > max) max = counts[c] as number;
    return (q * (max / n) - 1) / (q - 1);
  };

  const instance: LatticeModelInstance<PottsParameters> = {
    specificationVersion: 'v1',
    modelId: 'potts',
    parameters,
    sites: n,
    localDimension: q,
    beta,
    geometry,
    energy(batch) {
      check('potts.energy', batch);
      const out = new Float64Array(batch.count);
      for (let b = 0; b < batch.count; b++) out[b] = energyOf(batch.data, b * n);
      return out;
    },
    allowed(batch) {
      check('potts.allowed', batch);
      return new Uint8Array(batch.count).fill(1);
    },
    initialConfiguration() {
      return new Int32Array(n);
    },
    localMoves: {
      count: n * q,
      deltaEnergy(x: Configuration, move: number) {
        const k = Math.floor(move / q);
        const old = x[k] as number;
        const colour = (move - k * q - old + q) % q;
        if (colour === old) return 0;
        let change = 0;
        for (let m = offsets[k] as number; m < (offsets[k + 1] as number); m++) {
          const neighbour = x[neighbours[m] as number] as number;
          if (neighbour === old) change++;
          else if (neighbour === colour) change--;
        }
        return J * change - h * ((colour === 0 ? 1 : 0) - (old === 0 ? 1 : 0));
      },
      apply(x: Configuration, move: number) {
        const k = Math.floor(move / q);
        x[k] = (move - k * q - (x[k] as number) + q) % q;
      },
    },
    observables: OBSERVABLES,
    observe(name, batch) {
      const fn = 'potts.observe';
      check(fn, batch);
      const out = new Float64Array(batch.count);
      switch (name) {
        case 'energyPerSite':
          for (let b = 0; b < batch.count; b++) out[b] = energyOf(batch.data, b * n) / n;
          return out;
        case 'orderParameter':
        case 'orderParameterSquared':
        case 'orderParameterFourth': {
          const power = name === 'orderParameter' ? 1 : name === 'orderParameterSquared' ? 2 : 4;
          for (let b = 0; b < batch.count; b++)
            out[b] = orderParameterOf(batch.data, b * n) ** power;
          return out;
        }
        case 'colourZeroDensity':
          for (let b = 0; b < batch.count; b++) {
            let zeros = 0;
            for (let i = 0; i < n; i++) if (batch.data[b * n + i] === 0) zeros++;
            out[b] = zeros / n;
          }
          return out;
        default:
          return invalidArgument(
            fn,
            'name',
            name,
            `one of ${OBSERVABLES.map((o) => `"${o.name}"`).join(', ')}`,
          );
      }
    },
    localFactors() {
      // E = -J sum_<ij> delta(x_i, x_j) - h sum_i delta(x_i, 0): one pair term per bond (a
      // doubled periodic bond twice, as in the energy) and a field on colour 0
      const siteEnergies = new Float64Array(q * n);
      for (let i = 0; i < n; i++) siteEnergies[q * i] = -h;
      const count = bonds.length / 2;
      const energies = new Float64Array(q * q * count);
      for (let p = 0; p < count; p++) {
        for (let a = 0; a < q; a++) energies[p * q * q + a * q + a] = -J;
      }
      return {
        specificationVersion: 'v1',
        siteEnergies,
        pairs: { sites: Int32Array.from(bonds), energies },
      };
    },
    symmetries() {
      // the lattice's translations and reflections, and colour permutations that keep the
      // field: all colours at h = 0 (a cyclic shift and the swap of colours 0 and 1 generate
      // them), colours 1..q-1 otherwise
      const out = geometrySymmetries(geometry);
      const sites = Int32Array.from({ length: n }, (_, i) => i);
      const free = h === 0 ? 0 : 1; // the first colour that may move
      const moving = q - free;
      if (moving >= 2) {
        const shift = Int32Array.from({ length: q }, (_, s) =>
          s < free ? s : free + ((s - free + 1) % moving),
        );
        out.push({ name: 'colour-shift', sites, digits: shift, order: moving });
      }
      if (moving >= 3) {
        const swap = Int32Array.from({ length: q }, (_, s) =>
          s === free ? free + 1 : s === free + 1 ? free : s,
        );
        out.push({ name: 'colour-swap', sites, digits: swap, order: 2 });
      }
      return out;
    },
    exactMPS() {
      return pottsExactMPS(parameters).mps;
    },
    exactObservables() {
      const exact = pottsTransferMatrix(parameters);
      const means: Record<string, number> = {
        energyPerSite: exact.energyPerSite,
        colourZeroDensity: exact.colourZeroDensity,
      };
      const derived: Record<string, number> = {};
      // the order parameter needs the distribution of colour counts: exact while it fits
      if (countDistributionFits(parameters)) {
        const counts = pottsCountDistribution(parameters);
        means.orderParameter = counts.orderParameter;
        means.orderParameterSquared = counts.orderParameterSquared;
        means.orderParameterFourth = counts.orderParameterFourth;
        // <m^4> / <m^2>^2 as (<m^4> / <m^2>) / <m^2>: the square underflowed for <m^2> below
        // 1e-154 (J < 0 at large beta), giving -Infinity for a finite cumulant; where <m^2>
        // itself underflows to 0 the cumulant is not representable and is left out
        const m2 = counts.orderParameterSquared;
        const m4 = counts.orderParameterFourth;
        const binder = m2 > 1e-150 ? 1 - m4 / (3 * m2 ** 2) : 1 - m4 / m2 / (3 * m2);
        if (m2 > 0 && Number.isFinite(binder)) derived.binderCumulant = binder;
      }
      return { logPartitionFunction: exact.logPartitionFunction, means, derived };
    },
  };
  if (J > 0) {
    instance.clusterMove = createPottsWolffUpdate(geometry, { q, coupling: J, field: h, beta });
  }
  return instance;
}

/** The q-state Potts model: `pottsModel.create({ lx: 16, ly: 6, q: 3 })` (beta_c by default). */
export const pottsModel: LatticeModel<PottsParameters> = {
  specificationVersion: 'v1',
  id: 'potts',
  description:
    'q-state Potts model E = -J sum_<ij> delta(x_i, x_j) - h sum_i delta(x_i, 0) on an Lx x Ly cylinder (open x, periodic y), torus or open lattice; beta defaults to the critical point ln(1 + sqrt q)',
  parameterSchema: pottsParameterSchema,
  // learning recipes start at a fifth of the target's beta, where local chains mix fast
  annealing: { parameter: 'beta', start: (target) => 0.2 * target.beta },
  create,
};
