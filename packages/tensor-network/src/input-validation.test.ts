import { describe, expect, it } from 'vitest';
import { canonicalize, compress, truncationRank } from './canonical';
import { fromDense, toDense } from './dense';
import { transferSampleEnvironments } from './environments';
import { assertFinite } from './errors';
import { correlations, logNormalization, logProbabilities, marginals } from './evaluate';
import { bornMPSFromFactors } from './factor-network';
import { negativeLogLikelihood } from './likelihood';
import { matmul } from './linalg';
import {
  indexToConfiguration,
  MAX_BATCH_ENTRIES,
  MAX_MPS_SITES,
  randomMPS,
  uniformMPS,
} from './mps';
import { createRandom } from './random';
import { sample, sampleConditional } from './sample';
import { invalidArgumentOf } from './testing/errors';
import { kernelEngine, setKernelEngine } from './workspace';

describe('public functions refuse a non-MPS argument with a clear error', () => {
  const notAnMPS = { length: 3, physicalDims: [2, 2, 2] };
  const cases: [string, (mps: never) => unknown][] = [
    ['sample', (mps) => sample(mps, { count: 1, seed: 1 })],
    ['sampleConditional', (mps) => sampleConditional(mps, { count: 1, seed: 1, weights: [] })],
    ['logNormalization', (mps) => logNormalization(mps)],
    ['logProbabilities', (mps) => logProbabilities(mps, [[0, 0, 0]])],
    ['marginals', (mps) => marginals(mps)],
    ['correlations', (mps) => correlations(mps)],
    ['toDense', (mps) => toDense(mps)],
    ['negativeLogLikelihood', (mps) => negativeLogLikelihood(mps, [[0, 0, 0]])],
  ];
  for (const [name, call] of cases) {
    it(name, () => {
      for (const value of [notAnMPS, null, undefined, 5]) {
        const error = invalidArgumentOf(() => call(value as never));
        expect(error.functionName).toBe(name);
        expect(error.argument).toBe('mps');
        expect(error.message).toContain('must be an MPS');
      }
    });
  }
});

describe('sizes that cannot be allocated are refused before any work', () => {
  it('randomMPS with a huge bond dimension names bondDim', () => {
    const error = invalidArgumentOf(() => randomMPS({ length: 1000, bondDim: 100000, seed: 1 }));
    expect(error.argument).toBe('bondDim');
    expect(error.value).toBe(100000);
  });

  it('a length beyond 2^22 sites is refused naming it (10^9 was a fatal V8 error, 10^8 ran out of memory)', () => {
    for (const call of [
      () => randomMPS({ length: 1e9, bondDim: 1, seed: 1 }),
      () => randomMPS({ length: MAX_MPS_SITES + 1, bondDim: 1, seed: 1 }),
      () => uniformMPS(1e9),
    ]) {
      const error = invalidArgumentOf(call);
      expect(error.argument).toBe('length');
      expect(error.message).toContain(`in [1, ${MAX_MPS_SITES}]`);
    }
    const factors = invalidArgumentOf(() =>
      bornMPSFromFactors({ length: 1e9, physicalDim: 2 } as never),
    );
    expect(factors.argument).toBe('network.length');
  });

  it('sample with count * sites beyond the batch limit names count', () => {
    const mps = randomMPS({ length: 8, bondDim: 2, seed: 1 });
    const count = MAX_BATCH_ENTRIES / 8 + 1;
    const error = invalidArgumentOf(() => sample(mps, { count, seed: 1 }));
    expect(error.argument).toBe('count');
    expect(error.message).toContain(`at most ${MAX_BATCH_ENTRIES / 8}`);
    const conditional = invalidArgumentOf(() =>
      sampleConditional(mps, { count, seed: 1, weights: [] }),
    );
    expect(conditional.argument).toBe('count');
    // the limit itself still samples (count 0 is a valid empty batch)
    expect(sample(mps, { count: 0, seed: 1 }).count).toBe(0);
  });
});

describe('misspelt options are refused instead of ignored', () => {
  it('names the unknown option and lists the known ones', () => {
    const born = randomMPS({ length: 4, bondDim: 3, seed: 1, kind: 'born' });
    const compressError = invalidArgumentOf(() => compress(born, { maxBond: 1 } as never));
    expect(compressError.argument).toBe('options.maxBond');
    expect(compressError.message).toContain('`compress` has no option `maxBond`');
    expect(compressError.message).toContain('`maxBondDim`, `cutoff`');
    expect(
      invalidArgumentOf(() => canonicalize(born, { orthogonalityCenter: 1 } as never)).argument,
    ).toBe('options.orthogonalityCenter');
    expect(
      invalidArgumentOf(() => randomMPS({ length: 3, bondDims: 2, bondDim: 2, seed: 1 } as never))
        .argument,
    ).toBe('options.bondDims');
    expect(
      invalidArgumentOf(() => sample(born, { count: 1, seed: 1, cout: 2 } as never)).argument,
    ).toBe('options.cout');
    // undefined values are fine (spread options objects)
    expect(compress(born, { maxBondDim: 1, cutoff: undefined }).bondDims).toEqual([1, 1, 1]);
  });
});

describe('misspelt option keys of more functions, and fromDense kinds, are refused', () => {
  // (each was silently ignored: the call ran with the default instead)
  it('names the unknown key', () => {
    const m = randomMPS({ length: 3, bondDim: 2, seed: 1 });
    const configurations = { data: new Int32Array(3), count: 1 };
    const cases: [string, () => unknown][] = [
      ['options.kidn', () => fromDense([1, 2, 3, 4], [2, 2], { kidn: 'born' } as never)],
      ['options.vals', () => correlations(m, { vals: [0, 1] } as never)],
      [
        'options.sampleWieghts',
        () => negativeLogLikelihood(m, configurations, { sampleWieghts: [1] } as never),
      ],
      ['options.maxBond', () => truncationRank(Float64Array.from([2, 1]), { maxBond: 1 } as never)],
      [
        'options.rescal',
        () =>
          transferSampleEnvironments(
            { data: new Float64Array(4), leftDim: 1, physicalDim: 2, rightDim: 2 },
            new Int32Array(1),
            new Float64Array(1),
            'right',
            { rescal: true } as never,
          ),
      ],
      [
        'network.constraints[0].transition',
        () =>
          bornMPSFromFactors({
            length: 2,
            physicalDim: 2,
            constraints: [
              {
                states: 1,
                initial: 0,
                transitions: Int32Array.from([0, 0]),
                accepting: Uint8Array.from([1]),
                transition: 1,
              } as never,
            ],
          }),
      ],
    ];
    for (const [argument, call] of cases) expect(invalidArgumentOf(call).argument).toBe(argument);
  });

  it('fromDense refuses a kind other than "linear" or "born" (a typo made a linear MPS)', () => {
    for (const kind of ['x', 'Born', 5]) {
      const error = invalidArgumentOf(() => fromDense([1, 2, 3, 4], [2, 2], { kind } as never));
      expect(error.argument).toBe('options.kind');
    }
    expect(fromDense([1, 2, 3, 4], [2, 2], { kind: 'born' }).kind).toBe('born');
  });
});

describe('assertFinite messages', () => {
  it('say "> 0" for a positive lower bound given as Number.MIN_VALUE (not ">= 5e-324")', () => {
    const error = invalidArgumentOf(() => assertFinite('f', 'rate', 0, Number.MIN_VALUE));
    expect(error.message).toBe(
      'invalid argument: `rate` passed to `f` must be a finite number > 0 (got 0)',
    );
  });
});

describe('small helpers that checked nothing', () => {
  it('indexToConfiguration refuses indices out of range, bad dims and a short out', () => {
    expect(Array.from(indexToConfiguration(5, [2, 2, 2]))).toEqual([1, 0, 1]);
    for (const index of [-1, 8, Number.NaN, 1.5]) {
      expect(invalidArgumentOf(() => indexToConfiguration(index, [2, 2, 2])).argument).toBe(
        'index',
      );
    }
    expect(invalidArgumentOf(() => indexToConfiguration(0, [0])).argument).toBe('physicalDims');
    expect(
      invalidArgumentOf(() => indexToConfiguration(0, [2, 2], new Int32Array(1))).argument,
    ).toBe('out');
  });

  it('setKernelEngine refuses an unknown engine', () => {
    const before = kernelEngine();
    expect(invalidArgumentOf(() => setKernelEngine('gpu' as never)).argument).toBe('engine');
    expect(kernelEngine()).toBe(before);
  });

  it('RandomGenerator.fill refuses a Float32Array (rounding made draws of exactly 1)', () => {
    expect(
      invalidArgumentOf(() => createRandom(1).fill(new Float32Array(4) as never)).argument,
    ).toBe('out');
  });

  it('matmul refuses an out that overlaps an input, and accepts one apart in the same buffer', () => {
    const x = Float64Array.from([1, 2, 3, 4]);
    const eye = Float64Array.from([1, 0, 0, 1]);
    expect(invalidArgumentOf(() => matmul(x, eye, 2, 2, 2, x)).argument).toBe('out');
    const shared = new Float64Array(8);
    shared.set([1, 2, 3, 4]);
    const product = matmul(shared.subarray(0, 4), eye, 2, 2, 2, shared.subarray(4));
    expect(Array.from(product)).toEqual([1, 2, 3, 4]);
  });

  it('randomMPS refuses a spread whose entries overflow or underflow', () => {
    expect(
      invalidArgumentOf(() => randomMPS({ length: 3, bondDim: 2, seed: 1, spread: 1000 })).argument,
    ).toBe('spread');
  });
});

describe('sizes beyond the factories', () => {
  it('uniformMPS refuses a physicalDim whose site tensors would not fit (2^31 ended the process)', () => {
    expect(() => uniformMPS(2, 2 ** 31)).toThrow(
      '`physicalDim` passed to `uniformMPS` must be at most 134217728 for 2 sites',
    );
    expect(() => uniformMPS(1, 2 ** 32)).toThrow('`physicalDim` passed to `uniformMPS`');
    expect(uniformMPS(2, 1024).physicalDims).toEqual([1024, 1024]);
  });
});
