/**
 * The classical stochastic Fredkin chain as a lattice model (contract v1).
 *
 * N even sites, x_i = 1 (up) or 0 (down), heights h_0 = 0, h_{i+1} = h_i + (2 x_i - 1). Allowed:
 * Dyck paths (h_i >= 0, h_N = 0). pi(x) ∝ q^(A/2), A = sum_(i=1..N) h_i, q = c / (1 - c), i.e.
 * E(x) = -(1/2) ln q * A at the fixed inverse temperature beta = 1.
 */
import {
  type Configuration,
  type ConfigurationBatch,
  chain,
  checkBatch,
  checkBatchShape,
  invalidArgument,
  type LatticeModel,
  type LatticeModelInstance,
  type LocalMoves,
  MAX_LATTICE_SITES,
  type ObservableSpec,
  type ParameterSchema,
  resolveParameters,
} from '@latticediff/lattice';
import { fredkinExact, fredkinExactMPS } from './exact';

/** Parameters of the Fredkin model. */
export type FredkinParameters = {
  /** Number of sites N (even). */
  sites: number;
  /** Rate parameter c in (0, 1). */
  c: number;
};

/** The parameter schema (the CLI makes `--sites` and `--c` from it). */
export const fredkinParameterSchema: ParameterSchema = {
  sites: {
    type: 'integer',
    symbol: 'N',
    description: 'Number of sites N (even); configurations are Dyck paths of N steps',
    minimum: 2,
    multipleOf: 2,
    default: 32,
  },
  c: {
    type: 'number',
    symbol: 'c',
    description:
      'Rate parameter c in (0, 1): valley -> peak at rate c, peak -> valley at 1 - c; q = c / (1 - c). c < 1/2 flat, c = 1/2 Brownian, c > 1/2 tall',
    exclusiveMinimum: 0,
    exclusiveMaximum: 1,
    default: 0.5,
  },
};

const OBSERVABLES = (sites: number): ObservableSpec[] => [
  { name: 'energyPerSite', description: 'E / N = -(1/2) ln q * (1/N) sum_i h_i', size: 1 },
  { name: 'midHeight', description: 'Height h_{N/2} in the middle of the chain', size: 1 },
  { name: 'meanHeight', description: 'Mean height (1/N) sum_{i=1}^{N} h_i', size: 1 },
  { name: 'heightProfile', description: 'Heights h_0..h_N (N + 1 values)', size: sites + 1 },
];

/**
 * The local Fredkin moves. Move k swaps the bond (k, k+1) when x_k != x_{k+1}, controlled by its
 * neighbours: rate [x_{k-1} + (1 - x_{k+2})] * (c for valley -> peak, 1 - c for peak -> valley).
 * Boundary convention: the bonds (0, 1) and (N-2, N-1) never swap (every Dyck path starts with an
 * up step and ends with a down step), so k in 1..N-3 and both controls exist. A move is available
 * when its rate is positive; it keeps the Dyck set closed (a peak -> valley swap at height h
 * needs h >= 1, which either control guarantees).
 */
function fredkinMoves(n: number, c: number, logQ: number): LocalMoves {
  const available = (x: Configuration, k: number): number => {
    if (k < 1 || k > n - 3) return 0;
    const a = x[k] as number;
    const b = x[k + 1] as number;
    if (a === b) return 0;
    return (x[k - 1] as number) + 1 - (x[k + 2] as number);
  };
  return {
    count: n - 1,
    deltaEnergy(x, k) {
      if (available(x, k) === 0) return Number.POSITIVE_INFINITY;
      // valley (0, 1) -> peak raises h_{k+1} by 2: dE = -(1/2) ln q * 2
      return (x[k] as number) === 0 ? -logQ : logQ;
    },
    apply(x, k) {
      const a = x[k] as number;
      x[k] = x[k + 1] as number;
      x[k + 1] = a;
    },
    rate(x, k) {
      const controls = available(x, k);
      if (controls === 0) return 0;
      return controls * ((x[k] as number) === 0 ? c : 1 - c);
    },
  };
}

function create(
  input?: Readonly<Record<string, unknown>>,
): LatticeModelInstance<FredkinParameters> {
  const parameters = resolveParameters<FredkinParameters>('fredkin', fredkinParameterSchema, input);
  const { sites: n, c } = parameters;
  if (n > MAX_LATTICE_SITES) {
    invalidArgument('fredkin', 'sites', n, `an even integer <= ${MAX_LATTICE_SITES}`);
  }
  const logQ = Math.log(c) - Math.log1p(-c);
  const observables = OBSERVABLES(n);
  const check = (fn: string, batch: ConfigurationBatch) => checkBatch(fn, batch, n, 2);
  // energy and observe check the digits in their own pass over them (runChains calls them for
  // every step of every chain, and a separate checking pass cost as much as the work): the OR of
  // digits in {0, 1} is 0 or 1, anything else makes it another value (negative ones included),
  // and then checkBatch reports the first bad digit with the usual error
  const checkShape = (fn: string, batch: ConfigurationBatch) => checkBatchShape(fn, batch, n);
  const checkDigits = (fn: string, batch: ConfigurationBatch, bits: number) => {
    if (bits >>> 0 > 1) check(fn, batch);
  };

  /** Area A of row b, or -1 when the row is not a Dyck path; `bits.or` collects the digits. */
  const area = (data: ArrayLike<number>, offset: number, bits: { or: number }): number => {
    let h = 0;
    let sum = 0;
    let lowest = 0;
    let or = 0;
    for (let i = 0; i < n; i++) {
      const v = data[offset + i] as number;
      or |= v;
      h += 2 * v - 1;
      if (h < lowest) lowest = h;
      sum += h;
    }
    bits.or |= or;
    return lowest >= 0 && h === 0 ? sum : -1;
  };

  const instance: LatticeModelInstance<FredkinParameters> = {
    specificationVersion: 'v1',
    modelId: 'fredkin',
    parameters,
    sites: n,
    localDimension: 2,
    beta: 1,
    geometry: chain(n),
    energy(batch) {
      const fn = 'fredkin.energy';
      checkShape(fn, batch);
      const out = new Float64Array(batch.count);
      const bits = { or: 0 };
      for (let b = 0; b < batch.count; b++) {
        const a = area(batch.data, b * n, bits);
        out[b] = a < 0 ? Number.POSITIVE_INFINITY : -0.5 * logQ * a;
      }
      checkDigits(fn, batch, bits.or);
      return out;
    },
    allowed(batch) {
      const fn = 'fredkin.allowed';
      checkShape(fn, batch);
      const out = new Uint8Array(batch.count);
      const bits = { or: 0 };
      for (let b = 0; b < batch.count; b++) out[b] = area(batch.data, b * n, bits) < 0 ? 0 : 1;
      checkDigits(fn, batch, bits.or);
      return out;
    },
    initialConfiguration() {
      // the flat path 1010...10
      const x = new Int32Array(n);
      for (let i = 0; i < n; i += 2) x[i] = 1;
      return x;
    },
    localMoves: fredkinMoves(n, c, logQ),
    localFactors() {
      // A = sum_i h_i = sum_k (n - k)(2 x_k - 1): the area term is a field that grows towards
      // the left end; the Dyck constraint is the height automaton (state = height, accept 0)
      const siteEnergies = new Float64Array(2 * n);
      for (let k = 0; k < n; k++) {
        siteEnergies[2 * k] = 0.5 * logQ * (n - k);
        siteEnergies[2 * k + 1] = -0.5 * logQ * (n - k);
      }
      const top = n / 2;
      const transitions = new Int32Array(2 * (top + 1));
      for (let h = 0; h <= top; h++) {
        transitions[2 * h] = h > 0 ? h - 1 : -1;
        transitions[2 * h + 1] = h < top ? h + 1 : -1;
      }
      const accepting = new Uint8Array(top + 1);
      accepting[0] = 1;
      return {
        specificationVersion: 'v1',
        siteEnergies,
        constraints: [{ states: top + 1, initial: 0, transitions, accepting }],
      };
    },
    observables,
    observe(name, batch) {
      const fn = 'fredkin.observe';
      checkShape(fn, batch);
      const spec = observables.find((o) => o.name === name);
      if (!spec) {
        invalidArgument(
          fn,
          'name',
          name,
          `one of ${observables.map((o) => `"${o.name}"`).join(', ')}`,
        );
      }
      const out = new Float64Array(batch.count * spec.size);
      const { data } = batch;
      // one tight loop per observable (runChains calls observe for every step of every chain)
      let bits = 0;
      if (name === 'heightProfile') {
        for (let b = 0; b < batch.count; b++) {
          const offset = b * n;
          const o = b * (n + 1);
          let h = 0;
          out[o] = 0;
          for (let i = 0; i < n; i++) {
            const v = data[offset + i] as number;
            bits |= v;
            h += 2 * v - 1;
            out[o + i + 1] = h;
          }
        }
      } else if (name === 'midHeight') {
        const half = n / 2;
        for (let b = 0; b < batch.count; b++) {
          const offset = b * n;
          let h = 0;
          for (let i = 0; i < half; i++) {
            const v = data[offset + i] as number;
            bits |= v;
            h += 2 * v - 1;
          }
          for (let i = half; i < n; i++) bits |= data[offset + i] as number;
          out[b] = h;
        }
      } else {
        const energy = name === 'energyPerSite';
        const shared = { or: 0 };
        for (let b = 0; b < batch.count; b++) {
          const offset = b * n;
          if (energy) {
            const a = area(data, offset, shared);
            out[b] = a < 0 ? Number.POSITIVE_INFINITY : (-0.5 * logQ * a) / n;
          } else {
            let h = 0;
            let sum = 0;
            for (let i = 0; i < n; i++) {
              const v = data[offset + i] as number;
              bits |= v;
              h += 2 * v - 1;
              sum += h;
            }
            out[b] = sum / n;
          }
        }
        bits |= shared.or;
      }
      checkDigits(fn, batch, bits);
      return out;
    },
    symmetries() {
      // the mirror image of a Dyck path (read backwards, up and down exchanged) is a Dyck path
      // of the same area: x'_{N-1-i} = 1 - x_i
      const sites = Int32Array.from({ length: n }, (_, i) => n - 1 - i);
      return [{ name: 'mirror', sites, digits: Int32Array.of(1, 0), order: 2 }];
    },
    exactMPS() {
      return fredkinExactMPS({ sites: n, c }).mps;
    },
    exactObservables() {
      const exact = fredkinExact({ sites: n, c });
      return {
        logPartitionFunction: exact.logPartitionFunction,
        means: {
          energyPerSite: exact.energyPerSite,
          midHeight: exact.midHeight,
          meanHeight: exact.meanHeight,
          heightProfile: exact.heightProfile,
        },
      };
    },
  };
  return instance;
}

/** The Fredkin chain model: `fredkinModel.create({ sites: 64, c: 0.7 })`. */
export const fredkinModel: LatticeModel<FredkinParameters> = {
  specificationVersion: 'v1',
  id: 'fredkin',
  description:
    'Classical stochastic Fredkin chain: Dyck paths of N steps with weight q^{(sum_i h_i)/2}, q = c/(1-c)',
  parameterSchema: fredkinParameterSchema,
  // learning recipes start at c = 0.3 (or the target, if smaller): flat paths, short
  // correlations, before the transition at c = 1/2
  annealing: { parameter: 'c', start: (target) => Math.min(0.3, target.c) },
  create,
};
