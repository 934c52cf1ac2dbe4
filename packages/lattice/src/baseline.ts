/**
 * The local Metropolis baseline, written against the contract only.
 */
import type { RandomGenerator } from '@latticediff/tensor-network';
import type { Configuration, LatticeModelInstance, ParameterValues } from './contract';

/** Result of {@link metropolisSweep}. */
export interface MetropolisSweepResult {
  /** Number of accepted moves. */
  readonly accepted: number;
  /** Number of attempted moves (one sweep = `localMoves.count` attempts). */
  readonly attempted: number;
  /** Total energy change of x. */
  readonly deltaEnergy: number;
}

/**
 * One sweep of local Metropolis on x (in place): `localMoves.count` times, pick a move slot k
 * uniformly, and apply it with probability min(1, exp(-beta * deltaEnergy)); unavailable moves
 * (deltaEnergy = +Infinity) are rejected. Leaves pi invariant because moves are involutions with
 * symmetric availability (see LocalMoves).
 */
export function metropolisSweep<P extends ParameterValues>(
  instance: LatticeModelInstance<P>,
  x: Configuration,
  random: RandomGenerator,
): MetropolisSweepResult {
  const moves = instance.localMoves;
  const beta = instance.beta;
  let accepted = 0;
  let deltaEnergy = 0;
  for (let attempt = 0; attempt < moves.count; attempt++) {
    const k = Math.floor(random.float64() * moves.count);
    const dE = moves.deltaEnergy(x, k);
    if (dE === Number.POSITIVE_INFINITY) continue;
    const u = random.float64();
    if (dE <= 0 || u < Math.exp(-beta * dE)) {
      moves.apply(x, k);
      accepted++;
      deltaEnergy += dE;
    }
  }
  return { accepted, attempted: moves.count, deltaEnergy };
}
