/**
 * Real FFT in float64 (internal): radix-2 iterative complex FFT of half size plus the
 * even/odd packing step, and the lag products of a series through zero padding.
 *
 * realForward(x) for x of length M = 2^p returns X_k = sum_j x_j e^{-2 pi i j k / M} for
 * k = 0..M/2 (the other half is the complex conjugate); realInverse inverts it including 1/M.
 */

/** Twiddle factors cos(2 pi k / M), sin(2 pi k / M) for k < M/2, computed directly (no recurrence). */
interface Twiddles {
  size: number;
  cos: Float64Array;
  sin: Float64Array;
}

const twiddleCache = new Map<number, Twiddles>();

function twiddles(size: number): Twiddles {
  let table = twiddleCache.get(size);
  if (table === undefined) {
    const half = size >>> 1;
    const cos = new Float64Array(half);
    const sin = new Float64Array(half);
    for (let k = 0; k < half; k++) {
      const angle = (2 * Math.PI * k) / size;
      cos[k] = Math.cos(angle);
      sin[k] = Math.sin(angle);
    }
    table = { size, cos, sin };
    if (twiddleCache.size > 16) twiddleCache.clear();
    twiddleCache.set(size, table);
  }
  return table;
}

/** True when n is a power of two (n >= 1). */
export function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && (n & (n - 1)) === 0 && n <= 2 ** 30;
}

/** The smallest power of two >= n. */
export function nextPowerOfTwo(n: number): number {
  let m = 1;
  while (m < n) m *= 2;
  return m;
}

/**
 * In-place unnormalised complex FFT of length m (a power of two). direction -1 computes
 * sum_j z_j e^{-2 pi i j k / m}, +1 the inverse without the 1/m. `table` holds the twiddles of
 * a size that is a multiple of m (stride = table.size / m).
 */
function complexFFT(re: Float64Array, im: Float64Array, direction: -1 | 1, table: Twiddles): void {
  const m = re.length;
  if (m <= 1) return;
  // bit-reversal permutation
  for (let i = 1, j = 0; i < m; i++) {
    let bit = m >>> 1;
    for (; j & bit; bit >>>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      const tr = re[i]!;
      re[i] = re[j]!;
      re[j] = tr;
      const ti = im[i]!;
      im[i] = im[j]!;
      im[j] = ti;
    }
  }
  const { cos, sin } = table;
  for (let length = 2; length <= m; length *= 2) {
    const half = length >>> 1;
    const stride = table.size / length;
    for (let start = 0; start < m; start += length) {
      for (let k = 0; k < half; k++) {
        const wr = cos[k * stride]!;
        const wi = direction * sin[k * stride]!;
        const a = start + k;
        const b = a + half;
        const br = re[b]!;
        const bi = im[b]!;
        const tr = br * wr - bi * wi;
        const ti = br * wi + bi * wr;
        const ar = re[a]!;
        const ai = im[a]!;
        re[b] = ar - tr;
        im[b] = ai - ti;
        re[a] = ar + tr;
        im[a] = ai + ti;
      }
    }
  }
}

/** The half spectrum of a real array whose length is a power of two (>= 2). */
export interface HalfSpectrum {
  /** Real parts of X_0..X_{M/2}. */
  re: Float64Array;
  /** Imaginary parts of X_0..X_{M/2}. */
  im: Float64Array;
}

/** Forward real FFT: X_k for k = 0..M/2 of x (length M, a power of two >= 2). */
export function realForward(x: Float64Array): HalfSpectrum {
  const size = x.length;
  if (!isPowerOfTwo(size) || size < 2) {
    throw new RangeError(`realForward needs a power-of-two length >= 2 (got ${size})`);
  }
  const half = size >>> 1;
  const zr = new Float64Array(half);
  const zi = new Float64Array(half);
  for (let j = 0; j < half; j++) {
    zr[j] = x[2 * j]!;
    zi[j] = x[2 * j + 1]!;
  }
  const table = twiddles(size);
  complexFFT(zr, zi, -1, table);
  const re = new Float64Array(half + 1);
  const im = new Float64Array(half + 1);
  for (let k = 0; k <= half; k++) {
    const a = k % half;
    const b = (half - k) % half;
    // Z_k and conj(Z_{h-k})
    const pr = zr[a]!;
    const pi = zi[a]!;
    const qr = zr[b]!;
    const qi = -zi[b]!;
    const er = 0.5 * (pr + qr);
    const ei = 0.5 * (pi + qi);
    // O = (Z_k - conj Z_{h-k}) / (2i)
    const or = 0.5 * (pi - qi);
    const oi = -0.5 * (pr - qr);
    // W^k = e^{-2 pi i k / M}
    const wr = k < half ? table.cos[k]! : -1;
    const wi = k < half ? -table.sin[k]! : 0;
    re[k] = er + (or * wr - oi * wi);
    im[k] = ei + (or * wi + oi * wr);
  }
  return { re, im };
}

/** Inverse of realForward: the real array of length M = 2 (re.length - 1), including 1/M. */
export function realInverse(spectrum: HalfSpectrum): Float64Array {
  const half = spectrum.re.length - 1;
  const size = 2 * half;
  if (!isPowerOfTwo(size) || size < 2 || spectrum.im.length !== half + 1) {
    throw new RangeError(`realInverse needs a half spectrum of 2^p + 1 entries (got ${half + 1})`);
  }
  const table = twiddles(size);
  const zr = new Float64Array(half);
  const zi = new Float64Array(half);
  for (let k = 0; k < half; k++) {
    const xr = spectrum.re[k]!;
    const xi = spectrum.im[k]!;
    // conj(X_{h-k})
    const cr = spectrum.re[half - k]!;
    const ci = -spectrum.im[half - k]!;
    const er = 0.5 * (xr + cr);
    const ei = 0.5 * (xi + ci);
    // O = (X_k - conj X_{h-k}) conj(W^k) / 2, conj(W^k) = e^{+2 pi i k / M}
    const dr = 0.5 * (xr - cr);
    const di = 0.5 * (xi - ci);
    const wr = table.cos[k]!;
    const wi = table.sin[k]!;
    const or = dr * wr - di * wi;
    const oi = dr * wi + di * wr;
    // Z = E + i O
    zr[k] = er - oi;
    zi[k] = ei + or;
  }
  complexFFT(zr, zi, 1, table);
  const out = new Float64Array(size);
  const scale = 1 / half;
  for (let j = 0; j < half; j++) {
    out[2 * j] = zr[j]! * scale;
    out[2 * j + 1] = zi[j]! * scale;
  }
  return out;
}

/**
 * Lag products P(t) = sum_{i=0}^{n-1-t} y_i y_{i+t} for t = 0..maxLag by FFT: zero padding to
 * M = 2^p >= n + maxLag keeps the circular correlation free of wrap-around for those lags.
 */
export function lagProductsFFT(y: Float64Array, maxLag: number): Float64Array {
  const n = y.length;
  const size = Math.max(2, nextPowerOfTwo(n + maxLag));
  const padded = new Float64Array(size);
  padded.set(y);
  const spectrum = realForward(padded);
  for (let k = 0; k < spectrum.re.length; k++) {
    const r = spectrum.re[k]!;
    const i = spectrum.im[k]!;
    spectrum.re[k] = r * r + i * i;
    spectrum.im[k] = 0;
  }
  const circular = realInverse(spectrum);
  return circular.slice(0, maxLag + 1);
}

const BLOCK = 256;

/**
 * Lag products by direct summation, O(n (maxLag + 1)): blocks of 256 terms summed plainly,
 * blocks accumulated with Neumaier compensation.
 */
export function lagProductsDirect(y: Float64Array, maxLag: number): Float64Array {
  const n = y.length;
  const out = new Float64Array(maxLag + 1);
  for (let t = 0; t <= maxLag; t++) {
    const end = n - t;
    let sum = 0;
    let compensation = 0;
    for (let start = 0; start < end; start += BLOCK) {
      const stop = Math.min(end, start + BLOCK);
      let block = 0;
      for (let i = start; i < stop; i++) block += y[i]! * y[i + t]!;
      const s = sum + block;
      if (Math.abs(sum) >= Math.abs(block)) compensation += sum - s + block;
      else compensation += block - s + sum;
      sum = s;
    }
    out[t] = sum + compensation;
  }
  return out;
}

/** Direct cost n (L + 1) versus about 6 M log2 M for the two real FFTs of size M. */
export function fftIsCheaper(n: number, maxLag: number): boolean {
  const size = nextPowerOfTwo(n + maxLag);
  return n * (maxLag + 1) > 6 * size * Math.log2(Math.max(2, size));
}
