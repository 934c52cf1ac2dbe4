/**
 * Geometries and site orders: a chain, and the square lattice with open or periodic boundaries per
 * axis (open, cylinder, torus), ordered column by column (default) or row by row.
 */
import type { Configuration, Geometry } from './contract';
import { assertInteger, assertKnownOptions, invalidArgument, optionKeys } from './errors';

/**
 * Largest number of sites of a geometry (2^22): beyond it the coordinate tables and a single
 * configuration per chain no longer fit comfortably in memory.
 */
export const MAX_LATTICE_SITES = 2 ** 22;

/** Boundary presets of the square lattice: which axes (x, y) are periodic. */
export type SquareBoundary = 'cylinder' | 'torus' | 'open';

/**
 * Site orders of the square lattice.
 * - `column`: site = ix * Ly + iy (column by column along x; with a cylinder, open along x and
 *   periodic along y, the periodic bonds stay inside a column and every bond joins sites at most
 *   Ly apart in the order).
 * - `row`: site = iy * Lx + ix.
 */
export type SquareOrder = 'column' | 'row';

/** Options of {@link squareLattice}. */
export interface SquareLatticeOptions {
  /** Extent along x (number of columns). */
  lx: number;
  /** Extent along y (sites per column). */
  ly: number;
  /**
   * `cylinder` (default): open along x, periodic along y; `torus`: periodic along both;
   * `open`: open along both.
   */
  boundary?: SquareBoundary;
  /** Site order (default `column`). */
  order?: SquareOrder;
}

/** Periodicity [x, y] of a boundary preset. */
export function boundaryPeriodicity(boundary: SquareBoundary): readonly [boolean, boolean] {
  switch (boundary) {
    case 'cylinder':
      return [false, true];
    case 'torus':
      return [true, true];
    case 'open':
      return [false, false];
  }
  // (an unknown boundary returned undefined)
  return invalidArgument(
    'boundaryPeriodicity',
    'boundary',
    boundary,
    '"cylinder", "torus" or "open"',
  );
}

/** Site index of (ix, iy) in the column order: ix * ly + iy. */
export function columnOrderIndex(ix: number, iy: number, ly: number): number {
  // ((0, 2) with ly = 2 was the index of (1, 0))
  assertInteger('columnOrderIndex', 'ly', ly, 1);
  assertInteger('columnOrderIndex', 'ix', ix, 0);
  assertInteger('columnOrderIndex', 'iy', iy, 0, ly - 1);
  return ix * ly + iy;
}

class LatticeGeometry implements Geometry {
  readonly sites: number;
  readonly dimension: number;
  readonly bonds: Int32Array;

  constructor(
    readonly kind: 'chain' | 'square',
    readonly shape: readonly number[],
    readonly periodic: readonly boolean[],
    readonly order: string,
    readonly coordinates: Int32Array,
    private readonly indexOf: (coords: readonly number[]) => number,
  ) {
    this.dimension = shape.length;
    this.sites = coordinates.length / this.dimension;
    const bonds: number[] = [];
    const neighbour = new Array<number>(this.dimension);
    for (let site = 0; site < this.sites; site++) {
      for (let axis = 0; axis < this.dimension; axis++) {
        const length = shape[axis] as number;
        for (let a = 0; a < this.dimension; a++) {
          neighbour[a] = coordinates[site * this.dimension + a] as number;
        }
        const next = (neighbour[axis] as number) + 1;
        if (next < length) neighbour[axis] = next;
        else if (periodic[axis] && length >= 2) neighbour[axis] = 0;
        else continue;
        bonds.push(site, this.indexOf(neighbour));
      }
    }
    this.bonds = Int32Array.from(bonds);
  }

  siteIndex(coords: readonly number[]): number {
    if (!Array.isArray(coords) || coords.length !== this.dimension) {
      invalidArgument('Geometry.siteIndex', 'coordinates', coords, `${this.dimension} integers`);
    }
    const wrapped: number[] = [];
    for (let a = 0; a < this.dimension; a++) {
      const length = this.shape[a] as number;
      let c = coords[a] as number;
      if (!Number.isInteger(c)) return -1;
      if (this.periodic[a]) c = ((c % length) + length) % length;
      if (c < 0 || c >= length) return -1;
      wrapped.push(c);
    }
    return this.indexOf(wrapped);
  }
}

/** A chain of `length` sites at x = 0..length-1 (open unless `periodic`). */
export function chain(length: number, options: { periodic?: boolean } = {}): Geometry {
  assertInteger('chain', 'length', length, 1);
  if (length > MAX_LATTICE_SITES) {
    invalidArgument('chain', 'length', length, `an integer <= ${MAX_LATTICE_SITES} (sites)`);
  }
  if (typeof options !== 'object' || options === null) {
    invalidArgument('chain', 'options', options, 'an options object { periodic? }');
  }
  assertKnownOptions('chain', options, optionKeys<{ periodic?: boolean }>()(['periodic']));
  const periodic = options.periodic ?? false;
  if (typeof periodic !== 'boolean') invalidArgument('chain', 'periodic', periodic, 'a boolean');
  const coordinates = new Int32Array(length);
  for (let i = 0; i < length; i++) coordinates[i] = i;
  return new LatticeGeometry(
    'chain',
    [length],
    [periodic],
    'linear',
    coordinates,
    (c) => c[0] as number,
  );
}

/** An lx x ly square lattice with the given boundary preset and site order. */
export function squareLattice(options: SquareLatticeOptions): Geometry {
  const fn = 'squareLattice';
  if (typeof options !== 'object' || options === null) {
    invalidArgument(fn, 'options', options, 'an options object { lx, ly, boundary?, order? }');
  }
  assertKnownOptions(
    fn,
    options,
    optionKeys<SquareLatticeOptions>()(['lx', 'ly', 'boundary', 'order']),
  );
  const { lx, ly } = options;
  assertInteger(fn, 'lx', lx, 1);
  assertInteger(fn, 'ly', ly, 1);
  if (ly > MAX_LATTICE_SITES) {
    invalidArgument(fn, 'ly', ly, `an integer <= ${MAX_LATTICE_SITES} (sites)`);
  }
  if (lx * ly > MAX_LATTICE_SITES) {
    invalidArgument(
      fn,
      'lx',
      lx,
      `an integer <= ${Math.floor(MAX_LATTICE_SITES / ly)} for ly = ${ly} (lx * ly <= ${MAX_LATTICE_SITES} sites)`,
    );
  }
  const boundary = options.boundary ?? 'cylinder';
  if (boundary !== 'cylinder' && boundary !== 'torus' && boundary !== 'open') {
    invalidArgument(fn, 'boundary', boundary, 'one of "cylinder", "torus", "open"');
  }
  const order = options.order ?? 'column';
  if (order !== 'column' && order !== 'row')
    invalidArgument(fn, 'order', order, 'one of "column", "row"');
  const coordinates = new Int32Array(2 * lx * ly);
  const indexOf =
    order === 'column'
      ? (c: readonly number[]) => (c[0] as number) * ly + (c[1] as number)
      : (c: readonly number[]) => (c[1] as number) * lx + (c[0] as number);
  for (let ix = 0; ix < lx; ix++) {
    for (let iy = 0; iy < ly; iy++) {
      const site = indexOf([ix, iy]);
      coordinates[2 * site] = ix;
      coordinates[2 * site + 1] = iy;
    }
  }
  return new LatticeGeometry(
    'square',
    [lx, ly],
    [...boundaryPeriodicity(boundary)],
    order,
    coordinates,
    indexOf,
  );
}

/**
 * A configuration as a picture: `grid[row][column]`. For a square lattice row = iy and
 * column = ix; for a chain a single row.
 */
export function configurationToGrid(geometry: Geometry, x: ArrayLike<number>): number[][] {
  // (null was a TypeError)
  if (x == null || typeof x.length !== 'number') {
    invalidArgument('configurationToGrid', 'x', x, `a configuration of length ${geometry.sites}`);
  }
  if (x.length !== geometry.sites) {
    invalidArgument(
      'configurationToGrid',
      'x',
      x.length,
      `a configuration of length ${geometry.sites}`,
    );
  }
  if (geometry.dimension === 1) return [Array.from(x as Configuration)];
  const width = geometry.shape[0] as number;
  const height = geometry.shape[1] as number;
  const grid = Array.from({ length: height }, () => new Array<number>(width).fill(0));
  for (let site = 0; site < geometry.sites; site++) {
    const ix = geometry.coordinates[2 * site] as number;
    const iy = geometry.coordinates[2 * site + 1] as number;
    (grid[iy] as number[])[ix] = x[site] as number;
  }
  return grid;
}
