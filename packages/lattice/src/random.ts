import { type RandomGenerator, toRandom } from '@latticediff/tensor-network';

export { toRandom };

/** Uniform integer in [0, n) (n <= 2^32), without modulo bias. */
export function randomInteger(random: RandomGenerator, n: number): number {
  return Math.floor(random.float64() * n);
}
