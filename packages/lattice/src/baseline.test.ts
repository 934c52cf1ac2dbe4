import { createRandom } from '@latticediff/tensor-network';
import { describe, expect, it } from 'vitest';
import { metropolisSweep } from './baseline';
import { exactByEnumeration } from './enumerate';
import { hardCoreModel } from './toy-model.test-helper';

describe('metropolisSweep', () => {
  it('samples the hard-core gas density within 4 sigma of the exact value', () => {
    const instance = hardCoreModel.create({ sites: 10, mu: 0.4 });
    const exact = exactByEnumeration(instance).means.density as number;
    const random = createRandom(7);
    const x = instance.initialConfiguration();
    for (let s = 0; s < 100; s++) metropolisSweep(instance, x, random);
    // bin averages: 200 bins of 100 sweeps each (bins much longer than the correlation time)
    const bins: number[] = [];
    for (let b = 0; b < 200; b++) {
      let sum = 0;
      for (let s = 0; s < 100; s++) {
        metropolisSweep(instance, x, random);
        sum += instance.observe('density', { data: x, count: 1 })[0] as number;
      }
      bins.push(sum / 100);
    }
    const mean = bins.reduce((a, b) => a + b, 0) / bins.length;
    const variance = bins.reduce((a, b) => a + (b - mean) ** 2, 0) / (bins.length - 1);
    const error = Math.sqrt(variance / bins.length);
    expect(error).toBeGreaterThan(0);
    expect(Math.abs(mean - exact)).toBeLessThan(4 * error);
  });
});
