import {
  InvalidArgumentError,
  logNormalization,
  type MPS,
  randomMPS,
} from '@latticediff/tensor-network';
import { invalidArgumentOf } from '@latticediff/test-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { denoise, denoiseAncestral, denoiseInPool, generate } from './denoise';
import { matrixExponential } from './expm';
import { addNoise, noisedMPS } from './forward';
import { maskNoise, propagator, rateMatrixNoise, uniformNoise } from './noise';
import { noisedLogProbabilities, probabilityRatios, reverseRates } from './reverse-rates';
import { geometricSchedule, linearSchedule } from './schedule';
import { simulateReverse, tauLeaping } from './simulate';
import { importSecondCopy } from './testing/second-copy';

const mps = randomMPS({ length: 4, bondDim: 2, seed: 1 });
const noise = uniformNoise({ physicalDim: 2 });
const noisy = [
  [0, 1, 1, 0],
  [1, 1, 0, 0],
];

describe('misspelt options are refused, naming the function and the option', () => {
  // each call is valid except for one misspelt (or foreign) option name
  const cases: [string, string, () => unknown][] = [
    ['uniformNoise', 'rat', () => uniformNoise({ physicalDim: 2, rat: 2 } as never)],
    ['maskNoise', 'rates', () => maskNoise({ physicalDim: 2, rates: 2 } as never)],
    [
      'rateMatrixNoise',
      'datadim',
      () =>
        rateMatrixNoise(
          [
            [-1, 1],
            [1, -1],
          ],
          { datadim: 2 } as never,
        ),
    ],
    [
      'addNoise',
      'fromtime',
      () => addNoise(noise, noisy, { time: 1, seed: 1, fromtime: 0.5 } as never),
    ],
    ['noisedMPS', 'tiem', () => noisedMPS(mps, noise, { tiem: 1 } as never)],
    [
      'denoise',
      'targetTim',
      () => denoise(mps, noise, { noisy, time: 1, seed: 1, targetTim: 0.5 } as never),
    ],
    [
      'denoiseAncestral',
      'methd',
      () =>
        denoiseAncestral(mps, noise, {
          noisy,
          times: [1, 0.5, 0],
          seed: 1,
          methd: 'bridge',
        } as never),
    ],
    ['generate', 'seeed', () => generate(mps, noise, { count: 2, time: 1, seeed: 1 } as never)],
    [
      'generate',
      'noise',
      () => generate(mps, noise, { count: 2, time: 1, seed: 1, noise } as never),
    ],
    [
      'noisedLogProbabilities',
      'config',
      () => noisedLogProbabilities(mps, noise, { time: 1, config: noisy } as never),
    ],
    [
      'probabilityRatios',
      'times',
      () => probabilityRatios(mps, noise, { time: 1, configurations: noisy, times: [1] } as never),
    ],
    [
      'reverseRates',
      'Time',
      () => reverseRates(mps, noise, { Time: 1, configurations: noisy } as never),
    ],
    ['linearSchedule', 'endtime', () => linearSchedule({ endtime: 1 } as never)],
    [
      'geometricSchedule',
      'steps',
      () => geometricSchedule({ startTime: 0.1, endTime: 1, steps: 4 } as never),
    ],
    [
      'simulateReverse',
      'maxEvent',
      () => simulateReverse(mps, noise, { noisy, time: 1, seed: 1, maxEvent: 10 } as never),
    ],
    [
      'tauLeaping',
      'step',
      () => tauLeaping(mps, noise, { noisy, times: [1, 0], seed: 1, step: 0.1 } as never),
    ],
  ];
  it.each(cases)('%s refuses `%s`', (name, key, call) => {
    const error = invalidArgumentOf(call);
    expect(error.functionName).toBe(name);
    expect(error.argument).toBe(`options.${key}`);
    expect(error.message).toContain(`\`${name}\` has no option \`${key}\``);
  });

  it('denoiseInPool refuses `targetTime` (it only denoises to time 0) before looking at the pool', async () => {
    const call = denoiseInPool(null as never, mps, noise, {
      noisy,
      time: 1,
      seed: 1,
      targetTime: 0.5,
    } as never);
    await expect(call).rejects.toSatisfy(
      (error) =>
        InvalidArgumentError.isInstance(error) &&
        error.argument === 'options.targetTime' &&
        error.message.includes('`denoiseInPool` has no option `targetTime`'),
    );
  });

  it('options whose value is undefined are allowed, and non-objects are refused naming `options`', () => {
    expect(uniformNoise({ physicalDim: 2, rate: undefined }).rate).toBe(1);
    const spelled = { noisy, time: 1, seed: 4, targetTime: undefined, rogue: undefined };
    expect(denoise(mps, noise, spelled as never).count).toBe(2);
    for (const call of [
      () => uniformNoise(null as never),
      () =>
        rateMatrixNoise(
          [
            [-1, 1],
            [1, -1],
          ],
          3 as never,
        ),
      () => linearSchedule('fast' as never),
      () => noisedMPS(mps, noise, 1 as never),
    ]) {
      expect(invalidArgumentOf(call).argument).toBe('options');
    }
  });
});

describe('an MPS made by a second installed copy of @latticediff/tensor-network', () => {
  let other: Awaited<ReturnType<typeof importSecondCopy>>;
  let foreign: MPS;
  beforeAll(async () => {
    other = await importSecondCopy();
    foreign = other.module.MPS.fromTensors(
      mps.tensors.map((data, i) => ({ shape: mps.siteShape(i), data })),
      { kind: 'linear' },
    ) as unknown as MPS;
  });
  afterAll(() => other?.remove());

  it('is of another class (instanceof fails) but is accepted by the brand check', () => {
    expect(foreign.constructor).not.toBe(mps.constructor);
    expect(other.module.MPS.isMPS(mps)).toBe(true);
    expect(logNormalization(foreign)).toBe(logNormalization(mps));
  });

  it('gives exactly the results of its local twin', () => {
    const a = generate(foreign, noise, { count: 20, time: 0.7, seed: 9 });
    const b = generate(mps, noise, { count: 20, time: 0.7, seed: 9 });
    expect(a.data).toEqual(b.data);
    expect(a.logProbabilities).toEqual(b.logProbabilities);
    expect(noisedMPS(foreign, noise, { time: 0.3 }).tensors).toEqual(
      noisedMPS(mps, noise, { time: 0.3 }).tensors,
    );
    const bridge = { noisy, time: 1, targetTime: 0.4, seed: 2, method: 'bridge' } as const;
    expect(denoise(foreign, noise, bridge).logProbabilities).toEqual(
      denoise(mps, noise, bridge).logProbabilities,
    );
    expect(reverseRates(foreign, noise, { time: 0.5, configurations: noisy }).rates).toEqual(
      reverseRates(mps, noise, { time: 0.5, configurations: noisy }).rates,
    );
  });

  it('a plain object with the same fields is still refused with a clear message', () => {
    const fake = {
      kind: 'linear',
      length: 4,
      physicalDims: mps.physicalDims,
      bondDims: mps.bondDims,
      tensors: mps.tensors,
    };
    const error = invalidArgumentOf(() =>
      denoise(fake as never, noise, { noisy, time: 1, seed: 1 }),
    );
    expect(error.functionName).toBe('denoise');
    expect(error.argument).toBe('mps');
    expect(error.message).toContain('must be an MPS (from MPS.fromTensors');
  });
});

describe('overflowing rates and times are refused instead of looping forever', () => {
  // (each of these calls used to hang: the number of squarings, or the time step, was lost to
  // float64's range or resolution)
  it('matrixExponential refuses a matrix whose 1-norm overflows', () => {
    const error = invalidArgumentOf(() => matrixExponential([-1e308, 1e308, 1e308, -1e308], 2));
    expect(error.argument).toBe('matrix');
    expect(error.message).toContain('1-norm');
    // the largest finite norms still work (about 1,020 squarings)
    const e = matrixExponential([-1e300, 1e300, 1e300, -1e300], 2);
    for (const v of e) expect(v).toBeCloseTo(0.5, 12);
  });

  it('rateMatrixNoise refuses rates whose column sums overflow', () => {
    const error = invalidArgumentOf(() =>
      rateMatrixNoise([
        [-1e308, 1e308],
        [1e308, -1e308],
      ]),
    );
    expect(error.argument).toBe('matrix');
  });

  it('propagator refuses a time at which time * Q overflows, naming time', () => {
    const custom = rateMatrixNoise([
      [-1, 1],
      [1, -1],
    ]);
    const error = invalidArgumentOf(() => propagator(custom, 1e308));
    expect(error.argument).toBe('time');
    expect(error.value).toBe(1e308);
    // a large finite product is the stationary distribution
    for (const v of propagator(custom, 1e300)) expect(v).toBeCloseTo(0.5, 12);
  });

  it('propagator refuses a hand-made noise of an unknown kind or without its rate', () => {
    const rateMatrix = Float64Array.from([-1, 1, 1, -1]);
    for (const noise of [
      { kind: 'bogus', dataDim: 2, stateDim: 2, rateMatrix },
      { kind: 'uniform', dataDim: 2, stateDim: 2, rateMatrix },
      { kind: 'mask', dataDim: 2, stateDim: 3, rateMatrix: new Float64Array(9), rate: 1 },
    ]) {
      expect(invalidArgumentOf(() => propagator(noise as never, 1)).argument).toBe('noise');
    }
  });

  it('simulateReverse refuses a time at which its steps no longer change the time', () => {
    const error = invalidArgumentOf(() =>
      simulateReverse(mps, noise, { noisy, time: 1e16, seed: 1, maxEvents: 1 }),
    );
    expect(error.argument).toBe('time');
    expect(error.value).toBe(1e16);
  });
});

describe('noise sizes', () => {
  it('refuses a physicalDim beyond 4096, naming it (2^31 was a bare RangeError)', () => {
    for (const make of [uniformNoise, maskNoise]) {
      expect(() => make({ physicalDim: 2 ** 31 })).toThrow(
        'must be an integer in [2, 4096] (got 2147483648)',
      );
    }
    expect(uniformNoise({ physicalDim: 1024 }).stateDim).toBe(1024);
  });
});

describe('denoising times', () => {
  it('must be numbers (strings were coerced, and a string was read character by character)', () => {
    expect(() =>
      denoiseAncestral(mps, noise, { noisy, times: ['1', '0'] as never, seed: 1 }),
    ).toThrow('`times[0]` passed to `denoiseAncestral` must be a number');
    expect(() => denoiseAncestral(mps, noise, { noisy, times: '10' as never, seed: 1 })).toThrow(
      '`times` passed to `denoiseAncestral` must be an array of at least two strictly decreasing times',
    );
  });
});

describe('generate sizes', () => {
  it('names generate and count for a batch beyond the samplers (it named sample)', () => {
    expect(() => generate(mps, noise, { count: 2 ** 29, time: 1, seed: 1 })).toThrow(
      '`count` passed to `generate` must be at most 268435456 for an MPS of 4 sites',
    );
  });
});

describe('empty batches', () => {
  // found by a peer audit: tensor-network's functions take [] and { data: [], count: 0 } (the MPS
  // fixes the length), these refused them as "not a non-empty batch", and took them with length
  const empties = () => [[], { data: [], count: 0 }, { data: [], count: 0, length: 4 }];

  it('are taken where the MPS fixes the length, giving empty results of that length', () => {
    for (const empty of empties()) {
      expect(noisedLogProbabilities(mps, noise, { time: 0.3, configurations: empty })).toEqual(
        new Float64Array(0),
      );
      const rates = reverseRates(mps, noise, { time: 0.3, configurations: empty });
      expect([rates.count, rates.length, rates.rates.length]).toEqual([0, 4, 0]);
      const clean = denoise(mps, noise, { noisy: empty, time: 0.3, seed: 1 });
      expect([clean.count, clean.length, clean.data.length]).toEqual([0, 4, 0]);
      const reverse = simulateReverse(mps, noise, { noisy: empty, time: 0.3, seed: 1 });
      expect([reverse.count, reverse.length, reverse.jumps.length]).toEqual([0, 4, 0]);
      const leaped = tauLeaping(mps, noise, { noisy: empty, times: [0.3, 0.1, 0], seed: 1 });
      expect([leaped.count, leaped.length]).toEqual([0, 4]);
    }
  });

  it('need a length where nothing else fixes it (addNoise), and name the argument', () => {
    expect(addNoise(noise, { data: [], count: 0, length: 4 }, { time: 0.3, seed: 1 }).count).toBe(
      0,
    );
    for (const empty of [[], { data: [], count: 0 }]) {
      const error = invalidArgumentOf(() => addNoise(noise, empty, { time: 0.3, seed: 1 }));
      expect(error.argument).toBe('configurations');
      expect(error.message).toMatch(/\{ data, count: 0, length \} for an empty one/);
    }
    // a stated length of 0 is not taken for the MPS's
    expect(
      invalidArgumentOf(() =>
        denoise(mps, noise, { noisy: { data: [], count: 0, length: 0 }, time: 0.3, seed: 1 }),
      ).argument,
    ).toBe('noisy');
    // a batch of configurations of another length than the MPS's names `noisy`
    expect(
      invalidArgumentOf(() => denoise(mps, noise, { noisy: [[0, 1]], time: 0.3, seed: 1 }))
        .argument,
    ).toBe('noisy');
  });
});
