import { createRandom, type RandomGenerator } from '@latticediff/tensor-network';
import { invalidArgument } from './errors';

/**
 * Accepts a seed (a non-negative safe integer, turned into `createRandom(seed)`) or a
 * RandomGenerator, as every stochastic function in latticediff does.
 */
export function toRandom(functionName: string, seed: unknown): RandomGenerator {
  if (typeof seed === 'number' && Number.isSafeInteger(seed) && seed >= 0)
    return createRandom(seed);
  if (
    typeof seed === 'object' &&
    seed !== null &&
    typeof (seed as RandomGenerator).float64 === 'function' &&
    typeof (seed as RandomGenerator).uint32 === 'function'
  ) {
    return seed as RandomGenerator;
  }
  return invalidArgument(
    functionName,
    'seed',
    seed,
    'a non-negative safe integer or a RandomGenerator',
  );
}

/** Uniform integer in [0, n) (n <= 2^32), without modulo bias. */
export function randomInteger(random: RandomGenerator, n: number): number {
  return Math.floor(random.float64() * n);
}
