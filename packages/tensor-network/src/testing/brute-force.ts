/** Independent brute-force references for tests: enumerate configurations, multiply matrices. */
import type { MPS } from '../mps';

/** All configurations in C order (site 0 most significant). */
export function enumerate(physicalDims: readonly number[]): number[][] {
  let configs: number[][] = [[]];
  for (const d of physicalDims) {
    const next: number[][] = [];
    for (const c of configs) for (let s = 0; s < d; s++) next.push([...c, s]);
    configs = next;
  }
  return configs;
}

/** The unnormalised weight of one configuration by a naive chain of matrix products. */
export function bruteWeight(mps: MPS, config: readonly number[]): number {
  let row = [1];
  for (let i = 0; i < mps.length; i++) {
    const [l, d, r] = mps.siteShape(i);
    const t = mps.tensors[i]!;
    const s = config[i]!;
    const out = new Array<number>(r).fill(0);
    for (let a = 0; a < l; a++)
      for (let b = 0; b < r; b++) out[b]! += row[a]! * t[(a * d + s) * r + b]!;
    row = out;
  }
  return mps.kind === 'born' ? row[0]! * row[0]! : row[0]!;
}

/** The normalised distribution by enumeration, with the configurations. */
export function bruteDistribution(mps: MPS): { configs: number[][]; p: number[]; z: number } {
  const configs = enumerate(mps.physicalDims);
  const w = configs.map((c) => bruteWeight(mps, c));
  const z = w.reduce((a, b) => a + b, 0);
  return { configs, p: w.map((x) => x / z), z };
}

// the workspace's one chi-square (with its erfc) is in the test-kit
export { chiSquare } from '@latticediff/test-kit/testing';

/** Index of a configuration in C order. */
export function configIndex(
  config: ArrayLike<number>,
  physicalDims: readonly number[],
  offset = 0,
): number {
  let index = 0;
  for (let i = 0; i < physicalDims.length; i++)
    index = index * physicalDims[i]! + (config[offset + i] as number);
  return index;
}
