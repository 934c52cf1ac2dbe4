/**
 * The 2D Ising model as a lattice model (contract v1).
 *
 * Lx x Ly spins s_i = 2 x_i - 1 on a cylinder (open along x, periodic along y), torus or open
 * lattice, in the column order site = ix * Ly + iy. E(x) = -J sum_<ij> s_i s_j - h sum_i s_i over
 * the bonds of the geometry (a periodic axis of length 2 has a doubled bond), pi ∝ exp(-beta E).
 */
import {
  type Configuration,
  type ConfigurationBatch,
  checkBatch,
  checkBatchShape,
  geometrySymmetries,
  invalidArgument,
  type LatticeModel,
  type LatticeModelInstance,
  MAX_LATTICE_SITES,
  type ObservableSpec,
  resolveParameters,
  squareLattice,
} from '@latticediff/lattice';
import { isingExactMPS } from './exact-mps';
import { type IsingParameters, isingParameterSchema } from './parameters';
import { isingTransferMatrix } from './transfer-matrix';
import { createWolffUpdate, neighbourTable } from './wolff';

const OBSERVABLES: ObservableSpec[] = [
  { name: 'energyPerSite', description: 'E / N', size: 1 },
  { name: 'absMagnetization', description: '|m| = |sum_i s_i| / N', size: 1 },
  { name: 'magnetizationSquared', description: 'm^2', size: 1 },
  {
    name: 'magnetizationFourth',
    description: 'm^4 (with m^2 gives the Binder cumulant 1 - <m^4>/(3<m^2>^2))',
    size: 1,
  },
  { name: 'magnetization', description: 'm = sum_i s_i / N', size: 1 },
];

function create(input?: Readonly<Record<string, unknown>>): LatticeModelInstance<IsingParameters> {
  const parameters = resolveParameters<IsingParameters>('ising', isingParameterSchema, input);
  const { lx, ly, beta, coupling: J, field: h, boundary } = parameters;
  const n = lx * ly;
  if (ly > MAX_LATTICE_SITES) {
    // (the message below said "lx <= 0")
    invalidArgument('ising', 'ly', ly, `an integer <= ${MAX_LATTICE_SITES} (sites)`);
  }
  if (n > MAX_LATTICE_SITES) {
    invalidArgument(
      'ising',
      'lx',
      lx,
      `an integer <= ${Math.floor(MAX_LATTICE_SITES / ly)} for ly = ${ly} (lx * ly <= ${MAX_LATTICE_SITES} sites)`,
    );
  }
  const geometry = squareLattice({ lx, ly, boundary });
  const bonds = geometry.bonds;
  const { offsets, neighbours } = neighbourTable(geometry);
  const check = (fn: string, batch: ConfigurationBatch) => checkBatch(fn, batch, n, 2);
  // energy and observe check the digits in the pass that reads them (x >>> 1 is 0 for the digits
  // 0 and 1 of an integer array, and for no other value): a digit out of range makes the pass
  // return NaN and the call checkBatch, which throws its error. One pass over the batch per
  // call instead of two (the observables of 32 chains of 64 sites are recorded every step).

  /** Sum of the digits of the configuration at `offset`, or NaN if one is not 0 or 1. */
  const upSpins = (data: ArrayLike<number>, offset: number): number => {
    let up = 0;
    let bad = 0;
    for (let i = 0; i < n; i++) {
      const x = data[offset + i] as number;
      up += x;
      bad |= x >>> 1;
    }
    return bad === 0 ? up : Number.NaN;
  };

  /** E of the configuration at `offset`, or NaN if one of its digits is not 0 or 1. */
  const energyOf = (data: ArrayLike<number>, offset: number): number => {
    let bondSum = 0;
    for (let b = 0; b < bonds.length; b += 2) {
      const si = 2 * (data[offset + (bonds[b] as number)] as number) - 1;
      const sj = 2 * (data[offset + (bonds[b + 1] as number)] as number) - 1;
      bondSum += si * sj;
    }
    // (NaN for a bad digit, which the result keeps)
    return -J * bondSum - h * (2 * upSpins(data, offset) - n);
  };

  const instance: LatticeModelInstance<IsingParameters> = {
    specificationVersion: 'v1',
    modelId: 'ising',
    parameters,
    sites: n,
    localDimension: 2,
    beta,
    geometry,
    energy(batch) {
      checkBatchShape('ising.energy', batch, n);
      const out = new Float64Array(batch.count);
      for (let b = 0; b < batch.count; b++) {
        const e = energyOf(batch.data, b * n);
        if (Number.isNaN(e)) check('ising.energy', batch);
        out[b] = e;
      }
      return out;
    },
    allowed(batch) {
      check('ising.allowed', batch);
      return new Uint8Array(batch.count).fill(1);
    },
    initialConfiguration() {
      return new Int32Array(n).fill(1);
    },
    localMoves: {
      count: n,
      deltaEnergy(x: Configuration, k: number) {
        const s = 2 * (x[k] as number) - 1;
        let sum = 0;
        for (let m = offsets[k] as number; m < (offsets[k + 1] as number); m++) {
          sum += 2 * (x[neighbours[m] as number] as number) - 1;
        }
        return 2 * s * (J * sum + h);
      },
      apply(x: Configuration, k: number) {
        x[k] = 1 - (x[k] as number);
      },
    },
    observables: OBSERVABLES,
    observe(name, batch) {
      const fn = 'ising.observe';
      checkBatchShape(fn, batch, n);
      const out = new Float64Array(batch.count);
      if (name === 'energyPerSite') {
        for (let b = 0; b < batch.count; b++) {
          const e = energyOf(batch.data, b * n);
          if (Number.isNaN(e)) check(fn, batch);
          out[b] = e / n;
        }
        return out;
      }
      const power =
        name === 'absMagnetization'
          ? 1
          : name === 'magnetizationSquared'
            ? 2
            : name === 'magnetizationFourth'
              ? 4
              : name === 'magnetization'
                ? 0
                : -1;
      if (power < 0) {
        invalidArgument(
          fn,
          'name',
          name,
          `one of ${OBSERVABLES.map((o) => `"${o.name}"`).join(', ')}`,
        );
      }
      for (let b = 0; b < batch.count; b++) {
        const up = upSpins(batch.data, b * n);
        if (Number.isNaN(up)) check(fn, batch);
        const m = (2 * up - n) / n;
        out[b] = power === 0 ? m : Math.abs(m) ** power;
      }
      return out;
    },
    localFactors() {
      // E = -J sum_<ij> s_i s_j - h sum_i s_i with s = 2x - 1: one pair term per bond (a doubled
      // periodic bond appears twice, as in the energy) and one site term per site
      const siteEnergies = new Float64Array(2 * n);
      for (let i = 0; i < n; i++) {
        siteEnergies[2 * i] = h;
        siteEnergies[2 * i + 1] = -h;
      }
      const count = bonds.length / 2;
      const energies = new Float64Array(4 * count);
      for (let p = 0; p < count; p++) energies.set([-J, J, J, -J], 4 * p);
      return {
        specificationVersion: 'v1',
        siteEnergies,
        pairs: { sites: Int32Array.from(bonds), energies },
      };
    },
    symmetries() {
      // the lattice's translations and reflections (the energy has one coupling for every bond
      // and one field for every site), and the spin flip where the field vanishes
      const out = geometrySymmetries(geometry);
      if (h === 0) {
        const sites = Int32Array.from({ length: n }, (_, i) => i);
        out.push({ name: 'spin-flip', sites, digits: Int32Array.of(1, 0), order: 2 });
      }
      return out;
    },
    exactMPS() {
      return isingExactMPS(parameters).mps;
    },
    exactObservables() {
      const exact = isingTransferMatrix(parameters);
      return {
        logPartitionFunction: exact.logPartitionFunction,
        means: {
          energyPerSite: exact.energyPerSite,
          absMagnetization: exact.absMagnetization,
          magnetizationSquared: exact.magnetizationSquared,
          magnetizationFourth: exact.magnetizationFourth,
          magnetization: exact.magnetization,
        },
        derived: { binderCumulant: exact.binderCumulant },
      };
    },
  };
  if (J > 0) instance.clusterMove = createWolffUpdate(geometry, { coupling: J, field: h, beta });
  return instance;
}

/** The Ising model: `isingModel.create({ lx: 16, ly: 8, beta: 0.44 })`. */
export const isingModel: LatticeModel<IsingParameters> = {
  specificationVersion: 'v1',
  id: 'ising',
  description:
    '2D Ising model E = -J sum_<ij> s_i s_j - h sum_i s_i on an Lx x Ly cylinder (open x, periodic y), torus or open lattice',
  parameterSchema: isingParameterSchema,
  // learning recipes start at a fifth of the target's beta, where local chains mix fast
  annealing: { parameter: 'beta', start: (target) => 0.2 * target.beta },
  create,
};
