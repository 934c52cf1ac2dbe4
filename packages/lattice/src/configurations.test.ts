import { createRandom, InvalidArgumentError } from '@latticediff/tensor-network';
import { describe, expect, it } from 'vitest';
import { batchFromRows, batchRow, checkBatch, createBatch } from './configurations';
import { configurationIndex, enumerateConfigurations } from './enumerate';
import { randomInteger } from './random';
import { applySymmetry, randomSymmetryImages } from './symmetries';

describe('batches', () => {
  it('stores rows back to back', () => {
    const batch = batchFromRows(
      [
        [1, 0, 1],
        [0, 1, 1],
      ],
      3,
    );
    expect(batch.count).toBe(2);
    expect(Array.from(batchRow(batch, 1, 3))).toEqual([0, 1, 1]);
    expect(createBatch(4, 3).data.length).toBe(12);
    // more than 2^30 digits: refused naming count (2^20 x 2^20 was a bare RangeError)
    expect(() => createBatch(2 ** 20, 2 ** 20)).toThrow(
      '`count` passed to `createBatch` must be at most 1024 for 1048576 sites',
    );
  });

  it('rejects malformed batches naming the argument', () => {
    expect(() => checkBatch('m.energy', { data: new Uint8Array(5), count: 2 }, 3, 2)).toThrow(
      'invalid argument: `batch.data` passed to `m.energy` must be an array of at least count * sites = 2 * 3 = 6 digits (got 5)',
    );
    expect(() =>
      checkBatch('m.energy', { data: Uint8Array.from([0, 2, 1]), count: 1 }, 3, 2),
    ).toThrow('must be digits in 0..1 (entry 1 is not) (got 2)');
    expect(() => checkBatch('m.energy', { data: new Uint8Array(3), count: -1 }, 3, 2)).toThrow(
      '`batch.count`',
    );
    expect(() =>
      checkBatch(
        'm.energy',
        { data: new Float64Array(3) as unknown as Uint8Array, count: 1 },
        3,
        2,
      ),
    ).toThrow('`batch.data`');
  });
});

describe('enumeration', () => {
  it('lists configurations in C order (site 0 most significant)', () => {
    // (1.5 sites gave a count of 2.83)
    expect(() => enumerateConfigurations(1.5, 2)).toThrow(
      '`sites` passed to `enumerateConfigurations` must be an integer >= 1',
    );
    expect(() => enumerateConfigurations(3, 1)).toThrow('`localDimension`');
    const all = enumerateConfigurations(3, 2);
    expect(all.count).toBe(8);
    expect(Array.from(all.data.subarray(3 * 6, 3 * 7))).toEqual([1, 1, 0]);
    for (let k = 0; k < 8; k++)
      expect(configurationIndex(all.data.subarray(3 * k, 3 * k + 3), 2)).toBe(k);
    expect(() => enumerateConfigurations(40, 2)).toThrow(
      '`sites` passed to `enumerateConfigurations`',
    );
  });
});

describe('helpers refuse what they used to turn silently into other digits', () => {
  it('batchFromRows, batchRow, configurationIndex, randomInteger, applySymmetry and randomSymmetryImages', () => {
    const argumentOf = (call: () => unknown): string | undefined => {
      try {
        call();
      } catch (error) {
        if (InvalidArgumentError.isInstance(error)) return error.argument;
        throw error;
      }
      return undefined;
    };
    expect(argumentOf(() => batchFromRows([[0, Number.NaN]], 2))).toBe('rows[0][1]');
    expect(argumentOf(() => batchFromRows([[0, 1.5]], 2))).toBe('rows[0][1]');
    expect(argumentOf(() => batchFromRows([[0, 2 ** 40]], 2))).toBe('rows[0][1]');
    const batch = batchFromRows(
      [
        [0, 1],
        [1, 1],
      ],
      2,
    );
    expect(Array.from(batchRow(batch, 1, 2))).toEqual([1, 1]);
    expect(argumentOf(() => batchRow(batch, -1, 2))).toBe('index');
    expect(argumentOf(() => batchRow(batch, 2, 2))).toBe('index');
    expect(configurationIndex([1, 0, 1], 2)).toBe(5);
    expect(argumentOf(() => configurationIndex([0, 5, 1], 2))).toBe('x[1]');
    expect(argumentOf(() => configurationIndex([0, Number.NaN], 2))).toBe('x[1]');
    expect(argumentOf(() => randomInteger(createRandom(1), Number.NaN))).toBe('n');
    expect(argumentOf(() => randomInteger(createRandom(1), -1))).toBe('n');
    const flip = {
      name: 'flip',
      sites: Int32Array.from([1, 0]),
      digits: Int32Array.from([1, 0]),
      order: 2,
    };
    expect(Array.from(applySymmetry(flip, batch, 2).data)).toEqual([0, 1, 0, 0]);
    expect(argumentOf(() => applySymmetry(flip, { data: batch.data, count: 10 }, 2))).toBe(
      'batch.data',
    );
    expect(
      argumentOf(() => applySymmetry({ ...flip, sites: Int32Array.from([0, 0]) }, batch, 2)),
    ).toBe('symmetry.sites');
    expect(
      argumentOf(() => applySymmetry(flip, { data: Int32Array.from([5, 0]), count: 1 }, 2)),
    ).toBe('batch.data[0]');
    expect(
      argumentOf(() => randomSymmetryImages([{ ...flip, order: Number.NaN }], batch, 2, 1)),
    ).toBe('symmetries[0].order');
  });
});
