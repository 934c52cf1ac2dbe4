/**
 * Argument checks on top of @latticediff/tensor-network's helpers, adding ranges with a
 * `multipleOf` (even sizes). Messages name the argument, the function and the value.
 */
import { invalidArgument } from '@latticediff/tensor-network/internal';

export { assertKnownOptions, optionKeys } from '@latticediff/tensor-network/internal';
export { invalidArgument };

/** Checks that `value` is an integer in [min, max]. */
export function assertInteger(
  functionName: string,
  argument: string,
  value: unknown,
  min = Number.NEGATIVE_INFINITY,
  max = Number.POSITIVE_INFINITY,
): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    invalidArgument(functionName, argument, value, describeIntegerRange(min, max, 1));
  }
}

/** "an integer", "an even integer >= 2", "an integer in [1, 14]", ... */
export function describeIntegerRange(min: number, max: number, multipleOf: number): string {
  const kind =
    multipleOf === 2
      ? 'an even integer'
      : multipleOf > 1
        ? `an integer multiple of ${multipleOf}`
        : 'an integer';
  if (min === Number.NEGATIVE_INFINITY && max === Number.POSITIVE_INFINITY) return kind;
  if (max === Number.POSITIVE_INFINITY) return `${kind} >= ${min}`;
  if (min === Number.NEGATIVE_INFINITY) return `${kind} <= ${max}`;
  return `${kind} in [${min}, ${max}]`;
}
