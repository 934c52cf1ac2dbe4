import { describe, expect, it } from 'vitest';
import { toDense } from './dense';
import { type MPSKind, productState, randomMPS } from './mps';
import { applyMPO, MPO } from './operators';
import { createRandom } from './random';
import { invalidArgumentOf } from './testing/errors';

/**
 * A second, separately evaluated copy of the operators module: the query string makes the module
 * loader instantiate operators.ts again, with its own `MPO` class and its own brand check, as a
 * second installed copy of the package would (`instanceof` between the two classes is false).
 */
async function loadSecondCopy(): Promise<typeof import('./operators')> {
  const specifier = './operators.ts?second-copy';
  return (await import(/* @vite-ignore */ specifier)) as typeof import('./operators');
}

/** Site tensors [left, out, in, right] of a random MPO on 4 sites with d = 2 and bond 2. */
function randomMPOTensors(seed: number, nonNegative: boolean) {
  const rng = createRandom(seed);
  const n = 4;
  return Array.from({ length: n }, (_, i) => {
    const l = i === 0 ? 1 : 2;
    const r = i === n - 1 ? 1 : 2;
    const data = Array.from({ length: l * 2 * 2 * r }, () =>
      nonNegative ? rng.float64() : rng.float64() * 2 - 1,
    );
    return { shape: [l, 2, 2, r] as const, data };
  });
}

/** The same tensors as an MPO of this copy and of the second copy. */
async function twins(nonNegative: boolean): Promise<{ local: MPO; foreign: MPO }> {
  const tensors = randomMPOTensors(21, nonNegative);
  const copy = await loadSecondCopy();
  return {
    local: MPO.fromTensors(tensors),
    foreign: copy.MPO.fromTensors(tensors) as unknown as MPO,
  };
}

describe('an MPO made by another copy of the package (brand check instead of instanceof)', () => {
  it('the second copy is a different class, and its MPO is recognised by the brand', async () => {
    const { local, foreign } = await twins(true);
    expect(foreign instanceof MPO).toBe(false);
    expect(MPO.isMPO(foreign)).toBe(true);
    expect(MPO.isMPO(local)).toBe(true);
    // the brand is not enumerable: it does not show in keys, JSON or spread copies
    const brand = Symbol.for('@latticediff/tensor-network/MPO');
    expect((local as unknown as Record<symbol, unknown>)[brand]).toBe(1);
    expect(Object.prototype.propertyIsEnumerable.call(local, brand)).toBe(false);
    expect(Object.getOwnPropertySymbols({ ...local })).toEqual([]);
  });

  it.each(['linear', 'born'] as MPSKind[])(
    'applyMPO gives the same product as with the local twin (%s), in both directions',
    async (kind) => {
      const { local, foreign } = await twins(kind === 'linear');
      const copy = await loadSecondCopy();
      const mps = randomMPS({ length: 4, bondDim: 3, kind, seed: 5 });
      const reference = applyMPO(mps, local);
      for (const result of [applyMPO(mps, foreign), copy.applyMPO(mps, local)]) {
        expect(result.mps.tensors).toEqual(reference.mps.tensors);
        expect(result.bondDims).toEqual(reference.bondDims);
        expect(result.totalTruncationError).toBe(reference.totalTruncationError);
      }
    },
  );

  it('a hand-made object with the brand and the public API is accepted, with the exact product', () => {
    // site 0 flips the digit, site 1 keeps it: a product operator of bond dimension 1
    const flip = new Float64Array([0, 1, 1, 0]);
    const keep = new Float64Array([1, 0, 0, 1]);
    const handMade = {
      length: 2,
      outputDims: [2, 2],
      inputDims: [2, 2],
      bondDims: [1],
      tensors: [flip, keep],
      leftDim: () => 1,
      rightDim: () => 1,
      siteShape: (): [number, number, number, number] => [1, 2, 2, 1],
      maxBondDim: 1,
      isNonNegative: true,
      [Symbol.for('@latticediff/tensor-network/MPO')]: 1,
    };
    expect(MPO.isMPO(handMade)).toBe(true);
    // P(x0, x1) ∝ a[x0] b[x1] with a = [1, 3], b = [2, 1]: after the flip a becomes [3, 1]
    const state = productState([
      [1, 3],
      [2, 1],
    ]);
    const product = applyMPO(state, handMade as unknown as MPO).mps;
    expect(Array.from(toDense(product))).toEqual([6 / 12, 3 / 12, 2 / 12, 1 / 12]);
  });

  it('a branded MPO whose isNonNegative is wrong cannot slip negative entries into a linear MPS', () => {
    const local = MPO.fromTensors(randomMPOTensors(8, false));
    expect(local.isNonNegative).toBe(false);
    const liar = {
      length: local.length,
      outputDims: local.outputDims,
      inputDims: local.inputDims,
      bondDims: local.bondDims,
      tensors: local.tensors,
      leftDim: (i: number) => local.leftDim(i),
      rightDim: (i: number) => local.rightDim(i),
      siteShape: (i: number) => local.siteShape(i),
      maxBondDim: local.maxBondDim,
      isNonNegative: true,
      [Symbol.for('@latticediff/tensor-network/MPO')]: 1,
    };
    expect(MPO.isMPO(liar)).toBe(true);
    const linear = randomMPS({ length: 4, bondDim: 2, kind: 'linear', seed: 6 });
    const error = invalidArgumentOf(() => applyMPO(linear, liar as unknown as MPO));
    expect(error.argument).toBe('mpo');
    expect(error.message).toContain('a non-negative MPO when applied to a linear MPS');
  });

  it('plain look-alikes, spread copies and branded objects with broken internals are refused', () => {
    const local = MPO.fromTensors(randomMPOTensors(3, true));
    const brand = Symbol.for('@latticediff/tensor-network/MPO');
    const fields = {
      length: local.length,
      outputDims: local.outputDims,
      inputDims: local.inputDims,
      bondDims: local.bondDims,
      tensors: local.tensors,
      leftDim: (i: number) => local.leftDim(i),
      rightDim: (i: number) => local.rightDim(i),
      siteShape: (i: number) => local.siteShape(i),
      maxBondDim: local.maxBondDim,
      isNonNegative: local.isNonNegative,
    };
    const branded = (changes: Record<string | symbol, unknown>) => ({
      ...fields,
      [brand]: 1,
      ...changes,
    });
    const { isNonNegative: _, ...withoutIsNonNegative } = fields;
    const plainMessage = 'must be an MPO (from MPO.fromTensors) (got';
    const cases: [unknown, string][] = [
      [{ ...local }, plainMessage],
      [fields, plainMessage],
      [{ length: 4, tensors: [] }, plainMessage],
      [null, plainMessage],
      ['identity', plainMessage],
      [randomMPS({ length: 4, bondDim: 2, seed: 1 }), plainMessage],
      [
        branded({ [brand]: 2 }),
        'an MPO of a compatible copy of @latticediff/tensor-network (this copy reads layout version 1, the object has 2)',
      ],
      [branded({ length: 0 }), 'carries the MPO brand with length 0'],
      [branded({ outputDims: [2, 2, 2] }), 'outputDims that are not an array of 4 entries'],
      [branded({ inputDims: undefined }), 'inputDims that are not an array of 4 entries'],
      [branded({ bondDims: [2, 2] }), 'bondDims that are not an array of 3 entries'],
      [
        branded({ tensors: local.tensors.slice(0, 3) }),
        'tensors that are not an array of 4 entries',
      ],
      [branded({ inputDims: [2, 0, 2, 2] }), 'inputDims[1] = 0'],
      [branded({ bondDims: [2, 2.5, 2] }), 'bondDims[1] = 2.5'],
      [branded({ bondDims: [2, 3, 2] }), 'tensors[1] not a Float64Array of 2 * 2 * 2 * 3 entries'],
      [
        branded({ tensors: [...local.tensors.slice(0, 3), Array.from(local.tensors[3]!)] }),
        'tensors[3] not a Float64Array of 2 * 2 * 2 * 1 entries',
      ],
      [branded({ rightDim: 2 }), 'no method rightDim'],
      [withoutIsNonNegative, plainMessage],
      [{ ...withoutIsNonNegative, [brand]: 1 }, 'no property isNonNegative'],
      [
        branded({ siteShape: () => [1, 2, 2, 1] }),
        'leftDim/siteShape/rightDim of site 0 that disagree with its dimensions [1, 2, 2, 2]',
      ],
      [
        branded({
          leftDim: () => {
            throw new Error('broken');
          },
        }),
        'leftDim/siteShape/rightDim of site 0',
      ],
      [branded({ maxBondDim: 3 }), 'maxBondDim 3 (its bonds give 2)'],
    ];
    const born = randomMPS({ length: 4, bondDim: 2, kind: 'born', seed: 2 });
    for (const [value, fragment] of cases) {
      expect(MPO.isMPO(value)).toBe(false);
      const error = invalidArgumentOf(() => applyMPO(born, value as MPO));
      expect(error.functionName).toBe('applyMPO');
      expect(error.argument).toBe('mpo');
      expect(error.message).toContain('invalid argument: `mpo` passed to `applyMPO` must be');
      expect(error.message).toContain(fragment);
    }
  });
});
