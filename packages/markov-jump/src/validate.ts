/** Argument checks and seed handling shared by the package (internal). */
import {
  createRandom,
  InvalidArgumentError,
  type RandomGenerator,
  type SeedOrGenerator,
} from '@latticediff/tensor-network';

/** Throws an InvalidArgumentError naming the argument, the function and the value. */
export function invalidArgument(
  functionName: string,
  argument: string,
  value: unknown,
  expected: string,
): never {
  throw new InvalidArgumentError({ argument, functionName, value, expected });
}

/** Checks an options object. */
export function assertOptions(functionName: string, options: unknown, shape: string): void {
  if (typeof options !== 'object' || options === null) {
    invalidArgument(functionName, 'options', options, `an options object ${shape}`);
  }
}

/** Checks a time: a finite number >= 0. */
export function assertTime(
  functionName: string,
  argument: string,
  value: unknown,
): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    invalidArgument(functionName, argument, value, 'a finite number >= 0');
  }
}

/** Checks an integer in [min, max]. */
export function assertInteger(
  functionName: string,
  argument: string,
  value: unknown,
  min: number,
  max = Number.POSITIVE_INFINITY,
): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range =
      max === Number.POSITIVE_INFINITY
        ? min === 1
          ? 'a positive integer'
          : min === 0
            ? 'a non-negative integer'
            : `an integer >= ${min}`
        : `an integer in [${min}, ${max}]`;
    invalidArgument(functionName, argument, value, range);
  }
}

/** Accepts a seed (non-negative safe integer) or a generator. */
export function toRandom(functionName: string, seed: unknown): RandomGenerator {
  if (typeof seed === 'number') {
    if (!Number.isSafeInteger(seed) || seed < 0) {
      invalidArgument(
        functionName,
        'seed',
        seed,
        'a non-negative safe integer or a RandomGenerator',
      );
    }
    return createRandom(seed);
  }
  if (
    typeof seed === 'object' &&
    seed !== null &&
    typeof (seed as RandomGenerator).float64 === 'function' &&
    typeof (seed as RandomGenerator).fill === 'function'
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

export type { SeedOrGenerator };
