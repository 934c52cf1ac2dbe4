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

/**
 * Pearson chi-square statistic of observed counts against expected probabilities, pooling
 * cells with expected count < 5 into one, and the upper-tail p-value (Wilson-Hilferty).
 */
export function chiSquare(
  counts: readonly number[],
  probabilities: readonly number[],
): { statistic: number; dof: number; pValue: number } {
  const total = counts.reduce((a, b) => a + b, 0);
  let stat = 0;
  let cells = 0;
  let pooledObserved = 0;
  let pooledExpected = 0;
  for (let k = 0; k < counts.length; k++) {
    const e = probabilities[k]! * total;
    if (e < 5) {
      pooledObserved += counts[k]!;
      pooledExpected += e;
      continue;
    }
    stat += (counts[k]! - e) ** 2 / e;
    cells++;
  }
  if (pooledExpected > 0) {
    if (pooledExpected >= 1) {
      stat += (pooledObserved - pooledExpected) ** 2 / pooledExpected;
      cells++;
    } else if (pooledObserved > 5) {
      stat = Number.POSITIVE_INFINITY;
    }
  }
  const dof = Math.max(cells - 1, 1);
  // Wilson-Hilferty: (X/k)^(1/3) ~ N(1 - 2/(9k), 2/(9k))
  const z = ((stat / dof) ** (1 / 3) - (1 - 2 / (9 * dof))) / Math.sqrt(2 / (9 * dof));
  const pValue = 0.5 * erfc(z / Math.SQRT2);
  return { statistic: stat, dof, pValue };
}

function erfc(x: number): number {
  // Numerical Recipes erfcc, relative error < 1.2e-7
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 +
                            t *
                              (-1.13520398 +
                                t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

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
