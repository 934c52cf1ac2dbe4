import { invalidArgumentOf } from '@latticediff/test-kit/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { truncationRank } from './canonical';
import {
  accumulateSampleOuterProducts,
  bornSiteWeights,
  type SiteTensorView,
  sampleAmplitudes,
  transferBornEnvironments,
  transferSampleEnvironments,
} from './environments';
import { logProbabilities } from './evaluate';
import { randomMPS } from './mps';
import { createRandom } from './random';
import { type KernelEngine, setKernelEngine } from './workspace';

afterAll(() => {
  setKernelEngine('auto');
});

function randomArray(rng: ReturnType<typeof createRandom>, size: number): Float64Array {
  const a = new Float64Array(size);
  for (let k = 0; k < size; k++) a[k] = rng.float64() * 2 - 1;
  return a;
}

function randomTensor(rng: ReturnType<typeof createRandom>, l: number, d: number, r: number) {
  return { data: randomArray(rng, l * d * r), leftDim: l, physicalDim: d, rightDim: r };
}

function randomDigits(rng: ReturnType<typeof createRandom>, count: number, d: number): Int32Array {
  const x = new Int32Array(count);
  for (let b = 0; b < count; b++) x[b] = Math.min(d - 1, Math.floor(rng.float64() * d));
  return x;
}

/** T[a, s, c] */
const at = (t: SiteTensorView, a: number, s: number, c: number): number =>
  t.data[(a * t.physicalDim + s) * t.rightDim + c]!;

const shapes: [number, number, number, number][] = [
  [1, 2, 3, 5],
  [3, 2, 1, 7],
  [5, 4, 7, 33],
  [16, 4, 16, 101],
  [9, 3, 2, 1],
];

describe.each(['wasm-simd', 'javascript'] as KernelEngine[])('%s engine', (engine) => {
  it('transfers environments to the right and to the left as the naive sums', () => {
    setKernelEngine(engine);
    const rng = createRandom(3);
    for (const [l, d, r, count] of shapes) {
      const t = randomTensor(rng, l, d, r);
      const x = randomDigits(rng, count, d);
      const left = randomArray(rng, count * l);
      const right = randomArray(rng, count * r);
      const toRight = transferSampleEnvironments(t, x, left, 'right');
      const toLeft = transferSampleEnvironments(t, x, right, 'left');
      for (let b = 0; b < count; b++) {
        for (let c = 0; c < r; c++) {
          let acc = 0;
          for (let a = 0; a < l; a++) acc += left[b * l + a]! * at(t, a, x[b]!, c);
          expect(toRight[b * r + c]).toBeCloseTo(acc, 13);
        }
        for (let a = 0; a < l; a++) {
          let acc = 0;
          for (let c = 0; c < r; c++) acc += at(t, a, x[b]!, c) * right[b * r + c]!;
          expect(toLeft[b * l + a]).toBeCloseTo(acc, 13);
        }
      }
    }
  });

  it('rescales rows to max |entry| 1 and reports the scales', () => {
    setKernelEngine(engine);
    const rng = createRandom(4);
    const t = randomTensor(rng, 4, 2, 6);
    const x = randomDigits(rng, 20, 2);
    const left = randomArray(rng, 20 * 4);
    const plain = transferSampleEnvironments(t, x, left, 'right');
    const scales = new Float64Array(20);
    const scaled = transferSampleEnvironments(t, x, left, 'right', { rescale: true, scales });
    for (let b = 0; b < 20; b++) {
      let mx = 0;
      for (let c = 0; c < 6; c++) mx = Math.max(mx, Math.abs(plain[b * 6 + c]!));
      expect(scales[b]).toBe(mx);
      for (let c = 0; c < 6; c++)
        expect(scaled[b * 6 + c]! * mx).toBeCloseTo(plain[b * 6 + c]!, 14);
    }
  });

  it('writes into options.out, the same bits, even when it is the input itself', () => {
    setKernelEngine(engine);
    const rng = createRandom(6);
    for (const [l, r, direction] of [
      [4, 6, 'right'],
      [5, 5, 'right'],
      [6, 3, 'left'],
      [5, 5, 'left'],
    ] as const) {
      const t = randomTensor(rng, l, 2, r);
      const x = randomDigits(rng, 9, 2);
      const inner = direction === 'right' ? l : r;
      const outer = direction === 'right' ? r : l;
      const input = randomArray(rng, 9 * inner);
      const fresh = transferSampleEnvironments(t, x, input, direction, { rescale: true });
      const out = new Float64Array(9 * outer).fill(Number.NaN);
      const scales = new Float64Array(9);
      expect(
        transferSampleEnvironments(t, x, input, direction, { rescale: true, out, scales }),
      ).toBe(out);
      expect([...out]).toEqual([...fresh]);
      expect(scales.every((v) => v > 0)).toBe(true);
      if (inner === outer) {
        // the input is read before the output is written
        const inPlace = input.slice();
        transferSampleEnvironments(t, x, inPlace, direction, { rescale: true, out: inPlace });
        expect([...inPlace]).toEqual([...fresh]);
      }
    }
  });

  it('gives amplitudes and outer-product gradients that match the naive sums', () => {
    setKernelEngine(engine);
    const rng = createRandom(5);
    for (const [l, d, r, count] of shapes) {
      const t = randomTensor(rng, l, d, r);
      const x = randomDigits(rng, count, d);
      const left = randomArray(rng, count * l);
      const right = randomArray(rng, count * r);
      const w = randomArray(rng, count);
      const psi = sampleAmplitudes(t, x, left, right);
      const grad = { data: randomArray(rng, l * d * r), leftDim: l, physicalDim: d, rightDim: r };
      const before = grad.data.slice();
      accumulateSampleOuterProducts(grad, x, left, right, w);
      const expected = before.slice();
      for (let b = 0; b < count; b++) {
        let acc = 0;
        for (let a = 0; a < l; a++)
          for (let c = 0; c < r; c++) {
            acc += left[b * l + a]! * at(t, a, x[b]!, c) * right[b * r + c]!;
            expected[(a * d + x[b]!) * r + c]! += w[b]! * left[b * l + a]! * right[b * r + c]!;
          }
        expect(psi[b]).toBeCloseTo(acc, 12);
      }
      for (let k = 0; k < expected.length; k++) expect(grad.data[k]).toBeCloseTo(expected[k]!, 12);
    }
  });

  it('chains transfers into the MPS amplitudes of whole configurations', () => {
    setKernelEngine(engine);
    const mps = randomMPS({ length: 7, physicalDim: 3, bondDim: 5, kind: 'born', seed: 8 });
    const rng = createRandom(9);
    const count = 40;
    const configs = new Int32Array(count * 7);
    for (let k = 0; k < configs.length; k++) configs[k] = Math.floor(rng.float64() * 3);
    const column = (i: number) => Int32Array.from({ length: count }, (_, b) => configs[b * 7 + i]!);
    const view = (i: number): SiteTensorView => {
      const [l, d, r] = mps.siteShape(i);
      return { data: mps.tensors[i]!, leftDim: l, physicalDim: d, rightDim: r };
    };
    // left environments to bond 3, right environments from site 4, amplitudes at site 3
    let left: Float64Array = new Float64Array(count).fill(1);
    for (let i = 0; i < 3; i++)
      left = transferSampleEnvironments(view(i), column(i), left, 'right');
    let right: Float64Array = new Float64Array(count).fill(1);
    for (let i = 6; i >= 4; i--)
      right = transferSampleEnvironments(view(i), column(i), right, 'left');
    const psi = sampleAmplitudes(view(3), column(3), left, right);
    const lp = logProbabilities(mps, { data: configs, count });
    // P = psi^2 / Z: ratios of P equal ratios of psi^2
    for (let b = 1; b < count; b++) {
      expect(Math.log(psi[b]! ** 2 / psi[0]! ** 2)).toBeCloseTo(lp[b]! - lp[0]!, 10);
    }
  });

  it('transfers double-layer environments with per-sample digit weights as the naive sums', () => {
    setKernelEngine(engine);
    const rng = createRandom(21);
    for (const [l, d, r, count] of shapes) {
      const t = randomTensor(rng, l, d, r);
      const w = randomArray(rng, count * d);
      const left = randomArray(rng, count * l * l);
      const right = randomArray(rng, count * r * r);
      const scales = new Float64Array(count);
      const toRight = transferBornEnvironments(t, w, left, 'right');
      const toLeft = transferBornEnvironments(t, w, right, 'left');
      const rescaled = transferBornEnvironments(t, w, right, 'left', { rescale: true, scales });
      const g = bornSiteWeights(t, left, right);
      for (let b = 0; b < count; b++) {
        // right: sum_s w_s T_s^T L T_s (r x r)
        for (let c = 0; c < r; c++) {
          for (let e = 0; e < r; e++) {
            let acc = 0;
            for (let s = 0; s < d; s++)
              for (let a = 0; a < l; a++)
                for (let a2 = 0; a2 < l; a2++)
                  acc +=
                    w[b * d + s]! *
                    at(t, a, s, c) *
                    left[b * l * l + a * l + a2]! *
                    at(t, a2, s, e);
            expect(toRight[b * r * r + c * r + e]).toBeCloseTo(acc, 11);
          }
        }
        // left: sum_s w_s T_s R T_s^T (l x l), and its rescaled copy
        let largest = 0;
        for (let a = 0; a < l; a++) {
          for (let a2 = 0; a2 < l; a2++) {
            let acc = 0;
            for (let s = 0; s < d; s++)
              for (let c = 0; c < r; c++)
                for (let e = 0; e < r; e++)
                  acc +=
                    w[b * d + s]! *
                    at(t, a, s, c) *
                    right[b * r * r + c * r + e]! *
                    at(t, a2, s, e);
            expect(toLeft[b * l * l + a * l + a2]).toBeCloseTo(acc, 11);
            largest = Math.max(largest, Math.abs(acc));
          }
        }
        expect(scales[b]).toBeCloseTo(largest, 11);
        for (let k = 0; k < l * l; k++)
          expect(rescaled[b * l * l + k]! * scales[b]!).toBeCloseTo(toLeft[b * l * l + k]!, 11);
        // site weights: <T_s, L T_s R>_F
        for (let s = 0; s < d; s++) {
          let acc = 0;
          for (let a = 0; a < l; a++)
            for (let a2 = 0; a2 < l; a2++)
              for (let c = 0; c < r; c++)
                for (let e = 0; e < r; e++)
                  acc +=
                    at(t, a, s, c) *
                    left[b * l * l + a * l + a2]! *
                    at(t, a2, s, e) *
                    right[b * r * r + e * r + c]!;
          expect(g[b * d + s]).toBeCloseTo(acc, 10);
        }
      }
    }
  });

  it('chains double-layer transfers into the Born probabilities of whole configurations', () => {
    setKernelEngine(engine);
    const mps = randomMPS({ length: 6, physicalDim: 3, bondDim: 4, kind: 'born', seed: 12 });
    const rng = createRandom(13);
    const count = 30;
    const configs = new Int32Array(count * 6);
    for (let k = 0; k < configs.length; k++) configs[k] = Math.floor(rng.float64() * 3);
    const view = (i: number): SiteTensorView => {
      const [l, d, r] = mps.siteShape(i);
      return { data: mps.tensors[i]!, leftDim: l, physicalDim: d, rightDim: r };
    };
    const oneHot = (i: number) => {
      const w = new Float64Array(count * 3);
      for (let b = 0; b < count; b++) w[b * 3 + configs[b * 6 + i]!] = 1;
      return w;
    };
    // |psi(x)|^2 = L R at any bond; the site weight of the configuration's own digit too
    let left: Float64Array = new Float64Array(count).fill(1);
    for (let i = 0; i < 3; i++) left = transferBornEnvironments(view(i), oneHot(i), left, 'right');
    let right: Float64Array = new Float64Array(count).fill(1);
    for (let i = 5; i >= 4; i--)
      right = transferBornEnvironments(view(i), oneHot(i), right, 'left');
    const g = bornSiteWeights(view(3), left, right);
    const lp = logProbabilities(mps, { data: configs, count });
    const own = (b: number) => g[b * 3 + configs[b * 6 + 3]!]!;
    for (let b = 1; b < count; b++) {
      expect(Math.log(own(b) / own(0))).toBeCloseTo(lp[b]! - lp[0]!, 10);
    }
  });
});

it('refuses bad input naming the argument', () => {
  const t = { data: new Float64Array(12), leftDim: 2, physicalDim: 2, rightDim: 3 };
  const argument = (f: () => unknown): string => invalidArgumentOf(f).argument;
  const x = Int32Array.of(0, 1);
  expect(transferSampleEnvironments(t, x, new Float64Array(4), 'right').length).toBe(6);
  expect(argument(() => transferSampleEnvironments(t, x, new Float64Array(5), 'right'))).toBe(
    'environments',
  );
  expect(
    argument(() =>
      transferSampleEnvironments(t, Int32Array.of(0, 2), new Float64Array(4), 'right'),
    ),
  ).toBe('digits');
  expect(
    argument(() => transferSampleEnvironments(t, x, new Float64Array(4), 'up' as 'right')),
  ).toBe('direction');
  expect(
    argument(() =>
      transferSampleEnvironments({ ...t, rightDim: 4 }, x, new Float64Array(4), 'right'),
    ),
  ).toBe('tensor.data');
  expect(argument(() => sampleAmplitudes(t, x, new Float64Array(4), new Float64Array(5)))).toBe(
    'right',
  );
  expect(
    argument(() =>
      accumulateSampleOuterProducts(
        t,
        x,
        new Float64Array(4),
        new Float64Array(6),
        new Float64Array(1),
      ),
    ),
  ).toBe('weights');
  expect(
    argument(() =>
      transferSampleEnvironments(t, x, new Float64Array(4), 'right', {
        scales: new Float64Array(2),
      }),
    ),
  ).toBe('options.scales');
  expect(
    argument(() =>
      transferSampleEnvironments(t, x, new Float64Array(4), 'right', {
        out: new Float64Array(4),
      }),
    ),
  ).toBe('options.out');
  expect(
    argument(() => transferBornEnvironments(t, new Float64Array(3), new Float64Array(8), 'right')),
  ).toBe('weights');
  expect(
    argument(() => transferBornEnvironments(t, new Float64Array(4), new Float64Array(9), 'right')),
  ).toBe('environments');
  expect(argument(() => bornSiteWeights(t, new Float64Array(8), new Float64Array(17)))).toBe(
    'right',
  );
  expect(argument(() => bornSiteWeights(t, new Float64Array(7), new Float64Array(9)))).toBe('left');
});

describe('truncationRank', () => {
  it('keeps at most maxBondDim, then drops the smallest while their weight stays <= cutoff', () => {
    const s = Float64Array.of(3, 2, 1, 0.1, 0.01);
    const total = 9 + 4 + 1 + 0.01 + 0.0001;
    expect(truncationRank(s)).toEqual({ keep: 5, discarded: 0 });
    expect(truncationRank(s, { maxBondDim: 2 })).toEqual({ keep: 2, discarded: 1.0101 / total });
    // 0.0101 / total = 7.2e-4 <= 1e-3 < 1.0101 / total
    const r = truncationRank(s, { cutoff: 1e-3 });
    expect(r.keep).toBe(3);
    expect(r.discarded).toBeCloseTo(0.0101 / total, 15);
    expect(truncationRank(Float64Array.of(0, 0)).keep).toBe(1);
    expect(() => truncationRank(Float64Array.of(1, 2))).toThrow(/`singularValues`/);
    expect(() => truncationRank(s, { maxBondDim: 0 })).toThrow(/`maxBondDim`/);
    expect(() => truncationRank(s, { cutoff: 2 })).toThrow(/`cutoff`/);
  });
});
