/**
 * The two MPS evaluations the conformance kit needs, on top of @latticediff/tensor-network's
 * float64 evaluation (which is itself tested against enumeration there).
 */
import { logNormalization, logProbabilities, type MPS } from '@latticediff/tensor-network';

/** ln of the contraction A_0[x_0] ... A_{N-1}[x_{N-1}] (-Infinity when it is 0). */
export function mpsLogValue(mps: MPS, x: ArrayLike<number>): number {
  const logZ = logNormalization(mps);
  const [lp] = logProbabilities(mps, { data: Int32Array.from(x as ArrayLike<number>), count: 1 });
  return (lp as number) + logZ;
}

/** ln of sum_x A_0[x_0] ... A_{N-1}[x_{N-1}] (the log normaliser of a linear MPS). */
export function mpsLogNormalization(mps: MPS): number {
  return logNormalization(mps);
}
