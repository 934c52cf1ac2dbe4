/**
 * Physics-built proposals: the Born MPS of a model's Boltzmann distribution, built from the
 * model's local energy terms ({@link LocalFactors}) with SVD compression, never forming the exact
 * MPS. psi(x) = exp(-beta E(x) / 2) on the allowed set, so psi^2 ∝ pi: with no truncation the
 * result is exact, and with `{ maxBondDim, cutoff }` it is the zip-up compression of
 * `bornMPSFromFactors` (tensor-network), close to the SVD truncation of the exact Born MPS.
 */
import { bornMPSFromFactors, type MPS } from '@latticediff/tensor-network';
import type { LatticeModelInstance, LocalFactors } from './contract';
import { assertKnownOptions, invalidArgument, optionKeys } from './errors';

/** Options of {@link physicsBornMPS}. */
export interface PhysicsBornMPSOptions {
  /**
   * Largest bond dimension kept (required): a positive integer, or Infinity for the exact MPS of
   * a system small enough to hold it.
   */
  maxBondDim: number;
  /**
   * Relative discarded weight allowed per truncation (ITensor's cutoff, as in `compress`);
   * default 1e-12, which drops only numerically redundant directions and lets the truncations
   * use Gram matrices (fast). Below 1e-13 they use QR and SVDs: `cutoff: 0` with `maxBondDim`
   * Infinity is exact to rounding.
   */
  cutoff?: number;
  /** Progress of the build: called with the pair groups applied and their total. */
  onProgress?: (done: number, total: number) => void;
  /**
   * Local factors to build from instead of `instance.localFactors()`: for a model that has only
   * an energy function, those found by `probeLocalFactors(instance)`.
   */
  factors?: LocalFactors;
}

/** Result of {@link physicsBornMPS}. */
export interface PhysicsBornMPSResult {
  /** The Born MPS proposal, right-canonical with unit 2-norm. */
  mps: MPS;
  /**
   * 2 ln ||psi||: ln Z exactly when nothing was truncated (`totalTruncationError` 0), otherwise
   * the same quantity for the compressed amplitudes (an estimate of ln Z).
   */
  logPartitionFunction: number;
  /** Per bond (N - 1 entries): the weight discarded there, 1 - prod (1 - e) over truncations. */
  truncationError: Float64Array;
  /** 1 - prod (1 - e) over all truncations. */
  totalTruncationError: number;
  /** Bond dimensions of the result. */
  bondDims: number[];
}

/**
 * Builds the Born MPS of pi ∝ exp(-beta E) for a model that exposes its energy as local terms
 * (`instance.localFactors()`), applying them in the model's site order with compression to
 * `{ maxBondDim, cutoff }`. Refuses a model without local factors, naming what is missing.
 */
export function physicsBornMPS(
  instance: LatticeModelInstance,
  options: PhysicsBornMPSOptions,
): PhysicsBornMPSResult {
  const fn = 'physicsBornMPS';
  if (typeof instance !== 'object' || instance === null || typeof instance.sites !== 'number') {
    invalidArgument(fn, 'instance', instance, 'a lattice model instance (model.create(...))');
  }
  if (typeof options !== 'object' || options === null) {
    invalidArgument(fn, 'options', options, 'an options object { maxBondDim, cutoff }');
  }
  assertKnownOptions(
    fn,
    options,
    optionKeys<PhysicsBornMPSOptions>()(['maxBondDim', 'cutoff', 'onProgress', 'factors']),
  );
  if (options.factors === undefined && typeof instance.localFactors !== 'function') {
    invalidArgument(
      fn,
      'instance.localFactors',
      `model \`${instance.modelId}\` has none`,
      'a model that exposes its energy as local terms (the optional `localFactors()` of the ' +
        'lattice contract), or `options.factors` (for an energy without hard constraints, ' +
        '`probeLocalFactors(instance)` finds them); otherwise learn a proposal from the energy',
    );
  }
  const { maxBondDim } = options;
  if (
    typeof maxBondDim !== 'number' ||
    !(maxBondDim === Number.POSITIVE_INFINITY || (Number.isInteger(maxBondDim) && maxBondDim >= 1))
  ) {
    invalidArgument(fn, 'maxBondDim', maxBondDim, 'a positive integer (or Infinity)');
  }
  const cutoff = options.cutoff ?? 1e-12;
  if (typeof cutoff !== 'number' || !(cutoff >= 0 && cutoff < 1)) {
    invalidArgument(fn, 'cutoff', cutoff, 'a number in [0, 1)');
  }
  const factors = options.factors ?? (instance.localFactors as () => LocalFactors)();
  const { sites: n, localDimension: d, beta } = instance;
  checkFactors(
    fn,
    factors,
    n,
    d,
    options.factors === undefined ? 'instance.localFactors()' : 'factors',
  );
  const scale = -beta / 2;
  // an energy term of +Infinity forbids its configurations at every beta: -beta/2 * Infinity was
  // NaN at beta = 0 and +Infinity below 0 (a hard-core model failed the conformance kit there)
  const logWeight = (e: number) =>
    e === Number.POSITIVE_INFINITY ? Number.NEGATIVE_INFINITY : scale * e;
  const siteLogWeights = factors.siteEnergies?.map(logWeight);
  const pairs =
    factors.pairs === undefined
      ? undefined
      : { sites: factors.pairs.sites, logWeights: factors.pairs.energies.map(logWeight) };
  // the builder's own errors name the factor array at fault (`network.pairs.sites`, ...)
  const built = bornMPSFromFactors(
    {
      length: n,
      physicalDim: d,
      ...(siteLogWeights === undefined ? {} : { siteLogWeights }),
      ...(pairs === undefined ? {} : { pairs }),
      ...(factors.constraints === undefined ? {} : { constraints: factors.constraints }),
    },
    { maxBondDim, cutoff, ...(options.onProgress ? { onProgress: options.onProgress } : {}) },
  );
  return {
    mps: built.mps,
    logPartitionFunction: 2 * built.logNorm + 2 * scale * (factors.constant ?? 0),
    truncationError: built.truncationError,
    totalTruncationError: built.totalTruncationError,
    bondDims: built.bondDims,
  };
}

function checkFactors(
  fn: string,
  factors: LocalFactors,
  n: number,
  d: number,
  source: string,
): void {
  if (typeof factors !== 'object' || factors === null) {
    invalidArgument(fn, source, factors, 'a LocalFactors object');
  }
  // (a misspelt `siteEnergy` was ignored: the field dropped, silently another distribution)
  assertKnownOptions(
    fn,
    factors,
    optionKeys<LocalFactors>()([
      'specificationVersion',
      'siteEnergies',
      'pairs',
      'constraints',
      'constant',
    ]),
    source,
  );
  if (factors.specificationVersion !== 'v1') {
    invalidArgument(
      fn,
      `${source}.specificationVersion`,
      factors.specificationVersion,
      '"v1" (the version of local factors this package understands)',
    );
  }
  const site = factors.siteEnergies;
  if (site !== undefined && (!(site instanceof Float64Array) || site.length !== n * d)) {
    invalidArgument(fn, `${source}.siteEnergies`, site, `a Float64Array of N d = ${n * d} entries`);
  }
  const constant = factors.constant ?? 0;
  if (!Number.isFinite(constant)) {
    invalidArgument(fn, `${source}.constant`, constant, 'a finite number');
  }
}
