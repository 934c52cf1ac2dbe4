/**
 * Pictures of the demos' configurations for the page: L x L grids, row-major, 0/1, in the
 * geometry of the L x L Ising model (shared by the MPS and the neural workers; no tfjs here).
 */
import { configurationToGrid } from '@latticediff/lattice';
import { isingModel } from '@latticediff/model-ising';

export function isingPictures(size: number): {
  /** One configuration as a picture. */
  picture(x: ArrayLike<number>): Uint8Array;
  /** `count` configurations (rows of L^2 digits) as consecutive pictures. */
  pictures(states: Int32Array, count: number): Uint8Array;
} {
  const geometry = isingModel.create({ lx: size, ly: size }).geometry;
  const n = geometry.sites;
  const picture = (x: ArrayLike<number>): Uint8Array =>
    Uint8Array.from(configurationToGrid(geometry, x).flat());
  return {
    picture,
    pictures(states, count) {
      const out = new Uint8Array(count * n);
      for (let c = 0; c < count; c++) out.set(picture(states.subarray(c * n, (c + 1) * n)), c * n);
      return out;
    },
  };
}
