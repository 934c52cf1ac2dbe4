/** Reading batches of (noisy or clean) configurations over a given number of states (internal). */
import type { ConfigurationsInput } from '@latticediff/tensor-network';
import { invalidArgument } from './validate';

/** Reads `{ data, count }` or an array of configurations, checking length and digit range. */
export function readStates(
  fn: string,
  argument: string,
  input: ConfigurationsInput,
  length: number,
  dim: number,
): { data: Int32Array; count: number } {
  let data: Int32Array;
  let count: number;
  if (Array.isArray(input)) {
    count = input.length;
    data = new Int32Array(count * length);
    for (let b = 0; b < count; b++) {
      const row = input[b];
      if (!Array.isArray(row) || row.length !== length) {
        invalidArgument(
          fn,
          `${argument}[${b}]`,
          row,
          `an array of ${length} digits (one per site)`,
        );
      }
      for (let i = 0; i < length; i++) {
        const v = row[i];
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= dim) {
          invalidArgument(fn, `${argument}[${b}][${i}]`, v, `an integer digit in [0, ${dim - 1}]`);
        }
        data[b * length + i] = v;
      }
    }
    return { data, count };
  }
  if (typeof input !== 'object' || input === null || !('data' in input) || !('count' in input)) {
    return invalidArgument(fn, argument, input, 'an array of configurations or { data, count }');
  }
  count = input.count;
  if (!Number.isInteger(count) || count < 0)
    invalidArgument(fn, `${argument}.count`, count, 'a non-negative integer');
  const raw = input.data;
  if (raw == null || raw.length !== count * length) {
    invalidArgument(
      fn,
      `${argument}.data`,
      raw?.length,
      `an array of count * N = ${count * length} digits (N = ${length} sites)`,
    );
  }
  data = raw instanceof Int32Array ? raw : new Int32Array(raw.length);
  for (let k = 0; k < raw.length; k++) {
    const v = raw[k] as number;
    if (!Number.isInteger(v) || v < 0 || v >= dim) {
      invalidArgument(fn, `${argument}.data[${k}]`, v, `an integer digit in [0, ${dim - 1}]`);
    }
    data[k] = v;
  }
  return { data, count };
}
