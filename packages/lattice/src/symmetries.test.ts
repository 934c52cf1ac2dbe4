import { invalidArgumentOf } from '@latticediff/test-kit/testing';
import { describe, expect, it } from 'vitest';
import { chain, squareLattice } from './geometry';
import {
  applySymmetry,
  checkSymmetry,
  geometrySymmetries,
  randomSymmetryImages,
} from './symmetries';

const names = (s: { name: string }[]) => s.map((g) => g.name);

describe('geometrySymmetries', () => {
  it('gives translations along periodic axes, reflections, and the exchange of equal axes', () => {
    expect(
      names(geometrySymmetries(squareLattice({ lx: 4, ly: 3, boundary: 'cylinder' }))),
    ).toEqual(['translate-y', 'reflect-x', 'reflect-y']);
    expect(names(geometrySymmetries(squareLattice({ lx: 4, ly: 4, boundary: 'torus' })))).toEqual([
      'translate-x',
      'translate-y',
      'reflect-x',
      'reflect-y',
      'exchange-xy',
    ]);
    expect(names(geometrySymmetries(squareLattice({ lx: 3, ly: 4, boundary: 'open' })))).toEqual([
      'reflect-x',
      'reflect-y',
    ]);
    expect(names(geometrySymmetries(chain(1)))).toEqual([]);
  });

  it('maps sites as the coordinates say (column order ix * Ly + iy)', () => {
    const g = squareLattice({ lx: 2, ly: 3, boundary: 'cylinder' });
    const [translate, reflectX, reflectY] = geometrySymmetries(g);
    // (ix, iy) -> (ix, iy + 1 mod 3)
    expect(Array.from(translate!.sites)).toEqual([1, 2, 0, 4, 5, 3]);
    expect(translate!.order).toBe(3);
    expect(Array.from(reflectX!.sites)).toEqual([3, 4, 5, 0, 1, 2]);
    expect(Array.from(reflectY!.sites)).toEqual([2, 1, 0, 5, 4, 3]);
  });
});

describe('applySymmetry and randomSymmetryImages', () => {
  const flip = {
    name: 'flip',
    sites: Int32Array.of(0, 1, 2),
    digits: Int32Array.of(1, 0),
    order: 2,
  };
  const shift = { name: 'shift', sites: Int32Array.of(1, 2, 0), order: 3 };
  it('applies (g x)[sites[i]] = digits[x[i]]', () => {
    const batch = { data: Int32Array.of(1, 0, 0, 0, 1, 1), count: 2 };
    expect(Array.from(applySymmetry(shift, batch, 3).data)).toEqual([0, 1, 0, 1, 0, 1]);
    expect(Array.from(applySymmetry(flip, batch, 3).data)).toEqual([0, 1, 1, 1, 0, 0]);
  });

  it('draws every image of the group, seeded, and only images', () => {
    const x = Int32Array.of(1, 0, 0);
    const rows = 600;
    const batch = { data: new Int32Array(rows * 3), count: rows };
    for (let b = 0; b < rows; b++) batch.data.set(x, b * 3);
    const a = randomSymmetryImages([shift, flip], batch, 3, 5);
    const b = randomSymmetryImages([shift, flip], batch, 3, 5);
    expect(a.data).toEqual(b.data);
    const seen = new Map<string, number>();
    for (let k = 0; k < rows; k++) {
      const key = Array.from(a.data.subarray(k * 3, k * 3 + 3)).join('');
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
    // the orbit of 100 under shifts and flips: 100 010 001 011 101 110, 100 draws each on average
    expect([...seen.keys()].sort()).toEqual(['001', '010', '011', '100', '101', '110']);
    // each image has probability 1/6: counts within 4 standard deviations of 100
    const sd = Math.sqrt(rows * (1 / 6) * (5 / 6));
    for (const c of seen.values()) expect(Math.abs(c - 100)).toBeLessThan(4 * sd);
    expect(randomSymmetryImages([], batch, 3, 1).data).toEqual(batch.data);
  });

  it('refuses malformed symmetries naming the field', () => {
    const field = (g: unknown): string =>
      invalidArgumentOf(() => checkSymmetry('f', 'g', g as never, 3, 2)).argument;
    expect(() => checkSymmetry('f', 'g', shift, 3, 2)).not.toThrow();
    expect(field({ ...shift, sites: Int32Array.of(0, 0, 1) })).toBe('g.sites');
    expect(field({ ...shift, sites: [1, 2, 0] })).toBe('g.sites');
    expect(field({ ...flip, digits: Int32Array.of(1, 1) })).toBe('g.digits');
    expect(field({ ...shift, order: 0 })).toBe('g.order');
  });
});
