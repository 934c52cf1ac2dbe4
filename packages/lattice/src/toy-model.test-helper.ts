/**
 * A small constrained model used only by this package's tests: the hard-core lattice gas on an
 * open chain (no two neighbours occupied), E(x) = -mu sum_i x_i, beta = 1.
 */
import { MPS } from '@latticediff/tensor-network';
import { checkBatch } from './configurations';
import type {
  Configuration,
  ConfigurationBatch,
  LatticeModel,
  LatticeModelInstance,
  ParameterSchema,
} from './contract';
import { exactByEnumeration } from './enumerate';
import { invalidArgument } from './errors';
import { chain } from './geometry';
import { resolveParameters } from './parameters';
import { geometrySymmetries } from './symmetries';

export type HardCoreParameters = { sites: number; mu: number };

const schema: ParameterSchema = {
  sites: { type: 'integer', description: 'Number of sites', minimum: 1, maximum: 64, default: 8 },
  mu: { type: 'number', description: 'Chemical potential', minimum: -5, maximum: 5, default: 0.3 },
};

export function hardCoreEnergy(p: HardCoreParameters, x: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < p.sites; i++) {
    if (x[i] === 1 && i + 1 < p.sites && x[i + 1] === 1) return Number.POSITIVE_INFINITY;
    n += x[i] as number;
  }
  return -p.mu * n;
}

export const hardCoreModel: LatticeModel<HardCoreParameters> = {
  specificationVersion: 'v1',
  id: 'hard-core',
  description: 'Hard-core lattice gas on an open chain (test model)',
  parameterSchema: schema,
  create(input) {
    const p = resolveParameters<HardCoreParameters>('hard-core', schema, input);
    const n = p.sites;
    const check = (fn: string, batch: ConfigurationBatch) => checkBatch(fn, batch, n, 2);
    const instance: LatticeModelInstance<HardCoreParameters> = {
      specificationVersion: 'v1',
      modelId: 'hard-core',
      parameters: p,
      sites: n,
      localDimension: 2,
      beta: 1,
      geometry: chain(n),
      // the chain's reflection keeps the energy and the hard-core constraint
      symmetries: () => geometrySymmetries(chain(n)),
      energy(batch) {
        check('hard-core.energy', batch);
        const out = new Float64Array(batch.count);
        for (let b = 0; b < batch.count; b++)
          out[b] = hardCoreEnergy(p, batch.data.subarray(b * n, (b + 1) * n));
        return out;
      },
      allowed(batch) {
        const e = instance.energy(batch);
        return Uint8Array.from(e, (v) => (Number.isFinite(v) ? 1 : 0));
      },
      initialConfiguration: () => new Int32Array(n),
      localMoves: {
        count: n,
        deltaEnergy(x: Configuration, k: number) {
          if (x[k] === 1) return p.mu;
          if ((k > 0 && x[k - 1] === 1) || (k + 1 < n && x[k + 1] === 1))
            return Number.POSITIVE_INFINITY;
          return -p.mu;
        },
        apply(x: Configuration, k: number) {
          x[k] = 1 - (x[k] as number);
        },
      },
      observables: [
        { name: 'density', description: 'Fraction of occupied sites', size: 1 },
        { name: 'occupation', description: 'Occupation of each site', size: n },
      ],
      observe(name, batch) {
        check('hard-core.observe', batch);
        if (name === 'density') {
          const out = new Float64Array(batch.count);
          for (let k = 0; k < batch.count * n; k++)
            out[Math.floor(k / n)]! += (batch.data[k] as number) / n;
          return out;
        }
        if (name === 'occupation')
          return Float64Array.from(batch.data.subarray(0, batch.count * n));
        return invalidArgument('hard-core.observe', 'name', name, '"density" or "occupation"');
      },
      localFactors() {
        // the exclusion as a forbidden pair (energy +Infinity for two occupied neighbours)
        const sites = new Int32Array(2 * Math.max(0, n - 1));
        const energies = new Float64Array(4 * Math.max(0, n - 1));
        for (let i = 0; i + 1 < n; i++) {
          sites.set([i, i + 1], 2 * i);
          energies[4 * i + 3] = Number.POSITIVE_INFINITY;
        }
        const siteEnergies = new Float64Array(2 * n);
        for (let i = 0; i < n; i++) siteEnergies[2 * i + 1] = -p.mu;
        return { specificationVersion: 'v1', siteEnergies, pairs: { sites, energies } };
      },
      exactMPS() {
        const w = Math.exp(p.mu);
        // bond index = occupation of the previous site
        const tensors = Array.from({ length: n }, (_, i) => {
          const left = i === 0 ? 1 : 2;
          const right = i === n - 1 ? 1 : 2;
          const data = new Float64Array(left * 2 * right);
          for (let a = 0; a < left; a++) {
            for (let s = 0; s < 2; s++) {
              if (a === 1 && s === 1) continue;
              data[(a * 2 + s) * right + (right === 1 ? 0 : s)] = s === 1 ? w : 1;
            }
          }
          return { shape: [left, 2, right] as const, data };
        });
        return MPS.fromTensors(tensors);
      },
      exactObservables() {
        const { logPartitionFunction, means } = exactByEnumeration(instance);
        return { logPartitionFunction, means };
      },
    };
    return instance;
  },
};
