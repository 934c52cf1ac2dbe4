import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, WorkspaceMemoryError, withinWorkspace } from './errors';
import { randomMPS } from './mps';
import { sample } from './sample';
import { kernelEngine } from './workspace';

describe('a batch larger than the kernels can hold', () => {
  it('is refused naming the argument and the count (it was a bare Memory.grow RangeError)', () => {
    // WebAssembly memory holds at most 4 GiB: 2^26 rows of a 2-site MPS need about 4.5 GiB
    // (count * sites = 2^27 digits is within MAX_BATCH_ENTRIES, so the memory is the limit)
    expect(kernelEngine()).toBe('wasm-simd');
    const mps = randomMPS({ length: 2, bondDim: 2, seed: 1 });
    const before = sample(mps, { count: 300, seed: 2 });
    let error: unknown;
    try {
      sample(mps, { count: 2 ** 26, seed: 1 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as Error).message).toMatch(
      /^invalid argument: `count` passed to `sample` must be a batch that fits the kernels' memory \(it needs more than [0-9.]+ GiB; WebAssembly memory holds at most 4 GiB\): pass fewer rows per call \(got 67108864\)$/,
    );
    expect(WorkspaceMemoryError.isInstance((error as Error).cause)).toBe(true);
    // the workspace is usable afterwards, and gives what it gave before
    const after = sample(mps, { count: 300, seed: 2 });
    expect(Array.from(after.data)).toEqual(Array.from(before.data));
    expect(Array.from(after.logProbabilities)).toEqual(Array.from(before.logProbabilities));
  });

  it('withinWorkspace passes other errors through unchanged', () => {
    const other = new RangeError('something else');
    expect(() =>
      withinWorkspace('f', 'count', 5, () => {
        throw other;
      }),
    ).toThrow(other);
    expect(withinWorkspace('f', 'count', 5, () => 7)).toBe(7);
  });
});
