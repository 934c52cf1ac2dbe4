import { describe, expect, it } from 'vitest';
import { toDense } from './dense';
import { InvalidArgumentError, LatticeDiffError, NumericalError } from './errors';
import { logNormalization, marginals } from './evaluate';
import { MPS, productState, randomMPS, uniformMPS } from './mps';
import { sample } from './sample';

describe('construction', () => {
  it('fromTensors accepts nested arrays and flat data with shapes, and copies them', () => {
    const data = [1, 2, 3, 4];
    const a = MPS.fromTensors([
      { shape: [1, 2, 2], data },
      [
        [[1], [1]],
        [[1], [1]],
      ],
    ]);
    data[0] = 100;
    expect(a.tensors[0]![0]).toBe(1);
    expect(a.bondDims).toEqual([2]);
    expect(a.physicalDims).toEqual([2, 2]);
    expect(a.siteShape(1)).toEqual([2, 2, 1]);
    expect(a.siteTensorArray(0)).toEqual([
      [
        [1, 2],
        [3, 4],
      ],
    ]);
  });

  it('productState and uniformMPS give the expected dense distributions', () => {
    const p = toDense(
      productState([
        [1, 3],
        [2, 2, 4],
      ]),
    );
    const ref = [1 / 4, 3 / 4].flatMap((a) => [0.25, 0.25, 0.5].map((b) => a * b));
    ref.forEach((v, k) => {
      expect(p[k]).toBeCloseTo(v, 15);
    });
    const born = toDense(
      productState(
        [
          [1, 3],
          [2, 2, 4],
        ],
        { kind: 'born' },
      ),
    );
    ref.forEach((v, k) => {
      expect(born[k]).toBeCloseTo(v, 15);
    });
    expect(Array.from(toDense(uniformMPS(3, 2)))).toEqual(new Array(8).fill(1 / 8));
  });

  it('randomMPS is reproducible, caps edge bonds at d^distance and respects the kind', () => {
    const a = randomMPS({ length: 7, bondDim: 16, seed: 3 });
    const b = randomMPS({ length: 7, bondDim: 16, seed: 3 });
    expect(a.tensors.map((t) => Array.from(t))).toEqual(b.tensors.map((t) => Array.from(t)));
    expect(a.bondDims).toEqual([2, 4, 8, 8, 4, 2]);
    expect(a.tensors.every((t) => t.every((v) => v > 0))).toBe(true);
    const born = randomMPS({ length: 5, bondDim: 3, kind: 'born', seed: 3, physicalDim: 3 });
    expect(born.kind).toBe('born');
    expect(born.tensors.some((t) => t.some((v) => v < 0))).toBe(true);
  });
});

describe('bad input names the argument, the function and the value', () => {
  const expectInvalid = (run: () => unknown, pattern: RegExp) => {
    let caught: unknown;
    try {
      run();
    } catch (error) {
      caught = error;
    }
    expect(InvalidArgumentError.isInstance(caught)).toBe(true);
    expect(LatticeDiffError.isInstance(caught)).toBe(true);
    expect((caught as Error).message).toMatch(pattern);
  };

  it('MPS.fromTensors', () => {
    expectInvalid(() => MPS.fromTensors([]), /`tensors` passed to `MPS.fromTensors`/);
    expectInvalid(
      () => MPS.fromTensors([{ shape: [2, 2, 1], data: [1, 1, 1, 1] }]),
      /left bond dimension/,
    );
    expectInvalid(
      () => MPS.fromTensors([{ shape: [1, 2, 2], data: [1, 1, 1, 1] }]),
      /right bond dimension 1/,
    );
    expectInvalid(
      () =>
        MPS.fromTensors([
          { shape: [1, 2, 2], data: [1, 1, 1, 1] },
          { shape: [3, 2, 1], data: [1, 1, 1, 1, 1, 1] },
        ]),
      /right bond dimension of site 0 \(2\)/,
    );
    expectInvalid(
      () => MPS.fromTensors([{ shape: [1, 1, 1], data: [1] }]),
      /physical dimension >= 2/,
    );
    expectInvalid(() => MPS.fromTensors([{ shape: [1, 2, 1], data: [1] }]), /`tensors\[0\]\.data`/);
    expectInvalid(
      () => MPS.fromTensors([{ shape: [1, 2, 1], data: [1, -1] }]),
      /non-negative entries/,
    );
    expectInvalid(
      () => MPS.fromTensors([{ shape: [1, 2, 1], data: [1, Number.NaN] }]),
      /finite entries/,
    );
    // entries that are not numbers (a Float64Array made null, '', [] and false 0, true and '1' 1;
    // a bigint was a bare TypeError)
    for (const bad of [null, '', ' ', [], false, true, '1', { re: 1, im: 0 }, 1n]) {
      expectInvalid(
        () => MPS.fromTensors([[[[1], [bad]]]] as never),
        /`tensors\[0\]` passed to `MPS.fromTensors` must be numbers as entries \(entry \[0\]\[1\]\[0\] is not\)/,
      );
      expectInvalid(
        () => MPS.fromTensors([{ shape: [1, 2, 1], data: [1, bad] as never }]),
        /`tensors\[0\]\.data` passed to `MPS.fromTensors` must be numbers as entries \(entry 1 is not\)/,
      );
    }
    expectInvalid(
      () => MPS.fromTensors([{ shape: [1, 2, 1], data: BigInt64Array.from([1n, 2n]) as never }]),
      /numbers as entries/,
    );
    // typed arrays of numbers are taken as they are
    expect(
      MPS.fromTensors([{ shape: [1, 2, 1], data: Float32Array.from([1, 2]) }]).tensors[0],
    ).toEqual(Float64Array.from([1, 2]));
    expectInvalid(
      () => MPS.fromTensors([{ shape: [1, 2, 1], data: [1, 1] }], { kind: 'quantum' as never }),
      /"linear" or "born"/,
    );
    expectInvalid(() => MPS.fromTensors([[[[1, 2]], [[1]]]] as never), /ragged/);
    expect(() =>
      MPS.fromTensors([{ shape: [1, 2, 1], data: [1, -1] }], { kind: 'born' }),
    ).not.toThrow();
  });

  it('factories', () => {
    expectInvalid(
      () => uniformMPS(0),
      /`length` passed to `uniformMPS` must be an integer in \[1, 4194304\] \(got 0\)/,
    );
    expectInvalid(() => uniformMPS(3, 1), /`physicalDim`/);
    expectInvalid(() => productState([[1, -1]]), /`probabilities\[0\]`/);
    expectInvalid(() => productState([[0, 0]]), /positive sum/);
    expectInvalid(() => productState([[1]]), /at least 2 weights/);
    expectInvalid(
      () => randomMPS({ length: 3, bondDim: 0, seed: 1 }),
      /`bondDim` passed to `randomMPS`/,
    );
    expectInvalid(() => randomMPS({ length: 3, bondDim: 2, seed: 1.5 }), /`seed`/);
    expectInvalid(() => randomMPS({ length: 3, bondDim: 2, seed: 1, spread: -1 }), /`spread`/);
    expectInvalid(() => randomMPS(null as never), /`options`/);
  });

  it('a distribution with zero total weight is a NumericalError, not a silent NaN', () => {
    const zero = MPS.fromTensors([{ shape: [1, 2, 1], data: [0, 0] }]);
    expect(() => logNormalization(zero)).toThrow(NumericalError);
    expect(() => marginals(zero)).toThrow(NumericalError);
    expect(() => sample(zero, { count: 1, seed: 1 })).toThrow(NumericalError);
  });
});
