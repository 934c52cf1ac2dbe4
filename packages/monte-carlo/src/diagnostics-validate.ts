/** Input checks of the diagnostics module (internal). Messages name argument, function, value. */
import {
  assertInteger,
  assertKnownOptions,
  invalidArgument,
} from '@latticediff/tensor-network/internal';

/** One time series: an array or typed array of finite numbers, in time order. */
export type Series = ArrayLike<number>;

/** Independent chains of one observable, [chains][steps]; every chain has the same length. */
export type Chains = readonly ArrayLike<number>[];

/** How lag products are computed: `direct` O(n L), `fft` O(n log n), `auto` picks the cheaper. */
export type AutocorrelationMethod = 'auto' | 'direct' | 'fft';

function isArrayLike(value: unknown): value is ArrayLike<unknown> {
  return (
    Array.isArray(value) ||
    (ArrayBuffer.isView(value) && !(value instanceof DataView) && 'length' in value)
  );
}

/**
 * Largest |value| the diagnostics take: 2^400 (about 2.6e120). They keep exact (double-double)
 * sums of values, squares and lag products, whose splitting multiplies a square by 2^27; past
 * about 2^480 those overflow and the variance and tau_int came out NaN (at 1e308 the exact sums
 * did not terminate). 2^400 leaves room for 2^100 samples.
 */
export const MAX_SERIES_MAGNITUDE = 2 ** 400;

const SERIES_EXPECTED =
  'a non-empty array of finite numbers, or an array of equal-length chains of them';

/**
 * Reads a series or a matrix [chains][steps] into float64 copies, checking that every value is
 * finite, that chains have the same length and at least `minLength` samples.
 */
export function readChains(
  functionName: string,
  argument: string,
  value: unknown,
  minLength = 2,
): Float64Array[] {
  if (!isArrayLike(value) || value.length === 0) {
    return invalidArgument(functionName, argument, value, SERIES_EXPECTED);
  }
  const first = value[0];
  if (typeof first === 'number') {
    return [readOne(functionName, argument, value, minLength)];
  }
  if (!isArrayLike(first)) {
    return invalidArgument(functionName, `${argument}[0]`, first, 'a finite number or a chain');
  }
  const chains: Float64Array[] = [];
  for (let c = 0; c < value.length; c++) {
    const chain = value[c];
    const name = `${argument}[${c}]`;
    if (!isArrayLike(chain)) {
      return invalidArgument(functionName, name, chain, 'an array of finite numbers (a chain)');
    }
    if (c > 0 && chain.length !== chains[0]!.length) {
      return invalidArgument(
        functionName,
        `${name}.length`,
        chain.length,
        `${chains[0]!.length}, the length of \`${argument}[0]\` (all chains must have the same length)`,
      );
    }
    chains.push(readOne(functionName, name, chain, minLength));
  }
  return chains;
}

function readOne(
  functionName: string,
  argument: string,
  value: ArrayLike<unknown>,
  minLength: number,
): Float64Array {
  if (value.length === 0) {
    return invalidArgument(functionName, argument, value, 'a non-empty array of finite numbers');
  }
  if (value.length < minLength) {
    return invalidArgument(
      functionName,
      argument,
      value,
      `an array of at least ${minLength} finite numbers`,
    );
  }
  const out = new Float64Array(value.length);
  for (let i = 0; i < value.length; i++) {
    const x = value[i];
    if (typeof x !== 'number' || !Number.isFinite(x)) {
      return invalidArgument(functionName, `${argument}[${i}]`, x, 'a finite number');
    }
    if (Math.abs(x) > MAX_SERIES_MAGNITUDE) {
      return invalidArgument(
        functionName,
        `${argument}[${i}]`,
        x,
        'a number with |x| <= 2^400 (about 2.6e120: the exact sums of squares and lag products overflow beyond it; rescale the observable)',
      );
    }
    out[i] = x;
  }
  return out;
}

/** Checks an optional options object. */
export function readOptions<T extends object>(
  functionName: string,
  options: unknown,
  known: readonly (keyof T & string)[],
): Partial<T> {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    return invalidArgument(functionName, 'options', options, 'an options object or undefined');
  }
  // (a misspelt `maxlag` or `minbins` ran with the default)
  assertKnownOptions(functionName, options, known);
  return options as Partial<T>;
}

/** Reads `options.method`. */
export function readMethod(functionName: string, value: unknown): AutocorrelationMethod {
  if (value === undefined) return 'auto';
  if (value !== 'auto' && value !== 'direct' && value !== 'fft') {
    return invalidArgument(functionName, 'options.method', value, "'auto', 'direct' or 'fft'");
  }
  return value;
}

/** Reads `options.c` (Sokal's windowing constant), default 5. */
export function readWindowConstant(functionName: string, value: unknown): number {
  if (value === undefined) return 5;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    return invalidArgument(functionName, 'options.c', value, 'a finite number > 0');
  }
  return value;
}

/** Reads a number of seconds: finite and > 0, or undefined. */
export function readSeconds(
  functionName: string,
  argument: string,
  value: unknown,
): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    return invalidArgument(functionName, argument, value, 'a finite number of seconds > 0');
  }
  return value;
}

/** Reads `options.minBins`, default 32. */
export function readMinBins(functionName: string, value: unknown): number {
  if (value === undefined) return 32;
  assertInteger(functionName, 'options.minBins', value, 2);
  return value;
}

/** The default largest lag for chains of length n: min(n - 1, max(64, floor(n / 20)), 65536). */
export function defaultMaxLag(chainLength: number): number {
  return Math.min(chainLength - 1, Math.max(64, Math.floor(chainLength / 20)), 65536);
}

/** Reads `options.maxLag` against the chain length (1 <= maxLag <= n - 1). */
export function readMaxLag(functionName: string, value: unknown, chainLength: number): number {
  if (value === undefined) return defaultMaxLag(chainLength);
  assertInteger(functionName, 'options.maxLag', value, 1, chainLength - 1);
  return value;
}
