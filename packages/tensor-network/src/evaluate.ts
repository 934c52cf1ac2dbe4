/**
 * Exact float64 evaluation with log-scale bookkeeping: log Z, log-probabilities of batches,
 * single-site marginals and connected two-point correlations. Every environment is rescaled to
 * max |entry| = 1 after each site and the log of the factor is accumulated, so nothing over- or
 * underflows whatever N is.
 *
 * Environments: for a linear MPS a vector over the bond; for a Born MPS a (chi x chi) matrix (the
 * double layer psi x psi contracted over the physical index), updated with chi^3 work per site.
 */
import { type ConfigurationsInput, readConfigurations } from './configurations';
import { assertKnownOptions, invalidArgument, NumericalError, withinWorkspace } from './errors';
import { assertMPS, type MPS } from './mps';
import { rangeExponent, rangeForm, timesPowerOfTwo } from './range';
import { groupRowsByDigit, workspace } from './workspace';

/** An environment with its log scale: the true environment is exp(logScale) * values. */
export interface Environment {
  values: Float64Array;
  logScale: number;
}

function rescale(values: Float64Array): number {
  let maxAbs = 0;
  for (let k = 0; k < values.length; k++) {
    const v = Math.abs(values[k]!);
    if (v > maxAbs) maxAbs = v;
  }
  if (maxAbs === 0 || !Number.isFinite(maxAbs))
    return maxAbs === 0 ? Number.NEGATIVE_INFINITY : Number.NaN;
  const inv = 1 / maxAbs;
  for (let k = 0; k < values.length; k++) values[k]! *= inv;
  return Math.log(maxAbs);
}

/**
 * Left transfer through site i: linear out[b] = sum_s w_s sum_a env[a] T[a,s,b];
 * Born out = sum_s w_s T_s^T env T_s. `weights` null means all ones. Not rescaled.
 */
export function transferLeft(
  mps: MPS,
  site: number,
  env: Float64Array,
  weights: ArrayLike<number> | null,
): Float64Array {
  const [l, d, r] = mps.siteShape(site);
  const t = mps.tensors[site]!;
  if (mps.kind === 'linear') {
    const out = new Float64Array(r);
    for (let a = 0; a < l; a++) {
      const e = env[a]!;
      if (e === 0) continue;
      for (let s = 0; s < d; s++) {
        const c = weights === null ? e : e * (weights[s] as number);
        if (c === 0) continue;
        const base = (a * d + s) * r;
        for (let b = 0; b < r; b++) out[b]! += c * t[base + b]!;
      }
    }
    return out;
  }
  const out = new Float64Array(r * r);
  const x = new Float64Array(l * r);
  for (let s = 0; s < d; s++) {
    const w = weights === null ? 1 : (weights[s] as number);
    if (w === 0) continue;
    // x = env (l x l) @ T_s (l x r)
    x.fill(0);
    for (let a = 0; a < l; a++) {
      for (let c = 0; c < l; c++) {
        const e = env[a * l + c]!;
        if (e === 0) continue;
        const base = (c * d + s) * r;
        const xo = a * r;
        for (let b = 0; b < r; b++) x[xo + b]! += e * t[base + b]!;
      }
    }
    // out += w T_s^T x
    for (let a = 0; a < l; a++) {
      const base = (a * d + s) * r;
      const xo = a * r;
      for (let b = 0; b < r; b++) {
        const c = w * t[base + b]!;
        if (c === 0) continue;
        const oo = b * r;
        for (let b2 = 0; b2 < r; b2++) out[oo + b2]! += c * x[xo + b2]!;
      }
    }
  }
  return out;
}

/**
 * Right transfer through site i: linear out[a] = sum_s w_s sum_b T[a,s,b] env[b];
 * Born out = sum_s w_s T_s env T_s^T. Not rescaled.
 */
export function transferRight(
  mps: MPS,
  site: number,
  env: Float64Array,
  weights: ArrayLike<number> | null,
): Float64Array {
  const [l, d, r] = mps.siteShape(site);
  const t = mps.tensors[site]!;
  if (mps.kind === 'linear') {
    const out = new Float64Array(l);
    for (let a = 0; a < l; a++) {
      let acc = 0;
      for (let s = 0; s < d; s++) {
        const w = weights === null ? 1 : (weights[s] as number);
        if (w === 0) continue;
        const base = (a * d + s) * r;
        let dot = 0;
        for (let b = 0; b < r; b++) dot += t[base + b]! * env[b]!;
        acc += w * dot;
      }
      out[a] = acc;
    }
    return out;
  }
  const out = new Float64Array(l * l);
  const x = new Float64Array(l * r);
  for (let s = 0; s < d; s++) {
    const w = weights === null ? 1 : (weights[s] as number);
    if (w === 0) continue;
    // x = T_s (l x r) @ env (r x r)
    x.fill(0);
    for (let a = 0; a < l; a++) {
      const base = (a * d + s) * r;
      const xo = a * r;
      for (let b = 0; b < r; b++) {
        const c = t[base + b]!;
        if (c === 0) continue;
        const eo = b * r;
        for (let b2 = 0; b2 < r; b2++) x[xo + b2]! += c * env[eo + b2]!;
      }
    }
    // out[a, a2] += w * sum_b x[a, b] T_s[a2, b]
    for (let a = 0; a < l; a++) {
      const xo = a * r;
      for (let a2 = 0; a2 < l; a2++) {
        const base = (a2 * d + s) * r;
        let dot = 0;
        for (let b = 0; b < r; b++) dot += x[xo + b]! * t[base + b]!;
        out[a * l + a2]! += w * dot;
      }
    }
  }
  return out;
}

/** Closes a left environment (of site i) with a right environment (of site i): a scalar. */
export function closeEnvironments(mps: MPS, left: Float64Array, right: Float64Array): number {
  let acc = 0;
  for (let k = 0; k < left.length; k++) acc += left[k]! * right[k]!;
  void mps;
  return acc;
}

function unitEnvironment(): Float64Array {
  return new Float64Array([1]);
}

/**
 * Left environments L_0..L_N (L_i covers sites 0..i-1), each rescaled, with cumulative log scales.
 */
export function leftEnvironments(mps: MPS): Environment[] {
  const envs: Environment[] = [{ values: unitEnvironment(), logScale: 0 }];
  for (let i = 0; i < mps.length; i++) {
    const prev = envs[i]!;
    const values = transferLeft(mps, i, prev.values, null);
    const log = rescale(values);
    envs.push({ values, logScale: prev.logScale + log });
  }
  return envs;
}

/**
 * The unweighted right environments of an MPS, computed once per MPS object (an MPS is
 * immutable, so they cannot go stale). Monte Carlo evaluates the same proposal MPS thousands
 * of times; for a Born MPS each computation is O(N d chi^3).
 */
const rightCache = new WeakMap<MPS, Environment[]>();

/**
 * Right environments R_0..R_N (R_i covers sites i..N-1), each rescaled, with cumulative log scales.
 * `weights`, if given, is a function of the site returning the per-digit weight vector.
 * Without weights the result is cached per MPS; treat it as read-only.
 */
export function rightEnvironments(
  mps: MPS,
  weights?: (site: number) => ArrayLike<number> | null,
): Environment[] {
  if (weights === undefined) {
    let cached = rightCache.get(mps);
    if (cached === undefined) {
      cached = computeRightEnvironments(mps);
      rightCache.set(mps, cached);
    }
    return cached;
  }
  return computeRightEnvironments(mps, weights);
}

function computeRightEnvironments(
  mps: MPS,
  weights?: (site: number) => ArrayLike<number> | null,
): Environment[] {
  const n = mps.length;
  const envs = new Array<Environment>(n + 1);
  envs[n] = { values: unitEnvironment(), logScale: 0 };
  for (let i = n - 1; i >= 0; i--) {
    const next = envs[i + 1]!;
    const values = transferRight(mps, i, next.values, weights ? weights(i) : null);
    const log = rescale(values);
    envs[i] = { values, logScale: next.logScale + log };
  }
  return envs;
}

function finalLog(env: Environment, fn: string): number {
  const v = env.values[0]!;
  // (NaN comes from entries that are not finite: the check below names that)
  if (!(v > 0) && !Number.isNaN(v)) {
    throw new NumericalError(
      `\`${fn}\`: the MPS has zero total weight (it is not a normalisable distribution)`,
    );
  }
  const log = env.logScale + Math.log(v);
  if (!Number.isFinite(log)) {
    throw new NumericalError(
      `\`${fn}\`: the log-normalization is not finite (${log}): the MPS holds entries that are not finite numbers`,
    );
  }
  return log;
}

/**
 * log Z: the natural log of the sum of the unnormalised weights (linear: sum_x A[x_0]..A[x_{N-1}];
 * Born: sum_x psi(x)^2). Float64, rescaled per site, so it is exact to rounding for any N.
 */
export function logNormalization(mps: MPS): number {
  assertMPS('logNormalization', mps);
  const { mps: form, logFactor } = rangeForm(mps);
  const logZ = finalLog(rightEnvironments(form)[0]!, 'logNormalization');
  return logFactor === 0 ? logZ : logZ + logFactor;
}

/**
 * Normalised log-probabilities log P(x) of a batch, in float64 (-Infinity where P(x) = 0).
 * Work: O(count * N * chi^2), blocked over configurations that share a digit.
 */
export function logProbabilities(mps: MPS, configurations: ConfigurationsInput): Float64Array {
  const fn = 'logProbabilities';
  assertMPS(fn, mps);
  const { data, count } = readConfigurations(fn, 'configurations', mps, configurations);
  // (P is the same for the range form: its normaliser and amplitudes move by one factor)
  const form = rangeForm(mps).mps;
  const logZ = finalLog(rightEnvironments(form)[0]!, fn);
  const logAmp = withinWorkspace(fn, 'configurations', count, () =>
    logAmplitudes(form, data, count),
  );
  const out = new Float64Array(count);
  const factor = mps.kind === 'born' ? 2 : 1;
  for (let b = 0; b < count; b++) out[b] = factor * logAmp[b]! - logZ;
  return out;
}

/** log |A[x_0]...A[x_{N-1}]| for each configuration (no normalisation). Internal. */
export function logAmplitudes(mps: MPS, data: Int32Array, count: number): Float64Array {
  const n = mps.length;
  const maxChi = mps.maxBondDim;
  const maxD = Math.max(...mps.physicalDims);
  const c1 = Math.max(count, 1);
  const ws = workspace();
  let cur = ws.alloc(c1 * maxChi);
  let nxt = ws.alloc(c1 * maxChi);
  let size = 1;
  for (const t of mps.tensors) size = Math.max(size, t.length);
  const tOff = ws.alloc(size);
  const maxOff = ws.alloc(c1);
  const listOff = ws.alloc(Math.ceil(c1 / 2)) * 2;
  const logs = new Float64Array(count);
  const offsets = new Int32Array(maxD + 1);
  let f = ws.f64;
  for (let b = 0; b < count; b++) f[cur + b] = 1;
  for (let i = 0; i < n; i++) {
    const [l, d, r] = mps.siteShape(i);
    f.set(mps.tensors[i]!, tOff);
    groupRowsByDigit(ws, data, n, i, count, d, listOff, offsets);
    for (let s = 0; s < d; s++) {
      const start = offsets[s]!;
      ws.gatheredGemm(
        cur,
        nxt,
        listOff + start,
        offsets[s + 1]! - start,
        tOff + s * r,
        d * r,
        l,
        r,
        -1,
      );
    }
    ws.rescaleRows(nxt, count, r, maxOff);
    f = ws.f64;
    for (let b = 0; b < count; b++) {
      const m = f[maxOff + b]!;
      logs[b] = m > 0 ? logs[b]! + Math.log(m) : Number.NEGATIVE_INFINITY;
    }
    const swap = cur;
    cur = nxt;
    nxt = swap;
  }
  for (let b = 0; b < count; b++) {
    const v = Math.abs(f[cur + b]!);
    logs[b] = v > 0 ? logs[b]! + Math.log(v) : Number.NEGATIVE_INFINITY;
  }
  return logs;
}

/**
 * Single-site marginals P(x_i = s), one Float64Array of length d_i per site, each summing to 1.
 */
export function marginals(input: MPS): Float64Array[] {
  assertMPS('marginals', input);
  const mps = rangeForm(input).mps;
  const left = leftEnvironments(mps);
  const right = rightEnvironments(mps);
  const out: Float64Array[] = [];
  for (let i = 0; i < mps.length; i++) {
    const d = mps.physicalDims[i]!;
    const m = new Float64Array(d);
    const unit = new Float64Array(d);
    let total = 0;
    for (let s = 0; s < d; s++) {
      unit.fill(0);
      unit[s] = 1;
      const env = transferLeft(mps, i, left[i]!.values, unit);
      m[s] = closeEnvironments(mps, env, right[i + 1]!.values);
      total += m[s]!;
    }
    if (!(total > 0)) throw new NumericalError('`marginals`: the MPS has zero total weight');
    for (let s = 0; s < d; s++) m[s]! /= total;
    out.push(m);
  }
  return out;
}

/** Result of {@link correlations}. */
export interface CorrelationResult {
  /** <f(x_i)> for each site. */
  means: Float64Array;
  /** Connected correlations C_ij = <f(x_i) f(x_j)> - <f(x_i)><f(x_j)>, row-major N x N (symmetric; the diagonal is the variance). */
  connected: Float64Array;
}

/**
 * Connected two-point correlations of a site observable f, given as values per digit: one
 * array for every site (e.g. [-1, 1] for spins) or one array per site. Default f(s) = s.
 * Work: O(N^2 d chi^2) for linear, O(N^2 d chi^3) for Born.
 */
export function correlations(
  mps: MPS,
  options: { values?: readonly number[] | readonly (readonly number[])[] } = {},
): CorrelationResult {
  const fn = 'correlations';
  assertMPS(fn, mps);
  if (typeof options !== 'object' || options === null) {
    invalidArgument(fn, 'options', options, 'an options object { values? }');
  }
  assertKnownOptions(fn, options, ['values']);
  const n = mps.length;
  const values: number[][] = [];
  const given = options.values;
  for (let i = 0; i < n; i++) {
    const d = mps.physicalDims[i]!;
    let v: readonly number[];
    if (given === undefined) v = Array.from({ length: d }, (_, s) => s);
    else if (given.length > 0 && Array.isArray(given[0]))
      v = (given as readonly (readonly number[])[])[i] ?? [];
    else v = given as readonly number[];
    if (
      !Array.isArray(v) ||
      v.length !== d ||
      !v.every((x) => typeof x === 'number' && Number.isFinite(x))
    ) {
      invalidArgument(
        fn,
        'values',
        given,
        `finite values for each of the ${d} digits of site ${i}`,
      );
    }
    values.push([...v]);
  }
  // values beyond 2^100 in magnitude (or all below 2^-100) are scaled by a power of two, and the
  // means and correlations scaled back (exact): values of 1e200 squared to Infinity and gave NaN
  let largest = 0;
  for (const v of values) for (const x of v) largest = Math.max(largest, Math.abs(x));
  const exponent = rangeExponent(largest);
  if (exponent !== 0) {
    for (const v of values)
      for (let s = 0; s < v.length; s++) v[s] = timesPowerOfTwo(v[s]!, -exponent);
  }
  // (the correlations of P are those of its range form)
  const form = rangeForm(mps).mps;
  const left = leftEnvironments(form);
  const right = rightEnvironments(form);
  const logZ = finalLog(right[0]!, fn);
  const means = new Float64Array(n);
  const second = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const fi = values[i]!;
    const sq = fi.map((x) => x * x);
    // diagonal and mean
    const envSq = transferLeft(form, i, left[i]!.values, sq);
    const envF = transferLeft(form, i, left[i]!.values, fi);
    const baseLog = left[i]!.logScale + right[i + 1]!.logScale - logZ;
    means[i] = Math.exp(baseLog) * closeEnvironments(form, envF, right[i + 1]!.values);
    second[i * n + i] = Math.exp(baseLog) * closeEnvironments(form, envSq, right[i + 1]!.values);
    // propagate f_i to the right
    let v = envF;
    let logV = left[i]!.logScale + rescaleSigned(v);
    for (let j = i + 1; j < n; j++) {
      const closed = transferLeft(form, j, v, values[j]!);
      const g = closeEnvironments(form, closed, right[j + 1]!.values);
      const val = g === 0 ? 0 : Math.exp(logV + right[j + 1]!.logScale - logZ) * g;
      second[i * n + j] = val;
      second[j * n + i] = val;
      if (j < n - 1) {
        v = transferLeft(form, j, v, null);
        logV += rescaleSigned(v);
      }
    }
  }
  const connected = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) connected[i * n + j] = second[i * n + j]! - means[i]! * means[j]!;
  }
  if (exponent !== 0) {
    for (let k = 0; k < n; k++) means[k] = timesPowerOfTwo(means[k]!, exponent);
    for (let k = 0; k < n * n; k++) connected[k] = timesPowerOfTwo(connected[k]!, 2 * exponent);
  }
  return { means, connected };
}

function rescaleSigned(values: Float64Array): number {
  const log = rescale(values);
  return Number.isFinite(log) ? log : 0;
}
