/** Float64 arithmetic shared by the networks' exact JavaScript samplers. */

/**
 * tanh in float64: Lambert's continued fraction (a [7/6] rational function) for |x| < 2, where
 * it is within 1.2e-8 of tanh (below float32's resolution, so the network the sampler runs is the
 * trained one), and Math.tanh beyond; about 6x faster than Math.tanh alone, which dominated the
 * cost of a draw. Any fixed function keeps the proposal exact; this one keeps it the trained one.
 */
export function tanh(x: number): number {
  if (x > -2 && x < 2) {
    const x2 = x * x;
    return (
      (x * (135135 + x2 * (17325 + x2 * (378 + x2)))) /
      (135135 + x2 * (62370 + x2 * (3150 + 28 * x2)))
    );
  }
  return Math.tanh(x);
}

/**
 * weights[s] = exp(weights[s] - max) for s < d, in place (logits to unnormalised conditional
 * probabilities); returns their sum, accumulated in order.
 */
export function exponentiate(weights: Float64Array, d: number, max: number): number {
  let total = 0;
  for (let s = 0; s < d; s++) {
    weights[s] = Math.exp(weights[s]! - max);
    total += weights[s]!;
  }
  return total;
}

/**
 * The digit whose cumulative weight first exceeds `target` (a uniform draw times the total):
 * the inverse-CDF draw of both networks' exact samplers.
 */
export function drawDigit(weights: Float64Array, d: number, target: number): number {
  let rest = target;
  let s = d - 1;
  for (let t = 0; t < d - 1; t++) {
    if (rest < weights[t]!) {
      s = t;
      break;
    }
    rest -= weights[t]!;
  }
  // rounding can leave the target past the last positive weight
  while (s > 0 && !(weights[s]! > 0)) s--;
  return s;
}
