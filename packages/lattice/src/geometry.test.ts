import { InvalidArgumentError } from '@latticediff/tensor-network';
import { describe, expect, it } from 'vitest';
import {
  boundaryPeriodicity,
  chain,
  columnOrderIndex,
  configurationToGrid,
  MAX_LATTICE_SITES,
  squareLattice,
} from './geometry';

function bondSet(bonds: Int32Array): string[] {
  const out: string[] = [];
  for (let k = 0; k < bonds.length; k += 2) {
    const a = bonds[k] as number;
    const b = bonds[k + 1] as number;
    out.push(a < b ? `${a}-${b}` : `${b}-${a}`);
  }
  return out.sort();
}

describe('chain', () => {
  it('places sites on a line with nearest-neighbour bonds', () => {
    const g = chain(4);
    expect(Array.from(g.coordinates)).toEqual([0, 1, 2, 3]);
    expect(bondSet(g.bonds)).toEqual(['0-1', '1-2', '2-3']);
    expect(bondSet(chain(4, { periodic: true }).bonds)).toEqual(['0-1', '0-3', '1-2', '2-3']);
    expect(chain(4, { periodic: true }).siteIndex([5])).toBe(1);
    expect(chain(4).siteIndex([5])).toBe(-1);
  });

  it('rejects a bad length', () => {
    expect(() => chain(0)).toThrow(InvalidArgumentError);
    expect(() => chain(0)).toThrow(
      'invalid argument: `length` passed to `chain` must be an integer >= 1 (got 0)',
    );
  });
});

describe('squareLattice', () => {
  it('orders a cylinder column by column so periodic bonds stay inside a column', () => {
    const g = squareLattice({ lx: 3, ly: 4 });
    expect(g.periodic).toEqual([false, true]);
    expect(g.order).toBe('column');
    for (let ix = 0; ix < 3; ix++) {
      for (let iy = 0; iy < 4; iy++) {
        const site = columnOrderIndex(ix, iy, 4);
        expect(site).toBe(ix * 4 + iy);
        expect(g.siteIndex([ix, iy])).toBe(site);
        expect([g.coordinates[2 * site], g.coordinates[2 * site + 1]]).toEqual([ix, iy]);
      }
    }
    // 2 * lx * ly - ly bonds (lx - 1 = 2 rows of horizontal bonds, ly vertical bonds per column)
    expect(g.bonds.length / 2).toBe(2 * 4 + 3 * 4);
    for (let k = 0; k < g.bonds.length; k += 2) {
      const a = g.bonds[k] as number;
      const b = g.bonds[k + 1] as number;
      expect(Math.abs(a - b)).toBeLessThanOrEqual(4);
      if (Math.abs(a - b) < 4) expect(Math.floor(a / 4)).toBe(Math.floor(b / 4));
    }
    expect(g.siteIndex([0, -1])).toBe(3);
    expect(g.siteIndex([-1, 0])).toBe(-1);
  });

  it('counts bonds for torus and open boundaries, including doubled bonds on a periodic axis of length 2', () => {
    expect(squareLattice({ lx: 3, ly: 4, boundary: 'torus' }).bonds.length / 2).toBe(24);
    expect(squareLattice({ lx: 3, ly: 4, boundary: 'open' }).bonds.length / 2).toBe(2 * 4 + 3 * 3);
    expect(bondSet(squareLattice({ lx: 1, ly: 2 }).bonds)).toEqual(['0-1', '0-1']);
    expect(squareLattice({ lx: 1, ly: 3, boundary: 'torus' }).bonds.length / 2).toBe(3);
  });

  it('supports the row order', () => {
    const g = squareLattice({ lx: 3, ly: 2, order: 'row', boundary: 'open' });
    expect(g.siteIndex([2, 1])).toBe(5);
    expect(bondSet(g.bonds)).toEqual(['0-1', '0-3', '1-2', '1-4', '2-5', '3-4', '4-5']);
  });

  it('draws configurations as grids [row = y][column = x]', () => {
    const g = squareLattice({ lx: 2, ly: 3 });
    expect(configurationToGrid(g, [1, 0, 0, 0, 1, 1])).toEqual([
      [1, 0],
      [0, 1],
      [0, 1],
    ]);
    expect(configurationToGrid(chain(3), [1, 0, 1])).toEqual([[1, 0, 1]]);
  });

  it('rejects bad options naming the argument', () => {
    expect(() => squareLattice({ lx: 0, ly: 2 })).toThrow('`lx` passed to `squareLattice`');
    expect(() => squareLattice({ lx: 2, ly: 2, boundary: 'klein' as 'torus' })).toThrow(
      '`boundary`',
    );
  });
});

describe('geometry sizes', () => {
  it('refuses more sites than MAX_LATTICE_SITES with an error naming the size (not a RangeError)', () => {
    const huge = () => squareLattice({ lx: 1e6, ly: 1e6 });
    expect(huge).toThrow(InvalidArgumentError);
    expect(huge).toThrow(`lx * ly <= ${MAX_LATTICE_SITES} sites`);
    expect(() => squareLattice({ lx: 1e9, ly: 2 })).toThrow('`lx`');
    expect(() => chain(1e10)).toThrow(InvalidArgumentError);
    expect(() => chain(MAX_LATTICE_SITES + 1)).toThrow('`length`');
  });

  it('accepts the largest size', () => {
    expect(chain(MAX_LATTICE_SITES).sites).toBe(MAX_LATTICE_SITES);
    expect(squareLattice({ lx: 2, ly: MAX_LATTICE_SITES / 2 }).sites).toBe(MAX_LATTICE_SITES);
  });
});

describe('geometry helpers with bad input (an audit)', () => {
  it('refuse out-of-range indices, unknown boundaries and a missing configuration', () => {
    // (0, 2) with ly = 2 aliased (1, 0); -1 and NaN were taken
    expect(columnOrderIndex(1, 1, 2)).toBe(3);
    expect(() => columnOrderIndex(0, 2, 2)).toThrow('`iy` passed to `columnOrderIndex`');
    expect(() => columnOrderIndex(-1, 0, 2)).toThrow('`ix` passed to `columnOrderIndex`');
    expect(() => columnOrderIndex(Number.NaN, 0, 2)).toThrow('`ix` passed to `columnOrderIndex`');
    expect(() => boundaryPeriodicity('x' as never)).toThrow(
      '`boundary` passed to `boundaryPeriodicity` must be "cylinder", "torus" or "open"',
    );
    expect(() => configurationToGrid(squareLattice({ lx: 2, ly: 2 }), null as never)).toThrow(
      '`x` passed to `configurationToGrid`',
    );
  });
});
