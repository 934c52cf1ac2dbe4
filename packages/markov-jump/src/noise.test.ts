import { InvalidArgumentError, logProbabilities, randomMPS } from '@latticediff/tensor-network';
import { describe, expect, it } from 'vitest';
import { addNoise, noisedMPS } from './forward';
import { maskNoise, type NoiseProcess, propagator, rateMatrixNoise, uniformNoise } from './noise';
import { noisedLogProbabilities } from './reverse-rates';
import { geometricSchedule, linearSchedule, scheduleTimes } from './schedule';
import { applyKernel, chiSquare, denseDistribution, enumerate, repeat } from './testing/exact';

const P_MIN = 1e-4;

const custom3 = (): NoiseProcess =>
  rateMatrixNoise([
    [-1.1, 0.4, 0.0],
    [0.8, -0.9, 2.0],
    [0.3, 0.5, -2.0],
  ]);

describe('generators', () => {
  it('validates user rate matrices with clear errors', () => {
    expect(() =>
      rateMatrixNoise([
        [-1, 1],
        [-0.5, -1],
      ]),
    ).toThrow(
      'invalid argument: `matrix[1][0]` passed to `rateMatrixNoise` must be a non-negative off-diagonal rate (got -0.5)',
    );
    expect(() =>
      rateMatrixNoise([
        [-1, 1],
        [0.5, -1],
      ]),
    ).toThrow(
      /`matrix` passed to `rateMatrixNoise` must be a rate matrix whose columns sum to zero .*column 0 summing to -0.5/,
    );
    expect(() =>
      rateMatrixNoise([
        [Number.NaN, 1],
        [0, -1],
      ]),
    ).toThrow(/`matrix\[0\]\[0\]` .* must be a finite number \(got NaN\)/);
    expect(() => rateMatrixNoise([[-1, 1], [1]])).toThrow(/must be a row of 2 numbers/);
    expect(() => rateMatrixNoise([[0]])).toThrow(InvalidArgumentError);
    expect(() =>
      rateMatrixNoise(
        [
          [-1, 1],
          [1, -1],
        ],
        { dataDim: 3 },
      ),
    ).toThrow(/`dataDim`/);
    expect(() => uniformNoise({ physicalDim: 1 })).toThrow(
      'invalid argument: `physicalDim` passed to `uniformNoise` must be an integer in [2, 4096] (got 1)',
    );
    expect(() => maskNoise({ physicalDim: 2, rate: 0 })).toThrow(
      'invalid argument: `rate` passed to `maskNoise` must be a finite number > 0 (got 0)',
    );
  });

  it('builds the documented rate matrices', () => {
    const u = uniformNoise({ physicalDim: 3, rate: 2 });
    expect(Array.from(u.rateMatrix)).toEqual([-4, 2, 2, 2, -4, 2, 2, 2, -4]);
    const m = maskNoise({ physicalDim: 2, rate: 0.5 });
    expect(m.stateDim).toBe(3);
    expect(m.maskState).toBe(2);
    expect(Array.from(m.rateMatrix)).toEqual([-0.5, 0, 0, 0, -0.5, 0, 0.5, 0.5, 0]);
  });
});

describe('schedules', () => {
  it('linear and geometric schedules give strictly decreasing grids ending at 0', () => {
    expect(Array.from(scheduleTimes(linearSchedule({ endTime: 2 }), 4))).toEqual([
      2, 1.5, 1, 0.5, 0,
    ]);
    const g = scheduleTimes(geometricSchedule({ startTime: 0.01, endTime: 1 }), 3);
    expect(g.length).toBe(4);
    expect(g[0]).toBe(1);
    expect(Math.abs(g[1]! - 10 ** (-2 / 3))).toBeLessThan(1e-15);
    expect(Math.abs(g[2]! - 10 ** (-4 / 3))).toBeLessThan(1e-15);
    expect(g[3]).toBe(0);
    expect(() => geometricSchedule({ startTime: 1, endTime: 1 })).toThrow(
      /`startTime` passed to `geometricSchedule`/,
    );
    expect(() => linearSchedule({ endTime: -1 })).toThrow(
      'invalid argument: `endTime` passed to `linearSchedule` must be a finite number > 0 (got -1)',
    );
    expect(() => scheduleTimes(linearSchedule({ endTime: 1 }), 0)).toThrow(/`steps`/);
  });
});

describe('forward sampling', () => {
  it.each([
    ['uniform d=2', uniformNoise({ physicalDim: 2, rate: 0.7 })],
    ['custom d=3', custom3()],
    ['mask d=3', maskNoise({ physicalDim: 3, rate: 1.2 })],
  ] as const)('per-site transitions of %s follow the propagator (chi-square)', (_, noise) => {
    const t = 0.6;
    const k = propagator(noise, t);
    const D = noise.stateDim;
    const n = 4;
    for (let x = 0; x < noise.dataDim; x++) {
      const y = addNoise(noise, repeat(new Array(n).fill(x), 20_000), { time: t, seed: 11 + x });
      const counts = new Array<number>(D).fill(0);
      for (const v of y.data) counts[v]!++;
      const expected = Array.from({ length: D }, (_, s) => k[s * D + x]!);
      expect(chiSquare(counts, expected).pValue).toBeGreaterThan(P_MIN);
    }
  });

  it('noises from an intermediate time with k_{t-s} and is reproducible by seed', () => {
    const noise = maskNoise({ physicalDim: 2 });
    const from = repeat([2, 2, 0, 1], 10);
    const a = addNoise(noise, from, { time: 1, fromTime: 0.5, seed: 3 });
    expect(Array.from(a.data.filter((_, j) => j % 4 < 2))).toEqual(new Array(20).fill(2));
    expect(Array.from(addNoise(noise, from, { time: 1, fromTime: 0.5, seed: 3 }).data)).toEqual(
      Array.from(a.data),
    );
    expect(() => addNoise(noise, repeat([2, 0], 1), { time: 1, seed: 0 })).toThrow(
      /must be an integer digit in \[0, 1\]/,
    );
    expect(() => addNoise(noise, repeat([0, 0], 1), { time: -0.1, seed: 0 })).toThrow(
      'invalid argument: `time` passed to `addNoise` must be a finite number >= 0 (got -0.1)',
    );
    expect(() => addNoise(noise, repeat([0, 0], 1), { time: 1, fromTime: 2, seed: 0 })).toThrow(
      /`fromTime`/,
    );
  });
});

describe('forward marginal P_t', () => {
  const cases = [
    { name: 'uniform d=2, N=8', noise: uniformNoise({ physicalDim: 2, rate: 0.9 }), n: 8, chi: 4 },
    { name: 'custom d=3, N=5', noise: custom3(), n: 5, chi: 3 },
    { name: 'mask d=2, N=6', noise: maskNoise({ physicalDim: 2, rate: 0.8 }), n: 6, chi: 3 },
  ];
  for (const { name, noise, n, chi } of cases) {
    it(`${name}: the noised MPS equals enumeration at 1e-10 (linear) for several t`, () => {
      const mps = randomMPS({
        length: n,
        physicalDim: noise.dataDim,
        bondDim: chi,
        seed: n * 7,
        spread: 0.8,
      });
      const p0 = denseDistribution(mps);
      const D = noise.stateDim;
      for (const t of [0, 1e-4, 0.3, 1.7, 30]) {
        const pt = applyKernel(p0, n, noise.dataDim, propagator(noise, t), D);
        const m = noisedMPS(mps, noise, { time: t });
        expect(m.bondDims).toEqual(mps.bondDims);
        expect(m.physicalDims.every((x) => x === D)).toBe(true);
        const configs = enumerate(n, D);
        const lp = logProbabilities(m, configs);
        const direct = noisedLogProbabilities(mps, noise, { time: t, configurations: configs });
        configs.forEach((_, k) => {
          const ref = pt[k]!;
          if (ref === 0) {
            expect(lp[k]).toBe(Number.NEGATIVE_INFINITY);
            return;
          }
          expect(Math.abs(Math.exp(lp[k]!) - ref) / ref).toBeLessThan(1e-10);
          expect(Math.abs(Math.exp(direct[k]!) - ref) / ref).toBeLessThan(1e-10);
        });
      }
    });

    it(`${name}: the double-layer marginal of a Born MPS equals enumeration at 1e-10`, () => {
      const mps = randomMPS({
        length: n,
        physicalDim: noise.dataDim,
        bondDim: chi,
        kind: 'born',
        seed: n * 5,
      });
      const p0 = denseDistribution(mps);
      const D = noise.stateDim;
      const configs = enumerate(n, D);
      for (const t of [0.05, 1.1]) {
        const pt = applyKernel(p0, n, noise.dataDim, propagator(noise, t), D);
        const lp = noisedLogProbabilities(mps, noise, { time: t, configurations: configs });
        configs.forEach((_, k) => {
          const ref = pt[k]!;
          if (ref === 0) expect(lp[k]).toBe(Number.NEGATIVE_INFINITY);
          else expect(Math.abs(Math.exp(lp[k]!) - ref) / ref).toBeLessThan(1e-10);
        });
      }
    });
  }

  it('rejects a Born MPS, a wrong physical dimension and negative times', () => {
    const noise = uniformNoise({ physicalDim: 2 });
    const born = randomMPS({ length: 4, bondDim: 2, kind: 'born', seed: 1 });
    expect(() => noisedMPS(born, noise, { time: 1 })).toThrow(
      /must be a linear MPS \(the noised distribution of a Born MPS is a double-layer network/,
    );
    const d3 = randomMPS({ length: 4, physicalDim: 3, bondDim: 2, seed: 1 });
    expect(() => noisedMPS(d3, noise, { time: 1 })).toThrow(
      /`mps` passed to `noisedMPS` must be an MPS whose every site has the noise's data dimension 2/,
    );
    const mps = randomMPS({ length: 4, bondDim: 2, seed: 1 });
    expect(() => noisedMPS(mps, noise, { time: -1 })).toThrow(
      'invalid argument: `time` passed to `noisedMPS` must be a finite number >= 0 (got -1)',
    );
    expect(() =>
      noisedLogProbabilities(mps, noise, { time: 1, configurations: [[0, 1, 0]] }),
    ).toThrow(/configurations of the MPS length 4/);
  });
});

describe('propagator of a rate matrix at large times', () => {
  it('is the stationary limit, column-stochastic (it drifted to 0.94 at t = 1e15, Infinity at 1e20)', () => {
    // Q = [[-1, 2], [1, -2]]: stationary distribution (2/3, 1/3); symmetric Q: (1/2, 1/2)
    const cases: [NoiseProcess, number[]][] = [
      [
        rateMatrixNoise([
          [-1, 2],
          [1, -2],
        ]),
        [2 / 3, 1 / 3],
      ],
      [
        rateMatrixNoise([
          [-1, 1],
          [1, -1],
        ]),
        [1 / 2, 1 / 2],
      ],
      [custom3(), []],
    ];
    for (const [noise, stationary] of cases) {
      const D = noise.stateDim;
      const settled = propagator(noise, 200);
      for (const t of [1e15, 1e16, 1e20, 1e300]) {
        const k = propagator(noise, t);
        for (let x = 0; x < D; x++) {
          let column = 0;
          for (let y = 0; y < D; y++) {
            const expected = stationary.length > 0 ? stationary[y]! : settled[y * D + x]!;
            expect(Math.abs(k[y * D + x]! - expected)).toBeLessThanOrEqual(1e-13);
            column += k[y * D + x]!;
          }
          expect(Math.abs(column - 1)).toBeLessThanOrEqual(1e-14);
        }
      }
    }
  });
});
