import { type RandomGenerator, toRandom } from '@latticediff/tensor-network';
import { invalidArgument } from './errors';

export { toRandom };

/** Uniform integer in [0, n) (n <= 2^32), without modulo bias. */
export function randomInteger(random: RandomGenerator, n: number): number {
  // (NaN or -1 came back as NaN or -1)
  if (!(Number.isInteger(n) && n >= 1 && n <= 2 ** 32)) {
    invalidArgument('randomInteger', 'n', n, 'an integer in [1, 2^32]');
  }
  return Math.floor(random.float64() * n);
}
