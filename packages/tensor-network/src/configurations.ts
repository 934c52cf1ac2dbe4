/** Batches of configurations: `count` rows of N digits, row-major. */
import { invalidArgument } from './errors';
import type { MPS } from './mps';

/**
 * A batch of configurations as flat row-major digits (`count` rows of N digits): the one batch
 * type of latticediff. `Data` narrows the digit storage where a package needs typed arrays (the
 * lattice contract's batches are `ConfigurationBatch<Uint8Array | Int32Array>`).
 */
export interface ConfigurationBatch<Data extends ArrayLike<number> = ArrayLike<number>> {
  /** Digits, row-major: configuration b, site i at `b * length + i`. */
  readonly data: Data;
  /** Number of configurations. */
  readonly count: number;
}

/** A batch given as a flat batch or as an array of configurations (arrays of digits). */
export type ConfigurationsInput = ConfigurationBatch | readonly (readonly number[])[];

/** Reads and validates a batch against the MPS (length and digit ranges). */
export function readConfigurations(
  fn: string,
  argument: string,
  mps: MPS,
  input: ConfigurationsInput,
): { data: Int32Array; count: number } {
  const n = mps.length;
  let data: Int32Array;
  let count: number;
  if (Array.isArray(input)) {
    count = input.length;
    data = new Int32Array(count * n);
    for (let b = 0; b < count; b++) {
      const row = input[b];
      if (!Array.isArray(row) || row.length !== n) {
        invalidArgument(fn, `${argument}[${b}]`, row, `an array of ${n} digits (one per site)`);
      }
      for (let i = 0; i < n; i++) {
        const v = row[i] as number;
        if (!Number.isInteger(v))
          invalidArgument(fn, `${argument}[${b}][${i}]`, v, 'an integer digit');
        data[b * n + i] = v;
      }
    }
  } else if (typeof input === 'object' && input !== null && 'data' in input && 'count' in input) {
    const batch = input as ConfigurationBatch & { length?: unknown };
    count = batch.count;
    if (!Number.isInteger(count) || count < 0)
      invalidArgument(fn, `${argument}.count`, count, 'a non-negative integer');
    // (a batch that says how many sites its rows have must agree with the MPS: a batch of
    // another length whose digit count happened to fit was read with its rows cut differently)
    if (batch.length !== undefined && batch.length !== n) {
      invalidArgument(
        fn,
        `${argument}.length`,
        batch.length,
        `${n}, the number of sites of the MPS (or absent)`,
      );
    }
    if (batch.data == null || batch.data.length !== count * n) {
      invalidArgument(
        fn,
        `${argument}.data`,
        batch.data?.length,
        `an array of count * length = ${count * n} digits`,
      );
    }
    data = batch.data instanceof Int32Array ? batch.data : Int32Array.from(batch.data);
    if (!(batch.data instanceof Int32Array)) {
      // Int32Array.from truncates non-integers silently; check the originals.
      for (let k = 0; k < data.length; k++) {
        if (data[k] !== batch.data[k])
          invalidArgument(fn, `${argument}.data[${k}]`, batch.data[k], 'an integer digit');
      }
    }
  } else {
    return invalidArgument(fn, argument, input, 'an array of configurations or { data, count }');
  }
  const dims = mps.physicalDims;
  for (let b = 0; b < count; b++) {
    for (let i = 0; i < n; i++) {
      const v = data[b * n + i]!;
      const d = dims[i]!;
      if (!(v >= 0 && v < d) || !Number.isInteger(v)) {
        invalidArgument(
          fn,
          `${argument}`,
          v,
          `digits in [0, ${d - 1}] (configuration ${b}, site ${i})`,
        );
      }
    }
  }
  return { data, count };
}

/**
 * Digits (each in 0..255) as base64 text of one byte per digit: the compact form in which
 * checkpoints store chain states and replay buffers.
 */
export function encodeDigits(digits: ArrayLike<number>): string {
  let text = '';
  for (let k = 0; k < digits.length; k += 8192) {
    const end = Math.min(digits.length, k + 8192);
    const codes = new Array<number>(end - k);
    for (let j = k; j < end; j++) codes[j - k] = digits[j] as number;
    text += String.fromCharCode(...codes);
  }
  return btoa(text);
}

/** The digits of {@link encodeDigits}'s text; throws a DOMException for text that is not base64. */
export function decodeDigits(text: string): Int32Array {
  const binary = atob(text);
  const out = new Int32Array(binary.length);
  for (let k = 0; k < binary.length; k++) out[k] = binary.charCodeAt(k);
  return out;
}

/** Row-major batches of `length` sites joined in order into one batch. */
export function concatenateBatches(
  parts: readonly ArrayLike<number>[],
  length: number,
): { data: Int32Array; count: number } {
  let total = 0;
  for (const p of parts) total += p.length;
  const data = new Int32Array(total);
  let offset = 0;
  for (const p of parts) {
    data.set(p, offset);
    offset += p.length;
  }
  return { data, count: total / length };
}
