import { describeLatticeModel } from '@latticediff/lattice/testing';
import type { PottsParameters } from './parameters';
import { pottsModel } from './potts';

/** Independent reference: loop over (ix, iy) and the right/up neighbours with explicit wrapping. */
function referenceEnergy(p: PottsParameters, x: ArrayLike<number>): number {
  const colour = (ix: number, iy: number) => x[ix * p.ly + iy] as number;
  const periodicX = p.boundary === 'torus';
  const periodicY = p.boundary !== 'open';
  let e = 0;
  for (let ix = 0; ix < p.lx; ix++) {
    for (let iy = 0; iy < p.ly; iy++) {
      const s = colour(ix, iy);
      if (s === 0) e -= p.field;
      if (ix + 1 < p.lx) e -= s === colour(ix + 1, iy) ? p.coupling : 0;
      else if (periodicX && p.lx >= 2) e -= s === colour(0, iy) ? p.coupling : 0;
      if (iy + 1 < p.ly) e -= s === colour(ix, iy + 1) ? p.coupling : 0;
      else if (periodicY) e -= s === colour(ix, 0) ? p.coupling : 0;
    }
  }
  return e;
}

describeLatticeModel(pottsModel, {
  paramGrid: [
    { lx: 3, ly: 3 },
    { lx: 1, ly: 2, q: 4, beta: 0.7, field: 0.3 },
    { lx: 2, ly: 4, q: 3, beta: 0.6, coupling: -0.8, field: 0.25 },
    { lx: 3, ly: 2, q: 3, beta: 0.9, field: -0.2, boundary: 'torus' },
    { lx: 2, ly: 2, q: 5, beta: 1.1, boundary: 'torus' },
    { lx: 3, ly: 3, q: 2, beta: 0.8, field: 0.1, boundary: 'open' },
    { lx: 12, ly: 5, q: 3, beta: 0.9, field: 0.05 },
    { lx: 6, ly: 4, q: 10, beta: 1.5 },
  ],
  referenceEnergy,
  referenceAllowed: () => true,
  invalidParameters: [
    { parameters: { ly: 1 }, argument: 'ly' },
    { parameters: { q: 1 }, argument: 'q' },
    { parameters: { q: 11 }, argument: 'q' },
    { parameters: { beta: Number.POSITIVE_INFINITY }, argument: 'beta' },
    { parameters: { lx: 2, ly: 8, q: 3 }, argument: 'ly', call: 'exactObservables' },
    {
      parameters: { lx: 2, ly: 6, q: 3, boundary: 'torus' },
      argument: 'ly',
      call: 'exactObservables',
    },
    { parameters: { lx: 2, ly: 7, q: 3 }, argument: 'ly', call: 'exactMPS' },
    { parameters: { lx: 200, ly: 6, q: 3 }, argument: 'lx', call: 'exactMPS' },
    { parameters: { lx: 100_000, ly: 7, q: 3 }, argument: 'lx', call: 'exactObservables' },
  ],
});
