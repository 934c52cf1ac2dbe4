/**
 * Heights of Fredkin configurations: x_i = 1 is an up step (h += 1), x_i = 0 a down step
 * (h -= 1), h_0 = 0. Dyck paths (the allowed set) have h_i >= 0 for all i and h_N = 0.
 */
import { invalidArgument } from '@latticediff/lattice';

/** Checks that x is a row of 0/1 digits (a digit 2 counted as a down step, NaN as well). */
function checkSteps(fn: string, x: ArrayLike<number>): void {
  if (x == null || typeof x.length !== 'number') invalidArgument(fn, 'x', x, 'a configuration');
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (v !== 0 && v !== 1) invalidArgument(fn, `x[${i}]`, v, '0 (a down step) or 1 (an up step)');
  }
}

/** The height profile h_0..h_N of x (N + 1 entries); `out` is reused when given. */
export function heightProfile(x: ArrayLike<number>, out?: Int32Array): Int32Array {
  checkSteps('heightProfile', x);
  const n = x.length;
  if (out !== undefined && (!(out instanceof Int32Array) || out.length < n + 1)) {
    // (a short `out` was silently cut)
    invalidArgument(
      'heightProfile',
      'out',
      out,
      `an Int32Array of at least N + 1 = ${n + 1} entries`,
    );
  }
  const h = out ?? new Int32Array(n + 1);
  h[0] = 0;
  for (let i = 0; i < n; i++) h[i + 1] = (h[i] as number) + ((x[i] as number) === 1 ? 1 : -1);
  return h;
}

/** True when x is a Dyck path: every height >= 0 and the final height 0. */
export function isDyckPath(x: ArrayLike<number>): boolean {
  checkSteps('isDyckPath', x);
  let h = 0;
  for (let i = 0; i < x.length; i++) {
    h += (x[i] as number) === 1 ? 1 : -1;
    if (h < 0) return false;
  }
  return h === 0;
}

/** The area sum_{i=1}^{N} h_i of x (no check that x is a Dyck path). */
export function heightSum(x: ArrayLike<number>): number {
  checkSteps('heightSum', x);
  let h = 0;
  let sum = 0;
  for (let i = 0; i < x.length; i++) {
    h += (x[i] as number) === 1 ? 1 : -1;
    sum += h;
  }
  return sum;
}
