import { isingModel } from '@latticediff/model-ising';
import { describe, expect, it } from 'vitest';
import { availableMemory, buildSizeRefusal } from './build-size';

describe('availableMemory', () => {
  it('is the machine memory without a container limit (Node reports undefined, 0 or 2^64)', () => {
    for (const none of [undefined, 0, 2 ** 64]) {
      expect(availableMemory(24 * 2 ** 30, none)).toEqual({
        bytes: 24 * 2 ** 30,
        container: false,
      });
    }
  });

  it('is a smaller container (cgroup) limit where Node reports one', () => {
    expect(availableMemory(24 * 2 ** 30, 2 ** 30)).toEqual({ bytes: 2 ** 30, container: true });
  });
});

describe('buildSizeRefusal', () => {
  it('refuses against the memory it is given, naming the size flags', () => {
    const instance = isingModel.create({ lx: 64, ly: 64 });
    const options = {
      maxBondDim: 16,
      physics: true,
      sizeFlags: [
        ['--lx', 64],
        ['--ly', 64],
      ] as const,
    };
    expect(buildSizeRefusal(instance, { ...options, memory: 2 ** 40 })).toBeUndefined();
    expect(buildSizeRefusal(instance, { ...options, memory: 2 ** 20 })).toMatch(
      /^ising with --lx 64 --ly 64 is too large for train: .* more than this machine has \(0\.00 GiB\); choose a smaller --lx\/--ly or --max-bond-dim$/,
    );
  });
});
