import { describeLatticeModel } from '@latticediff/lattice/testing';
import { isingModel } from './ising';
import type { IsingParameters } from './parameters';

/** Independent reference: loop over (ix, iy) and the right/up neighbours with explicit wrapping. */
function referenceEnergy(p: IsingParameters, x: ArrayLike<number>): number {
  const spin = (ix: number, iy: number) => 2 * (x[ix * p.ly + iy] as number) - 1;
  const periodicX = p.boundary === 'torus';
  const periodicY = p.boundary !== 'open';
  let e = 0;
  for (let ix = 0; ix < p.lx; ix++) {
    for (let iy = 0; iy < p.ly; iy++) {
      const s = spin(ix, iy);
      e -= p.field * s;
      if (ix + 1 < p.lx) e -= p.coupling * s * spin(ix + 1, iy);
      else if (periodicX && p.lx >= 2) e -= p.coupling * s * spin(0, iy);
      if (iy + 1 < p.ly) e -= p.coupling * s * spin(ix, iy + 1);
      else if (periodicY) e -= p.coupling * s * spin(ix, 0);
    }
  }
  return e;
}

describeLatticeModel(isingModel, {
  paramGrid: [
    { lx: 3, ly: 4, beta: 0.44 },
    { lx: 1, ly: 2, beta: 0.7, field: 0.3 },
    { lx: 4, ly: 3, beta: 0.3, coupling: -0.8, field: 0.25 },
    { lx: 3, ly: 3, beta: 0.5, field: -0.2, boundary: 'torus' },
    { lx: 2, ly: 2, beta: 0.9, boundary: 'torus' },
    { lx: 3, ly: 4, beta: 0.35, field: 0.1, boundary: 'open' },
    { lx: 12, ly: 5, beta: 0.4, field: 0.05 },
  ],
  referenceEnergy,
  referenceAllowed: () => true,
  invalidParameters: [
    { parameters: { ly: 1 }, argument: 'ly' },
    { parameters: { beta: Number.POSITIVE_INFINITY }, argument: 'beta' },
    { parameters: { lx: 2, ly: 15 }, argument: 'ly', call: 'exactObservables' },
    { parameters: { lx: 2, ly: 8, boundary: 'torus' }, argument: 'ly', call: 'exactObservables' },
    { parameters: { lx: 2, ly: 11 }, argument: 'ly', call: 'exactMPS' },
    { parameters: { lx: 200, ly: 10 }, argument: 'lx', call: 'exactMPS' },
    { parameters: { lx: 2000, ly: 14 }, argument: 'lx', call: 'exactObservables' },
  ],
});
