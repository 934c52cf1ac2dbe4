/**
 * Site tensors whose entries sit near the ends of float64 (1e-320, 1e308) make the sums of a
 * contraction underflow or overflow within one site, before any per-site rescaling can act.
 * The evaluation and sampling functions therefore work on a copy of such an MPS in which every
 * site whose largest |entry| lies outside [2^-SAFE_EXPONENT, 2^SAFE_EXPONENT] is multiplied by a
 * power of two that brings that largest entry into [1, 2). Multiplying by a power of two is
 * exact (except for entries that become subnormal: those are more than 2^1022 below their site's
 * largest and contribute nothing a float64 sum can hold), and the distribution is unchanged: only
 * the normaliser moves, by the recorded factor. An MPS whose every site is in range is its own
 * form, so every result for it is the same bits as without this module.
 */
import { MPS } from './mps';

/** Sites whose largest |entry| is within 2^-100 .. 2^100 are left as they are. */
const SAFE_EXPONENT = 100;

/** An MPS in range for float64 contraction, and what it was scaled by. */
export interface RangeForm {
  /** The MPS itself when every site is in range, otherwise a scaled copy. */
  mps: MPS;
  /**
   * Per site, the power of two its entries were divided by (psi or A of the input equals
   * 2^exponents[i] times the form's at site i); all zero when `mps` is the input.
   */
  exponents: Int32Array;
  /** Natural log of Z(input) / Z(form): ln 2 * sum of exponents (twice that for a Born MPS). */
  logFactor: number;
}

const forms = new WeakMap<MPS, RangeForm>();

/** x * 2^k, exact when the result is normal (k may exceed the range of one power). */
export function timesPowerOfTwo(x: number, k: number): number {
  let v = x;
  let rest = k;
  while (rest > 1000) {
    v *= 2 ** 1000;
    rest -= 1000;
  }
  while (rest < -1000) {
    v *= 2 ** -1000;
    rest += 1000;
  }
  return v * 2 ** rest;
}

/**
 * The power of two by which a group of numbers whose largest magnitude is `largest` is divided
 * to bring it into [1, 2), or 0 when it needs none: `largest` 0 or not finite, or its exponent
 * within +-SAFE_EXPONENT. Every place that rescales out-of-range numbers (sites, weights, values)
 * decides by this one rule.
 */
export function rangeExponent(largest: number): number {
  if (largest === 0 || !Number.isFinite(largest)) return 0;
  const e = binaryExponent(largest);
  return e > SAFE_EXPONENT || e < -SAFE_EXPONENT ? e : 0;
}

/** The exponent e with 2^e <= x < 2^(e+1), for x > 0 (subnormals included). */
function binaryExponent(x: number): number {
  let e = Math.floor(Math.log2(x));
  // Math.log2 may round across a power of two: correct by one step either way
  if (timesPowerOfTwo(1, e) > x) e -= 1;
  else if (timesPowerOfTwo(1, e + 1) <= x) e += 1;
  return e;
}

/** The form of `mps` in which its contractions stay inside float64's range (cached). */
export function rangeForm(mps: MPS): RangeForm {
  let form = forms.get(mps);
  if (form !== undefined) return form;
  const n = mps.length;
  const exponents = new Int32Array(n);
  let scaled = false;
  for (let i = 0; i < n; i++) {
    const t = mps.tensors[i]!;
    let maxAbs = 0;
    for (let k = 0; k < t.length; k++) {
      const v = Math.abs(t[k]!);
      if (v > maxAbs) maxAbs = v;
    }
    // (0: nothing to scale; not finite: no scale helps, and the evaluation says so)
    const e = rangeExponent(maxAbs);
    if (e !== 0) {
      exponents[i] = e;
      scaled = true;
    }
  }
  if (!scaled) {
    form = { mps, exponents, logFactor: 0 };
  } else {
    let total = 0;
    const tensors = mps.tensors.map((t, i) => {
      const e = exponents[i]!;
      total += e;
      if (e === 0) return t;
      const out = new Float64Array(t.length);
      for (let k = 0; k < t.length; k++) out[k] = timesPowerOfTwo(t[k]!, -e);
      return out;
    });
    const factor = mps.kind === 'born' ? 2 : 1;
    form = {
      mps: MPS.unsafeCreate(mps.kind, [...mps.physicalDims], tensors),
      exponents,
      logFactor: factor * total * Math.LN2,
    };
  }
  forms.set(mps, form);
  return form;
}
