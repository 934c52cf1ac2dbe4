/** Seeded AR(1) series for the tests: x_t = phi x_{t-1} + sqrt(1 - phi^2) eps_t (stationary start). */
import { createRandom, type RandomGenerator } from '@latticediff/tensor-network';

/** Standard normal deviates by Box-Muller (both deviates of a pair are used). */
export function normals(random: RandomGenerator, count: number): Float64Array {
  const out = new Float64Array(count);
  for (let i = 0; i < count; i += 2) {
    const u = 1 - random.float64(); // (0, 1]
    const v = random.float64();
    const radius = Math.sqrt(-2 * Math.log(u));
    out[i] = radius * Math.cos(2 * Math.PI * v);
    if (i + 1 < count) out[i + 1] = radius * Math.sin(2 * Math.PI * v);
  }
  return out;
}

/** An AR(1) series of unit variance, started in equilibrium; tau_int = (1 + phi) / (2 (1 - phi)). */
export function ar1(phi: number, length: number, seed: number | RandomGenerator, offset = 0) {
  const random = typeof seed === 'number' ? createRandom(seed) : seed;
  const eps = normals(random, length);
  const out = new Float64Array(length);
  const scale = Math.sqrt(1 - phi * phi);
  let x = eps[0]!;
  out[0] = x + offset;
  for (let t = 1; t < length; t++) {
    x = phi * x + scale * eps[t]!;
    out[t] = x + offset;
  }
  return out;
}

/** The exact integrated autocorrelation time of AR(1) in the 1/2 + sum convention. */
export function ar1TauInt(phi: number): number {
  return (1 + phi) / (2 * (1 - phi));
}
