/**
 * Environment passes of the noised distribution P_t at configurations x: log P_t(x) and all
 * single-site ratios P_t(x^{i->y}) / P_t(x), O(N D chi^2) for a linear MPS and
 * O(N d (D + chi) chi^2) for a Born MPS (double layer, chi x chi environments, never a chi^2
 * bond). Internal.
 *
 * Linear: left vectors l_{i+1} = l_i B_i[x_i], right vectors r_i = B_i[x_i] r_{i+1}, each
 * rescaled to max |entry| 1 (log factors kept for log P); the ratio at site i is
 * (l_i B_i[y] r_{i+1}) / (l_i B_i[x_i] r_{i+1}), in which the scale factors cancel.
 * Born: L_{i+1} = sum_s k(x_i|s) A_i[s]^T L_i A_i[s], R_i = sum_s k(x_i|s) A_i[s] R_{i+1} A_i[s]^T
 * (positive semi-definite); the weight of digit y at site i is
 * sum_s k(y|s) <A_i[s], L_i A_i[s] R_{i+1}>_F.
 *
 * Batches ({@link environmentPasses}) run on tensor-network's batched environments and kernels;
 * the single-configuration pass ({@link environmentPass}) is plain loops, for the reverse-time
 * simulation, which evaluates one sample at a time.
 */
import {
  bornSiteWeights,
  logNormalization,
  logProbabilities,
  MPS,
  sampleAmplitudes,
  transferBornEnvironments,
  transferSampleEnvironments,
} from '@latticediff/tensor-network';
import { noisedTensors } from './forward';
import type { NoiseProcess } from './noise';
import { propagator } from './noise';

/** The noised distribution at one time, ready for environment passes. */
export interface NoisedModel {
  readonly mps: MPS;
  readonly time: number;
  /** Number of noisy states D. */
  readonly stateDim: number;
  /** k_t, D x D row-major. */
  readonly kernel: Float64Array;
  /** Linear: noised site tensors [l, D, r]; Born: the original tensors [l, d, r]. */
  readonly tensors: readonly Float64Array[];
  /** Linear: P_t as an MPS of those tensors (physical dimension D); Born: null. */
  readonly noised: MPS | null;
  /** log of the normaliser (the same for every t: the kernel is stochastic). */
  readonly logZ: number;
}

/** Builds the noised model at time t (logZ may be passed to avoid recomputing it). */
export function noisedModel(
  mps: MPS,
  noise: NoiseProcess,
  time: number,
  logZ?: number,
): NoisedModel {
  const kernel = propagator(noise, time);
  const D = noise.stateDim;
  const tensors = mps.kind === 'linear' ? noisedTensors(mps, kernel, D) : mps.tensors;
  const noised =
    mps.kind === 'linear'
      ? MPS.fromTensors(
          tensors.map((data, i) => ({
            shape: [mps.siteShape(i)[0], D, mps.siteShape(i)[2]] as const,
            data,
          })),
          { kind: 'linear' },
        )
      : null;
  return { mps, time, stateDim: D, kernel, tensors, noised, logZ: logZ ?? logNormalization(mps) };
}

/**
 * log P_t(x_b) of the `count` configurations in `data` (rows of N digits over the D noisy
 * states) and, when `ratios` is given (count N D entries), every single-site ratio
 * ratios[(b N + i) D + y] = P_t(x_b^{i->y}) / P_t(x_b) (1 at y = x_bi; NaN where P_t(x_b) = 0).
 * A linear P_0 runs on tensor-network's batched kernels: `logProbabilities` of the noised MPS,
 * and for the ratios per-sample left and right environments (`transferSampleEnvironments`,
 * rescaled) with one `sampleAmplitudes` per site and noisy state. A Born P_0 (a double-layer
 * network) runs one environment pass per configuration.
 */
export function environmentPasses(
  model: NoisedModel,
  data: Int32Array,
  count: number,
  ratios: Float64Array | null,
): Float64Array {
  const n = model.mps.length;
  const D = model.stateDim;
  const noised = model.noised;
  if (noised === null) {
    const out = new Float64Array(count);
    // chunks bound the memory of the per-sample chi x chi environments at every bond
    const chi = model.mps.maxBondDim;
    const chunk = Math.max(1, Math.floor(BORN_CHUNK_ENTRIES / ((n + 1) * chi * chi)));
    for (let start = 0; start < count; start += chunk) {
      const size = Math.min(chunk, count - start);
      const part = data.subarray(start * n, (start + size) * n);
      const ratioPart =
        ratios === null ? null : ratios.subarray(start * n * D, (start + size) * n * D);
      out.set(bornPasses(model, part, size, ratioPart), start);
    }
    return out;
  }
  const logP = logProbabilities(noised, { data: data.subarray(0, count * n), count });
  if (ratios === null || count === 0) return logP;
  const views = model.tensors.map((t, i) => {
    const [l, , r] = noised.siteShape(i);
    return { data: t, leftDim: l, physicalDim: D, rightDim: r };
  });
  const digits = Array.from({ length: n }, (_, i) => {
    const column = new Int32Array(count);
    for (let b = 0; b < count; b++) column[b] = data[b * n + i]!;
    return column;
  });
  // left[i]: rows of L_b = B_0[x_b0] ... B_{i-1}[x_b,i-1]; right[i]: rows of
  // B_i[x_bi] ... B_{N-1}[x_b,N-1]; each rescaled to max |entry| 1 (the ratios do not depend on
  // the scales)
  const left: Float64Array[] = [new Float64Array(count).fill(1)];
  for (let i = 0; i < n - 1; i++) {
    const view = views[i]!;
    left.push(transferSampleEnvironments(view, digits[i]!, left[i]!, 'right', { rescale: true }));
  }
  const right: Float64Array[] = new Array(n + 1);
  right[n] = new Float64Array(count).fill(1);
  for (let i = n - 1; i >= 1; i--) {
    const view = views[i]!;
    right[i] = transferSampleEnvironments(view, digits[i]!, right[i + 1]!, 'left', {
      rescale: true,
    });
  }
  const fixed = new Int32Array(count);
  for (let i = 0; i < n; i++) {
    const own = sampleAmplitudes(views[i]!, digits[i]!, left[i]!, right[i + 1]!);
    for (let y = 0; y < D; y++) {
      fixed.fill(y);
      const amplitude = sampleAmplitudes(views[i]!, fixed, left[i]!, right[i + 1]!);
      for (let b = 0; b < count; b++) {
        const o = (b * n + i) * D + y;
        if (logP[b] === Number.NEGATIVE_INFINITY) ratios[o] = Number.NaN;
        else ratios[o] = y === digits[i]![b] ? 1 : amplitude[b]! / own[b]!;
      }
    }
  }
  return logP;
}

/** Entries of per-sample environments held at once by a Born pass (about 32 MB). */
const BORN_CHUNK_ENTRIES = 1 << 22;

/**
 * The Born case of {@link environmentPasses} for one chunk of configurations, on
 * tensor-network's double-layer environments: L_{i+1} = sum_s k(x_i|s) A_i[s]^T L_i A_i[s] and
 * R_i = sum_s k(x_i|s) A_i[s] R_{i+1} A_i[s]^T per sample (`transferBornEnvironments`, rescaled,
 * the log scales kept for log P), and the weight of noisy state y at site i,
 * sum_s k(y|s) <A_i[s], L_i A_i[s] R_{i+1}>_F (`bornSiteWeights`).
 */
function bornPasses(
  model: NoisedModel,
  data: Int32Array,
  count: number,
  ratios: Float64Array | null,
): Float64Array {
  const { mps, tensors, stateDim: D, kernel } = model;
  const n = mps.length;
  const views = tensors.map((t, i) => {
    const [l, d, r] = mps.siteShape(i);
    return { data: t, leftDim: l, physicalDim: d, rightDim: r };
  });
  // weights[i]: count rows of k(x_bi | s) for s < d_i
  const weights = views.map((v, i) => {
    const d = v.physicalDim;
    const w = new Float64Array(count * d);
    for (let b = 0; b < count; b++) {
      const row = data[b * n + i]! * D;
      for (let s = 0; s < d; s++) w[b * d + s] = kernel[row + s]!;
    }
    return w;
  });
  const logScale = new Float64Array(count);
  const scales = new Float64Array(count);
  const left: Float64Array[] = [new Float64Array(count).fill(1)];
  for (let i = 0; i < n; i++) {
    left.push(
      transferBornEnvironments(views[i]!, weights[i]!, left[i]!, 'right', {
        rescale: true,
        scales,
      }),
    );
    for (let b = 0; b < count; b++) logScale[b]! += Math.log(scales[b]!);
  }
  const logP = new Float64Array(count);
  for (let b = 0; b < count; b++) {
    const v = left[n]![b]!;
    logP[b] =
      v > 0 && Number.isFinite(logScale[b]!)
        ? logScale[b]! + Math.log(v) - model.logZ
        : Number.NEGATIVE_INFINITY;
  }
  if (ratios === null || count === 0) return logP;
  const right: Float64Array[] = new Array(n + 1);
  right[n] = new Float64Array(count).fill(1);
  for (let i = n - 1; i >= 1; i--) {
    right[i] = transferBornEnvironments(views[i]!, weights[i]!, right[i + 1]!, 'left', {
      rescale: true,
    });
  }
  for (let i = 0; i < n; i++) {
    const d = views[i]!.physicalDim;
    const g = bornSiteWeights(views[i]!, left[i]!, right[i + 1]!);
    for (let b = 0; b < count; b++) {
      const o = (b * n + i) * D;
      if (logP[b] === Number.NEGATIVE_INFINITY) {
        ratios.fill(Number.NaN, o, o + D);
        continue;
      }
      const xi = data[b * n + i]!;
      let own = 0;
      for (let s = 0; s < d; s++) own += kernel[xi * D + s]! * g[b * d + s]!;
      for (let y = 0; y < D; y++) {
        let v = 0;
        for (let s = 0; s < d; s++) v += kernel[y * D + s]! * g[b * d + s]!;
        ratios[o + y] = y === xi ? 1 : v / own;
      }
    }
  }
  return logP;
}

// The single-configuration pass below serves the reverse-time simulation, which advances each
// sample on its own clock and so evaluates one configuration at a time: there a per-call batch
// (workspace copies, argument checks, a dozen kernel calls per site) costs 5x the plain loops
// (measured on simulate.test.ts, 5.4 s against 27 s). Batches go through environmentPasses.

function rescaleInPlace(v: Float64Array, offset: number, size: number): number {
  let m = 0;
  for (let k = 0; k < size; k++) {
    const a = Math.abs(v[offset + k]!);
    if (a > m) m = a;
  }
  if (!(m > 0) || !Number.isFinite(m)) return m === 0 ? Number.NEGATIVE_INFINITY : Number.NaN;
  const inv = 1 / m;
  for (let k = 0; k < size; k++) v[offset + k]! *= inv;
  return Math.log(m);
}

/** Scratch buffers reused across configurations. */
export interface PassScratch {
  left: Float64Array;
  right: Float64Array;
  tmp: Float64Array;
  tmp2: Float64Array;
}

export function passScratch(model: NoisedModel): PassScratch {
  const n = model.mps.length;
  const chi = model.mps.maxBondDim;
  const envSize = model.mps.kind === 'linear' ? chi : chi * chi;
  const D = model.stateDim;
  return {
    left: new Float64Array((n + 1) * envSize),
    right: new Float64Array((n + 1) * envSize),
    tmp: new Float64Array(Math.max(chi * D, chi * chi)),
    tmp2: new Float64Array(chi * chi),
  };
}

/**
 * log P_t(x) (normalised; -Infinity if zero) for configuration `x` (digits at x[offset..]), and,
 * if `ratios` is given, ratios[i * D + y] = P_t(x^{i->y}) / P_t(x) (1 at y = x_i). When
 * P_t(x) = 0 the ratios are left as NaN.
 */
export function environmentPass(
  model: NoisedModel,
  x: ArrayLike<number>,
  offset: number,
  ratios: Float64Array | null,
  scratch: PassScratch,
): number {
  return model.mps.kind === 'linear'
    ? linearPass(model, x, offset, ratios, scratch)
    : bornPass(model, x, offset, ratios, scratch);
}

function linearPass(
  model: NoisedModel,
  x: ArrayLike<number>,
  offset: number,
  ratios: Float64Array | null,
  s: PassScratch,
): number {
  const { mps, tensors, stateDim: D } = model;
  const n = mps.length;
  const chi = mps.maxBondDim;
  const { left, right, tmp } = s;
  left[0] = 1;
  let logLeft = 0;
  for (let i = 0; i < n; i++) {
    const [l, , r] = mps.siteShape(i);
    const t = tensors[i]!;
    const xi = x[offset + i] as number;
    const lo = i * chi;
    const no = (i + 1) * chi;
    for (let c = 0; c < r; c++) left[no + c] = 0;
    for (let a = 0; a < l; a++) {
      const la = left[lo + a]!;
      if (la === 0) continue;
      const base = (a * D + xi) * r;
      for (let c = 0; c < r; c++) left[no + c]! += la * t[base + c]!;
    }
    logLeft += rescaleInPlace(left, no, r);
    if (!Number.isFinite(logLeft)) break;
  }
  const logP = Number.isFinite(logLeft)
    ? logLeft + Math.log(left[n * chi]!) - model.logZ
    : Number.NEGATIVE_INFINITY;
  if (ratios === null) return logP;
  if (!Number.isFinite(logP)) {
    ratios.fill(Number.NaN, 0, n * D);
    return logP;
  }
  right[n * chi] = 1;
  for (let i = n - 1; i >= 0; i--) {
    const [l, , r] = mps.siteShape(i);
    const t = tensors[i]!;
    const xi = x[offset + i] as number;
    const ro = (i + 1) * chi;
    const oo = i * chi;
    for (let a = 0; a < l; a++) {
      const base = (a * D + xi) * r;
      let acc = 0;
      for (let c = 0; c < r; c++) acc += t[base + c]! * right[ro + c]!;
      right[oo + a] = acc;
    }
    rescaleInPlace(right, oo, l);
  }
  for (let i = 0; i < n; i++) {
    const [l, , r] = mps.siteShape(i);
    const t = tensors[i]!;
    const lo = i * chi;
    const ro = (i + 1) * chi;
    // tmp[y] = sum_a l[a] sum_c B[a, y, c] r[c]
    for (let y = 0; y < D; y++) tmp[y] = 0;
    for (let a = 0; a < l; a++) {
      const la = left[lo + a]!;
      if (la === 0) continue;
      for (let y = 0; y < D; y++) {
        const base = (a * D + y) * r;
        let acc = 0;
        for (let c = 0; c < r; c++) acc += t[base + c]! * right[ro + c]!;
        tmp[y]! += la * acc;
      }
    }
    const own = tmp[x[offset + i] as number]!;
    for (let y = 0; y < D; y++) ratios[i * D + y] = tmp[y]! / own;
  }
  return logP;
}

/** out (l x l) = sum_s w_s A_s^T L A_s, with A_s = T[:, s, :] of shape [l0, d, l] and L l0 x l0. */
function bornLeftStep(
  t: Float64Array,
  l0: number,
  d: number,
  r: number,
  env: Float64Array,
  eo: number,
  w: Float64Array,
  wo: number,
  out: Float64Array,
  oo: number,
  x: Float64Array,
): void {
  for (let k = 0; k < r * r; k++) out[oo + k] = 0;
  for (let s = 0; s < d; s++) {
    const ws = w[wo + s]!;
    if (ws === 0) continue;
    // x (l0 x r) = L A_s
    for (let a = 0; a < l0; a++) {
      const xo = a * r;
      for (let c = 0; c < r; c++) x[xo + c] = 0;
      for (let b = 0; b < l0; b++) {
        const e = env[eo + a * l0 + b]!;
        if (e === 0) continue;
        const base = (b * d + s) * r;
        for (let c = 0; c < r; c++) x[xo + c]! += e * t[base + c]!;
      }
    }
    // out[c, c2] += ws * sum_a A_s[a, c] x[a, c2]
    for (let a = 0; a < l0; a++) {
      const base = (a * d + s) * r;
      const xo = a * r;
      for (let c = 0; c < r; c++) {
        const v = ws * t[base + c]!;
        if (v === 0) continue;
        const o = oo + c * r;
        for (let c2 = 0; c2 < r; c2++) out[o + c2]! += v * x[xo + c2]!;
      }
    }
  }
}

/** out (l x l) = sum_s w_s A_s R A_s^T, R r x r. */
function bornRightStep(
  t: Float64Array,
  l: number,
  d: number,
  r: number,
  env: Float64Array,
  eo: number,
  w: Float64Array,
  wo: number,
  out: Float64Array,
  oo: number,
  x: Float64Array,
): void {
  for (let k = 0; k < l * l; k++) out[oo + k] = 0;
  for (let s = 0; s < d; s++) {
    const ws = w[wo + s]!;
    if (ws === 0) continue;
    // x (l x r) = A_s R
    for (let a = 0; a < l; a++) {
      const xo = a * r;
      const base = (a * d + s) * r;
      for (let c = 0; c < r; c++) x[xo + c] = 0;
      for (let b = 0; b < r; b++) {
        const v = t[base + b]!;
        if (v === 0) continue;
        const ro = eo + b * r;
        for (let c = 0; c < r; c++) x[xo + c]! += v * env[ro + c]!;
      }
    }
    // out[a, a2] += ws * sum_c x[a, c] A_s[a2, c]
    for (let a = 0; a < l; a++) {
      const xo = a * r;
      for (let a2 = 0; a2 < l; a2++) {
        const base = (a2 * d + s) * r;
        let acc = 0;
        for (let c = 0; c < r; c++) acc += x[xo + c]! * t[base + c]!;
        out[oo + a * l + a2]! += ws * acc;
      }
    }
  }
}

function bornPass(
  model: NoisedModel,
  x: ArrayLike<number>,
  offset: number,
  ratios: Float64Array | null,
  s: PassScratch,
): number {
  const { mps, tensors, stateDim: D, kernel } = model;
  const n = mps.length;
  const chi = mps.maxBondDim;
  const size = chi * chi;
  const { left, right, tmp, tmp2 } = s;
  left[0] = 1;
  let logLeft = 0;
  for (let i = 0; i < n; i++) {
    const [l, d, r] = mps.siteShape(i);
    const xi = x[offset + i] as number;
    bornLeftStep(tensors[i]!, l, d, r, left, i * size, kernel, xi * D, left, (i + 1) * size, tmp);
    logLeft += rescaleInPlace(left, (i + 1) * size, r * r);
    if (!Number.isFinite(logLeft)) break;
  }
  const logP = Number.isFinite(logLeft)
    ? logLeft + Math.log(left[n * size]!) - model.logZ
    : Number.NEGATIVE_INFINITY;
  if (ratios === null) return logP;
  if (!Number.isFinite(logP)) {
    ratios.fill(Number.NaN, 0, n * D);
    return logP;
  }
  right[n * size] = 1;
  for (let i = n - 1; i >= 0; i--) {
    const [l, d, r] = mps.siteShape(i);
    const xi = x[offset + i] as number;
    bornRightStep(
      tensors[i]!,
      l,
      d,
      r,
      right,
      (i + 1) * size,
      kernel,
      xi * D,
      right,
      i * size,
      tmp,
    );
    rescaleInPlace(right, i * size, l * l);
  }
  const g = new Float64Array(Math.max(...mps.physicalDims));
  for (let i = 0; i < n; i++) {
    const [l, d, r] = mps.siteShape(i);
    const t = tensors[i]!;
    const lo = i * size;
    const ro = (i + 1) * size;
    for (let sd = 0; sd < d; sd++) {
      // g_s = <A_s, L A_s R>_F: tmp (l x r) = A_s R, tmp2 (l x r) = L tmp
      for (let a = 0; a < l; a++) {
        const base = (a * d + sd) * r;
        for (let c = 0; c < r; c++) {
          let acc = 0;
          for (let b = 0; b < r; b++) acc += t[base + b]! * right[ro + b * r + c]!;
          tmp[a * r + c] = acc;
        }
      }
      let acc = 0;
      for (let a = 0; a < l; a++) {
        const base = (a * d + sd) * r;
        for (let c = 0; c < r; c++) {
          let v = 0;
          for (let b = 0; b < l; b++) v += left[lo + a * l + b]! * tmp[b * r + c]!;
          tmp2[a * r + c] = v;
          acc += t[base + c]! * v;
        }
      }
      g[sd] = acc;
    }
    const xi = x[offset + i] as number;
    let own = 0;
    for (let sd = 0; sd < d; sd++) own += kernel[xi * D + sd]! * g[sd]!;
    for (let y = 0; y < D; y++) {
      let v = 0;
      for (let sd = 0; sd < d; sd++) v += kernel[y * D + sd]! * g[sd]!;
      ratios[i * D + y] = y === xi ? 1 : v / own;
    }
  }
  return logP;
}
