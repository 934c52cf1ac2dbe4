import { metropolisSweep } from '@latticediff/lattice';
import { createRandom } from '@latticediff/tensor-network';
import { describe, expect, it } from 'vitest';
import { fredkinExact } from './exact';
import { fredkinModel } from './fredkin';

describe('local Fredkin dynamics (Metropolis baseline)', () => {
  it('reproduces the exact mean height within 4 sigma of its binned error bar', () => {
    const sites = 12;
    const c = 0.65;
    const instance = fredkinModel.create({ sites, c });
    const random = createRandom(5);
    const x = instance.initialConfiguration();
    for (let s = 0; s < 1000; s++) metropolisSweep(instance, x, random);
    const bins: number[] = [];
    for (let b = 0; b < 100; b++) {
      let sum = 0;
      for (let s = 0; s < 200; s++) {
        metropolisSweep(instance, x, random);
        sum += instance.observe('meanHeight', { data: x, count: 1 })[0] as number;
      }
      bins.push(sum / 200);
    }
    const mean = bins.reduce((a, b) => a + b, 0) / bins.length;
    const variance = bins.reduce((a, b) => a + (b - mean) ** 2, 0) / (bins.length - 1);
    const error = Math.sqrt(variance / bins.length);
    expect(error).toBeGreaterThan(0);
    expect(Math.abs(mean - fredkinExact({ sites, c }).meanHeight)).toBeLessThan(4 * error);
  });

  it('has the Fredkin rates of the design with the boundary bonds frozen', () => {
    const instance = fredkinModel.create({ sites: 8, c: 0.3 });
    const { rate, deltaEnergy } = instance.localMoves;
    const x = Int32Array.from([1, 1, 0, 1, 0, 1, 0, 0]);
    // bond 2 (0,1) valley with x_1 = 1 and x_4 = 0: both controls, rate 2c
    expect(rate?.(x, 2)).toBeCloseTo(0.6, 15);
    // bond 3 (1,0) peak with x_2 = 0 and x_5 = 1: no control, not available
    expect(rate?.(x, 3)).toBe(0);
    expect(deltaEnergy(x, 3)).toBe(Number.POSITIVE_INFINITY);
    // bond 1 (1,0) peak with x_0 = 1, x_3 = 1: one control, rate 1 - c
    expect(rate?.(x, 1)).toBeCloseTo(0.7, 15);
    expect(rate?.(x, 0)).toBe(0);
    expect(rate?.(x, 6)).toBe(0);
    expect(deltaEnergy(x, 1)).toBeCloseTo(Math.log(0.3 / 0.7), 15);
  });
});
