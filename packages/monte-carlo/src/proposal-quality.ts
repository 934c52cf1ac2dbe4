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
 */
import type { LatticeModelInstance } from '@latticediff/lattice';
import { type MPS, type SeedOrGenerator, sample } from '@latticediff/tensor-network';
import { assertInteger, assertMPS, invalidArgument } from '@latticediff/tensor-network/internal';

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

/**
 * Draws `count` exact samples of the proposal `mps` and estimates from their importance weights
 * the allowed mass, ln Z and KL(pi || P) with error bars (see the module comment). `seed` makes it
 * reproducible.
 */
export function proposalQuality(
  instance: LatticeModelInstance,
  mps: MPS,
  options: { count: number; seed: SeedOrGenerator },
): ProposalQuality {
  const fn = 'proposalQuality';
  if (!instance || typeof instance.energy !== 'function') {
    invalidArgument(fn, 'instance', instance, 'a lattice model instance');
  }
  assertMPS(fn, mps);
  if (
    mps.length !== instance.sites ||
    mps.physicalDims.some((d) => d !== instance.localDimension)
  ) {
    invalidArgument(
      fn,
      'mps',
      `an MPS of ${mps.length} sites`,
      `an MPS over the model's ${instance.sites} sites of dimension ${instance.localDimension}`,
    );
  }
  assertInteger(fn, 'count', options?.count, 2);
  const count = options.count;
  const draws = sample(mps, { count, seed: options.seed });
  const energy = instance.energy(draws);
  const logWeight = new Float64Array(count);
  let allowed = 0;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < count; i++) {
    const e = energy[i]!;
    const l = Number.isFinite(e) ? -instance.beta * e - draws.logProbabilities[i]! : -Infinity;
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
