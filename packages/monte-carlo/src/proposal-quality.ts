/**
 * How good a proposal is, from its own exact samples and the model's energy alone (no samples of
 * pi, no exact reference). With M draws x_i ~ P and log-weights l_i = -beta E(x_i) - ln P(x_i)
 * (l_i = -Infinity off the allowed set), the importance weights w_i = e^{l_i} give
 *
 *   Z        = E_P[w]                      ln Z^ = ln( (1/M) sum_i w_i )
 *   KL(pi||P) = E_pi[l] - ln Z             KL^   = sum_i w_i l_i / sum_i w_i - ln Z^
 *
 * (the first term self-normalised). Error bars by the delta method: Var(ln Z^) = Var(w) / (M w̄²)
 * and Var(sum w l / sum w) = sum_i w_i² (l_i - m)² / (sum_i w_i)²; the KL error adds the two
 * variances (their covariance is left out, so it is approximate). Both estimators are consistent
 * but biased for small effective sample sizes of the weights (`importanceEss`): when that is a
 * handful, the KL estimate is a lower bound in practice (heavy weights not yet drawn). Everything
 * is float64 and in log space, scaled by the largest weight.
 *
 * The proposal is an MPS (exact draws with their float64 log P) or any independence proposal of
 * `runChains` (e.g. a neural network of @latticediff/neural, whose draws carry the float64 log q
 * of the process that drew them); both feed the one estimator below.
 */

import type { LatticeModelInstance } from '@latticediff/lattice';
import { MPS, type SamplerPool, type SeedOrGenerator, sample } from '@latticediff/tensor-network';
import {
  assertInteger,
  assertKnownOptions,
  invalidArgument,
  optionKeys,
} from '@latticediff/tensor-network/internal';
import type { IndependenceProposal } from './chains';
import { assertSamplerPool } from './sampler-pool-check';

/** Result of {@link proposalQuality}. */
export interface ProposalQuality {
  /** Number of draws M. */
  count: number;
  /** Fraction of the draws that the model allows (finite energy): the allowed mass of P. */
  allowedFraction: number;
  /** Importance-sampling estimate of ln Z and its standard error (NaN when no draw is allowed). */
  logPartitionFunction: number;
  logPartitionFunctionStdErr: number;
  /** Estimate of KL(pi || P) in nats and its approximate standard error. */
  kl: number;
  klStdErr: number;
  /** Effective sample size of the importance weights, (sum w)² / sum w². */
  importanceEss: number;
}

/** Options of {@link proposalQuality}. */
export interface ProposalQualityOptions {
  /** Draws M (>= 2). */
  count: number;
  /**
   * Seed or generator. An independence proposal draws from one integer seed: a generator gives
   * it the next 53 random bits, as `runChains` does.
   */
  seed: SeedOrGenerator;
  /**
   * For an MPS: draw on this pool's workers (the same draws as without it); the result is then
   * a Promise.
   */
  pool?: SamplerPool;
}

/**
 * Draws `count` exact samples of the proposal and estimates from their importance weights the
 * allowed mass, ln Z and KL(pi || P) with error bars (see the module comment). `seed` makes it
 * reproducible. For an MPS the result comes at once (a Promise with `pool`); an independence
 * proposal may draw asynchronously (its `sample` may return a Promise), so its result is a
 * Promise.
 */
export function proposalQuality(
  instance: LatticeModelInstance,
  proposal: MPS,
  options: ProposalQualityOptions & { pool: SamplerPool },
): Promise<ProposalQuality>;
export function proposalQuality(
  instance: LatticeModelInstance,
  proposal: MPS,
  options: ProposalQualityOptions & { pool?: undefined },
): ProposalQuality;
export function proposalQuality(
  instance: LatticeModelInstance,
  proposal: IndependenceProposal,
  options: ProposalQualityOptions,
): Promise<ProposalQuality>;
export function proposalQuality(
  instance: LatticeModelInstance,
  proposal: MPS | IndependenceProposal,
  options: ProposalQualityOptions,
): ProposalQuality | Promise<ProposalQuality>;
export function proposalQuality(
  instance: LatticeModelInstance,
  proposal: MPS | IndependenceProposal,
  options: ProposalQualityOptions,
): ProposalQuality | Promise<ProposalQuality> {
  const fn = 'proposalQuality';
  if (!instance || typeof instance.energy !== 'function') {
    invalidArgument(fn, 'instance', instance, 'a lattice model instance');
  }
  if (typeof options !== 'object' || options === null) {
    invalidArgument(fn, 'options', options, 'an options object { count, seed, pool? }');
  }
  // (a misspelt `cout` was reported as a missing `count`; other misspellings were ignored)
  assertKnownOptions(fn, options, optionKeys<ProposalQualityOptions>()(['count', 'seed', 'pool']));
  const { sites: n, localDimension: d } = instance;
  if (MPS.isMPS(proposal)) {
    if (proposal.length !== n || proposal.physicalDims.some((pd) => pd !== d)) {
      invalidArgument(
        fn,
        'mps',
        `an MPS of ${proposal.length} sites`,
        `an MPS over the model's ${n} sites of dimension ${d}`,
      );
    }
    assertInteger(fn, 'count', options?.count, 2);
    const { pool } = options;
    if (pool !== undefined) {
      assertSamplerPool(fn, pool);
      return pool
        .sample(proposal, { count: options.count, seed: options.seed })
        .then((draws) =>
          qualityOfDraws(instance, draws.data, options.count, draws.logProbabilities),
        );
    }
    const draws = sample(proposal, { count: options.count, seed: options.seed });
    return qualityOfDraws(instance, draws.data, options.count, draws.logProbabilities);
  }
  return independenceQuality(fn, instance, proposal, options);
}

/** {@link proposalQuality} of an independence proposal (every refusal a rejected Promise). */
async function independenceQuality(
  fn: string,
  instance: LatticeModelInstance,
  proposal: IndependenceProposal,
  options: ProposalQualityOptions,
): Promise<ProposalQuality> {
  const { sites: n, localDimension: d } = instance;
  if (
    typeof proposal !== 'object' ||
    proposal === null ||
    typeof (proposal as IndependenceProposal).sample !== 'function'
  ) {
    invalidArgument(
      fn,
      'proposal',
      proposal,
      'an MPS or an independence proposal { sites, localDimension, sample(count, seed), logProbabilities(batch) }',
    );
  }
  if (proposal.sites !== n || proposal.localDimension !== d) {
    invalidArgument(
      fn,
      'proposal',
      `a proposal of ${proposal.sites} sites of dimension ${proposal.localDimension}`,
      `the model's ${n} sites of dimension ${d}`,
    );
  }
  assertInteger(fn, 'count', options?.count, 2);
  if (options.pool !== undefined) {
    invalidArgument(
      fn,
      'pool',
      options.pool,
      'absent for an independence proposal (it draws by its own sample method)',
    );
  }
  const count = options.count;
  const { seed } = options;
  let integerSeed: number;
  if (typeof seed === 'number') {
    assertInteger(fn, 'seed', seed, 0, Number.MAX_SAFE_INTEGER);
    integerSeed = seed;
  } else {
    if (typeof seed?.uint32 !== 'function') {
      invalidArgument(fn, 'seed', seed, 'a non-negative integer or a RandomGenerator');
    }
    // 53 bits of the stream, as runChains seeds an independence proposal
    integerSeed = seed.uint32() * 2097152 + (seed.uint32() >>> 11);
  }
  const draws = await proposal.sample(count, integerSeed);
  if (draws?.data?.length !== count * n || draws.logProbabilities?.length !== count) {
    invalidArgument(
      fn,
      'proposal',
      'a proposal whose sample(count, seed) returned the wrong number of draws',
      `${count} draws of ${n} digits with ${count} log-probabilities`,
    );
  }
  return qualityOfDraws(instance, draws.data, count, draws.logProbabilities);
}

/** The estimator of the module comment, from draws of the proposal with their float64 log P. */
function qualityOfDraws(
  instance: LatticeModelInstance,
  data: Int32Array,
  count: number,
  logProbabilities: Float64Array,
): ProposalQuality {
  const energy = instance.energy({ data, count });
  const logWeight = new Float64Array(count);
  let allowed = 0;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < count; i++) {
    const e = energy[i]!;
    const l = Number.isFinite(e) ? -instance.beta * e - logProbabilities[i]! : -Infinity;
    logWeight[i] = l;
    if (Number.isFinite(e)) allowed++;
    if (l > max) max = l;
  }
  if (allowed === 0) {
    return {
      count,
      allowedFraction: 0,
      logPartitionFunction: Number.NaN,
      logPartitionFunctionStdErr: Number.NaN,
      kl: Number.NaN,
      klStdErr: Number.NaN,
      importanceEss: 0,
    };
  }
  // scaled weights u_i = w_i / w_max in (0, 1]
  let sumU = 0;
  let sumU2 = 0;
  let sumUL = 0;
  for (let i = 0; i < count; i++) {
    const l = logWeight[i]!;
    if (l === Number.NEGATIVE_INFINITY) continue;
    const u = Math.exp(l - max);
    sumU += u;
    sumU2 += u * u;
    sumUL += u * l;
  }
  const meanU = sumU / count;
  const varU = Math.max(0, sumU2 / count - meanU * meanU);
  const logZ = max + Math.log(meanU);
  const logZVar = varU / (count * meanU * meanU);
  const m = sumUL / sumU; // E_pi[l], self-normalised
  let spread = 0;
  for (let i = 0; i < count; i++) {
    const l = logWeight[i]!;
    if (l === Number.NEGATIVE_INFINITY) continue;
    const u = Math.exp(l - max);
    spread += u * u * (l - m) * (l - m);
  }
  const mVar = spread / (sumU * sumU);
  return {
    count,
    allowedFraction: allowed / count,
    logPartitionFunction: logZ,
    logPartitionFunctionStdErr: Math.sqrt(logZVar),
    kl: m - logZ,
    klStdErr: Math.sqrt(mVar + logZVar),
    importanceEss: (sumU * sumU) / sumU2,
  };
}
