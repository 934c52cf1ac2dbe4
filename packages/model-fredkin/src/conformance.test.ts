import { describeLatticeModel } from '@latticediff/lattice/testing';
import { type FredkinParameters, fredkinModel } from './fredkin';

/** Independent reference: walk the heights, reject non-Dyck paths, E = -(1/2) ln(c/(1-c)) sum h. */
function referenceEnergy(p: FredkinParameters, x: ArrayLike<number>): number {
  const heights = [0];
  for (let i = 0; i < p.sites; i++) heights.push((heights[i] as number) + (x[i] === 1 ? 1 : -1));
  if (Math.min(...heights) < 0 || heights[p.sites] !== 0) return Number.POSITIVE_INFINITY;
  const area = heights.reduce((a, b) => a + b, 0);
  return -0.5 * Math.log(p.c / (1 - p.c)) * area;
}

describeLatticeModel(fredkinModel, {
  paramGrid: [
    { sites: 2, c: 0.3 },
    { sites: 4, c: 0.5 },
    { sites: 8, c: 0.2 },
    { sites: 12, c: 0.7 },
    { sites: 14, c: 0.93 },
    { sites: 14, c: 0.04 },
    { sites: 200, c: 0.6 },
  ],
  referenceEnergy,
  referenceAllowed: (p, x) => Number.isFinite(referenceEnergy(p, x)),
  invalidParameters: [
    { parameters: { sites: 7 }, argument: 'sites' },
    { parameters: { c: 1.5 }, argument: 'c' },
    { parameters: { sites: 1000 }, argument: 'sites', call: 'exactMPS' },
    { parameters: { sites: 10_002 }, argument: 'sites', call: 'exactObservables' },
  ],
});
