import { describe, expect, it } from 'vitest';
import { logProbabilities } from './evaluate';
import { concatenateBatches, decodeDigits, encodeDigits } from './internal';
import { randomMPS } from './mps';

describe('digit codec and batch joining (internal)', () => {
  it('round-trips digits 0..255 through base64, across the 8192-digit chunks', () => {
    for (const length of [0, 1, 8191, 8192, 8193, 20000]) {
      const digits = Int32Array.from({ length }, (_, k) => (k * 7919 + (k >> 5)) % 256);
      const text = encodeDigits(digits);
      // one byte per digit: 4 base64 characters per 3 digits
      expect(text.length).toBe(4 * Math.ceil(length / 3));
      expect(Array.from(decodeDigits(text))).toEqual(Array.from(digits));
    }
    expect(encodeDigits([0, 1, 2])).toBe(btoa('\u0000\u0001\u0002'));
    expect(() => decodeDigits('not base64!')).toThrow();
  });

  it('joins batches in order and counts their rows', () => {
    const joined = concatenateBatches([Int32Array.of(0, 1, 1, 0), [1, 1], new Uint8Array(0)], 2);
    expect(Array.from(joined.data)).toEqual([0, 1, 1, 0, 1, 1]);
    expect(joined.count).toBe(3);
  });
});

describe('a batch that gives its length', () => {
  it("must have the MPS's number of sites (rows of another length were read cut differently)", () => {
    const mps = randomMPS({ length: 4, bondDim: 2, seed: 1 });
    const data = Int32Array.from([0, 1, 1, 0, 1, 0, 0, 1]);
    expect(() => logProbabilities(mps, { data, count: 2, length: 2 } as never)).toThrow(
      '`configurations.length` passed to `logProbabilities` must be 4, the number of sites of the MPS (or absent) (got 2)',
    );
    const given = logProbabilities(mps, { data, count: 2, length: 4 } as never);
    expect(Array.from(given)).toEqual(Array.from(logProbabilities(mps, { data, count: 2 })));
  });
});
