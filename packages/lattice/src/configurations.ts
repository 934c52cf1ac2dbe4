/**
 * Helpers for configurations and batches (see {@link ConfigurationBatch}).
 */
import type { Configuration, ConfigurationBatch } from './contract';
import { assertInteger, invalidArgument } from './errors';

/** Largest number of digits of a batch made here (2^30, as the samplers'). */
const MAX_BATCH_DIGITS = 2 ** 30;

/** A batch of `count` all-zero configurations of `sites` digits each. */
export function createBatch(count: number, sites: number): { data: Uint8Array; count: number } {
  assertInteger('createBatch', 'count', count, 0);
  assertInteger('createBatch', 'sites', sites, 1);
  // (2^20 x 2^20 was a bare RangeError from the typed array)
  if (count * sites > MAX_BATCH_DIGITS) {
    invalidArgument(
      'createBatch',
      'count',
      count,
      `at most ${Math.floor(MAX_BATCH_DIGITS / sites)} for ${sites} sites (count * sites <= ${MAX_BATCH_DIGITS} digits)`,
    );
  }
  return { data: new Uint8Array(count * sites), count };
}

/** A batch holding copies of the given rows (all of length `sites`). */
export function batchFromRows(
  rows: readonly ArrayLike<number>[],
  sites: number,
): { data: Int32Array; count: number } {
  assertInteger('batchFromRows', 'sites', sites, 1);
  const data = new Int32Array(rows.length * sites);
  rows.forEach((row, b) => {
    if (row.length !== sites) {
      invalidArgument('batchFromRows', `rows[${b}]`, row.length, `a row of length ${sites}`);
    }
    for (let i = 0; i < sites; i++) {
      const v = row[i] as number;
      // (NaN became 0, 1.5 became 1 and 2^40 became 0 in the Int32Array)
      if (!Number.isInteger(v) || v < 0 || v > 2 ** 31 - 1) {
        invalidArgument('batchFromRows', `rows[${b}][${i}]`, v, 'a digit (an integer >= 0)');
      }
      data[b * sites + i] = v;
    }
  });
  return { data, count: rows.length };
}

/** Row `index` of the batch as a view (no copy). */
export function batchRow(batch: ConfigurationBatch, index: number, sites: number): Configuration {
  const fn = 'batchRow';
  assertInteger(fn, 'sites', sites, 1);
  checkBatchShape(fn, batch, sites);
  // (-1 or an index past the end gave an empty or short row)
  assertInteger(fn, 'index', index, 0, batch.count - 1);
  return batch.data.subarray(index * sites, (index + 1) * sites);
}

/**
 * Validates a batch for a model with `sites` sites and local dimension `localDimension`: a
 * non-negative integer count, enough data, digits in 0..d-1. Throws an InvalidArgumentError.
 */
export function checkBatch(
  functionName: string,
  batch: ConfigurationBatch,
  sites: number,
  localDimension: number,
): void {
  checkBatchShape(functionName, batch, sites);
  const size = batch.count * sites;
  const data = batch.data;
  for (let k = 0; k < size; k++) {
    const v = data[k] as number;
    if (v < 0 || v >= localDimension) {
      invalidArgument(
        functionName,
        'batch.data',
        v,
        `digits in 0..${localDimension - 1} (entry ${k} is not)`,
      );
    }
  }
}

/**
 * Validates the shape of a batch (a Uint8Array or Int32Array, a non-negative integer count,
 * enough data) but not its digits: for a model whose own pass over the digits checks them, at
 * no extra cost (call {@link checkBatch} when that pass finds a bad digit, for the same error).
 */
export function checkBatchShape(
  functionName: string,
  batch: ConfigurationBatch,
  sites: number,
): void {
  if (typeof batch !== 'object' || batch === null || !ArrayBuffer.isView(batch.data)) {
    invalidArgument(
      functionName,
      'batch',
      batch,
      'a batch { data: Uint8Array | Int32Array, count }',
    );
  }
  if (!(batch.data instanceof Uint8Array) && !(batch.data instanceof Int32Array)) {
    invalidArgument(functionName, 'batch.data', batch.data, 'a Uint8Array or an Int32Array');
  }
  assertInteger(functionName, 'batch.count', batch.count, 0);
  const size = batch.count * sites;
  if (batch.data.length < size) {
    invalidArgument(
      functionName,
      'batch.data',
      batch.data.length,
      `an array of at least count * sites = ${batch.count} * ${sites} = ${size} digits`,
    );
  }
}

/** Validates one configuration (length N, digits in 0..d-1). */
export function checkConfiguration(
  functionName: string,
  x: Configuration,
  sites: number,
  localDimension: number,
): void {
  if (!(x instanceof Uint8Array) && !(x instanceof Int32Array)) {
    invalidArgument(functionName, 'x', x, 'a Uint8Array or an Int32Array');
  }
  if (x.length !== sites)
    invalidArgument(functionName, 'x', x.length, `a configuration of length ${sites}`);
  checkBatch(functionName, { data: x, count: 1 }, sites, localDimension);
}
