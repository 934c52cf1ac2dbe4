/** Test helper: the InvalidArgumentError a call throws. */
import { expect } from 'vitest';
import { InvalidArgumentError } from '../errors';

/** The InvalidArgumentError thrown by `f` (fails the test if `f` throws anything else or nothing). */
export function invalidArgumentOf(f: () => unknown): InvalidArgumentError {
  try {
    f();
  } catch (error) {
    expect(InvalidArgumentError.isInstance(error)).toBe(true);
    return error as InvalidArgumentError;
  }
  throw new Error('expected an InvalidArgumentError');
}
