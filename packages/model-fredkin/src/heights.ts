/**
 * Heights of Fredkin configurations: x_i = 1 is an up step (h += 1), x_i = 0 a down step
 * (h -= 1), h_0 = 0. Dyck paths (the allowed set) have h_i >= 0 for all i and h_N = 0.
 */

/** The height profile h_0..h_N of x (N + 1 entries); `out` is reused when given. */
export function heightProfile(x: ArrayLike<number>, out?: Int32Array): Int32Array {
  const n = x.length;
  const h = out ?? new Int32Array(n + 1);
  h[0] = 0;
  for (let i = 0; i < n; i++) h[i + 1] = (h[i] as number) + ((x[i] as number) === 1 ? 1 : -1);
  return h;
}

/** True when x is a Dyck path: every height >= 0 and the final height 0. */
export function isDyckPath(x: ArrayLike<number>): boolean {
  let h = 0;
  for (let i = 0; i < x.length; i++) {
    h += (x[i] as number) === 1 ? 1 : -1;
    if (h < 0) return false;
  }
  return h === 0;
}

/** The area sum_{i=1}^{N} h_i of x (no check that x is a Dyck path). */
export function heightSum(x: ArrayLike<number>): number {
  let h = 0;
  let sum = 0;
  for (let i = 0; i < x.length; i++) {
    h += (x[i] as number) === 1 ? 1 : -1;
    sum += h;
  }
  return sum;
}
