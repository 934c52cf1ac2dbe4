/**
 * Local factors found from the energy function alone, for models that do not write
 * `localFactors()` themselves.
 *
 * The anchored (cut-HDMR) expansion of E around a reference configuration x0 is
 *
 *   E(x) = E(x0) + sum_i e_i(x_i) + sum_{i<j} J_ij(x_i, x_j) + (terms of three or more sites),
 *   e_i(a)     = E(x0 | x_i = a) - E(x0),
 *   J_ij(a, b) = E(x0 | x_i = a, x_j = b) - E(x0) - e_i(a) - e_j(b),
 *
 * with e_i and J_ij zero where a digit equals the reference's (the factors returned are then moved
 * to the centred gauge, below). When E has no terms of three or
 * more sites (Ising, Potts, clock models, spin glasses with any couplings, any range), the first
 * three terms are E exactly, for every x. Probing evaluates E on N (d - 1) configurations one digit
 * from x0 and N (N - 1) (d - 1)^2 / 2 two digits from x0, keeps the pairs whose J is non-zero
 * beyond rounding, then compares the expansion with E on random configurations: `pairwise` says
 * whether they agree, and `maxResidual` by how much they differ (a model with three-site terms
 * gets factors that are only an approximation, useful as a starting point for learning).
 * Models with hard constraints (E = +Infinity somewhere) cannot be probed this way: constraints
 * are automata, written by the model in `localFactors()`.
 */
import type { SeedOrGenerator } from '@latticediff/tensor-network';
import type { LatticeModelInstance, LocalFactors } from './contract';
import { assertInteger, assertKnownOptions, invalidArgument, optionKeys } from './errors';
import { randomInteger, toRandom } from './random';

/** Options of {@link probeLocalFactors}. */
export interface ProbeLocalFactorsOptions {
  /** The configuration x0 the expansion is anchored at (default `instance.initialConfiguration()`). */
  reference?: ArrayLike<number>;
  /**
   * A pair is kept when some |J_ij(a, b)| exceeds `tolerance * scale`, and the expansion is
   * `pairwise` when it matches E within the same bound on every check (default 1e-9). The
   * scale is max(|E(x0)|, N max |e_i(a)|), the size of the energy's terms summed.
   */
  tolerance?: number;
  /** Random configurations (uniform digits) the expansion is checked on (default 256). */
  checks?: number;
  /** Seed or generator of the checks (default 0). */
  seed?: SeedOrGenerator;
  /** Progress: called with the energies evaluated and their total. */
  onProgress?: (done: number, total: number) => void;
}

/** Result of {@link probeLocalFactors}. */
export interface ProbeLocalFactorsResult {
  /** The expansion as local factors (site energies, the non-zero pairs, the constant E(x0)). */
  factors: LocalFactors;
  /** Number of pairs kept. */
  pairCount: number;
  /** Largest |E(x) - expansion(x)| over the checks, in energy units. */
  maxResidual: number;
  /** Whether the expansion matched E on every check within `tolerance * scale`. */
  pairwise: boolean;
  /** The scale the tolerance is relative to. */
  scale: number;
  /** Energies evaluated (probes and checks). */
  energyEvaluations: number;
}

const CHUNK = 4096;

/**
 * Finds a model's site and pair energies by evaluating its energy near a reference configuration
 * (see the module comment), so that a model with only an energy function gets a physics-built
 * proposal: `physicsBornMPS(instance, { maxBondDim, factors: probeLocalFactors(instance).factors })`.
 * Costs N^2 (d - 1)^2 / 2 energy evaluations. Refuses models with hard constraints.
 */
export function probeLocalFactors(
  instance: LatticeModelInstance,
  options: ProbeLocalFactorsOptions = {},
): ProbeLocalFactorsResult {
  const fn = 'probeLocalFactors';
  if (
    typeof instance !== 'object' ||
    instance === null ||
    typeof instance.sites !== 'number' ||
    typeof instance.energy !== 'function'
  ) {
    invalidArgument(fn, 'instance', instance, 'a lattice model instance (model.create(...))');
  }
  if (typeof options !== 'object' || options === null) {
    invalidArgument(fn, 'options', options, 'an options object { tolerance, checks, ... }');
  }
  assertKnownOptions(
    fn,
    options,
    optionKeys<ProbeLocalFactorsOptions>()([
      'reference',
      'tolerance',
      'checks',
      'seed',
      'onProgress',
    ]),
  );
  const { sites: n, localDimension: d } = instance;
  const tolerance = options.tolerance ?? 1e-9;
  if (typeof tolerance !== 'number' || !(tolerance > 0 && tolerance < 1)) {
    invalidArgument(fn, 'tolerance', tolerance, 'a number in (0, 1)');
  }
  const checks = options.checks ?? 256;
  assertInteger(fn, 'checks', checks, 1);
  const onProgress = options.onProgress;
  if (onProgress !== undefined && typeof onProgress !== 'function') {
    invalidArgument(fn, 'onProgress', onProgress, 'a function (done, total) => void');
  }
  const random = toRandom(fn, options.seed ?? 0);
  const x0 = new Uint8Array(n);
  const reference = options.reference ?? instance.initialConfiguration();
  if (typeof reference !== 'object' || reference === null || reference.length !== n) {
    invalidArgument(fn, 'reference', reference, `a configuration of ${n} digits`);
  }
  for (let i = 0; i < n; i++) {
    const v = reference[i];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= d) {
      invalidArgument(fn, `reference[${i}]`, v, `a digit in [0, ${d - 1}]`);
    }
    x0[i] = v;
  }

  const singles = n * (d - 1);
  const pairTotal = ((n * (n - 1)) / 2) * (d - 1) * (d - 1);
  const total = 1 + singles + pairTotal + checks;
  let done = 0;
  const energyOf = (data: Uint8Array, count: number): Float64Array => {
    const e = instance.energy({ data, count });
    done += count;
    onProgress?.(done, total);
    return e;
  };
  const model = `model \`${instance.modelId}\``;
  const refuseInfinite = (where: string): never =>
    invalidArgument(
      fn,
      'instance',
      `${model}: E = +Infinity ${where}`,
      'a model whose energy is finite on every configuration (hard constraints cannot be ' +
        'found by probing: write them as automata in the model’s localFactors())',
    );

  const e0 = energyOf(x0.slice(), 1)[0]!;
  if (!Number.isFinite(e0)) {
    invalidArgument(fn, 'reference', `E = ${e0}`, 'a configuration with finite energy');
  }

  // site energies e_i(a), 0 at the reference digit
  const siteEnergies = new Float64Array(n * d);
  {
    const data = new Uint8Array(singles * n);
    let row = 0;
    for (let i = 0; i < n; i++) {
      for (let a = 0; a < d; a++) {
        if (a === x0[i]) continue;
        data.set(x0, row * n);
        data[row * n + i] = a;
        row++;
      }
    }
    const e = singles > 0 ? energyOf(data, singles) : new Float64Array(0);
    row = 0;
    for (let i = 0; i < n; i++) {
      for (let a = 0; a < d; a++) {
        if (a === x0[i]) continue;
        const v = e[row++]!;
        if (!Number.isFinite(v)) refuseInfinite(`with site ${i} set to ${a}`);
        siteEnergies[i * d + a] = v - e0;
      }
    }
  }
  let largestSite = 0;
  for (let k = 0; k < siteEnergies.length; k++) {
    largestSite = Math.max(largestSite, Math.abs(siteEnergies[k]!));
  }
  const scale = Math.max(Math.abs(e0), n * largestSite) || 1;
  const threshold = tolerance * scale;

  // pair energies, probed in chunks of configurations two digits away from x0
  const keptSites: number[] = [];
  const keptEnergies: number[] = [];
  const perPair = (d - 1) * (d - 1);
  const pairsPerChunk = Math.max(1, Math.floor(CHUNK / perPair));
  const block = new Float64Array(d * d);
  let i = 0;
  let j = 1;
  while (i < n - 1) {
    const chunkPairs: [number, number][] = [];
    while (chunkPairs.length < pairsPerChunk && i < n - 1) {
      chunkPairs.push([i, j]);
      j++;
      if (j === n) {
        i++;
        j = i + 1;
      }
    }
    const count = chunkPairs.length * perPair;
    const data = new Uint8Array(count * n);
    let row = 0;
    for (const [p, q] of chunkPairs) {
      for (let a = 0; a < d; a++) {
        if (a === x0[p]) continue;
        for (let b = 0; b < d; b++) {
          if (b === x0[q]) continue;
          data.set(x0, row * n);
          data[row * n + p] = a;
          data[row * n + q] = b;
          row++;
        }
      }
    }
    const e = energyOf(data, count);
    row = 0;
    for (const [p, q] of chunkPairs) {
      block.fill(0);
      let largest = 0;
      for (let a = 0; a < d; a++) {
        if (a === x0[p]) continue;
        for (let b = 0; b < d; b++) {
          if (b === x0[q]) continue;
          const v = e[row++]!;
          if (!Number.isFinite(v)) refuseInfinite(`with sites ${p}, ${q} set to ${a}, ${b}`);
          const coupling = v - e0 - siteEnergies[p * d + a]! - siteEnergies[q * d + b]!;
          block[a * d + b] = coupling;
          largest = Math.max(largest, Math.abs(coupling));
        }
      }
      if (largest > threshold) {
        keptSites.push(p, q);
        for (let k = 0; k < d * d; k++) keptEnergies.push(block[k]!);
      }
    }
  }

  // Move to the centred (ANOVA) gauge, which does not depend on x0: every pair block has zero
  // row and column means and every site energy zero mean, the means going to the sites and the
  // constant. The function is the same, but the builder's intermediate states are not: in the
  // anchored gauge, site fields are cancelled only by pair terms applied later, and the
  // truncations of those intermediate states lose what the final state needs (Ising 8x8 at
  // beta_c, chi 16: KL(pi || P) 3.8 anchored against 0.35 centred).
  let constant = e0;
  const pairEnergies = Float64Array.from(keptEnergies);
  const rowMean = new Float64Array(d);
  const columnMean = new Float64Array(d);
  for (let p = 0; p < keptSites.length / 2; p++) {
    const o = p * d * d;
    rowMean.fill(0);
    columnMean.fill(0);
    let mean = 0;
    for (let a = 0; a < d; a++) {
      for (let b = 0; b < d; b++) {
        const v = pairEnergies[o + a * d + b]! / d;
        rowMean[a]! += v;
        columnMean[b]! += v;
        mean += v / d;
      }
    }
    for (let a = 0; a < d; a++) {
      for (let b = 0; b < d; b++)
        pairEnergies[o + a * d + b]! -= rowMean[a]! + columnMean[b]! - mean;
    }
    const first = keptSites[2 * p]!;
    const second = keptSites[2 * p + 1]!;
    for (let a = 0; a < d; a++) {
      siteEnergies[first * d + a]! += rowMean[a]! - mean;
      siteEnergies[second * d + a]! += columnMean[a]! - mean;
    }
    constant += mean;
  }
  for (let i = 0; i < n; i++) {
    let mean = 0;
    for (let a = 0; a < d; a++) mean += siteEnergies[i * d + a]! / d;
    for (let a = 0; a < d; a++) siteEnergies[i * d + a]! -= mean;
    constant += mean;
  }

  const factors: LocalFactors = {
    specificationVersion: 'v1',
    siteEnergies,
    ...(keptSites.length > 0
      ? { pairs: { sites: Int32Array.from(keptSites), energies: pairEnergies } }
      : {}),
    constant,
  };

  // check the expansion on random configurations
  const data = new Uint8Array(checks * n);
  for (let k = 0; k < data.length; k++) data[k] = randomInteger(random, d);
  const e = energyOf(data, checks);
  let maxResidual = 0;
  for (let b = 0; b < checks; b++) {
    if (!Number.isFinite(e[b]!)) refuseInfinite('at a random configuration');
    const x = data.subarray(b * n, (b + 1) * n);
    maxResidual = Math.max(maxResidual, Math.abs(e[b]! - expansionEnergy(factors, x, d)));
  }
  return {
    factors,
    pairCount: keptSites.length / 2,
    maxResidual,
    pairwise: maxResidual <= threshold,
    scale,
    energyEvaluations: done,
  };
}

/** E(x) from local factors without constraints: constant + site terms + pair terms. */
function expansionEnergy(factors: LocalFactors, x: Uint8Array, d: number): number {
  let energy = factors.constant ?? 0;
  const site = factors.siteEnergies;
  if (site !== undefined) for (let i = 0; i < x.length; i++) energy += site[i * d + x[i]!]!;
  const pairs = factors.pairs;
  if (pairs !== undefined) {
    for (let p = 0; p < pairs.sites.length / 2; p++) {
      const a = x[pairs.sites[2 * p]!]!;
      const b = x[pairs.sites[2 * p + 1]!]!;
      energy += pairs.energies[p * d * d + a * d + b]!;
    }
  }
  return energy;
}
