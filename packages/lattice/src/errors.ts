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

/**
 * Largest span ln(largest / smallest entry) of a site tensor of an exact MPS built in float64:
 * exp(-700) is about 1e-304, just above float64's smallest normal number.
 */
export const MAX_LOG_WEIGHT_RANGE = 700;

/**
 * Refuses a beta at which the entries of an exact MPS's site tensors, spanning
 * exp(-beta * perBeta) .. 1, would underflow in float64 (configurations, frustrated ground states
 * included, would silently lose their weight). J and h are named in the message.
 */
export function assertLogWeightRange(
  functionName: string,
  beta: number,
  perBeta: number,
  coupling: number,
  field: number,
): void {
  if (beta * perBeta > MAX_LOG_WEIGHT_RANGE) {
    invalidArgument(
      functionName,
      'beta',
      beta,
      `at most ${Number((MAX_LOG_WEIGHT_RANGE / perBeta).toPrecision(6))} for J = ${coupling}, h = ${field} (the entries exp(-beta e_k) of a site tensor would span more than e^${MAX_LOG_WEIGHT_RANGE} and underflow in float64)`,
    );
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
