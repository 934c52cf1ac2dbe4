import { describe, expect, it } from 'vitest';
import { canonicalize, compress, entanglementEntropy } from './canonical';
import { toDense } from './dense';
import { logNormalization, logProbabilities } from './evaluate';
import { negativeLogLikelihood } from './likelihood';
import { assertMPS, MPS, productState, randomMPS, uniformMPS } from './mps';
import { applyMPO, applyProductOperator, MPO } from './operators';
import { sample } from './sample';
import { deserializeMPS, serializeMPS } from './serialize';
import { invalidArgumentOf } from './testing/errors';

/**
 * A second, separately evaluated copy of the MPS module: the query string makes the module
 * loader instantiate mps.ts again, with its own `MPS` class, as a second installed copy of the
 * package would (`instanceof` between the two classes is false).
 */
async function loadSecondCopy(): Promise<typeof import('./mps')> {
  const specifier = './mps.ts?second-copy';
  return (await import(/* @vite-ignore */ specifier)) as typeof import('./mps');
}

/** The same tensors as an MPS of this copy and of the second copy. */
async function twins(kind: 'linear' | 'born'): Promise<{ local: MPS; foreign: MPS }> {
  const local = randomMPS({ length: 6, bondDim: 3, kind, seed: 11 });
  const copy = await loadSecondCopy();
  const foreign = copy.MPS.fromTensors(
    local.tensors.map((data, i) => ({ shape: local.siteShape(i), data })),
    { kind },
  ) as unknown as MPS;
  return { local, foreign };
}

describe('an MPS made by another copy of the package (brand check instead of instanceof)', () => {
  it('the second copy is a different class, and its MPS is recognised by the brand', async () => {
    const { foreign } = await twins('linear');
    expect(foreign instanceof MPS).toBe(false);
    expect(MPS.isMPS(foreign)).toBe(true);
    expect(() => assertMPS('test', foreign)).not.toThrow();
  });

  it('evaluation, sampling, likelihood and serialisation give the same results as for the local twin', async () => {
    const { local, foreign } = await twins('linear');
    expect(logNormalization(foreign)).toBe(logNormalization(local));
    expect(toDense(foreign)).toEqual(toDense(local));
    const configs = [
      [0, 1, 0, 1, 1, 0],
      [1, 1, 1, 0, 0, 0],
    ];
    expect(logProbabilities(foreign, configs)).toEqual(logProbabilities(local, configs));
    expect(negativeLogLikelihood(foreign, configs).value).toBe(
      negativeLogLikelihood(local, configs).value,
    );
    const a = sample(foreign, { count: 50, seed: 3 });
    const b = sample(local, { count: 50, seed: 3 });
    expect(a.data).toEqual(b.data);
    expect(a.logProbabilities).toEqual(b.logProbabilities);
    expect(serializeMPS(foreign)).toBe(serializeMPS(local));
    expect(deserializeMPS(serializeMPS(foreign)).mps.tensors).toEqual(local.tensors);
  });

  it('operators and canonical forms accept it and agree with the local twin', async () => {
    const { local, foreign } = await twins('born');
    const flip = [
      [0, 1],
      [1, 0],
    ];
    expect(toDense(applyProductOperator(foreign, flip))).toEqual(
      toDense(applyProductOperator(local, flip)),
    );
    const identity = MPO.fromTensors(
      local.physicalDims.map(
        () =>
          [
            [
              [[1], [0]],
              [[0], [1]],
            ],
          ] as number[][][][],
      ),
    );
    const viaForeign = applyMPO(foreign, identity);
    const viaLocal = applyMPO(local, identity);
    expect(toDense(viaForeign.mps)).toEqual(toDense(viaLocal.mps));
    expect(canonicalize(foreign, { center: 2 }).logNorm).toBe(
      canonicalize(local, { center: 2 }).logNorm,
    );
    expect(compress(foreign, { maxBondDim: 2 }).totalTruncationError).toBe(
      compress(local, { maxBondDim: 2 }).totalTruncationError,
    );
    expect(entanglementEntropy(foreign)).toEqual(entanglementEntropy(local));
  });

  it('a hand-made object with the brand and the public API is accepted', () => {
    const tensors = [new Float64Array([1, 2]), new Float64Array([3, 1])];
    const handMade = {
      kind: 'linear',
      length: 2,
      physicalDims: [2, 2],
      bondDims: [1],
      tensors,
      leftDim: () => 1,
      rightDim: () => 1,
      siteShape: (): [number, number, number] => [1, 2, 1],
      maxBondDim: 1,
      [Symbol.for('@latticediff/tensor-network/MPS')]: 1,
    };
    expect(MPS.isMPS(handMade)).toBe(true);
    // P(x) ∝ a[x0] b[x1], Z = 3 * 4
    expect(logNormalization(handMade as unknown as MPS)).toBeCloseTo(Math.log(12), 14);
  });

  it('plain objects, spread copies and branded objects with broken internals are refused', () => {
    const local = randomMPS({ length: 4, bondDim: 2, seed: 1 });
    const brand = Symbol.for('@latticediff/tensor-network/MPS');
    const branded = (fields: Record<string, unknown>) => ({
      kind: local.kind,
      length: local.length,
      physicalDims: local.physicalDims,
      bondDims: local.bondDims,
      tensors: local.tensors,
      leftDim: (i: number) => local.leftDim(i),
      rightDim: (i: number) => local.rightDim(i),
      siteShape: (i: number) => local.siteShape(i),
      maxBondDim: local.maxBondDim,
      [brand]: 1,
      ...fields,
    });
    const cases: [unknown, string][] = [
      [{ ...local }, 'must be an MPS (from MPS.fromTensors'],
      [{ length: 4, physicalDims: [2, 2, 2, 2], tensors: [] }, 'must be an MPS (from'],
      [branded({ [brand]: 2 }), 'layout version 1, the object has 2'],
      [branded({ kind: 'mixed' }), 'carries the MPS brand with kind mixed'],
      [branded({ length: 0 }), 'carries the MPS brand with length 0'],
      [branded({ tensors: local.tensors.slice(0, 3) }), 'tensors that are not an array of 4'],
      [branded({ bondDims: [2, 9, 2] }), 'tensors[1] not a Float64Array of 2 * 2 * 9 entries'],
      [branded({ physicalDims: [2, 1, 2, 2] }), 'physicalDims[1] = 1'],
      [
        branded({ tensors: [...local.tensors.slice(0, 3), [1, 2]] }),
        'tensors[3] not a Float64Array',
      ],
      [branded({ siteShape: undefined }), 'no method siteShape'],
      [
        branded({ siteShape: () => [1, 2, 1] }),
        'leftDim/siteShape/rightDim of site 0 that disagree with its dimensions [1, 2, 2]',
      ],
      [
        branded({
          leftDim: () => {
            throw new Error('broken');
          },
        }),
        'leftDim/siteShape/rightDim of site 0',
      ],
      [branded({ maxBondDim: 1 }), 'maxBondDim 1 (its bonds give 2)'],
    ];
    for (const [value, fragment] of cases) {
      expect(MPS.isMPS(value)).toBe(false);
      for (const call of [
        () => logNormalization(value as MPS),
        () => serializeMPS(value as MPS),
        () => canonicalize(value as MPS),
        () =>
          applyProductOperator(value as MPS, [
            [1, 0],
            [0, 1],
          ]),
      ]) {
        const error = invalidArgumentOf(call);
        expect(error.argument).toBe('mps');
        expect(error.message).toContain(fragment);
      }
    }
  });
});

describe('misspelt options of the MPS factories, serializeMPS and applyMPO are refused', () => {
  const born = randomMPS({ length: 3, bondDim: 2, kind: 'born', seed: 2 });
  const identity = MPO.fromTensors(
    [0, 1, 2].map(
      () =>
        [
          [
            [[1], [0]],
            [[0], [1]],
          ],
        ] as number[][][][],
    ),
  );
  const cases: [string, string, () => unknown][] = [
    [
      'MPS.fromTensors',
      'knid',
      () => MPS.fromTensors([{ shape: [1, 2, 1], data: [1, 1] }], { knid: 'born' } as never),
    ],
    ['productState', 'kinds', () => productState([[1, 1]], { kinds: 'born' } as never)],
    ['uniformMPS', 'Kind', () => uniformMPS(3, 2, { Kind: 'born' } as never)],
    ['serializeMPS', 'metdata', () => serializeMPS(born, { metdata: { a: 1 } } as never)],
    ['applyMPO', 'maxBond', () => applyMPO(born, identity, { maxBond: 2 } as never)],
  ];
  it.each(cases)('%s refuses `%s`', (name, key, call) => {
    const error = invalidArgumentOf(call);
    expect(error.functionName).toBe(name);
    expect(error.argument).toBe(`options.${key}`);
    expect(error.message).toContain(`\`${name}\` has no option \`${key}\``);
  });

  it('the same calls with the right option names still work', () => {
    expect(MPS.fromTensors([{ shape: [1, 2, 1], data: [1, 1] }], { kind: 'born' }).kind).toBe(
      'born',
    );
    expect(productState([[1, 1]], { kind: 'born' }).kind).toBe('born');
    expect(uniformMPS(3, 2, { kind: 'born' }).kind).toBe('born');
    expect(serializeMPS(born, { metadata: { a: 1 } })).toContain('"a":1');
    expect(applyMPO(born, identity, { maxBondDim: 2 }).mps.maxBondDim).toBeLessThanOrEqual(2);
  });

  it('non-object options are refused naming `options`', () => {
    for (const call of [
      () => MPS.fromTensors([{ shape: [1, 2, 1], data: [1, 1] }], null as never),
      () => productState([[1, 1]], 'born' as never),
      () => uniformMPS(3, 2, 5 as never),
    ]) {
      expect(invalidArgumentOf(call).argument).toBe('options');
    }
  });
});
