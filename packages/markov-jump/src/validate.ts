/** Argument checks and seed handling shared by the package (internal). */
import type { SeedOrGenerator } from '@latticediff/tensor-network';
import { assertKnownOptions, invalidArgument } from '@latticediff/tensor-network/internal';

export {
  assertInteger,
  assertKnownOptions,
  assertMPS,
  invalidArgument,
  toRandom,
} from '@latticediff/tensor-network';

/**
 * Checks an options object: an object (described by `shape` in the error) with no property
 * outside `known`, so that a misspelt option is refused instead of ignored.
 */
export function assertOptions(
  functionName: string,
  options: unknown,
  shape: string,
  known: readonly string[],
): void {
  if (typeof options !== 'object' || options === null) {
    invalidArgument(functionName, 'options', options, `an options object ${shape}`);
  }
  assertKnownOptions(functionName, options, known);
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

export type { SeedOrGenerator };
