/**
 * The negative log-likelihood of a batch under an MPS and its exact gradient with respect to every
 * site-tensor entry, in float64. The gradient of log A[x_0]...A[x_{N-1}] at site i is the outer
 * product of the left and right partial products divided by the amplitude; the gradient of
 * log Z is the same with the summed (linear) or double-layer (Born) environments. One left and
 * one right pass over the batch, with the matrix products in the float64 kernels.
 */
import { type ConfigurationsInput, readConfigurations } from './configurations';
import { assertKnownOptions, invalidArgument, NumericalError, withinWorkspace } from './errors';
import { leftEnvironments, rightEnvironments } from './evaluate';
import { assertMPS, type MPS } from './mps';
import { rangeExponent, rangeForm, timesPowerOfTwo } from './range';
import { groupRowsByDigit, workspace } from './workspace';

/** Result of {@link negativeLogLikelihood}. */
export interface NegativeLogLikelihoodResult {
  /** -(1/M) sum_m log P(x_m) (or -sum_m w_m log P(x_m)), natural log, P normalised. */
  value: number;
  /** d value / d A_i[l, s, r] for every site, in the layout of `mps.tensors`. */
  gradients: Float64Array[];
  /** log Z of the MPS. */
  logNormalization: number;
  /**
   * The two parts of `gradients` = normalizerGradients - dataGradients: the data part
   * sum_m w_m d log P~(x_m) / dA (P~ the unnormalised weight) and the normaliser part
   * (sum_m w_m) d log Z / dA. For a linear MPS both are non-negative, which is what
   * multiplicative (EM-like) updates use.
   */
  dataGradients: Float64Array[];
  normalizerGradients: Float64Array[];
}

/**
 * Mean negative log-likelihood of a batch, -(1/M) sum_m log P(x_m), and its exact gradient; with
 * `sampleWeights` w_m, the weighted sum -sum_m w_m log P(x_m) instead (for importance weights, or
 * score-function gradients of other objectives, where the weights may be negative). Throws a NumericalError when a
 * configuration has probability zero (the likelihood is infinite there).
 * Cost: O(M N d chi^2) for the batch plus O(N d chi^2) (linear) or O(N d chi^3) (Born) for Z.
 */
export function negativeLogLikelihood(
  input: MPS,
  configurations: ConfigurationsInput,
  options: { sampleWeights?: ArrayLike<number> } = {},
): NegativeLogLikelihoodResult {
  const fn = 'negativeLogLikelihood';
  assertMPS(fn, input);
  if (typeof options !== 'object' || options === null) {
    invalidArgument(fn, 'options', options, 'an options object { sampleWeights? }');
  }
  assertKnownOptions(fn, options, ['sampleWeights']);
  const { data, count } = readConfigurations(fn, 'configurations', input, configurations);
  if (count < 1)
    invalidArgument(fn, 'configurations', 'an empty batch', 'at least one configuration');
  const sampleWeights = new Float64Array(count).fill(1 / count);
  if (options.sampleWeights !== undefined) {
    const given = options.sampleWeights;
    if (given == null || given.length !== count) {
      invalidArgument(
        fn,
        'sampleWeights',
        given?.length,
        `an array of ${count} finite weights (one per configuration)`,
      );
    }
    for (let b = 0; b < count; b++) {
      const w = given[b] as number;
      if (!Number.isFinite(w)) invalidArgument(fn, `sampleWeights[${b}]`, w, 'a finite number');
      sampleWeights[b] = w;
    }
  }
  // weights beyond 2^100 in magnitude (or all below 2^-100) are scaled by a power of two and the
  // value and gradients scaled back (exact; weights of 1e308 summed to Infinity and gave NaN)
  let largestWeight = 0;
  for (let b = 0; b < count; b++)
    largestWeight = Math.max(largestWeight, Math.abs(sampleWeights[b]!));
  const weightExponent = rangeExponent(largestWeight);
  if (weightExponent !== 0) {
    for (let b = 0; b < count; b++)
      sampleWeights[b] = timesPowerOfTwo(sampleWeights[b]!, -weightExponent);
  }
  let weightSum = 0;
  for (let b = 0; b < count; b++) weightSum += sampleWeights[b]!;
  // (P, hence the value, is that of the range form; log Z and the gradients are mapped back)
  const range = rangeForm(input);
  const mps = range.mps;
  return withinWorkspace(fn, 'configurations', count, () => {
    const n = mps.length;
    const born = mps.kind === 'born';
    const factor = born ? 2 : 1;
    const maxChi = mps.maxBondDim;
    const maxD = Math.max(...mps.physicalDims);
    const ws = workspace();
    // left rows for every site: leftOff[i] holds count x chi_i
    const leftOff: number[] = [];
    for (let i = 0; i < n; i++) leftOff.push(ws.alloc(count * mps.leftDim(i)));
    let size = 1;
    for (const t of mps.tensors) size = Math.max(size, t.length);
    const tOff = ws.alloc(size);
    const ttOff = ws.alloc(size);
    let rCur = ws.alloc(count * maxChi);
    let rNext = ws.alloc(count * maxChi);
    const maxOff = ws.alloc(count);
    const denOff = ws.alloc(count);
    const listOff = ws.alloc(Math.ceil(count / 2)) * 2;
    const ltOff = ws.alloc(count * maxChi);
    const rsOff = ws.alloc(count * maxChi);
    const gOff = ws.alloc(maxChi * maxChi);
    const offsets = new Int32Array(maxD + 1);
    const logAmp = new Float64Array(count);
    let f = ws.f64;

    const group = (i: number, d: number): void =>
      groupRowsByDigit(ws, data, n, i, count, d, listOff, offsets);

    // left pass: L_0 = 1; L_{i+1} = L_i A_i[x_i], rows rescaled (the factors cancel in the
    // gradient ratio; log amplitudes are accumulated in the right pass only)
    for (let b = 0; b < count; b++) f[leftOff[0]! + b] = 1;
    for (let i = 0; i < n - 1; i++) {
      const [l, d, r] = mps.siteShape(i);
      f.set(mps.tensors[i]!, tOff);
      group(i, d);
      for (let s = 0; s < d; s++) {
        const start = offsets[s]!;
        ws.gatheredGemm(
          leftOff[i]!,
          leftOff[i + 1]!,
          listOff + start,
          offsets[s + 1]! - start,
          tOff + s * r,
          d * r,
          l,
          r,
          -1,
        );
      }
      ws.rescaleRows(leftOff[i + 1]!, count, r, maxOff);
      f = ws.f64;
      for (let b = 0; b < count; b++) {
        const m = f[maxOff + b]!;
        if (!(m > 0))
          throw new NumericalError(`\`${fn}\`: configuration ${b} has probability zero`);
      }
    }

    // right pass with gradients
    const gradients: Float64Array[] = mps.tensors.map((t) => new Float64Array(t.length));
    const dataGradients: Float64Array[] = mps.tensors.map((t) => new Float64Array(t.length));
    const normalizerGradients: Float64Array[] = mps.tensors.map((t) => new Float64Array(t.length));
    for (let b = 0; b < count; b++) f[rCur + b] = 1;
    for (let i = n - 1; i >= 0; i--) {
      const [l, d, r] = mps.siteShape(i);
      const t = mps.tensors[i]!;
      // transposed slices: TT_s (r x l) at ttOff + s r l
      for (let s = 0; s < d; s++)
        for (let a = 0; a < l; a++)
          for (let k = 0; k < r; k++) f[ttOff + s * r * l + k * l + a] = t[(a * d + s) * r + k]!;
      group(i, d);
      // R_i = A_i[x_i] R_{i+1} for every configuration (count x l)
      for (let s = 0; s < d; s++) {
        const start = offsets[s]!;
        ws.gatheredGemm(
          rCur,
          rNext,
          listOff + start,
          offsets[s + 1]! - start,
          ttOff + s * r * l,
          l,
          r,
          l,
          -1,
        );
      }
      // amplitude (rescaled) = L_i . R_i
      ws.rowDots(leftOff[i]!, rNext, denOff, count, 1, l);
      f = ws.f64;
      const grad = gradients[i]!;
      const dataGrad = dataGradients[i]!;
      const i32 = ws.i32;
      for (let s = 0; s < d; s++) {
        const start = offsets[s]!;
        const ms = offsets[s + 1]! - start;
        if (ms === 0) continue;
        // Lt (l x ms) = (L_i rows / den)^T, Rs (ms x r) = R_{i+1} rows
        for (let k = 0; k < ms; k++) {
          const b = i32[listOff + start + k]!;
          const den = f[denOff + b]!;
          if (den === 0)
            throw new NumericalError(`\`${fn}\`: configuration ${b} has probability zero`);
          const inv = (factor * sampleWeights[b]!) / den;
          const lo = leftOff[i]! + b * l;
          for (let a = 0; a < l; a++) f[ltOff + a * ms + k] = f[lo + a]! * inv;
          const ro = rCur + b * r;
          const so = rsOff + k * r;
          for (let c = 0; c < r; c++) f[so + c] = f[ro + c]!;
        }
        ws.gemm(ltOff, rsOff, r, gOff, l, ms, r);
        for (let a = 0; a < l; a++) {
          for (let c = 0; c < r; c++) {
            const v = f[gOff + a * r + c]!;
            grad[(a * d + s) * r + c]! -= v;
            dataGrad[(a * d + s) * r + c]! += v;
          }
        }
      }
      if (i === 0) {
        for (let b = 0; b < count; b++) {
          const v = Math.abs(f[denOff + b]!);
          if (!(v > 0))
            throw new NumericalError(`\`${fn}\`: configuration ${b} has probability zero`);
          logAmp[b]! += Math.log(v);
        }
      } else {
        ws.rescaleRows(rNext, count, l, maxOff);
        f = ws.f64;
        for (let b = 0; b < count; b++) {
          const m = f[maxOff + b]!;
          if (!(m > 0))
            throw new NumericalError(`\`${fn}\`: configuration ${b} has probability zero`);
          logAmp[b]! += Math.log(m);
        }
      }
      const swap = rCur;
      rCur = rNext;
      rNext = swap;
    }

    // normaliser: d log Z / d A_i = (environment contraction) / Z
    const left = leftEnvironments(mps);
    const right = rightEnvironments(mps);
    const logZ = right[0]!.logScale + Math.log(right[0]!.values[0]!);
    for (let i = 0; i < n; i++) {
      const [l, d, r] = mps.siteShape(i);
      const t = mps.tensors[i]!;
      const le = left[i]!.values;
      const re = right[i + 1]!.values;
      const grad = gradients[i]!;
      const dz = new Float64Array(t.length);
      let local = 0;
      if (!born) {
        for (let a = 0; a < l; a++) {
          for (let s = 0; s < d; s++) {
            for (let c = 0; c < r; c++) {
              const v = le[a]! * re[c]!;
              dz[(a * d + s) * r + c] = v;
              local += v * t[(a * d + s) * r + c]!;
            }
          }
        }
      } else {
        // dz[a, s, c] = sum_{a', c'} EL[a, a'] A[a', s, c'] ER[c, c'] (EL, ER symmetric)
        const x = new Float64Array(l * r);
        for (let s = 0; s < d; s++) {
          x.fill(0);
          for (let a = 0; a < l; a++) {
            for (let a2 = 0; a2 < l; a2++) {
              const e = le[a * l + a2]!;
              if (e === 0) continue;
              const base = (a2 * d + s) * r;
              for (let c = 0; c < r; c++) x[a * r + c]! += e * t[base + c]!;
            }
          }
          for (let a = 0; a < l; a++) {
            for (let c = 0; c < r; c++) {
              let acc = 0;
              for (let c2 = 0; c2 < r; c2++) acc += x[a * r + c2]! * re[c * r + c2]!;
              dz[(a * d + s) * r + c] = acc;
              local += acc * t[(a * d + s) * r + c]!;
            }
          }
        }
      }
      // local = sum dz * A equals Z up to the environments' scales (Born: also)
      const scale = ((born ? 2 : 1) * weightSum) / local;
      const normGrad = normalizerGradients[i]!;
      for (let k = 0; k < t.length; k++) {
        grad[k]! += scale * dz[k]!;
        normGrad[k] = scale * dz[k]!;
      }
    }
    let weighted = 0;
    for (let b = 0; b < count; b++) weighted += sampleWeights[b]! * logAmp[b]!;
    if (range.logFactor !== 0) {
      // A_input = 2^e A_form at a site scaled by 2^-e: d/dA_input = 2^-e d/dA_form
      for (let i = 0; i < n; i++) {
        const e = range.exponents[i]!;
        if (e === 0) continue;
        for (const g of [gradients[i]!, dataGradients[i]!, normalizerGradients[i]!]) {
          for (let k = 0; k < g.length; k++) g[k] = timesPowerOfTwo(g[k]!, -e);
        }
      }
    }
    if (weightExponent !== 0) {
      for (const g of [...gradients, ...dataGradients, ...normalizerGradients]) {
        for (let k = 0; k < g.length; k++) g[k] = timesPowerOfTwo(g[k]!, weightExponent);
      }
    }
    return {
      value: timesPowerOfTwo(weightSum * logZ - factor * weighted, weightExponent),
      gradients,
      logNormalization: range.logFactor === 0 ? logZ : logZ + range.logFactor,
      dataGradients,
      normalizerGradients,
    };
  });
}
