/**
 * Brute force over all d^N configurations, for small N: the reference every exact method is
 * checked against.
 */
import type {
  ConfigurationBatch,
  ExactObservables,
  LatticeModelInstance,
  ParameterValues,
} from './contract';
import { assertInteger, invalidArgument } from './errors';

/** Largest number of configurations the brute-force helpers accept (2^22). */
export const MAX_ENUMERATION_SIZE = 2 ** 22;

function enumerationSize(functionName: string, sites: number, localDimension: number): number {
  // (1.5 sites gave a count of 2.83)
  assertInteger(functionName, 'sites', sites, 1);
  assertInteger(functionName, 'localDimension', localDimension, 2);
  const size = localDimension ** sites;
  if (!(size <= MAX_ENUMERATION_SIZE)) {
    invalidArgument(
      functionName,
      'sites',
      sites,
      `small enough to enumerate (d^N <= ${MAX_ENUMERATION_SIZE} with d = ${localDimension})`,
    );
  }
  return size;
}

/**
 * All d^N configurations as one batch, in C order: configuration k has digits of k in base d with
 * site 0 the most significant (the order of `toDense` in @latticediff/tensor-network).
 */
export function enumerateConfigurations(
  sites: number,
  localDimension: number,
): { data: Uint8Array; count: number } {
  const count = enumerationSize('enumerateConfigurations', sites, localDimension);
  const data = new Uint8Array(count * sites);
  for (let k = 0; k < count; k++) {
    let rest = k;
    for (let i = sites - 1; i >= 0; i--) {
      data[k * sites + i] = rest % localDimension;
      rest = Math.floor(rest / localDimension);
    }
  }
  return { data, count };
}

/** Index of a configuration in the C order of {@link enumerateConfigurations}. */
export function configurationIndex(x: ArrayLike<number>, localDimension: number): number {
  const fn = 'configurationIndex';
  if (!Number.isInteger(localDimension) || localDimension < 2) {
    invalidArgument(fn, 'localDimension', localDimension, 'an integer >= 2');
  }
  if (x == null || typeof x.length !== 'number') invalidArgument(fn, 'x', x, 'a configuration');
  let k = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i] as number;
    // (a digit 5 of d = 2, or NaN, gave the index of another configuration, or NaN)
    if (!Number.isInteger(v) || v < 0 || v >= localDimension) {
      invalidArgument(fn, `x[${i}]`, v, `a digit in 0..${localDimension - 1}`);
    }
    k = k * localDimension + v;
  }
  if (!Number.isSafeInteger(k)) {
    invalidArgument(fn, 'x', `${x.length} digits`, 'a configuration whose index is a safe integer');
  }
  return k;
}

/** Result of {@link exactByEnumeration}. */
export interface EnumerationResult extends ExactObservables {
  /** Number of allowed configurations. */
  readonly allowedCount: number;
  /** Normalised pi(x) of every configuration, in C order. */
  readonly probabilities: Float64Array;
  /** E(x) of every configuration, in C order (+Infinity where not allowed). */
  readonly energies: Float64Array;
  /** The enumerated configurations. */
  readonly configurations: ConfigurationBatch;
}

/**
 * ln Z and the means of every observable of `instance` by summing over all d^N configurations
 * (refuses d^N > 2^22). Uses only the contract (energy, allowed, observe), so it is a reference
 * for any model's exact methods.
 */
export function exactByEnumeration<P extends ParameterValues>(
  instance: LatticeModelInstance<P>,
): EnumerationResult {
  const { sites, localDimension, beta } = instance;
  const configurations = enumerateConfigurations(sites, localDimension);
  const energies = instance.energy(configurations);
  const allowed = instance.allowed(configurations);
  // Shift by the smallest beta * E so that the largest weight is 1.
  let minimum = Number.POSITIVE_INFINITY;
  let allowedCount = 0;
  for (let k = 0; k < configurations.count; k++) {
    if (allowed[k] === 1) {
      allowedCount++;
      const betaEnergy = beta * (energies[k] as number);
      if (betaEnergy < minimum) minimum = betaEnergy;
    }
  }
  if (allowedCount === 0) {
    invalidArgument(
      'exactByEnumeration',
      'instance',
      instance.modelId,
      'a model with allowed configurations',
    );
  }
  // Sums are compensated (Neumaier) so that the reference keeps float64 accuracy over 2^20 terms.
  const probabilities = new Float64Array(configurations.count);
  const total = new CompensatedSum();
  for (let k = 0; k < configurations.count; k++) {
    if (allowed[k] !== 1) continue;
    const w = Math.exp(minimum - beta * (energies[k] as number));
    probabilities[k] = w;
    total.add(w);
  }
  const z = total.value;
  for (let k = 0; k < configurations.count; k++) probabilities[k]! /= z;
  const means: Record<string, number | Float64Array> = {};
  for (const spec of instance.observables) {
    const values = instance.observe(spec.name, configurations);
    const sums = Array.from({ length: spec.size }, () => new CompensatedSum());
    for (let k = 0; k < configurations.count; k++) {
      const p = probabilities[k] as number;
      if (p === 0) continue;
      for (let j = 0; j < spec.size; j++) sums[j]?.add(p * (values[k * spec.size + j] as number));
    }
    const mean = Float64Array.from(sums, (sum) => sum.value);
    means[spec.name] = spec.size === 1 ? (mean[0] as number) : mean;
  }
  return {
    logPartitionFunction: Math.log(z) - minimum,
    means,
    allowedCount,
    probabilities,
    energies,
    configurations,
  };
}

/** Neumaier's compensated summation: the error does not grow with the number of terms. */
export class CompensatedSum {
  private sum = 0;
  private compensation = 0;

  add(value: number): void {
    const t = this.sum + value;
    if (Math.abs(this.sum) >= Math.abs(value)) this.compensation += this.sum - t + value;
    else this.compensation += value - t + this.sum;
    this.sum = t;
  }

  get value(): number {
    return this.sum + this.compensation;
  }
}
