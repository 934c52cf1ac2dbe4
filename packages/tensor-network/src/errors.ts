/**
 * Error classes of latticediff. Each carries a stable `name` and a symbol marker so that
 * `isInstance` works across duplicated installs of the package (where `instanceof` fails).
 */

const marker = Symbol.for('latticediff.error');

/** Base class of every error thrown on purpose by latticediff packages. */
export class LatticeDiffError extends Error {
  constructor(name: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = name;
    Object.defineProperty(this, marker, { value: true, enumerable: false });
  }

  /** True for any latticediff error, even one created by another copy of this package. */
  static isInstance(error: unknown): error is LatticeDiffError {
    return (
      typeof error === 'object' &&
      error !== null &&
      (error as Record<symbol, unknown>)[marker] === true
    );
  }
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null)
    return String(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (Array.isArray(value)) {
    const head = value.slice(0, 8).map(describeValue).join(', ');
    return value.length > 8 ? `[${head}, ... (${value.length} items)]` : `[${head}]`;
  }
  if (ArrayBuffer.isView(value))
    return `${value.constructor.name}(${(value as Float64Array).length})`;
  try {
    const text = JSON.stringify(value);
    return text.length > 120 ? `${text.slice(0, 117)}...` : text;
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** A function received an argument it cannot use. The message names argument, function and value. */
export class InvalidArgumentError extends LatticeDiffError {
  static readonly errorName = 'LatticeDiffInvalidArgumentError';
  readonly argument: string;
  readonly functionName: string;
  readonly value: unknown;
  /** What the argument must be (the message's "must be ..." part). */
  readonly expected: string;

  constructor(options: {
    argument: string;
    functionName: string;
    value: unknown;
    expected: string;
    cause?: unknown;
  }) {
    super(
      InvalidArgumentError.errorName,
      `invalid argument: \`${options.argument}\` passed to \`${options.functionName}\` must be ${options.expected} (got ${describeValue(options.value)})`,
      { cause: options.cause },
    );
    this.argument = options.argument;
    this.functionName = options.functionName;
    this.value = options.value;
    this.expected = options.expected;
  }

  static override isInstance(error: unknown): error is InvalidArgumentError {
    return LatticeDiffError.isInstance(error) && error.name === InvalidArgumentError.errorName;
  }
}

/** A serialized object could not be read: malformed, truncated, inconsistent or of another version. */
export class FormatError extends LatticeDiffError {
  static readonly errorName = 'LatticeDiffFormatError';
  readonly field: string;

  constructor(field: string, message: string, options?: { cause?: unknown }) {
    super(FormatError.errorName, `invalid file: ${field}: ${message}`, options);
    this.field = field;
  }

  static override isInstance(error: unknown): error is FormatError {
    return LatticeDiffError.isInstance(error) && error.name === FormatError.errorName;
  }
}

/** A numerical routine failed (e.g. no convergence, or a distribution with zero total weight). */
export class NumericalError extends LatticeDiffError {
  static readonly errorName = 'LatticeDiffNumericalError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(NumericalError.errorName, message, options);
  }

  static override isInstance(error: unknown): error is NumericalError {
    return LatticeDiffError.isInstance(error) && error.name === NumericalError.errorName;
  }
}

function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
}

/**
 * The float64 kernels' workspace cannot grow to what a call needs (WebAssembly memory is at most
 * 4 GiB; the JavaScript engine's arrays have their own limit). `bytes` is what it needed when it failed (a lower bound of what the call needs).
 */
export class WorkspaceMemoryError extends LatticeDiffError {
  static readonly errorName = 'LatticeDiffWorkspaceMemoryError';
  readonly bytes: number;

  constructor(bytes: number, options?: { cause?: unknown }) {
    super(
      WorkspaceMemoryError.errorName,
      `the kernels' workspace needs more than ${gib(bytes)}, which this engine cannot allocate (WebAssembly memory holds at most 4 GiB); pass fewer rows per call`,
      options,
    );
    this.bytes = bytes;
  }

  static override isInstance(error: unknown): error is WorkspaceMemoryError {
    return LatticeDiffError.isInstance(error) && error.name === WorkspaceMemoryError.errorName;
  }
}

/**
 * Runs a batch computation of `count` rows; a workspace that cannot hold it becomes an
 * {@link InvalidArgumentError} naming `argument` and the count.
 */
export function withinWorkspace<T>(
  functionName: string,
  argument: string,
  count: number,
  body: () => T,
): T {
  try {
    return body();
  } catch (error) {
    if (!WorkspaceMemoryError.isInstance(error) || count < 1) throw error;
    throw new InvalidArgumentError({
      argument,
      functionName,
      value: count,
      expected: `a batch that fits the kernels' memory (it needs more than ${gib(error.bytes)}; WebAssembly memory holds at most 4 GiB): pass fewer rows per call`,
      cause: error,
    });
  }
}

/** Throws an {@link InvalidArgumentError}. */
export function invalidArgument(
  functionName: string,
  argument: string,
  value: unknown,
  expected: string,
): never {
  throw new InvalidArgumentError({ argument, functionName, value, expected });
}

/** Checks that `value` is an integer in [min, max]. */
export function assertInteger(
  functionName: string,
  argument: string,
  value: unknown,
  min = Number.NEGATIVE_INFINITY,
  max = Number.POSITIVE_INFINITY,
): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range =
      min === Number.NEGATIVE_INFINITY && max === Number.POSITIVE_INFINITY
        ? 'an integer'
        : max === Number.POSITIVE_INFINITY
          ? min === 1
            ? 'a positive integer'
            : min === 0
              ? 'a non-negative integer'
              : `an integer >= ${min}`
          : `an integer in [${min}, ${max}]`;
    invalidArgument(functionName, argument, value, range);
  }
}

/** Checks that `value` is a finite number (optionally within [min, max]). */
export function assertFinite(
  functionName: string,
  argument: string,
  value: unknown,
  min = Number.NEGATIVE_INFINITY,
  max = Number.POSITIVE_INFINITY,
): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    const range =
      min === Number.NEGATIVE_INFINITY && max === Number.POSITIVE_INFINITY
        ? 'a finite number'
        : max === Number.POSITIVE_INFINITY
          ? min === Number.MIN_VALUE
            ? 'a finite number > 0'
            : `a finite number >= ${min}`
          : min === Number.NEGATIVE_INFINITY
            ? `a finite number <= ${max}`
            : `a finite number in [${min}, ${max}]`;
    invalidArgument(functionName, argument, value, range);
  }
}

/**
 * Checks that an options object has no property outside `known` (a misspelt option such as
 * `maxBond` for `maxBondDim` would otherwise be ignored without a word). Properties whose value
 * is undefined are allowed.
 */
export function assertKnownOptions(
  functionName: string,
  options: object,
  known: readonly string[],
  argument = 'options',
): void {
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined && !known.includes(key)) {
      invalidArgument(
        functionName,
        `${argument}.${key}`,
        value,
        `absent: \`${functionName}\` has no option \`${key}\` (its options are ${known.map((k) => `\`${k}\``).join(', ')})`,
      );
    }
  }
}

/** `unknown` when K lists every key of T, else a type that names the missing keys. */
type ListsEveryKey<T, K extends readonly PropertyKey[]> = [Exclude<keyof T, K[number]>] extends [
  never,
]
  ? unknown
  : { readonly missingOptions: Exclude<keyof T, K[number]> };

/**
 * The option names of an options type, written once and checked by the compiler against the
 * type: `optionKeys<SampleOptions>()(['count', 'seed'])` does not compile when a listed name is
 * not an option of the type, nor when an option of the type is missing from the list. For
 * {@link assertKnownOptions}. Internal.
 */
export function optionKeys<T extends object>() {
  return <const K extends readonly (keyof T & string)[]>(keys: K & ListsEveryKey<T, K>): K => keys;
}

/**
 * Why `value` does not carry `brand` at layout `version` (the mark that objects of this package,
 * from any installed copy, put on themselves; see `MPS.isMPS`), or null when it does: `expected`
 * for anything without the brand, a message naming both versions for another layout. Internal.
 */
export function brandMismatch(
  value: unknown,
  brand: symbol,
  version: number,
  noun: string,
  expected: string,
): string | null {
  if (typeof value !== 'object' || value === null) return expected;
  const found = (value as Record<symbol, unknown>)[brand];
  if (found === undefined) return expected;
  if (found !== version) {
    return `an ${noun} of a compatible copy of @latticediff/tensor-network (this copy reads layout version ${version}, the object has ${String(found)})`;
  }
  return null;
}
