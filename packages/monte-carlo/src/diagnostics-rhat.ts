/**
 * The between-chain diagnostic: rank-normalised split R-hat (Vehtari, Gelman, Simpson, Carpenter
 * and Bürkner 2021; ArviZ's `rhat`, Stan's). The within-chain diagnostics (tau_int, the window,
 * binning) cannot see chains that sit in different modes and never cross: their pooled rho decays
 * slowly at best. R-hat compares the chains with each other: near 1 when they sample the same
 * distribution, above 1.01 when they do not (the threshold the authors recommend).
 */
import { type Chains, readChains } from './diagnostics-validate';

/** Result of {@link rHat}. */
export interface RHatResult {
  /** max(bulk, tail) (the other where one is NaN): the value to compare with 1.01. */
  rHat: number;
  /** Split R-hat of the rank-normalised draws (differences of location). */
  bulk: number;
  /** Split R-hat of the rank-normalised |x - median| (differences of scale, the tails). */
  tail: number;
  /** Number of half-chains compared (2 per chain). */
  halfChains: number;
}

// Acklam's rational approximation of the standard normal quantile (relative error < 1.2e-9,
// checked against scipy.stats.norm.ppf over 1e-300 .. 1 - 1e-16): ample for a diagnostic
// whose value is read to three decimals.
const A = [
  -3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2,
  -3.066479806614716e1, 2.506628277459239,
];
const B = [
  -5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1,
  -1.328068155288572e1,
];
const C = [
  -7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734,
  4.374664141464968, 2.938163982698783,
];
const D = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
const P_LOW = 0.02425;

function lowerTail(p: number): number {
  const q = Math.sqrt(-2 * Math.log(p));
  return (
    (((((C[0]! * q + C[1]!) * q + C[2]!) * q + C[3]!) * q + C[4]!) * q + C[5]!) /
    ((((D[0]! * q + D[1]!) * q + D[2]!) * q + D[3]!) * q + 1)
  );
}

/** The standard normal quantile of p, given p and 1 - p (each exact, to keep both tails). */
export function normalQuantile(p: number, complement = 1 - p): number {
  if (p < P_LOW) return lowerTail(p);
  if (complement < P_LOW) return -lowerTail(complement);
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((A[0]! * r + A[1]!) * r + A[2]!) * r + A[3]!) * r + A[4]!) * r + A[5]!) * q) /
    (((((B[0]! * r + B[1]!) * r + B[2]!) * r + B[3]!) * r + B[4]!) * r + 1)
  );
}

/**
 * z-scores of all draws together: average ranks r (ties share theirs), then the normal
 * quantile of Blom's (r - 3/8) / (S + 1/4) (ArviZ's (r - c) / (S - 2c + 1) with c = 3/8).
 */
function rankNormalize(halves: Float64Array[]): Float64Array[] {
  let total = 0;
  for (const h of halves) total += h.length;
  const values = new Float64Array(total);
  let at = 0;
  for (const h of halves) {
    values.set(h, at);
    at += h.length;
  }
  // (a typed index array sorted by value: about twice as fast as a plain array of indices)
  const order = new Uint32Array(total);
  for (let i = 0; i < total; i++) order[i] = i;
  order.sort((a, b) => values[a]! - values[b]!);
  const rank = new Float64Array(total);
  for (let start = 0; start < total; ) {
    let end = start + 1;
    while (end < total && values[order[end]!] === values[order[start]!]) end++;
    // ranks start + 1 .. end share their average
    const average = (start + 1 + end) / 2;
    for (let k = start; k < end; k++) rank[order[k]!] = average;
    start = end;
  }
  const out: Float64Array[] = [];
  let offset = 0;
  for (const h of halves) {
    const z = new Float64Array(h.length);
    for (let t = 0; t < h.length; t++) {
      const r = rank[offset + t]!;
      z[t] = normalQuantile((r - 0.375) / (total + 0.25), (total - r + 0.625) / (total + 0.25));
    }
    offset += h.length;
    out.push(z);
  }
  return out;
}

/** Classic R-hat of equal-length chains: sqrt(((n - 1) / n W + B / n) / W). */
function classicRHat(chains: Float64Array[]): number {
  const m = chains.length;
  const n = chains[0]!.length;
  const means = chains.map((c) => c.reduce((a, v) => a + v, 0) / n);
  const grand = means.reduce((a, v) => a + v, 0) / m;
  const between = (n * means.reduce((a, v) => a + (v - grand) ** 2, 0)) / (m - 1);
  let within = 0;
  chains.forEach((c, k) => {
    let s = 0;
    for (const v of c) s += (v - means[k]!) ** 2;
    within += s / (n - 1);
  });
  within /= m;
  return Math.sqrt(((n - 1) / n) * within + between / n) / Math.sqrt(within);
}

/**
 * Rank-normalised split R-hat of independent chains ([chain][step], equal lengths, at least 4
 * steps each; one chain is split too, so it can be checked against itself): each chain is cut
 * into its first and last halves (the middle draw of an odd length is left out), all draws are
 * rank-normalised together, and the classic R-hat of the halves is taken for the draws (bulk)
 * and for their distances from the median (tail); `rHat` is the larger. Values above 1.01 say the
 * chains have not mixed: their error bars are not to be trusted. A constant observable gives NaN.
 */
export function rHat(series: Chains): RHatResult {
  const fn = 'rHat';
  const chains = readChains(fn, 'series', series, 4);
  const h = Math.floor(chains[0]!.length / 2);
  const split = (cs: Float64Array[]) =>
    cs.flatMap((c) => [c.subarray(0, h), c.subarray(c.length - h)]);
  // the median of all draws of the whole chains (of an odd length, the middle draws too), as
  // ArviZ folds them before splitting
  const all = new Float64Array(chains.length * chains[0]!.length);
  chains.forEach((c, k) => {
    all.set(c, k * c.length);
  });
  all.sort();
  const mid = all.length >> 1;
  const median = all.length % 2 === 1 ? all[mid]! : (all[mid - 1]! + all[mid]!) / 2;
  const halves = split(chains);
  const bulk = classicRHat(rankNormalize(halves));
  const tail = classicRHat(
    rankNormalize(split(chains.map((c) => c.map((v) => Math.abs(v - median))))),
  );
  // (NaN only when both are: chains constant at different values have an infinite bulk R-hat
  // and no spread about their median)
  const worst = Number.isNaN(bulk) ? tail : Number.isNaN(tail) ? bulk : Math.max(bulk, tail);
  return { rHat: worst, bulk, tail, halfChains: halves.length };
}
