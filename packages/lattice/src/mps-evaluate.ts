/**
 * Small float64 evaluators of a linear MPS, written here so that the conformance kit does not
 * depend on evaluation routines of @latticediff/tensor-network (it only reads `tensors` and shapes).
 */
import type { MPS } from '@latticediff/tensor-network';

/** ln of the contraction A_0[x_0] ... A_{N-1}[x_{N-1}] (-Infinity when it is 0). Linear MPS only. */
export function mpsLogValue(mps: MPS, x: ArrayLike<number>): number {
  let vector = new Float64Array([1]);
  let logScale = 0;
  for (let i = 0; i < mps.length; i++) {
    const [l, d, r] = mps.siteShape(i);
    const tensor = mps.tensors[i] as Float64Array;
    const s = x[i] as number;
    const next = new Float64Array(r);
    for (let a = 0; a < l; a++) {
      const v = vector[a] as number;
      if (v === 0) continue;
      const base = (a * d + s) * r;
      for (let b = 0; b < r; b++) next[b]! += v * (tensor[base + b] as number);
    }
    let max = 0;
    for (let b = 0; b < r; b++) if ((next[b] as number) > max) max = next[b] as number;
    if (max === 0) return Number.NEGATIVE_INFINITY;
    for (let b = 0; b < r; b++) next[b]! /= max;
    logScale += Math.log(max);
    vector = next;
  }
  return logScale + Math.log(vector[0] as number);
}

/** ln of sum_x A_0[x_0] ... A_{N-1}[x_{N-1}] (the log normaliser of a linear MPS). */
export function mpsLogNormalization(mps: MPS): number {
  let vector = new Float64Array([1]);
  let logScale = 0;
  for (let i = 0; i < mps.length; i++) {
    const [l, d, r] = mps.siteShape(i);
    const tensor = mps.tensors[i] as Float64Array;
    const next = new Float64Array(r);
    for (let a = 0; a < l; a++) {
      const v = vector[a] as number;
      if (v === 0) continue;
      for (let s = 0; s < d; s++) {
        const base = (a * d + s) * r;
        for (let b = 0; b < r; b++) next[b]! += v * (tensor[base + b] as number);
      }
    }
    let max = 0;
    for (let b = 0; b < r; b++) if ((next[b] as number) > max) max = next[b] as number;
    if (max === 0) return Number.NEGATIVE_INFINITY;
    for (let b = 0; b < r; b++) next[b]! /= max;
    logScale += Math.log(max);
    vector = next;
  }
  return logScale + Math.log(vector[0] as number);
}
