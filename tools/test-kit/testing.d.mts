/** What the tests read of a latticediff InvalidArgumentError. */
export interface InvalidArgumentErrorLike extends Error {
  readonly argument: string;
  readonly functionName: string;
  readonly value: unknown;
  readonly expected: string;
}

/** The InvalidArgumentError thrown by `f` (fails the test on anything else, or nothing). */
export declare function invalidArgumentOf(f: () => unknown): InvalidArgumentErrorLike;

/** The InvalidArgumentError that `f`'s promise rejects with (fails the test on anything else). */
export declare function invalidArgumentOfAsync(f: () => unknown): Promise<InvalidArgumentErrorLike>;

/**
 * Pearson chi-square of counts against probabilities (cells with expected count < 5 pooled), with
 * the Wilson-Hilferty upper-tail p-value; a count in a zero-probability cell gives p = 0.
 */
export declare function chiSquare(
  counts: readonly number[],
  probabilities: readonly number[],
): { statistic: number; dof: number; pValue: number };
