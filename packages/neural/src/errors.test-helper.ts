import { FormatError } from '@latticediff/tensor-network';

/** The FormatError thrown by `f` (fails the test on anything else, or on nothing). */
export function formatErrorOf(f: () => unknown): FormatError {
  try {
    f();
  } catch (error) {
    if (FormatError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('no FormatError was thrown');
}
